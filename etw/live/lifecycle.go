package live

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/ipctrace/ipctrace/etw"
)

// This file holds the lifecycle policy of record and watch: the order in
// which a session is started, consumed, enabled, snapshotted, run down,
// stopped and drained (docs/WINDOWS.md "Session lifecycle"). It carries no
// build tag: the policy is driven through the Backend interface, which the
// Windows code implements over ETW and the tests implement with a fake that
// records the calls.

// ConsumerStats counts what a consumer saw.
type ConsumerStats struct {
	Events  uint64 // events delivered by ETW
	Dropped uint64 // events dropped because the queue was full
	Buffers uint64 // buffers delivered
	Panics  uint64 // callbacks that panicked (recovered)
}

// Feed is a real-time consumer as the lifecycle sees it: ProcessTrace runs
// until Done is closed; Err is its error after that (nil for a normal end).
type Feed interface {
	Done() <-chan struct{}
	Err() error
	Records() <-chan etw.Record // nil for a counting consumer
	Stats() ConsumerStats
	Close() error // CloseTrace: ProcessTrace returns after the buffered events
}

// ErrKernelFlagsRefused is returned by Backend.EnableKernel when Windows
// refused the group masks and the session must be restarted with the kernel
// flags in EVENT_TRACE_PROPERTIES.EnableFlags instead.
var ErrKernelFlagsRefused = errors.New("kernel group masks refused; restart with EnableFlags")

// Backend is one session under the lifecycle's control. Every method is one
// step; the Recorder decides their order.
type Backend interface {
	// StartTrace creates the session: stale-session stop, StartTrace, and
	// on ERROR_ALREADY_EXISTS stop, wait and retry once. withFlags puts the
	// kernel flags into EnableFlags (the fallback of EnableKernel).
	StartTrace(withFlags bool) error
	// OpenConsumer opens the real-time consumer and starts ProcessTrace.
	OpenConsumer() (Feed, error)
	// EnableKernel sets the kernel flags and group masks (TraceSetInformation).
	EnableKernel() (warnings []string, err error)
	// EnableProviders enables the manifest providers of the plan (warnings only).
	EnableProviders() (warnings []string)
	// EnableOwn enables ipctrace's own provider synchronously (with a timeout).
	EnableOwn() error
	// Rundown triggers the file-name rundown.
	Rundown() error
	// Snapshot writes the security snapshot of one phase ("start", "stop").
	Snapshot(phase string)
	// Query returns the session's current counters.
	Query() (Properties, error)
	// Stop stops the session; its properties carry the final counters.
	Stop() (Properties, error)
}

// Lifecycle selects the optional steps.
type Lifecycle struct {
	RealTime         bool // open a real-time consumer
	ConsumerRequired bool // a consumer that cannot be opened is an error (watch), not a warning (record)
	Own              bool // enable ipctrace's own provider
	Security         bool // security snapshots at start and stop
	StartRundown     bool // file-name rundown after the enables
	StopRundown      bool // file-name rundown right before Stop
	DrainTimeout     time.Duration
}

// Reasons a recording ended (Outcome.Reason).
const (
	ReasonSignal      = "signal"
	ReasonDuration    = "duration reached"
	ReasonEnded       = "session stopped from outside"
	ReasonConsumerErr = "consumer failed"
)

// Outcome is how a recording ended.
type Outcome struct {
	Reason      string     // one of the Reason constants, or the caller's own reason
	Signal      os.Signal  // with ReasonSignal
	Props       Properties // final counters: from Stop, or the last Query when the session was gone
	PropsFinal  bool       // Props came from Stop
	ConsumerErr error      // ProcessTrace's error
	StopErr     error      // Stop's error (not set when the session was already gone)
	Stats       ConsumerStats
	Counted     bool // a consumer ran (Stats is meaningful)
}

// Recorder runs the lifecycle of one recording. Signals must be delivered on
// Sig from before Begin: a signal during any start step stops the session
// at the next step boundary.
type Recorder struct {
	B   Backend
	L   Lifecycle
	Sig <-chan os.Signal

	feed     Feed
	started  bool
	ended    bool // the session ended on its own (consumer returned)
	last     Properties
	haveLast bool
	Warnings []string
	Log      func(format string, args ...any) // optional progress and warnings
}

