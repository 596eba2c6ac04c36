package model

import "github.com/ipctrace/ipctrace/internal/latency"

// Model is the result of correlating one trace (or several traces merged):
// the data every report renders. JSON names are stable: fields may be added,
// never renamed. `synth --truth` writes the same schema with the values a
// scenario is known to produce.
type Model struct {
	Trace     Trace     `json:"trace"`
	Processes []Process `json:"processes"`
	Pipes     []Pipe    `json:"pipes"`
	ALPC      []ALPC    `json:"alpc"`
	RPC       []RPC     `json:"rpc"`
	Sections  []Section `json:"sections"`
	Stuck     []Stuck   `json:"stuck"`
	// Idle lists operations open at the end (or long) that nobody waits
	// on: servers waiting for work (docs/rules.md I1–I4). Never in Stuck.
	Idle      []Idle    `json:"idle"`
	Deadlocks []Cycle   `json:"deadlocks"`
	Security  []Exposed `json:"security"`
	// Window messages (docs/rules.md WM1–WM4): SendMessage conversations,
	// posted-message queues per receiving thread, and hung message pumps
	// (Win32k MessageCheckDelay / InputProcessDelay). All inferred.
	WindowMessages []WindowMessages `json:"window_messages,omitempty"`
	PostedQueues   []PostedQueue    `json:"posted_queues,omitempty"`
	HungPumps      []HungPump       `json:"hung_pumps,omitempty"`
	// COM lists the COMRuntime call delays (docs/rules.md COM1–COM3).
	COM []COMCall `json:"com,omitempty"`
	// Mailslots are one-reader, many-writers message queues
	// (docs/rules.md MS1).
	Mailslots []Mailslot `json:"mailslots,omitempty"`
	// Timeline holds per-operation spans, only when Options.Timeline is
	// set (for the Perfetto renderer); TimelineDropped counts the spans
	// left out beyond Options.MaxSpans.
	Timeline        []Span `json:"timeline,omitempty"`
	TimelineDropped int64  `json:"timeline_dropped,omitempty"`
	// Warnings are reader and decoder problems (skipped byte ranges with
	// offsets, undecodable payloads), in the order met.
	Warnings []string `json:"warnings,omitempty"`
}

// Trace holds trace-level facts and loss accounting.
type Trace struct {
	Files        []string `json:"files,omitempty"`
	Start        Time     `json:"start"` // RFC 3339, 100 ns precision
	End          Time     `json:"end"`
	DurationUS   float64  `json:"duration_us"`
	Events       int64    `json:"events"`
	IPCEvents    int64    `json:"ipc_events"`
	EventsLost   uint32   `json:"events_lost"`
	BuffersLost  uint32   `json:"buffers_lost"`
	LossyWindows []Window `json:"lossy_windows"`
	// KernelFileIgnored counts Microsoft-Windows-Kernel-File I/O events left
	// out because the same operations came as kernel FileIo events (a
	// session that enables both, as record does, sees each operation twice).
	KernelFileIgnored int64 `json:"kernel_file_events_ignored,omitempty"`
	// LostEventRecords counts LostEvent class records (docs/events.md#lost-events).
	LostEventRecords int64 `json:"lost_event_records,omitempty"`
	// Namespaces says how the input files were grouped into PID
	// namespaces (docs/rules.md F1): one entry per namespace, numbered
	// from 1 in file order. Entities carry their namespace in "ns" when
	// there is more than one.
	Namespaces []Namespace `json:"namespaces,omitempty"`
	// Window is the --since/--until filter applied, when one was.
	Filter *Filter `json:"filter,omitempty"`
}

// Namespace is a group of input files that share one PID namespace: one
// machine and boot.
type Namespace struct {
	ID    int      `json:"ns"`
	Files []string `json:"files"`
	// Reason says why the files were grouped: "single file",
	// "same logger session", "same boot", or "separate" for a file kept
	// apart from the others.
	Reason string `json:"reason"`
}

// Filter records the selection a report applied (--pid, --process,
// --pipe, --since, --until), so every output says what it left out.
type Filter struct {
	PIDs    []string `json:"pids,omitempty"`
	Process string   `json:"process,omitempty"`
	Pipe    string   `json:"pipe,omitempty"`
	Since   Time     `json:"since,omitempty"`
	Until   Time     `json:"until,omitempty"`
	// Excluded counts IPC events the filter left out.
	Excluded int64 `json:"excluded_events"`
}

// Window is a time range in which events may be missing (a buffer flagged
// EVENTS_LOST or BUFFER_LOST, or a gap in buffer sequence numbers).
type Window struct {
	Start  Time   `json:"start"`
	End    Time   `json:"end"`
	Reason string `json:"reason"`
}

