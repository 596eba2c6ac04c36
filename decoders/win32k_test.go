package decoders

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// win32kVectors are payloads written by hand from the manifest templates
// (field order and sizes, packed, pointer = the record's pointer size), with
// the event each must decode to and encode back from. They were not
// observed on Windows: they check offsets, not Windows' behaviour.
var win32kVectors = []struct {
	name string
	key  Key
	ptr  int
	hex  string
	want Event
}{
	{"SendMessageStart x64", ManifestKey(Win32kGUID, 60, 0), 8,
		"02" + "f0e5d4c3b2a1ffff" + "0c0b0a0000000000" + "0100000000000000" + "0000eeffc0000000" +
			"4a000000" + "dc050000" + "02000000" + "92100000" + "2c1a0000",
		&Win32kMessage{ID: 60, CallbackCount: 2, Pqmsg: 0xFFFFA1B2C3D4E5F0, Hwnd: 0xA0B0C, WParam: 1,
			LParam: 0xC0FFEE0000, Message: 0x4A, InputReadyTimeMs: 1500, Flags: 2, ReceiverPID: 4242, ReceiverTID: 0x1A2C}},
	{"SendMessageStart x86", ManifestKey(Win32kGUID, 60, 0), 4,
		"02" + "604523e1" + "0c0b0a00" + "01000000" + "eeffc000" + "4a000000" + "dc050000" + "02000000" + "92100000" + "2c1a0000",
		&Win32kMessage{ID: 60, CallbackCount: 2, Pqmsg: 0xE1234560, Hwnd: 0xA0B0C, WParam: 1,
			LParam: 0xC0FFEE, Message: 0x4A, InputReadyTimeMs: 1500, Flags: 2, ReceiverPID: 4242, ReceiverTID: 0x1A2C}},
	{"QueuePostMessage x86, negative CallbackCount", ManifestKey(Win32kGUID, 59, 0), 4,
		"ff" + "604523e1" + "0c0b0a00" + "00000000" + "00000000" + "00040000" + "00000000",
		&Win32kMessage{ID: 59, CallbackCount: -1, Pqmsg: 0xE1234560, Hwnd: 0xA0B0C, Message: 0x400}},
	{"RetrievePostMessage x64", ManifestKey(Win32kGUID, 61, 0), 8,
		"00" + "f0e5d4c3b2a1ffff" + "0c0b0a0000000000" + "0000000000000000" + "0000000000000000" +
			"00800000" + "0a000000" + "01000000",
		&Win32kMessage{ID: 61, Pqmsg: 0xFFFFA1B2C3D4E5F0, Hwnd: 0xA0B0C, Message: 0x8000, InputReadyTimeMs: 10, Flags: 1}},
	{"SendMessageStop x64", ManifestKey(Win32kGUID, 70, 0), 8, "01" + "f0e5d4c3b2a1ffff",
		&Win32kMessageStop{ID: 70, CallbackCount: 1, Pqmsg: 0xFFFFA1B2C3D4E5F0}},
	{"RetrieveSendMessageStop x86", ManifestKey(Win32kGUID, 83, 0), 4, "00" + "604523e1",
		&Win32kMessageStop{ID: 83, Pqmsg: 0xE1234560}},
	{"DispatchMessageStart", ManifestKey(Win32kGUID, 92, 0), 8, "01" + "0f000000",
		&Win32kPumpMessage{ID: 92, CallbackCount: 1, Message: 0xF}},
	{"QueueNullPostMessage x64", ManifestKey(Win32kGUID, 426, 0), 8,
		"10000000" + "20000000" + hex.EncodeToString([]byte("explorer.exe\x00")) + "0302010000000000",
		&Win32kQueueNullPostMessage{SourceProcessID: 0x10, SourceThreadID: 0x20, SourceProcessName: "explorer.exe", DestinationHwnd: 0x10203}},
	{"QueueNullPostMessage x86", ManifestKey(Win32kGUID, 426, 0), 4,
		"10000000" + "20000000" + hex.EncodeToString([]byte("a.exe\x00")) + "03020100",
		&Win32kQueueNullPostMessage{SourceProcessID: 0x10, SourceThreadID: 0x20, SourceProcessName: "a.exe", DestinationHwnd: 0x10203}},
	{"WaitCursor", ManifestKey(Win32kGUID, 35, 0), 4, "2c1a0000" + "92100000" + "01000000" + "02000000" + "b80b0000",
		&Win32kWaitCursor{CursorThreadID: 0x1A2C, CursorProcessID: 4242, SessionID: 1, CursorType: 2, DisplayTimeMs: 3000}},
	{"MessageCheckDelay", ManifestKey(Win32kGUID, 38, 0), 8,
		"10000000" + "88130000" + "c8000000" + "50140000" + hex.EncodeToString(utf16z("Edit")) +
			hex.EncodeToString(utf16z("Notepad")) + hex.EncodeToString(utf16z(`C:\Windows\notepad.exe`)) +
			"0f000000" + "0000000000000000",
		&Win32kUIDelay{ID: 38, Flags: 0x10, DelayTimeMs: 5000, TimeSinceInputRemoveMs: 200, TimeSinceOldestInputMs: 5200,
			ClassName: "Edit", TopLevelClassName: "Notepad", ImagePath: `C:\Windows\notepad.exe`, MessageID: 0xF}},
	{"InputProcessDelay", ManifestKey(Win32kGUID, 37, 0), 4,
		"08080000" + "c8000000" + "50140000" + "0000" + "0000" + hex.EncodeToString(utf16z("app.exe")) +
			"00010000" + "4100000000000000",
		&Win32kUIDelay{ID: 37, Flags: 0x808, TimeSinceInputRemoveMs: 200, TimeSinceOldestInputMs: 5200,
			ImagePath: "app.exe", MessageID: 0x100, WParam: 0x41}},
	{"ImmersiveMessageCheckDelay", ManifestKey(Win32kGUID, 173, 0), 8,
		"00000000" + "e8030000" + "01000000" + "02000000" + hex.EncodeToString(utf16z("C")) + hex.EncodeToString(utf16z("T")) +
			hex.EncodeToString(utf16z("Pkg_1.0_x64__abc")) + hex.EncodeToString(utf16z("Pkg!App")) +
			"12000000" + "ffffffffffffffff",
		&Win32kUIDelay{ID: 173, DelayTimeMs: 1000, TimeSinceInputRemoveMs: 1, TimeSinceOldestInputMs: 2, ClassName: "C",
			TopLevelClassName: "T", PackageMoniker: "Pkg_1.0_x64__abc", AppUserModelID: "Pkg!App", MessageID: 0x12, WParam: ^uint64(0)}},
	{"ComCallDelay", ManifestKey(COMRuntimeGUID, 2, 0), 8,
		"00000000" + "30750000" + "08010180" + "a00f0000" + "e8030000" + "03000000" + "3101000000000000c000000000000046",
		&COMCallDelay{CallTimeMs: 30000, CallResult: 0x80010108, TargetThreadID: 0xFA0, TargetProcessID: 1000, TargetMethod: 3,
			TargetInterface: etw.MustParseGUID("00000131-0000-0000-c000-000000000046")}},
	{"CliModalLoopDelay", ManifestKey(COMRuntimeGUID, 1, 0), 4, "01000000" + "10270000" + "204e0000",
		&COMCliModalLoopDelay{Flags: 1, BlockTimeMs: 10000, TotalTimeMs: 20000}},
	{"PrematureStubRundown", ManifestKey(COMRuntimeGUID, 7, 0), 8,
		"a001000000000000c000000000000046" + "04000000" + "00112233445566778899aabbccddeeff" + "01000000",
		&COMPrematureStubRundown{IID: etw.MustParseGUID("000001a0-0000-0000-c000-000000000046"), Method: 4,
			IPID: etw.MustParseGUID("33221100-5544-7766-8899-aabbccddeeff"), CallType: 1}},
}

