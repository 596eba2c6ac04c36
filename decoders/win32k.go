package decoders

import "github.com/ipctrace/ipctrace/etw"

// Microsoft-Windows-Win32k: the window-message events of the MessagePump
// keyword (0x400000) and the hung-window events of the UIUnresponsiveness
// keyword (0x40000). The layouts are the provider manifest's templates
// (QueuePostMessageArgs, SendMessageStartArgs, RetrievePostMessageArgs,
// SendMessageStopArgs, TranslateMessageStartArgs, QueueNullPostMessageArgs,
// WaitCursorArgs, InputProcessDelayArgs, MessageCheckDelayArgs and their
// Immersive twins), all version 0. Manifest payloads are packed: the Int8
// CallbackCount puts the first pointer at offset 1, and pointers are the
// record's pointer size (docs/events.md#window-messages). No trace holding
// these events has been seen: the layouts come from the manifest only, and
// what the values mean is inferred.

// Win32kGUID is the Microsoft-Windows-Win32k provider.
var Win32kGUID = etw.MustParseGUID("8c416c79-d49b-4f01-a467-e56d3aa8234c")

// Win32k keywords used by ipctrace.
const (
	Win32kKeywordUIUnresponsiveness          = 0x40000
	Win32kKeywordMessagePump                 = 0x400000
	Win32kKeywordMessagePumpInternalAndInput = 0x800000 // input devices: very chatty
	Win32kKeywordNullMessages                = 0x200000000
)

// Win32k event ids (manifest event values).
const (
	Win32kWaitCursorID                 uint16 = 35
	Win32kInputProcessDelayID          uint16 = 37
	Win32kMessageCheckDelayID          uint16 = 38
	Win32kQueuePostMessageID           uint16 = 59
	Win32kSendMessageStartID           uint16 = 60
	Win32kRetrievePostMessageID        uint16 = 61
	Win32kRetrieveSendMessageStartID   uint16 = 62
	Win32kSendMessageStopID            uint16 = 70
	Win32kRetrieveSendMessageStopID    uint16 = 83
	Win32kTranslateMessageStartID      uint16 = 89
	Win32kTranslateMessageStopID       uint16 = 91
	Win32kDispatchMessageStartID       uint16 = 92
	Win32kDispatchMessageStopID        uint16 = 93
	Win32kImmersiveInputProcessDelayID uint16 = 172
	Win32kImmersiveMessageCheckDelayID uint16 = 173
	Win32kQueueNullPostMessageID       uint16 = 426
)

// Win32kMessage is one queued window message: QueuePostMessage (59, on the
// poster), SendMessageStart (60, on the sender), RetrievePostMessage (61, on
// the receiver) and RetrieveSendMessageStart (62, on the receiver). Pqmsg is
// the kernel's queue entry, the value that pairs the events of one message.
// Flags exists in 60 and 61; ReceiverPID and ReceiverTID only in 60.
type Win32kMessage struct {
	ID               uint16 `json:"id"`
	CallbackCount    int8   `json:"callback_count"`
	Pqmsg            uint64 `json:"pqmsg"`
	Hwnd             uint64 `json:"hwnd"`
	WParam           uint64 `json:"wparam"`
	LParam           uint64 `json:"lparam"`
	Message          uint32 `json:"message"`
	InputReadyTimeMs uint32 `json:"input_ready_time_ms"`
	Flags            uint32 `json:"flags"`
	ReceiverPID      uint32 `json:"pid_receiver"`
	ReceiverTID      uint32 `json:"tid_receiver"`
}

// Win32kMessageStop is SendMessageStop (70, on the sender: SendMessage
// returned) and RetrieveSendMessageStop (83, on the receiver: its handler
// returned), carrying the Pqmsg of the matching start.
type Win32kMessageStop struct {
	ID            uint16 `json:"id"`
	CallbackCount int8   `json:"callback_count"`
	Pqmsg         uint64 `json:"pqmsg"`
}

// Win32kPumpMessage is TranslateMessageStart/Stop (89/91) and
// DispatchMessageStart/Stop (92/93) on the pumping thread.
type Win32kPumpMessage struct {
	ID            uint16 `json:"id"`
	CallbackCount int8   `json:"callback_count"`
	Message       uint32 `json:"message"`
}