// Process is one process seen in the trace.
type Process struct {
	PID         uint32 `json:"pid"`
	ParentPID   uint32 `json:"parent_pid,omitempty"`
	Image       string `json:"image"`
	CommandLine string `json:"command_line"`
	User        string `json:"user"`
	NS          int    `json:"ns,omitempty"`
}

// Flow counts one direction of a conversation.
type Flow struct {
	Ops   int64 `json:"ops"`
	Bytes int64 `json:"bytes"`
}

// Pipe is one named-pipe conversation: one server end connected to one
// client end (docs/rules.md#conversations), or an end that never paired (ClientPID 0).
type Pipe struct {
	// NS is the PID namespace (Trace.Namespaces) when there are several.
	NS        int    `json:"ns,omitempty"`
	Name      string `json:"name"`     // \\.\pipe\X
	Instance  int    `json:"instance"` // 1-based instance number within the name
	ServerPID uint32 `json:"server_pid"`
	ClientPID uint32 `json:"client_pid"`
	// Pairing names the rule that paired the ends (docs/rules.md P4–P6):
	// "filekey" (H1), "listen-completion" (H2), "unpaired".
	Pairing    string  `json:"pairing"`
	Confidence float64 `json:"confidence"`
	// Inferred is true: pairing and read/write matching are inferred from
	// timing and identity rules (docs/rules.md P4–P9), not observed.
	Inferred     bool            `json:"inferred"`
	ToServer     Flow            `json:"to_server"`
	ToClient     Flow            `json:"to_client"`
	Latency      latency.Summary `json:"latency_us"`
	Failures     map[string]int  `json:"failures"`
	Impersonated bool            `json:"impersonated"`
	Lossy        bool            `json:"lossy,omitempty"`
	First        Time            `json:"first,omitempty"`
	Last         Time            `json:"last,omitempty"`

	// Threads, images and the docs/rules.md P1–P3 rule that decided each role
	// ("fsctl", "disposition", "filekey-bit").
	ServerTID   uint32 `json:"server_tid,omitempty"`
	ClientTID   uint32 `json:"client_tid,omitempty"`
	ServerImage string `json:"server_image,omitempty"`
	ClientImage string `json:"client_image,omitempty"`
	ServerRule  string `json:"server_rule,omitempty"`
	ClientRule  string `json:"client_rule,omitempty"`
	// RoundTrip: client request (first write or TRANSCEIVE start) to the
	// end of the client read of the response. QueueDelay: reads of data
	// already queued, read start − write end. FlushDrain: Flush duration
	// (the peer draining the pipe). ConnectWait: LISTEN start to a client
	// connecting. All inferred like Latency.
	RoundTrip   latency.Summary `json:"round_trip_us"`
	QueueDelay  latency.Summary `json:"queue_delay_us"`
	FlushDrain  latency.Summary `json:"flush_drain_us"`
	ConnectWait latency.Summary `json:"connect_wait_us"`
}

// ALPC is one ALPC conversation keyed by (client PID, server PID, port name).
type ALPC struct {
	// NS is the PID namespace (Trace.Namespaces) when there are several.
	NS         int             `json:"ns,omitempty"`
	Port       string          `json:"port"`
	ClientPID  uint32          `json:"client_pid"`
	ServerPID  uint32          `json:"server_pid"`
	Calls      int64           `json:"calls"`
	Pending    int64           `json:"pending"`
	Latency    latency.Summary `json:"latency_us"`
	ServerTime latency.Summary `json:"server_time_us"`
	Inferred   bool            `json:"inferred"`
	Lossy      bool            `json:"lossy,omitempty"`
	// IdleWorkers counts the server's threads whose last ALPC event at the
	// end of the trace is WaitForNewMessage (docs/rules.md A5).
	IdleWorkers int    `json:"idle_workers"`
	ClientImage string `json:"client_image,omitempty"`
	ServerImage string `json:"server_image,omitempty"`
	First       Time   `json:"first,omitempty"`
	Last        Time   `json:"last,omitempty"`
}

