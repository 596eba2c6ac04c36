package live

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/etw"
)

// fakeFeed is a consumer whose ProcessTrace ends when the test (or the
// fake session's Stop) says so.
type fakeFeed struct {
	b      *fakeBackend
	done   chan struct{}
	recs   chan etw.Record
	err    error
	once   sync.Once
	events uint64
}

func (f *fakeFeed) Done() <-chan struct{}      { return f.done }
func (f *fakeFeed) Records() <-chan etw.Record { return f.recs }
func (f *fakeFeed) Stats() ConsumerStats       { return ConsumerStats{Events: f.events} }
func (f *fakeFeed) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}
func (f *fakeFeed) Close() error { f.b.call("CloseTrace"); f.end(nil); return nil }

// end makes ProcessTrace return with err.
func (f *fakeFeed) end(err error) {
	f.once.Do(func() {
		f.err = err
		if f.recs != nil {
			close(f.recs)
		}
		close(f.done)
	})
}

// fakeBackend records every call. hook runs after each call with its name,
// so that a test can send a signal or end the session at that point.
type fakeBackend struct {
	mu        sync.Mutex
	calls     []string
	hook      func(call string)
	feed      *fakeFeed
	queue     int
	refuse    map[string]error // call → error it returns
	running   bool
	outside   bool // the session was stopped from outside
	lastQuery Properties
}

func (b *fakeBackend) call(name string) error {
	b.mu.Lock()
	b.calls = append(b.calls, name)
	err := b.refuse[name]
	hook := b.hook
	b.mu.Unlock()
	if hook != nil {
		hook(name)
	}
	return err
}

func (b *fakeBackend) log() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

func (b *fakeBackend) StartTrace(withFlags bool) error {
	name := "StartTrace"
	if withFlags {
		name = "StartTrace(EnableFlags)"
	}
	if err := b.call(name); err != nil {
		return err
	}
	b.running = true
	return nil
}

func (b *fakeBackend) OpenConsumer() (Feed, error) {
	if err := b.call("OpenConsumer"); err != nil {
		return nil, err
	}
	b.feed = &fakeFeed{b: b, done: make(chan struct{})}
	if b.queue > 0 {
		b.feed.recs = make(chan etw.Record, b.queue)
	}
	return b.feed, nil
}

func (b *fakeBackend) EnableKernel() ([]string, error) {
	return nil, b.call("EnableKernel")
}
func (b *fakeBackend) EnableProviders() []string { b.call("EnableProviders"); return nil }
func (b *fakeBackend) EnableOwn() error          { return b.call("EnableOwn") }
func (b *fakeBackend) Rundown() error            { return b.call("Rundown") }
func (b *fakeBackend) Snapshot(phase string)     { b.call("Snapshot(" + phase + ")") }
func (b *fakeBackend) Query() (Properties, error) {
	b.mu.Lock()
	if b.outside {
		// Stopped by someone else: the session is gone, as Stop finds.
		b.mu.Unlock()
		return Properties{}, &Error{Op: "ControlTrace(QUERY)", Session: "fake", Errno: ErrnoWMIInstanceAbsent}
	}
	b.lastQuery.BuffersWritten++
	p := b.lastQuery
	b.mu.Unlock()
	return p, nil
}

func (b *fakeBackend) Stop() (Properties, error) {
	b.call("Stop")
	if !b.running || b.outside {
		return Properties{}, &Error{Op: "ControlTrace(STOP)", Session: "fake", Errno: ErrnoWMIInstanceAbsent}
	}
	b.running = false
	if b.feed != nil {
		b.feed.end(nil) // ProcessTrace returns when the session stops
	}
	return Properties{BuffersWritten: 1000}, nil
}

// stopOutside acts as `logman stop NAME -ets`.
func (b *fakeBackend) stopOutside() {
	b.mu.Lock()
	b.running, b.outside = false, true
	b.mu.Unlock()
	if b.feed != nil {
		b.feed.end(nil)
	}
}

func recordLifecycle() Lifecycle {
	return Lifecycle{RealTime: true, Own: true, Security: true, StartRundown: true, StopRundown: true,
		DrainTimeout: time.Second}
}