// Win32kQueueNullPostMessage is QueueNullPostMessage (426; keywords
// MessagePump and NullMessages).
type Win32kQueueNullPostMessage struct {
	SourceProcessID   uint32 `json:"source_process_id"`
	SourceThreadID    uint32 `json:"source_thread_id"`
	SourceProcessName string `json:"source_process_name"`
	DestinationHwnd   uint64 `json:"destination_hwnd"`
}

// Win32kWaitCursor is WaitCursor (35): the busy cursor was shown over a
// thread's window.
type Win32kWaitCursor struct {
	CursorThreadID  uint32 `json:"cursor_thread_id"`
	CursorProcessID uint32 `json:"cursor_process_id"`
	SessionID       uint32 `json:"session_id"`
	CursorType      uint32 `json:"cursor_type"`
	DisplayTimeMs   uint32 `json:"display_time_ms"`
}

// Win32kUIDelay is a hung-window report: InputProcessDelay (37),
// MessageCheckDelay (38) and their packaged-app forms
// ImmersiveInputProcessDelay (172) and ImmersiveMessageCheckDelay (173).
// DelayTimeMs is present only in 38 and 173; ImagePath only in 37 and 38;
// PackageMoniker and AppUserModelID only in 172 and 173. Flags of 37 are
// ThreadInfoFlags bits (Win32kThreadInfoFlagNames).
type Win32kUIDelay struct {
	ID                     uint16 `json:"id"`
	Flags                  uint32 `json:"flags"`
	DelayTimeMs            uint32 `json:"delay_time_ms"`
	TimeSinceInputRemoveMs uint32 `json:"time_since_input_remove_ms"`
	TimeSinceOldestInputMs uint32 `json:"time_since_oldest_input_ms"`
	ClassName              string `json:"class_name"`
	TopLevelClassName      string `json:"top_level_class_name"`
	ImagePath              string `json:"image_path"`
	PackageMoniker         string `json:"package_moniker"`
	AppUserModelID         string `json:"app_user_model_id"`
	MessageID              uint32 `json:"message_id"`
	WParam                 uint64 `json:"wparam"`
}

func (*Win32kMessage) EventName() string              { return "Win32k/Message" }
func (*Win32kMessageStop) EventName() string          { return "Win32k/MessageStop" }
func (*Win32kPumpMessage) EventName() string          { return "Win32k/PumpMessage" }
func (*Win32kQueueNullPostMessage) EventName() string { return "Win32k/QueueNullPostMessage" }
func (*Win32kWaitCursor) EventName() string           { return "Win32k/WaitCursor" }
func (*Win32kUIDelay) EventName() string              { return "Win32k/UIDelay" }

// IsImmersive reports whether d is one of the packaged-app forms (172, 173).
func (d *Win32kUIDelay) IsImmersive() bool {
	return d.ID == Win32kImmersiveInputProcessDelayID || d.ID == Win32kImmersiveMessageCheckDelayID
}

// win32kThreadInfoFlags names the ThreadInfoFlags bit map of InputProcessDelay.
var win32kThreadInfoFlags = []struct {
	bit  uint32
	name string
}{
	{0x1, "had-input-messages"},
	{0x2, "had-visible-windows"},
	{0x4, "has-new-input"},
	{0x8, "has-visible-windows"},
	{0x10, "has-windows"},
	{0x20, "has-ghosted-windows"},
	{0x40, "being-destroyed"},
	{0x80, "pumped-per-window-messages"},
	{0x100, "has-input-messages"},
	{0x200, "spinning-in-window-calls"},
	{0x400, "has-focus"},
	{0x800, "foreground"},
}

// Win32kThreadInfoFlagNames names the set bits of an InputProcessDelay
// Flags value, in bit order; unknown bits are named "0x…".
func Win32kThreadInfoFlagNames(flags uint32) []string {
	var out []string
	for _, f := range win32kThreadInfoFlags {
		if flags&f.bit != 0 {
			out = append(out, f.name)
			flags &^= f.bit
		}
	}
	if flags != 0 {
		out = append(out, "0x"+hex32(flags))
	}
	return out
}