// RPC is one RPC method between a client and a server process.
type RPC struct {
	// NS is the PID namespace (Trace.Namespaces) when there are several.
	NS        int             `json:"ns,omitempty"`
	Interface string          `json:"interface"`
	ProcNum   uint32          `json:"procnum"`
	Endpoint  string          `json:"endpoint"`
	Protocol  string          `json:"protocol"`
	ClientPID uint32          `json:"client_pid"`
	ServerPID uint32          `json:"server_pid"`
	Calls     int64           `json:"calls"`
	Failed    int64           `json:"failed,omitempty"`
	Latency   latency.Summary `json:"latency_us"`
	// ServerTime is the duration of the server-side calls (events 6→8).
	ServerTime latency.Summary `json:"server_time_us"`
	// InterfaceName and Method name Interface and ProcNum from the
	// interface table (built-in or --interfaces), when it knows them.
	InterfaceName string `json:"interface_name,omitempty"`
	Method        string `json:"method,omitempty"`
	// Transport is the named-pipe conversation (\\.\pipe\X) that carries
	// the calls of an ncacn_np method between the same two processes
	// (docs/rules.md R3); "" for other protocols or when no conversation
	// matches.
	Transport string `json:"transport,omitempty"`
}

// Section is one section (FileKey) mapped by views.
type Section struct {
	// NS is the PID namespace (Trace.Namespaces) when there are several.
	NS    int      `json:"ns,omitempty"`
	Key   string   `json:"key"` // FileKey, 0x-prefixed hex
	Name  string   `json:"name"`
	PIDs  []uint32 `json:"pids"`
	Views int64    `json:"views"`
	Bytes uint64   `json:"bytes"` // sum of view sizes
	Kind  string   `json:"kind,omitempty"`
	First Time     `json:"first,omitempty"`
	Last  Time     `json:"last,omitempty"`
	// OverlapUS is the time during which views existed in two or more
	// processes at once; Open counts views still mapped at the end.
	OverlapUS float64 `json:"overlap_us"`
	Open      int64   `json:"open_views"`
}

// Stuck is an operation that had not completed at the end of the trace or
// took longer than the --stuck-after threshold.
type Stuck struct {
	Kind             string  `json:"kind"` // pipe-read, pipe-listen, pipe-transceive, pipe-flush, alpc-reply, alpc-receive, ...
	PID              uint32  `json:"pid"`
	TID              uint32  `json:"tid"`
	Object           string  `json:"object"`
	Since            Time    `json:"since"`
	WaitedUS         float64 `json:"waited_us"`
	PeerPID          uint32  `json:"peer_pid"`
	PeerTID          uint32  `json:"peer_tid"`
	PeerLastActivity Time    `json:"peer_last_activity"`
	Inferred         bool    `json:"inferred"`
	// Detail says more about the wait (for ALPC: whether the server
	// received the request); MessageID is the ALPC message id.
	Detail    string `json:"detail,omitempty"`
	MessageID uint32 `json:"message_id,omitempty"`
	// Rule names the docs/rules.md rule that judged the wait owed (W1–W6)
	// and Evidence what it saw, in words.
	Rule     string `json:"rule,omitempty"`
	Evidence string `json:"evidence,omitempty"`
	NS       int    `json:"ns,omitempty"`
}

// Idle is an operation that was open at the end of the trace (or long)
// while nobody waited for it: a server waiting for its next client or
// request. Kinds as in Stuck.
type Idle struct {
	Kind     string  `json:"kind"`
	PID      uint32  `json:"pid"`
	TID      uint32  `json:"tid"`
	Object   string  `json:"object"`
	Since    Time    `json:"since"`
	WaitedUS float64 `json:"waited_us"`
	// Rule names the docs/rules.md rule (I1–I4); Evidence says what was
	// seen; Inferred is true unless the rule is observed.
	Rule     string `json:"rule"`
	Evidence string `json:"evidence"`
	Inferred bool   `json:"inferred"`
	Image    string `json:"image,omitempty"`
	NS       int    `json:"ns,omitempty"`
}

// Cycle is a deadlock: waits that form a cycle across processes.
type Cycle struct {
	Cycle []Waiter `json:"cycle"`
	// Level is "thread" when every edge ends at a thread seen waiting
	// (docs/rules.md D1), "process" when some edge ends at a process
	// whose receiving thread is not seen waiting (D2).
	Level string `json:"level"`
	// Probable is true for process-level cycles: a likely deadlock, since
	// what the receiving thread waits on is not in the trace.
	Probable bool   `json:"probable"`
	Summary  string `json:"summary,omitempty"`
	Inferred bool   `json:"inferred"`
}