// TestWin32kCOMVectors: each hand-written payload decodes to its event and
// the event encodes back to the same bytes, through DecodePayload and
// through a Parser fed an EVENT_HEADER record of the vector's pointer size.
func TestWin32kCOMVectors(t *testing.T) {
	p := NewParser()
	for _, v := range win32kVectors {
		b := unhex(t, v.hex)
		got, err := DecodePayload(v.key, b, v.ptr)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !reflect.DeepEqual(got, v.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", v.name, got, v.want)
		}
		enc, err := Encode(v.key, v.want, v.ptr)
		if err != nil || !bytes.Equal(enc, b) {
			t.Errorf("%s: encode %x (%v), want %x", v.name, enc, err, b)
		}
		kind := etw.KindEvent64
		if v.ptr == 4 {
			kind = etw.KindEvent32
		}
		rec := &etw.Record{Kind: kind, Provider: v.key.Provider, ID: v.key.ID, Version: v.key.Version, Payload: b}
		d, ok, err := p.Decode(rec)
		if !ok || err != nil || d.Key != v.key || !reflect.DeepEqual(d.Event, v.want) {
			t.Errorf("%s: Parser.Decode %v %v key %s: %+v", v.name, ok, err, d.Key, d.Event)
		}
		if n := testing.AllocsPerRun(50, func() { _, _, _ = p.Decode(rec) }); n != 0 {
			t.Errorf("%s: %.1f allocations per decode", v.name, n)
		}
		// Longer payloads (fields Windows may append) decode the same.
		long := append(append([]byte(nil), b...), 0xEE, 0xEE, 0xEE, 0xEE)
		if got, err := DecodePayload(v.key, long, v.ptr); err != nil || !reflect.DeepEqual(got, v.want) {
			t.Errorf("%s + 4 bytes: %v %+v", v.name, err, got)
		}
	}
}