func watchLifecycle() Lifecycle {
	return Lifecycle{RealTime: true, ConsumerRequired: true, StartRundown: true, DrainTimeout: time.Second}
}

func TestRecorderOrder(t *testing.T) {
	tests := []struct {
		name string
		l    Lifecycle
		want []string
	}{
		{"record", recordLifecycle(), []string{"StartTrace", "OpenConsumer", "EnableKernel", "EnableProviders",
			"Rundown", "EnableOwn", "Snapshot(start)", "Snapshot(stop)", "Rundown", "Stop", "CloseTrace"}},
		{"watch", watchLifecycle(), []string{"StartTrace", "OpenConsumer", "EnableKernel", "EnableProviders",
			"Rundown", "Stop", "CloseTrace"}},
		{"file only", Lifecycle{StopRundown: true}, []string{"StartTrace", "EnableKernel", "EnableProviders",
			"Rundown", "Stop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &fakeBackend{}
			sig := make(chan os.Signal, 1)
			r := &Recorder{B: b, L: tt.l, Sig: sig}
			if err := r.Begin(); err != nil {
				t.Fatal(err)
			}
			sig <- os.Interrupt
			reason, s := r.Wait(WaitOptions{})
			if reason != ReasonSignal || s != os.Interrupt {
				t.Fatalf("Wait = %q %v, want the signal", reason, s)
			}
			out := r.End(reason, s)
			if got := b.log(); !slices.Equal(got, tt.want) {
				t.Errorf("calls\n got %v\nwant %v", got, tt.want)
			}
			if !out.PropsFinal || out.Props.BuffersWritten != 1000 || out.StopErr != nil {
				t.Errorf("outcome %+v: want the final counters from Stop", out)
			}
			if out.Counted != tt.l.RealTime {
				t.Errorf("Counted = %v with RealTime %v", out.Counted, tt.l.RealTime)
			}
		})
	}
}

// TestRecorderSignalAtEveryStep sends Ctrl-C during each start step: the
// session must be stopped right after that step, with no further enable,
// snapshot or rundown, and the consumer closed.
func TestRecorderSignalAtEveryStep(t *testing.T) {
	full := []string{"StartTrace", "OpenConsumer", "EnableKernel", "EnableProviders", "Rundown", "EnableOwn", "Snapshot(start)"}
	for i, step := range full {
		t.Run(step, func(t *testing.T) {
			sig := make(chan os.Signal, 1)
			b := &fakeBackend{}
			b.hook = func(call string) {
				if call == step {
					select {
					case sig <- os.Interrupt:
					default:
					}
				}
			}
			r := &Recorder{B: b, L: recordLifecycle(), Sig: sig}
			err := r.Begin()
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Begin = %v, want ErrInterrupted", err)
			}
			want := slices.Clone(full[:i+1])
			if i >= 1 {
				want = append(want, "CloseTrace")
			}
			want = append(want, "Stop")
			if got := b.log(); !slices.Equal(got, want) {
				t.Errorf("calls\n got %v\nwant %v", got, want)
			}
			if b.running {
				t.Error("the session is still running")
			}
		})
	}
	t.Run("before start", func(t *testing.T) {
		sig := make(chan os.Signal, 1)
		sig <- os.Interrupt
		b := &fakeBackend{}
		r := &Recorder{B: b, L: recordLifecycle(), Sig: sig}
		if err := r.Begin(); !errors.Is(err, ErrInterrupted) {
			t.Fatalf("Begin = %v", err)
		}
		if got := b.log(); len(got) != 0 {
			t.Errorf("calls %v, want none", got)
		}
	})
}