// Waiter is one edge source in a wait-for cycle: PID/TID waits on Object
// for the next waiter in the cycle.
type Waiter struct {
	PID    uint32 `json:"pid"`
	TID    uint32 `json:"tid"`
	Object string `json:"object"`
	// Mechanism of the wait ("pipe", "alpc", "rpc", "window-message");
	// WaitedUS how long it had lasted at the end of the trace; Kind the
	// Stuck kind of the wait.
	Mechanism string  `json:"mechanism,omitempty"`
	Kind      string  `json:"kind,omitempty"`
	WaitedUS  float64 `json:"waited_us,omitempty"`
	// ReceiverTID is the thread of the next process that received this
	// waiter's request, when known (0 otherwise); ReceiverWaits says
	// whether that thread is itself seen waiting.
	ReceiverTID   uint32 `json:"receiver_tid,omitempty"`
	ReceiverWaits bool   `json:"receiver_waits,omitempty"`
	NS            int    `json:"ns,omitempty"`
}

// Exposed is one IPC object with its security descriptor and exposure verdict.
type Exposed struct {
	Object    string   `json:"object"`
	Type      string   `json:"type"`
	Owner     string   `json:"owner"`
	SDDL      string   `json:"sddl"`
	Exposure  []string `json:"exposure"`
	Severity  string   `json:"severity,omitempty"`
	Error     string   `json:"error,omitempty"`
	OwnerPID  uint32   `json:"owner_pid,omitempty"`
	OwnerName string   `json:"owner_name,omitempty"`
	// Ops counts the trace's operations on the object (its traffic).
	Ops     int64  `json:"ops"`
	Summary string `json:"summary,omitempty"`
}

// Span is one operation on a thread's timeline. StartUS is relative to
// Trace.Start. A span with FlowOut starts a flow that the span with the
// same FlowIn ends (a write and the read it fed, an ALPC call and its
// handling by the server).
type Span struct {
	PID      uint32  `json:"pid"`
	TID      uint32  `json:"tid"`
	Category string  `json:"category"` // "pipe", "alpc", "rpc", "stuck"
	Name     string  `json:"name"`
	StartUS  float64 `json:"start_us"`
	DurUS    float64 `json:"dur_us"`
	FlowOut  uint64  `json:"flow_out,omitempty"`
	FlowIn   uint64  `json:"flow_in,omitempty"`
}

// WindowMessages is one SendMessage conversation: the messages a sender
// thread sent to windows of a receiver thread (docs/rules.md WM1). Posted
// messages are in PostedQueue.
type WindowMessages struct {
	NS          int    `json:"ns,omitempty"`
	SenderPID   uint32 `json:"sender_pid"`
	SenderTID   uint32 `json:"sender_tid"`
	ReceiverPID uint32 `json:"receiver_pid"`
	ReceiverTID uint32 `json:"receiver_tid"`
	SenderImage string `json:"sender_image,omitempty"`
	// ReceiverImage is the receiver's image, when known.
	ReceiverImage string `json:"receiver_image,omitempty"`
	// Sent counts SendMessage calls that returned; Pending those still
	// open at the end of the trace (also in Stuck when long enough).
	Sent     int64          `json:"sent"`
	Pending  int64          `json:"pending"`
	Messages []MessageCount `json:"messages"`
	// Latency: SendMessageStart to SendMessageStop on the sender.
	// QueueWait: SendMessageStart to the receiver's RetrieveSendMessageStart.
	// Handler: the receiver's RetrieveSendMessageStart to its Stop.
	Latency   latency.Summary `json:"latency_us"`
	QueueWait latency.Summary `json:"queue_wait_us"`
	Handler   latency.Summary `json:"handler_us"`
	Inferred  bool            `json:"inferred"`
	First     Time            `json:"first,omitempty"`
	Last      Time            `json:"last,omitempty"`
}

// MessageCount counts one window message number: Name is the WM_* name,
// "WM_USER+n", "WM_APP+n" or "registered message 0x…".
type MessageCount struct {
	Message uint32 `json:"message"`
	Name    string `json:"name"`
	Count   int64  `json:"count"`
}

// PostedQueue is the posted-message queue of one receiving thread
// (docs/rules.md WM3): messages posted (QueuePostMessage) and retrieved
// there (RetrievePostMessage), the time each spent queued, and the ones
// still queued at the end of the trace.
type PostedQueue struct {
	NS         int             `json:"ns,omitempty"`
	PID        uint32          `json:"pid"`
	TID        uint32          `json:"tid"`
	Image      string          `json:"image,omitempty"`
	Retrieved  int64           `json:"retrieved"`
	Queued     int64           `json:"still_queued"`
	Posters    []uint32        `json:"poster_pids"`
	QueueDelay latency.Summary `json:"queue_delay_us"`
	// OldestQueuedUS is how long the oldest message still queued had
	// waited at the end of the trace (0 when none is).
	OldestQueuedUS float64 `json:"oldest_queued_us,omitempty"`
	Inferred       bool    `json:"inferred"`
}