// sampleWin32kCOM returns an event for key holding a distinct non-zero value
// in every field its layout carries (pointers fit in ptr bytes).
func sampleWin32kCOM(key Key, ptr int) Event {
	pv := func(v uint64) uint64 {
		if ptr == 4 {
			return v & 0xFFFFFFFF
		}
		return v
	}
	id := key.ID
	if key.Provider == COMRuntimeGUID {
		switch id {
		case COMCliModalLoopDelayID:
			return &COMCliModalLoopDelay{Flags: 1, BlockTimeMs: 2, TotalTimeMs: 3}
		case COMCallDelayID:
			return &COMCallDelay{Flags: 1, CallTimeMs: 2, CallResult: 0x80004005, TargetThreadID: 4, TargetProcessID: 5,
				TargetMethod: 6, TargetInterface: etw.MustParseGUID("12345678-9abc-def0-0123-456789abcdef")}
		case COMPrematureStubRundownID:
			return &COMPrematureStubRundown{IID: etw.MustParseGUID("00000131-0000-0000-c000-000000000046"), Method: 3,
				IPID: etw.MustParseGUID("0102a0b0-0304-0506-0708-090a0b0c0d0e"), CallType: 2}
		}
		return nil
	}
	switch id {
	case Win32kQueuePostMessageID, Win32kSendMessageStartID, Win32kRetrievePostMessageID, Win32kRetrieveSendMessageStartID:
		e := &Win32kMessage{ID: id, CallbackCount: -3, Pqmsg: pv(0xFFFF800012345670), Hwnd: pv(0x1_0000_0A0B),
			WParam: pv(0x8000_0000_0000_0001), LParam: pv(0x7FFF_FFFF_FFFF), Message: 0xC123, InputReadyTimeMs: 77}
		if id == Win32kSendMessageStartID || id == Win32kRetrievePostMessageID {
			e.Flags = 0x5
		}
		if id == Win32kSendMessageStartID {
			e.ReceiverPID, e.ReceiverTID = 1234, 5678
		}
		return e
	case Win32kSendMessageStopID, Win32kRetrieveSendMessageStopID:
		return &Win32kMessageStop{ID: id, CallbackCount: 127, Pqmsg: pv(0xFFFF800012345670)}
	case Win32kTranslateMessageStartID, Win32kTranslateMessageStopID, Win32kDispatchMessageStartID, Win32kDispatchMessageStopID:
		return &Win32kPumpMessage{ID: id, CallbackCount: -128, Message: 0x0102}
	case Win32kQueueNullPostMessageID:
		return &Win32kQueueNullPostMessage{SourceProcessID: 1, SourceThreadID: 2, SourceProcessName: "svchost.exe", DestinationHwnd: pv(0xABCDEF0123)}
	case Win32kWaitCursorID:
		return &Win32kWaitCursor{CursorThreadID: 1, CursorProcessID: 2, SessionID: 3, CursorType: 4, DisplayTimeMs: 5}
	case Win32kInputProcessDelayID, Win32kMessageCheckDelayID, Win32kImmersiveInputProcessDelayID, Win32kImmersiveMessageCheckDelayID:
		e := &Win32kUIDelay{ID: id, Flags: 0x18, TimeSinceInputRemoveMs: 3, TimeSinceOldestInputMs: 4, ClassName: "Button",
			TopLevelClassName: "#32770", MessageID: 0x201, WParam: 1 << 40}
		if id == Win32kMessageCheckDelayID || id == Win32kImmersiveMessageCheckDelayID {
			e.DelayTimeMs = 9000
		}
		if e.IsImmersive() {
			e.PackageMoniker, e.AppUserModelID = "Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe", "Contoso.App!Main"
		} else {
			e.ImagePath = `C:\Program Files\Contoso\app.exe`
		}
		return e
	}
	return nil
}

