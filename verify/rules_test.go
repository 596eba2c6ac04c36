package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
)

// ev wraps a typed event as the parser would hand it over.
func ev(pid uint32, e decoders.Event) *decoders.Decoded {
	return &decoders.Decoded{PID: pid, TID: 1, Event: e}
}

// TestRulesContradicted feeds events that break each rule and checks that
// the verdict says so (the synthetic traces of verify_test only show rules
// that hold).
func TestRulesContradicted(t *testing.T) {
	e := fakePipe(1, 2, 100, "message", false)
	e.RPC = []RPC{{ClientPID: 5001}}
	e.Kind = KindRPC // turn on the ALPC check as well
	r := NewRules(e)
	pipe := `\Device\NamedPipe\ipctrace-probe-4000-0123456789ab`
	const srvFO, cliFO = 0x1000, 0x2000
	add := func(pid uint32, x decoders.Event) { r.Add(ev(pid, x)) }
	// C4: only a client open, no server Create. C1: FSCTLs with a foreign code.
	add(5001, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: cliFO, CreateOptions: 1 << 24, OpenPath: pipe})
	add(5001, &decoders.FileInfo{Op: decoders.OpFSControl, FileObject: cliFO, FileKey: 0x40, InfoClass: 0x000900BB})
	// C5: reads that report other byte counts than the probe read.
	add(5001, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: 7, FileObject: cliFO, FileKey: 0x40, IoSize: 100})
	add(5001, &decoders.FileOpEnd{IrpPtr: 7, ExtraInfo: 4096})
	// C2: a server end whose key is not client | 1.
	add(4000, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: srvFO, CreateOptions: 2 << 24, OpenPath: pipe})
	add(4000, &decoders.FileInfo{Op: decoders.OpFSControl, FileObject: srvFO, FileKey: 0x81, InfoClass: 0x00110004})
	// C3: the reply carries another id.
	add(5001, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 10})
	add(6000, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: 10})
	add(6000, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 11})
	add(5001, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: 11})

	want := map[string]string{"C1": Contradicted, "C2": Contradicted, "C3": Contradicted, "C4": Held, "C5": Contradicted,
		"C12": NotObservable, "C13": NotObservable}
	for _, x := range r.Results() {
		if x.Verdict != want[x.ID] {
			t.Errorf("%s: %s (%s), want %s", x.ID, x.Verdict, x.Detail, want[x.ID])
		}
		if x.Verdict == Contradicted && x.Against == 0 {
			t.Errorf("%s contradicted without evidence against: %+v", x.ID, x)
		}
	}

	// C4 contradicted: client opens without any server-instance Create.
	r2 := NewRules(fakePipe(1, 1, 10, "byte", false))
	r2.Add(ev(5001, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: cliFO, CreateOptions: 1 << 24, OpenPath: pipe}))
	if got := r2.Results()[3]; got.ID != "C4" || got.Verdict != Contradicted {
		t.Errorf("C4 = %+v", got)
	}
}

func TestRulesIgnoreOtherPipes(t *testing.T) {
	r := NewRules(fakePipe(1, 1, 10, "byte", false))
	r.Add(ev(1, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: 1, CreateOptions: 2 << 24, OpenPath: `\Device\NamedPipe\other`}))
	r.Add(ev(1, &decoders.FileInfo{Op: decoders.OpFSControl, FileObject: 1, InfoClass: 0x00110008}))
	for _, x := range r.Results() {
		if x.Verdict != NotObservable {
			t.Errorf("%s: %s from another pipe's events", x.ID, x.Verdict)
		}
	}
}

func BenchmarkSynthAndVerifyPipe(b *testing.B) {
	e := fakePipe(4, 500, 4096, "byte", false)
	dir, err := os.MkdirTemp("", "ipctrace-probes-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	etl := filepath.Join(dir, "bench.etl")
	b.ReportAllocs()
	for b.Loop() {
		if err := writeFile(etl, e); err != nil {
			b.Fatal(err)
		}
		r, err := VerifyFile(etl, e, DefaultTolerance)
		if err != nil || !r.OK() {
			b.Fatalf("%v %v", err, r.Differences)
		}
	}
	if fi, err := os.Stat(etl); err == nil {
		b.SetBytes(fi.Size())
	}
}

// TestRulesMessagesContradicted: C12 and C13 say contradicted when the
// Win32k events of the probe's window do not chain by pqmsg, and when the
// mailslot's Creates or write sizes are not what MS1 expects.
func TestRulesMessagesContradicted(t *testing.T) {
	w := fakeWindow(1, 10, 1, false)
	r := NewRules(w)
	const hwnd = 0x30052
	add := func(pid, tid uint32, x decoders.Event) { r.Add(&decoders.Decoded{PID: pid, TID: tid, Event: x}) }
	// A send whose 60 names another thread, and a retrieve under another pqmsg.
	add(4000, 4100, &decoders.Win32kMessage{ID: decoders.Win32kSendMessageStartID, Pqmsg: 1, Hwnd: hwnd, ReceiverPID: 5001, ReceiverTID: 9})
	add(5001, 6001, &decoders.Win32kMessage{ID: decoders.Win32kRetrieveSendMessageStartID, Pqmsg: 1, Hwnd: hwnd})
	add(5001, 6001, &decoders.Win32kMessageStop{ID: decoders.Win32kRetrieveSendMessageStopID, Pqmsg: 1})
	add(4000, 4100, &decoders.Win32kMessageStop{ID: decoders.Win32kSendMessageStopID, Pqmsg: 1})
	add(5001, 6001, &decoders.Win32kMessage{ID: decoders.Win32kRetrievePostMessageID, Pqmsg: 7, Hwnd: hwnd})
	// Another window's events are not the probe's.
	add(4000, 4100, &decoders.Win32kMessage{ID: decoders.Win32kSendMessageStartID, Pqmsg: 2, Hwnd: 0x999})
	got := r.ResultsFor(KindWindow)
	if len(got) != 1 || got[0].ID != "C12" || got[0].Verdict != Contradicted || got[0].Against != 2 {
		t.Errorf("C12 = %+v", got)
	}

	m := fakeMailslot(1, 1, 10)
	r = NewRules(m)
	slot := `\Device\Mailslot\ipctrace-probe-4000-0123456789ab`
	// The reader's Create with FILE_OPEN_IF (3), a write whose ExtraInfo is short.
	add(4000, 4100, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: 1, CreateOptions: 3 << 24, OpenPath: slot})
	add(5001, 6001, &decoders.FileCreate{Op: decoders.OpCreate, FileObject: 2, CreateOptions: 1 << 24, OpenPath: slot})
	add(5001, 6001, &decoders.FileReadWrite{Op: decoders.OpWrite, IrpPtr: 5, FileObject: 2, IoSize: 10})
	add(5001, 6001, &decoders.FileOpEnd{IrpPtr: 5, ExtraInfo: 9})
	got = r.ResultsFor(KindMailslot)
	if len(got) != 1 || got[0].ID != "C13" || got[0].Verdict != Contradicted ||
		!strings.Contains(got[0].Detail, "FILE_CREATE ×0, FILE_OPEN ×1, other ×1; writes in the trace 1, 9 bytes; probe 1, 10 bytes") {
		t.Errorf("C13 = %+v", got)
	}
}