// HungPump is one thread whose message pump Windows reported as late
// (docs/rules.md WM4): Win32k MessageCheckDelay (38, 173) or
// InputProcessDelay (37, 172), per thread and window class.
type HungPump struct {
	NS  int    `json:"ns,omitempty"`
	PID uint32 `json:"pid"`
	TID uint32 `json:"tid"`
	// Event is "MessageCheckDelay" or "InputProcessDelay" (with
	// "Immersive" before it for packaged apps).
	Event     string `json:"event"`
	ClassName string `json:"class_name"`
	TopLevel  string `json:"top_level_class_name,omitempty"`
	Image     string `json:"image,omitempty"`
	// ImagePath (37, 38) or AppUserModelID (172, 173) as Windows wrote it.
	ImagePath      string `json:"image_path,omitempty"`
	AppUserModelID string `json:"app_user_model_id,omitempty"`
	Reports        int64  `json:"reports"`
	// MaxDelayMS is the largest DelayTimeMs (38, 173) or, for
	// InputProcessDelay, the largest TimeSinceOldestInputMs.
	MaxDelayMS uint32 `json:"max_delay_ms"`
	First      Time   `json:"first"`
	Last       Time   `json:"last"`
	Inferred   bool   `json:"inferred"`
}

// COMCall is one group of COM call delays (docs/rules.md COM1–COM3):
// ComCallDelay events of one calling thread to one target thread on one
// interface method, or CliModalLoopDelay events of one thread (Kind
// "modal-loop", without target or interface).
type COMCall struct {
	NS        int    `json:"ns,omitempty"`
	Kind      string `json:"kind"` // "call-delay", "modal-loop"
	CallerPID uint32 `json:"caller_pid"`
	CallerTID uint32 `json:"caller_tid"`
	TargetPID uint32 `json:"target_pid,omitempty"`
	TargetTID uint32 `json:"target_tid,omitempty"`
	// Interface is the IID (RPC-style GUID text) and Method the vtable
	// slot; InterfaceName and MethodName come from the interface table.
	Interface     string `json:"interface,omitempty"`
	Method        uint32 `json:"method"`
	InterfaceName string `json:"interface_name,omitempty"`
	MethodName    string `json:"method_name,omitempty"`
	CallerImage   string `json:"caller_image,omitempty"`
	TargetImage   string `json:"target_image,omitempty"`
	Calls         int64  `json:"calls"`
	Failed        int64  `json:"failed"`
	// Results counts the calls per HRESULT name ("S_OK", "RPC_E_…").
	Results map[string]int64 `json:"results,omitempty"`
	// Time is the call time Windows reported (CallTimeMs, or BlockTimeMs
	// of a modal loop), in microseconds.
	Time latency.Summary `json:"time_us"`
	// RPCJoined counts the calls matched to an RPC client call on the
	// same thread and interface (docs/rules.md COM2); RPCEndpoint and
	// RPCProtocol are that call's.
	RPCJoined   int64  `json:"rpc_joined"`
	RPCEndpoint string `json:"rpc_endpoint,omitempty"`
	RPCProtocol string `json:"rpc_protocol,omitempty"`
	Inferred    bool   `json:"inferred"`
}

// Mailslot is one mailslot (docs/rules.md MS1): the process that created
// it reads, any number of processes write. Writes complete at once (a
// mailslot never blocks its writers); a Read still pending at the end is
// idle (docs/rules.md I3), never stuck.
type Mailslot struct {
	NS          int              `json:"ns,omitempty"`
	Name        string           `json:"name"` // \\.\mailslot\X
	ReaderPID   uint32           `json:"reader_pid"`
	ReaderTID   uint32           `json:"reader_tid"`
	ReaderImage string           `json:"reader_image,omitempty"`
	Writers     []MailslotWriter `json:"writers"`
	// Messages and Bytes count the completed writes of every writer;
	// Reads and ReadBytes the reader's completed reads.
	Messages    int64 `json:"messages"`
	Bytes       int64 `json:"bytes"`
	Reads       int64 `json:"reads"`
	ReadBytes   int64 `json:"read_bytes"`
	PendingRead bool  `json:"pending_read"`
	Inferred    bool  `json:"inferred"`
}

// MailslotWriter is one process writing to a mailslot.
type MailslotWriter struct {
	PID      uint32 `json:"pid"`
	Image    string `json:"image,omitempty"`
	Messages int64  `json:"messages"`
	Bytes    int64  `json:"bytes"`
}