// TestWin32kCOMRoundTrip: for every registered Win32k and COMRuntime key
// and both pointer sizes, decode(encode(x)) == x and encode(decode(b)) == b,
// the payload has the size the template implies, and every strict prefix
// of it fails with a DecodeError inside the prefix (never a panic).
func TestWin32kCOMRoundTrip(t *testing.T) {
	keys := familyKeys(Win32kGUID, COMRuntimeGUID)
	if len(keys) != 19 {
		t.Fatalf("%d Win32k/COMRuntime keys registered, want 19 (16 Win32k + 3 COMRuntime)", len(keys))
	}
	for _, key := range keys {
		for _, ptr := range []int{4, 8} {
			ev := sampleWin32kCOM(key, ptr)
			if ev == nil {
				t.Fatalf("%s: no sample", key)
			}
			b, err := Encode(key, ev, ptr)
			if err != nil {
				t.Fatalf("%s p%d: %v", key, ptr, err)
			}
			got, err := DecodePayload(key, b, ptr)
			if err != nil || !reflect.DeepEqual(got, ev) {
				t.Errorf("%s p%d: decode(encode(x)) = %+v (%v), want %+v", key, ptr, got, err, ev)
			}
			if b2, _ := Encode(key, got, ptr); !bytes.Equal(b2, b) {
				t.Errorf("%s p%d: encode(decode(b)) = %x, want %x", key, ptr, b2, b)
			}
			if want := win32kSize(ev, ptr); len(b) != want {
				t.Errorf("%s p%d: %d-byte payload, want %d", key, ptr, len(b), want)
			}
			for n := 0; n < len(b); n++ {
				_, err := DecodePayload(key, b[:n], ptr)
				var de *DecodeError
				if !errors.As(err, &de) || de.Off > n || de.Key != key || de.What == "" {
					t.Fatalf("%s p%d: %d of %d bytes: %v", key, ptr, n, len(b), err)
				}
			}
		}
	}
}

// win32kSize is the payload size of ev from the manifest templates.
func win32kSize(ev Event, ptr int) int {
	ws := func(s string) int { return 2*len([]rune(s)) + 2 } // the samples are BMP-only
	switch e := ev.(type) {
	case *Win32kMessage:
		n := 1 + 4*ptr + 8
		switch e.ID {
		case Win32kSendMessageStartID:
			n += 12
		case Win32kRetrievePostMessageID:
			n += 4
		}
		return n
	case *Win32kMessageStop:
		return 1 + ptr
	case *Win32kPumpMessage:
		return 5
	case *Win32kQueueNullPostMessage:
		return 8 + len(e.SourceProcessName) + 1 + ptr
	case *Win32kWaitCursor:
		return 20
	case *Win32kUIDelay:
		n := 12 + ws(e.ClassName) + ws(e.TopLevelClassName) + 12
		if e.ID == Win32kMessageCheckDelayID || e.ID == Win32kImmersiveMessageCheckDelayID {
			n += 4
		}
		if e.IsImmersive() {
			return n + ws(e.PackageMoniker) + ws(e.AppUserModelID)
		}
		return n + ws(e.ImagePath)
	case *COMCliModalLoopDelay:
		return 12
	case *COMCallDelay:
		return 40
	case *COMPrematureStubRundown:
		return 40
	}
	return -1
}

