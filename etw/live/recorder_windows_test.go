//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// sessionGone reports whether no session of this name runs (a query
// answers 4201). Where a query of a name that never existed succeeds too
// (Wine 8's ControlTrace), the answer means nothing and the test skips.
func sessionGone(t *testing.T, name string) bool {
	t.Helper()
	if _, err := QuerySession("ipctrace-never-started-xyz"); err == nil {
		t.Skip("ControlTrace(QUERY) succeeds for a session that never existed (Wine): cannot tell whether the session is gone")
	}
	_, err := QuerySession(name)
	if err == nil {
		return false
	}
	if !errors.Is(err, syscall.Errno(ErrnoWMIInstanceAbsent)) {
		t.Logf("query %s: %v", name, err)
	}
	return true
}

// TestRecorderOverETW runs the record lifecycle over a real session: it
// must start, run briefly and leave no session behind.
func TestRecorderOverETW(t *testing.T) {
	needElevated(t)
	_, underWine := wine(t)
	s, err := NewSession(Config{Name: SessionName(os.Getpid()) + "-rec", RealTime: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { StopSession(s.Name()) })
	r := &Recorder{B: &WinBackend{S: s}, Sig: make(chan os.Signal, 1),
		L:   Lifecycle{RealTime: true, StartRundown: s.HasStartRundown(), StopRundown: true, DrainTimeout: 5 * time.Second},
		Log: t.Logf}
	if err := r.Begin(); err != nil {
		if underWine {
			t.Skipf("Wine refused the session: %v", err)
		}
		t.Fatal(err)
	}
	reason, _ := r.Wait(WaitOptions{Duration: 500 * time.Millisecond, Tick: 100 * time.Millisecond})
	out := r.End(reason, nil)
	t.Logf("reason %q, counters %+v, stop error %v, consumer error %v, stats %+v", out.Reason, out.Props, out.StopErr, out.ConsumerErr, out.Stats)
	if out.StopErr != nil {
		t.Errorf("stop: %v", out.StopErr)
	}
	if reason != ReasonDuration && !underWine {
		t.Errorf("reason %q, want %q", reason, ReasonDuration)
	}
	if !sessionGone(t, s.Name()) {
		t.Errorf("session %s still runs after End", s.Name())
	}
}

// interruptAt wraps a WinBackend and delivers Ctrl-C right after one step.
type interruptAt struct {
	*WinBackend
	sig chan os.Signal
}

func (b interruptAt) EnableKernel() ([]string, error) {
	w, err := b.WinBackend.EnableKernel()
	b.sig <- os.Interrupt
	return w, err
}

// TestRecorderInterruptedOverETW: Ctrl-C during the start leaves no session.
func TestRecorderInterruptedOverETW(t *testing.T) {
	needElevated(t)
	_, underWine := wine(t)
	s, err := NewSession(Config{Name: SessionName(os.Getpid()) + "-int", RealTime: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { StopSession(s.Name()) })
	sig := make(chan os.Signal, 1)
	r := &Recorder{B: interruptAt{&WinBackend{S: s}, sig}, Sig: sig,
		L: Lifecycle{RealTime: true, StartRundown: true, DrainTimeout: 5 * time.Second}, Log: t.Logf}
	err = r.Begin()
	if err != nil && !errors.Is(err, ErrInterrupted) && underWine {
		t.Skipf("Wine refused the session: %v", err)
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Begin = %v, want ErrInterrupted", err)
	}
	if !sessionGone(t, s.Name()) {
		t.Errorf("session %s still runs after an interrupted start", s.Name())
	}
}
