//go:build windows

package probes

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/verify"
)

// runOrSkip runs a probe; when it reports that it cannot run here (Wine
// without what it needs) the test is skipped with that reason.
func runOrSkip(t *testing.T, kind string, o RunOptions) *verify.Expectation {
	t.Helper()
	e, err := Run(context.Background(), kind, o)
	if errors.Is(err, ErrSkipped) {
		if e == nil || e.Skipped == "" {
			t.Fatalf("skipped without a reason: %v", err)
		}
		t.Skip(e.Skipped)
	}
	if err != nil {
		t.Fatal(err)
	}
	return roundTrip(t, e)
}

func TestWindowProbe(t *testing.T) {
	const count, posted = 20, 10
	handler := 5 * time.Millisecond
	t0 := time.Now()
	e := runOrSkip(t, verify.KindWindow, RunOptions{Count: count, Handler: handler, Posted: posted})
	if len(e.Windows) != 1 || len(e.Processes) != 2 {
		t.Fatalf("windows %d processes %d", len(e.Windows), len(e.Processes))
	}
	w := e.Windows[0]
	if w.Hwnd == 0 || w.Class != e.ID || w.SenderPID != uint32(os.Getpid()) || w.ReceiverPID == w.SenderPID || w.ReceiverTID == 0 {
		t.Errorf("window %+v", w)
	}
	if w.Sent != count || w.Posted != posted || w.Retrieved != posted || w.Hang != nil {
		t.Errorf("sent %d posted %d retrieved %d hang %+v", w.Sent, w.Posted, w.Retrieved, w.Hang)
	}
	if len(w.Messages) != 1 || w.Messages[0] != (verify.MessageCount{Message: msgTimed, Name: "WM_USER+1", Count: count}) {
		t.Errorf("messages %+v", w.Messages)
	}
	// Every handler held its message at least --handler; every send took
	// at least as long as its handler.
	us := float64(handler.Microseconds())
	if w.HandlerUS != us || w.Handler.Count != count || w.Handler.P50 < us {
		t.Errorf("handler %.0f µs, measured %+v", w.HandlerUS, w.Handler)
	}
	if e.Latency.Count != count || e.Latency.P50 < w.Handler.P50 {
		t.Errorf("latency %+v, handler %+v", e.Latency, w.Handler)
	}
	n := map[string]int{}
	for _, op := range e.Ops {
		n[op.Kind]++
		if op.End < op.Start {
			t.Errorf("op %+v ends before it starts", op)
		}
		if (op.Kind == verify.OpHandle || op.Kind == verify.OpRetrieve) && (op.PID != w.ReceiverPID || op.TID != w.ReceiverTID) {
			t.Errorf("op %+v not on the window's thread", op)
		}
	}
	if n[verify.OpSend] != count || n[verify.OpHandle] != count || n[verify.OpPost] != posted || n[verify.OpRetrieve] != posted {
		t.Errorf("ops %v", n)
	}
	t.Logf("window %#x of pid %d tid %d: %d sends, latency p50 %.1f µs max %.1f µs; handler (%s) p50 %.1f µs max %.1f µs; %d posted; %s in all",
		w.Hwnd, w.ReceiverPID, w.ReceiverTID, w.Sent, e.Latency.P50, e.Latency.Max, handler, w.Handler.P50, w.Handler.Max, w.Posted, time.Since(t0).Round(time.Millisecond))
}

func TestWindowProbeHang(t *testing.T) {
	hang := 1500 * time.Millisecond
	e := runOrSkip(t, verify.KindWindow, RunOptions{Count: 3, Handler: time.Millisecond, Posted: 2, Hang: true, HangFor: hang})
	w := e.Windows[0]
	h := w.Hang
	if h == nil || h.Message != msgHung || w.Sent != 4 || len(w.Messages) != 2 || w.Messages[1].Count != 1 {
		t.Fatalf("window %+v hang %+v", w, h)
	}
	// The handler was held from its start until the release, HangFor after
	// the call; the call took at least HangFor.
	if us := float64(hang.Microseconds()); h.LatencyUS < us || h.HeldUS > h.LatencyUS || h.HeldUS < 0.9*us {
		t.Errorf("hung send: held %.0f µs, latency %.0f µs, hang %s", h.HeldUS, h.LatencyUS, hang)
	}
	if !e.Options.Hang || e.Options.HangUS != hang.Microseconds() {
		t.Errorf("options %+v", e.Options)
	}
	t.Logf("hung send: handler held %.1f ms, SendMessage returned after %.1f ms", h.HeldUS/1000, h.LatencyUS/1000)
}