// TestWin32kTruncatedNamesField: the error names the field and its offset,
// which moves with the pointer size.
func TestWin32kTruncatedNamesField(t *testing.T) {
	for _, c := range []struct {
		ptr, n int
		want   string
	}{
		{4, 20, "payload offset 17: message"},
		{4, 21, "payload offset 21: inputReadyTimeMs"},
		{8, 36, "payload offset 33: message"},
		{8, 48, "payload offset 45: pidReceiver"},
		{8, 0, "payload offset 0: CallbackCount"},
		{8, 4, "payload offset 1: pqmsg"},
	} {
		_, err := DecodePayload(ManifestKey(Win32kGUID, 60, 0), make([]byte, c.n), c.ptr)
		if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SendMessageStart p%d %d bytes: %v, want %q", c.ptr, c.n, err, c.want)
		}
	}
	// A hung-window report cut inside its strings.
	b := unhex(t, "10000000"+"88130000"+"c8000000"+"50140000"+hex.EncodeToString(utf16z("Edit"))+"4e00")
	if _, err := DecodePayload(ManifestKey(Win32kGUID, 38, 0), b, 8); !errors.Is(err, ErrTruncated) ||
		!strings.Contains(err.Error(), "MessageId") {
		t.Errorf("MessageCheckDelay cut in TopLevelClassName: %v", err)
	}
	if _, err := DecodePayload(ManifestKey(COMRuntimeGUID, 2, 0), make([]byte, 39), 8); !errors.Is(err, ErrTruncated) ||
		!strings.Contains(err.Error(), "payload offset 24: TargetInterface") {
		t.Errorf("ComCallDelay 39 bytes: %v", err)
	}
}

func TestWin32kNames(t *testing.T) {
	if ProviderName(Win32kGUID) != "Microsoft-Windows-Win32k" || ProviderName(COMRuntimeGUID) != "Microsoft-Windows-COMRuntime" {
		t.Error("provider names")
	}
	e, ok := Lookup(ManifestKey(Win32kGUID, 60, 0))
	if !ok || e.Name != "Win32k/SendMessageStart" {
		t.Fatalf("60: %v %+v", ok, e)
	}
	for _, f := range []string{"pqmsg", "hwnd", "wparam", "lparam"} {
		found := false
		for _, p := range e.PointerFields {
			found = found || p == f
		}
		if !found {
			t.Errorf("SendMessageStart pointer fields %v lack %s", e.PointerFields, f)
		}
	}
	got := Win32kThreadInfoFlagNames(0x801 | 0x10000)
	if want := []string{"had-input-messages", "foreground", "0x10000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("flag names %v, want %v", got, want)
	}
	if Win32kThreadInfoFlagNames(0) != nil {
		t.Error("no flags gives names")
	}
}

func FuzzWin32kCOM(f *testing.F) {
	keys := familyKeys(Win32kGUID, COMRuntimeGUID)
	var seeds [][]byte
	for _, v := range win32kVectors {
		seeds = append(seeds, unhex(nil, v.hex))
	}
	fuzzFamily(f, keys, seeds)
}

// BenchmarkWin32kDecode measures Parser.Decode of a fixed-layout message
// event (SendMessageStart) and a string-carrying one (MessageCheckDelay).
func BenchmarkWin32kDecode(b *testing.B) {
	for _, name := range []string{"SendMessageStart x64", "MessageCheckDelay", "ComCallDelay"} {
		var rec *etw.Record
		for _, v := range win32kVectors {
			if v.name == name {
				rec = &etw.Record{Kind: etw.KindEvent64, Provider: v.key.Provider, ID: v.key.ID, Payload: unhex(b, v.hex)}
			}
		}
		b.Run(name, func(b *testing.B) {
			p := NewParser()
			b.SetBytes(int64(len(rec.Payload)))
			b.ReportAllocs()
			b.ResetTimer()
			c := startCPU(b)
			for i := 0; i < b.N; i++ {
				if _, _, err := p.Decode(rec); err != nil {
					b.Fatal(err)
				}
			}
			c.report(b)
		})
	}
}