func TestRecorderStartFailures(t *testing.T) {
	denied := &Error{Op: "OpenTrace", Session: "fake", Errno: ErrnoAccessDenied}
	t.Run("StartTrace", func(t *testing.T) {
		b := &fakeBackend{refuse: map[string]error{"StartTrace": denied}}
		r := &Recorder{B: b, L: recordLifecycle(), Sig: make(chan os.Signal)}
		if err := r.Begin(); !errors.Is(err, denied) {
			t.Fatalf("Begin = %v", err)
		}
		if got := b.log(); !slices.Equal(got, []string{"StartTrace"}) {
			t.Errorf("calls %v: nothing to stop", got)
		}
	})
	t.Run("watch consumer", func(t *testing.T) {
		b := &fakeBackend{refuse: map[string]error{"OpenConsumer": denied}}
		r := &Recorder{B: b, L: watchLifecycle(), Sig: make(chan os.Signal)}
		if err := r.Begin(); !errors.Is(err, denied) {
			t.Fatalf("Begin = %v", err)
		}
		if got := b.log(); !slices.Equal(got, []string{"StartTrace", "OpenConsumer", "Stop"}) {
			t.Errorf("calls %v", got)
		}
	})
	t.Run("record consumer is a warning", func(t *testing.T) {
		b := &fakeBackend{refuse: map[string]error{"OpenConsumer": denied}}
		r := &Recorder{B: b, L: recordLifecycle(), Sig: make(chan os.Signal)}
		if err := r.Begin(); err != nil {
			t.Fatal(err)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "no real-time consumer") {
			t.Errorf("warnings %q", r.Warnings)
		}
		r.End("test", nil)
	})
	t.Run("own provider refused: no snapshots", func(t *testing.T) {
		b := &fakeBackend{refuse: map[string]error{"EnableOwn": errors.New("timeout")}}
		sig := make(chan os.Signal, 1)
		r := &Recorder{B: b, L: recordLifecycle(), Sig: sig}
		if err := r.Begin(); err != nil {
			t.Fatal(err)
		}
		r.End("test", nil)
		for _, c := range b.log() {
			if strings.HasPrefix(c, "Snapshot") {
				t.Errorf("snapshot %s written with the provider not enabled", c)
			}
		}
	})
}