func TestMailslotProbe(t *testing.T) {
	cases := []RunOptions{
		{Count: 30, Size: 300, Writers: 3},
		{Count: 5, Size: 1, Writers: 2}, // too short for a header: no latency samples
		{Count: 2, Size: 70000, Writers: 1},
	}
	for _, o := range cases {
		e := runOrSkip(t, verify.KindMailslot, o)
		if len(e.Mailslots) != 1 || len(e.Processes) != o.Writers+1 {
			t.Fatalf("mailslots %d processes %d", len(e.Mailslots), len(e.Processes))
		}
		x := e.Mailslots[0]
		total := int64(o.Writers * o.Count)
		if x.Name != `\\.\mailslot\`+e.ID || x.ReaderPID != uint32(os.Getpid()) || x.ReaderTID == 0 {
			t.Errorf("mailslot %+v", x)
		}
		if x.Messages != total || x.Bytes != total*int64(o.Size) || x.Reads != total || x.ReadBytes != x.Bytes {
			t.Errorf("%+v: messages %d bytes %d reads %d read bytes %d", o, x.Messages, x.Bytes, x.Reads, x.ReadBytes)
		}
		pids := map[uint32]bool{x.ReaderPID: true}
		for i, w := range x.Writers {
			if w.Writer != i+1 || pids[w.PID] || w.Messages != int64(o.Count) || w.Bytes != int64(o.Count*o.Size) {
				t.Errorf("writer %+v", w)
			}
			pids[w.PID] = true
		}
		if x.IdleUS < 0.9*float64(mailslotIdle.Microseconds()) {
			t.Errorf("idle read %.0f µs, want about %s", x.IdleUS, mailslotIdle)
		}
		last := e.Ops[0]
		for _, op := range e.Ops {
			if op.PID == x.ReaderPID && op.Kind == verify.OpRead {
				last = op
			}
		}
		if last.Status != uint32(errSemTimeout) || last.Bytes != 0 {
			t.Errorf("the reader's last read %+v, want ERROR_SEM_TIMEOUT", last)
		}
		if want := total; o.Size < 16 {
			if e.Latency.Count != 0 {
				t.Errorf("latency %+v for messages without a time stamp", e.Latency)
			}
		} else if e.Latency.Count != want {
			t.Errorf("latency samples %d, want %d", e.Latency.Count, want)
		}
		t.Logf("mailslot, %d writers × %d messages of %d bytes: %d messages, %d bytes; write-to-read p50 %.1f µs; idle read %.1f ms", o.Writers, o.Count, o.Size, x.Messages, x.Bytes, e.Latency.P50, x.IdleUS/1000)
	}
}

func TestMessageProbeBadOptions(t *testing.T) {
	for _, c := range []struct {
		kind string
		o    RunOptions
		want string
	}{
		{verify.KindWindow, RunOptions{Handler: -time.Second}, "--handler -1s out of range"},
		{verify.KindWindow, RunOptions{Posted: -1}, "--posted -1 out of range"},
		{verify.KindWindow, RunOptions{Hang: true, HangFor: 5 * time.Minute}, "--hang-for 5m0s out of range"},
		{verify.KindMailslot, RunOptions{Writers: 65}, "--writers 65 out of range 1..64"},
		{verify.KindMailslot, RunOptions{Size: 2 << 20}, "mailslot messages wait in kernel memory"},
	} {
		if _, err := Run(context.Background(), c.kind, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: %v, want %q", c.kind, c.o, err, c.want)
		}
	}
}