// ErrInterrupted is returned by Begin when a signal arrived during the start.
var ErrInterrupted = errors.New("interrupted while starting")

func (r *Recorder) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}

// interrupted reports a pending signal without waiting.
func (r *Recorder) interrupted() (os.Signal, bool) {
	select {
	case s := <-r.Sig:
		return s, true
	default:
		return nil, false
	}
}

// Feed returns the running consumer, nil if none.
func (r *Recorder) Feed() Feed { return r.feed }

// Begin runs the start: StartTrace, the consumer with ProcessTrace, the
// kernel masks, the providers, the start rundown, ipctrace's own provider
// and the start snapshot, in that order (docs/WINDOWS.md). The rundown and
// kernel enables come after the consumer because a real-time session with
// no consumer discards its buffers. When a signal arrives during the start,
// Begin stops the session and returns an error wrapping ErrInterrupted.
func (r *Recorder) Begin() error {
	if s, ok := r.interrupted(); ok {
		return fmt.Errorf("%w: %v before the session started", ErrInterrupted, s)
	}
	if err := r.B.StartTrace(false); err != nil {
		return err
	}
	r.started = true
	steps := []func() error{r.openConsumer, r.enableKernel, r.enableProviders, r.startRundown, r.enableOwn, r.startSnapshot}
	for _, step := range steps {
		if s, ok := r.interrupted(); ok {
			r.abort()
			return fmt.Errorf("%w: %v", ErrInterrupted, s)
		}
		if err := step(); err != nil {
			r.abort()
			return err
		}
	}
	if s, ok := r.interrupted(); ok {
		r.abort()
		return fmt.Errorf("%w: %v", ErrInterrupted, s)
	}
	return nil
}

func (r *Recorder) openConsumer() error {
	if !r.L.RealTime {
		return nil
	}
	f, err := r.B.OpenConsumer()
	if err != nil {
		if r.L.ConsumerRequired {
			return err
		}
		r.warn(fmt.Sprintf("no real-time consumer (%v); the status shows buffers, not events", err))
		return nil
	}
	r.feed = f
	return nil
}

func (r *Recorder) enableKernel() error {
	w, err := r.B.EnableKernel()
	r.warn(w...)
	if !errors.Is(err, ErrKernelFlagsRefused) {
		return err
	}
	// Restart with the flags in EnableFlags: the consumer ends with the
	// session and is opened again on the new one.
	r.warn(err.Error())
	r.closeFeed()
	if _, err := r.B.Stop(); err != nil {
		r.warn(fmt.Sprintf("stopping before the EnableFlags restart: %v", err))
	}
	r.started = false
	if err := r.B.StartTrace(true); err != nil {
		return fmt.Errorf("restarting with EnableFlags: %w", err)
	}
	r.started = true
	return r.openConsumer()
}

func (r *Recorder) enableProviders() error { r.warn(r.B.EnableProviders()...); return nil }

func (r *Recorder) startRundown() error {
	if r.L.StartRundown {
		if err := r.B.Rundown(); err != nil {
			r.warn(fmt.Sprintf("start rundown: %v", err))
		}
	}
	return nil
}

func (r *Recorder) enableOwn() error {
	if r.L.Own {
		if err := r.B.EnableOwn(); err != nil {
			r.warn(err.Error())
			r.L.Security = false
		}
	}
	return nil
}

func (r *Recorder) startSnapshot() error {
	if r.L.Security {
		r.B.Snapshot("start")
	}
	return nil
}

func (r *Recorder) warn(w ...string) {
	for _, s := range w {
		r.Warnings = append(r.Warnings, s)
		r.logf("warning: %s", s)
	}
}

func (r *Recorder) closeFeed() {
	if r.feed == nil {
		return
	}
	r.feed.Close()
	r.waitFeed(r.drain())
	r.feed = nil
}

func (r *Recorder) drain() time.Duration {
	if r.L.DrainTimeout > 0 {
		return r.L.DrainTimeout
	}
	return 10 * time.Second
}

func (r *Recorder) waitFeed(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.feed.Done():
		return true
	case <-t.C:
		return false
	}
}