// TestRecorderEnableFlagsFallback: refused group masks restart the session
// with the flags in EnableFlags and reopen the consumer on it.
func TestRecorderEnableFlagsFallback(t *testing.T) {
	b := &fakeBackend{refuse: map[string]error{"EnableKernel": fmt.Errorf("%w: 87", ErrKernelFlagsRefused)}}
	r := &Recorder{B: b, L: watchLifecycle(), Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	want := []string{"StartTrace", "OpenConsumer", "EnableKernel", "CloseTrace", "Stop",
		"StartTrace(EnableFlags)", "OpenConsumer", "EnableProviders", "Rundown"}
	if got := b.log(); !slices.Equal(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}
	if r.Feed() != Feed(b.feed) {
		t.Error("the recorder kept the first consumer")
	}
	r.End("test", nil)
}

// TestRecorderStoppedFromOutside: record notices the session's end, stops
// without a rundown or snapshot, keeps the last counters and reports why.
func TestRecorderStoppedFromOutside(t *testing.T) {
	b := &fakeBackend{}
	r := &Recorder{B: b, L: recordLifecycle(), Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	ticks := 0
	reason, _ := r.Wait(WaitOptions{Tick: time.Millisecond, OnTick: func(p Properties) string {
		ticks++
		if ticks == 3 {
			b.stopOutside()
		}
		return ""
	}})
	if reason != ReasonEnded {
		t.Fatalf("reason %q, want %q", reason, ReasonEnded)
	}
	n := len(b.log())
	out := r.End(reason, nil)
	if got := b.log()[n:]; !slices.Equal(got, []string{"Stop", "CloseTrace"}) {
		t.Errorf("calls after the end %v, want Stop then CloseTrace only", got)
	}
	if out.Reason != ReasonEnded || out.StopErr != nil || out.PropsFinal {
		t.Errorf("outcome %+v", out)
	}
	if out.Props.BuffersWritten != 3 {
		t.Errorf("counters %+v, want the last query (3 buffers)", out.Props)
	}
}

// TestRecorderConsumerFailure: a ProcessTrace error ends the wait with
// ReasonConsumerErr and the error reaches the outcome with its Win32 code.
func TestRecorderConsumerFailure(t *testing.T) {
	b := &fakeBackend{queue: 4}
	r := &Recorder{B: b, L: watchLifecycle(), Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	fail := &Error{Op: "ProcessTrace", Session: "consumer", Errno: ErrnoAccessDenied}
	b.feed.recs <- etw.Record{}
	b.feed.recs <- etw.Record{}
	got := 0
	go b.feed.end(fail)
	reason, _ := r.Wait(WaitOptions{OnRecord: func(etw.Record) { got++ }})
	if reason != ReasonConsumerErr {
		t.Fatalf("reason %q", reason)
	}
	if got != 2 {
		t.Errorf("%d records delivered, want the 2 queued", got)
	}
	out := r.End(reason, nil)
	if !errors.Is(out.ConsumerErr, syscall.Errno(ErrnoAccessDenied)) {
		t.Errorf("consumer error %v", out.ConsumerErr)
	}
	if !strings.Contains(out.ConsumerErr.Error(), "Win32 error 5") {
		t.Errorf("error %q does not name its Win32 code", out.ConsumerErr)
	}
}

func TestRecorderWaitReasons(t *testing.T) {
	b := &fakeBackend{}
	r := &Recorder{B: b, L: Lifecycle{}, Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	if reason, _ := r.Wait(WaitOptions{Duration: time.Millisecond}); reason != ReasonDuration {
		t.Errorf("duration: %q", reason)
	}
	stop := make(chan string, 1)
	stop <- "probe finished"
	if reason, _ := r.Wait(WaitOptions{Stop: stop}); reason != "probe finished" {
		t.Errorf("stop channel: %q", reason)
	}
	if reason, _ := r.Wait(WaitOptions{Tick: time.Millisecond, OnTick: func(Properties) string { return "max size reached" }}); reason != "max size reached" {
		t.Errorf("tick: %q", reason)
	}
	out := r.End(ReasonDuration, nil)
	if out.Counted {
		t.Error("counted without a consumer")
	}
}

// TestRecorderSIGTERMSkipsSnapshot: console close leaves about 5 s; the
// stop snapshot (a handle scan) is skipped, the rundown and Stop are not.
func TestRecorderSIGTERMSkipsSnapshot(t *testing.T) {
	b := &fakeBackend{}
	r := &Recorder{B: b, L: recordLifecycle(), Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	n := len(b.log())
	r.End(ReasonSignal, syscall.SIGTERM)
	if got := b.log()[n:]; !slices.Equal(got, []string{"Rundown", "Stop", "CloseTrace"}) {
		t.Errorf("calls %v", got)
	}
}

// TestRecorderStopFailure: an error from Stop other than "no such session"
// is reported, not hidden.
func TestRecorderStopFailure(t *testing.T) {
	bad := &Error{Op: "ControlTrace(STOP)", Session: "fake", Errno: ErrnoInvalidParameter}
	b := &fakeBackend{}
	r := &Recorder{B: stopFails{b, bad}, L: Lifecycle{}, Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	if out := r.End("test", nil); !errors.Is(out.StopErr, bad) {
		t.Errorf("StopErr %v", out.StopErr)
	}
}

type stopFails struct {
	*fakeBackend
	err error
}

func (s stopFails) Stop() (Properties, error) { s.call("Stop"); return Properties{}, s.err }

// TestRecorderConsumerFailureKeepsSession: a failed consumer leaves the
// session running, so the stop rundown and Stop still happen.
func TestRecorderConsumerFailureKeepsSession(t *testing.T) {
	b := &fakeBackend{}
	r := &Recorder{B: b, L: recordLifecycle(), Sig: make(chan os.Signal)}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	b.feed.end(&Error{Op: "ProcessTrace", Session: "consumer", Errno: ErrnoCancelled})
	reason, _ := r.Wait(WaitOptions{})
	n := len(b.log())
	out := r.End(reason, nil)
	if got := b.log()[n:]; !slices.Equal(got, []string{"Snapshot(stop)", "Rundown", "Stop", "CloseTrace"}) {
		t.Errorf("calls after the failure %v", got)
	}
	if out.Reason != ReasonConsumerErr || !out.PropsFinal || out.ConsumerErr == nil {
		t.Errorf("outcome %+v", out)
	}
}