func hex32(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	n := len(b)
	for {
		n--
		b[n] = digits[v&0xF]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return string(b[n:])
}

// win32kSlots holds the Parser's reusable storage for Win32k and COMRuntime events.
type win32kSlots struct {
	msg      Win32kMessage
	msgStop  Win32kMessageStop
	pump     Win32kPumpMessage
	nullPost Win32kQueueNullPostMessage
	cursor   Win32kWaitCursor
	delay    Win32kUIDelay
	comModal COMCliModalLoopDelay
	comCall  COMCallDelay
	comStub  COMPrematureStubRundown
}

// win32kMessageLayout is QueuePostMessageArgs (extra 0), RetrievePostMessageArgs
// (extra 1: flags) or SendMessageStartArgs (extra 3: flags, pidReceiver, tidReceiver).
func win32kMessageLayout(extra int) *layout[Win32kMessage] {
	type M = Win32kMessage
	fs := []field[M]{
		u8("CallbackCount", func(e *M) any { return &e.CallbackCount }),
		pointer("pqmsg", func(e *M) any { return &e.Pqmsg }),
		pointer("hwnd", func(e *M) any { return &e.Hwnd }),
		pointer("WParam", func(e *M) any { return &e.WParam }),
		pointer("LParam", func(e *M) any { return &e.LParam }),
		u32("message", func(e *M) any { return &e.Message }),
		u32("inputReadyTimeMs", func(e *M) any { return &e.InputReadyTimeMs }),
	}
	tail := []field[M]{
		u32("flags", func(e *M) any { return &e.Flags }),
		u32("pidReceiver", func(e *M) any { return &e.ReceiverPID }),
		u32("tidReceiver", func(e *M) any { return &e.ReceiverTID }),
	}
	return fields(append(fs, tail[:extra]...)...)
}

// win32kDelayLayout is InputProcessDelayArgs / MessageCheckDelayArgs (check:
// with DelayTimeMs) and their Immersive forms (immersive: PackageMoniker and
// AppUserModelId in place of ImagePath).
func win32kDelayLayout(check, immersive bool) *layout[Win32kUIDelay] {
	type D = Win32kUIDelay
	fs := []field[D]{u32("Flags", func(e *D) any { return &e.Flags })}
	if check {
		fs = append(fs, u32("DelayTimeMs", func(e *D) any { return &e.DelayTimeMs }))
	}
	fs = append(fs,
		u32("TimeSinceInputRemoveMs", func(e *D) any { return &e.TimeSinceInputRemoveMs }),
		u32("TimeSinceOldestInputMs", func(e *D) any { return &e.TimeSinceOldestInputMs }),
		wstr("ClassName", func(e *D) any { return &e.ClassName }),
		wstr("TopLevelClassName", func(e *D) any { return &e.TopLevelClassName }))
	if immersive {
		fs = append(fs,
			wstr("PackageMoniker", func(e *D) any { return &e.PackageMoniker }),
			wstr("AppUserModelId", func(e *D) any { return &e.AppUserModelID }))
	} else {
		fs = append(fs, wstr("ImagePath", func(e *D) any { return &e.ImagePath }))
	}
	fs = append(fs,
		u32("MessageId", func(e *D) any { return &e.MessageID }),
		u64("WParam", func(e *D) any { return &e.WParam }))
	return fields(fs...)
}

var (
	win32kStop = fields(
		u8("CallbackCount", func(e *Win32kMessageStop) any { return &e.CallbackCount }),
		pointer("pqmsg", func(e *Win32kMessageStop) any { return &e.Pqmsg }),
	)
	win32kPump = fields(
		u8("CallbackCount", func(e *Win32kPumpMessage) any { return &e.CallbackCount }),
		u32("message", func(e *Win32kPumpMessage) any { return &e.Message }),
	)
	win32kNullPost = fields(
		u32("SourceProcessId", func(e *Win32kQueueNullPostMessage) any { return &e.SourceProcessID }),
		u32("SourceThreadId", func(e *Win32kQueueNullPostMessage) any { return &e.SourceThreadID }),
		astr("SourceProcessName", func(e *Win32kQueueNullPostMessage) any { return &e.SourceProcessName }),
		pointer("DestinationHwnd", func(e *Win32kQueueNullPostMessage) any { return &e.DestinationHwnd }),
	)
	win32kCursor = fields(
		u32("CursorThreadId", func(e *Win32kWaitCursor) any { return &e.CursorThreadID }),
		u32("CursorProcessId", func(e *Win32kWaitCursor) any { return &e.CursorProcessID }),
		u32("SessionId", func(e *Win32kWaitCursor) any { return &e.SessionID }),
		u32("CursorType", func(e *Win32kWaitCursor) any { return &e.CursorType }),
		u32("DisplayTimeMs", func(e *Win32kWaitCursor) any { return &e.DisplayTimeMs }),
	)
)

func init() {
	providerNames[Win32kGUID] = "Microsoft-Windows-Win32k"
	k := func(id uint16) Key { return ManifestKey(Win32kGUID, id, 0) }
	setID := func(id uint16) func(*uint16) { return func(p *uint16) { *p = id } }

	for _, m := range []struct {
		id    uint16
		name  string
		extra int
	}{
		{Win32kQueuePostMessageID, "QueuePostMessage", 0},
		{Win32kSendMessageStartID, "SendMessageStart", 3},
		{Win32kRetrievePostMessageID, "RetrievePostMessage", 1},
		{Win32kRetrieveSendMessageStartID, "RetrieveSendMessageStart", 0},
	} {
		set := setID(m.id)
		def[Win32kMessage, *Win32kMessage]{name: "Win32k/" + m.name, l: win32kMessageLayout(m.extra),
			slot: func(p *Parser) *Win32kMessage { return &p.w32k.msg },
			init: func(e *Win32kMessage) { set(&e.ID) }}.add(k(m.id))
	}
	for _, m := range []struct {
		id   uint16
		name string
	}{{Win32kSendMessageStopID, "SendMessageStop"}, {Win32kRetrieveSendMessageStopID, "RetrieveSendMessageStop"}} {
		set := setID(m.id)
		def[Win32kMessageStop, *Win32kMessageStop]{name: "Win32k/" + m.name, l: win32kStop,
			slot: func(p *Parser) *Win32kMessageStop { return &p.w32k.msgStop },
			init: func(e *Win32kMessageStop) { set(&e.ID) }}.add(k(m.id))
	}
	for _, m := range []struct {
		id   uint16
		name string
	}{
		{Win32kTranslateMessageStartID, "TranslateMessageStart"}, {Win32kTranslateMessageStopID, "TranslateMessageStop"},
		{Win32kDispatchMessageStartID, "DispatchMessageStart"}, {Win32kDispatchMessageStopID, "DispatchMessageStop"},
	} {
		set := setID(m.id)
		def[Win32kPumpMessage, *Win32kPumpMessage]{name: "Win32k/" + m.name, l: win32kPump,
			slot: func(p *Parser) *Win32kPumpMessage { return &p.w32k.pump },
			init: func(e *Win32kPumpMessage) { set(&e.ID) }}.add(k(m.id))
	}
	def[Win32kQueueNullPostMessage, *Win32kQueueNullPostMessage]{name: "Win32k/QueueNullPostMessage", l: win32kNullPost,
		slot: func(p *Parser) *Win32kQueueNullPostMessage { return &p.w32k.nullPost }}.add(k(Win32kQueueNullPostMessageID))
	def[Win32kWaitCursor, *Win32kWaitCursor]{name: "Win32k/WaitCursor", l: win32kCursor,
		slot: func(p *Parser) *Win32kWaitCursor { return &p.w32k.cursor }}.add(k(Win32kWaitCursorID))
	for _, m := range []struct {
		id               uint16
		name             string
		check, immersive bool
	}{
		{Win32kInputProcessDelayID, "InputProcessDelay", false, false},
		{Win32kMessageCheckDelayID, "MessageCheckDelay", true, false},
		{Win32kImmersiveInputProcessDelayID, "ImmersiveInputProcessDelay", false, true},
		{Win32kImmersiveMessageCheckDelayID, "ImmersiveMessageCheckDelay", true, true},
	} {
		set := setID(m.id)
		def[Win32kUIDelay, *Win32kUIDelay]{name: "Win32k/" + m.name, l: win32kDelayLayout(m.check, m.immersive),
			slot: func(p *Parser) *Win32kUIDelay { return &p.w32k.delay },
			init: func(e *Win32kUIDelay) { set(&e.ID) }}.add(k(m.id))
	}
}