// abort stops a session whose start was interrupted: no snapshot, no rundown.
func (r *Recorder) abort() {
	if r.feed != nil {
		r.feed.Close()
		r.waitFeed(r.drain())
	}
	if r.started {
		r.B.Stop()
		r.started = false
	}
}

// WaitOptions says what else ends a recording besides signals and the
// session's own end.
type WaitOptions struct {
	Duration time.Duration                    // 0: no limit
	Tick     time.Duration                    // period of OnTick; 0: one second
	OnTick   func(p Properties) (stop string) // status line; a non-empty result ends the wait
	OnRecord func(etw.Record)                 // with a queueing consumer: each record
	Stop     <-chan string                    // another reason to stop (a probe finished)
}

// Wait blocks until a signal, the duration, the session's end, a consumer
// failure, OnTick or Stop ends the recording, and returns the reason. It
// keeps the last queried counters for a session that ends on its own.
func (r *Recorder) Wait(o WaitOptions) (reason string, sig os.Signal) {
	var timeout <-chan time.Time
	if o.Duration > 0 {
		t := time.NewTimer(o.Duration)
		defer t.Stop()
		timeout = t.C
	}
	tickEvery := o.Tick
	if tickEvery <= 0 {
		tickEvery = time.Second
	}
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	var done <-chan struct{}
	var recs <-chan etw.Record
	if r.feed != nil {
		done = r.feed.Done()
		recs = r.feed.Records()
	}
	for {
		select {
		case s := <-r.Sig:
			return ReasonSignal, s
		case <-timeout:
			return ReasonDuration, nil
		case why := <-o.Stop:
			return why, nil
		case rec, ok := <-recs:
			if !ok {
				recs = nil // Done follows
				continue
			}
			if o.OnRecord != nil {
				o.OnRecord(rec)
			}
		case <-done:
			if recs != nil {
				for rec := range recs { // what was queued before ProcessTrace returned
					if o.OnRecord != nil {
						o.OnRecord(rec)
					}
				}
			}
			r.ended = true
			if r.feed.Err() != nil {
				return ReasonConsumerErr, nil
			}
			return ReasonEnded, nil
		case <-tick.C:
			p, err := r.B.Query()
			if err == nil {
				r.last, r.haveLast = p, true
			}
			if o.OnTick != nil {
				if why := o.OnTick(p); why != "" {
					return why, nil
				}
			}
		}
	}
}

// End finishes a recording that ended for reason: the stop snapshot
// (skipped on SIGTERM, when the console closes and Windows allows about
// 5 s, and when the session is gone), the rundown right before Stop,
// Stop, then draining the consumer, and returns the final counters.
func (r *Recorder) End(reason string, sig os.Signal) Outcome {
	out := Outcome{Reason: reason, Signal: sig}
	// The session is gone when the consumer returned without an error
	// (ProcessTrace ends normally when its session stops); a failed
	// consumer leaves the session running.
	gone := false
	if r.feed != nil {
		select {
		case <-r.feed.Done():
			gone = r.feed.Err() == nil
		default:
		}
	}
	if r.L.Security && !gone {
		if sig == syscall.SIGTERM {
			r.logf("console closing: stop-time security snapshot skipped")
		} else {
			r.B.Snapshot("stop")
		}
	}
	if r.L.StopRundown && !gone {
		if err := r.B.Rundown(); err != nil {
			r.warn(fmt.Sprintf("stop rundown: %v", err))
		}
	}
	if r.started {
		p, err := r.B.Stop()
		r.started = false
		switch {
		case err == nil:
			out.Props, out.PropsFinal = p, true
		case gone || r.ended || errors.Is(err, syscall.Errno(ErrnoWMIInstanceAbsent)):
			// Stopped from outside: keep the file, report the last counters.
			out.Props = r.last
			if out.Reason != ReasonConsumerErr {
				out.Reason = ReasonEnded
			}
		default:
			out.StopErr = err
			out.Props = r.last
		}
	}
	if r.feed != nil {
		if !r.waitFeed(r.drain()) {
			r.logf("warning: the consumer did not end within %v; closing it", r.drain())
		}
		r.feed.Close()
		r.waitFeed(r.drain() / 2)
		out.Stats, out.Counted = r.feed.Stats(), true
		select {
		case <-r.feed.Done():
			out.ConsumerErr = r.feed.Err()
		default:
		}
	}
	return out
}
