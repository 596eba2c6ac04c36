//go:build windows && (amd64 || arm64)

package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/etw/live"
)

// enableVT turns on ANSI escape handling on a Windows 10+ console.
func enableVT(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if windows.GetConsoleMode(h, &mode) != nil {
		return false
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}

func runWatch(cmd *cobra.Command, o *watchFlags) error {
	stderr := cmd.ErrOrStderr()
	stdout := cmd.OutOrStdout()
	// Signals first, so that Ctrl-C at any point stops the session.
	sig, unsig := stopSignals()
	defer unsig()
	if err := prepareSession(stderr); err != nil {
		return err
	}
	s, err := live.NewSession(live.Config{
		Options:  live.Options{Pipes: o.pipes, ALPC: o.alpc, Sections: o.sections, RPC: o.rpc, Classic: o.classic},
		RealTime: true,
	})
	if err != nil {
		return withCode(exitUsage, err)
	}
	rec := &live.Recorder{B: &live.WinBackend{S: s, Queue: 1 << 16}, Sig: sig,
		Log: func(f string, a ...any) { fmt.Fprintf(stderr, "ipctrace: "+f+"\n", a...) },
		L:   live.Lifecycle{RealTime: true, ConsumerRequired: true, StartRundown: s.HasStartRundown()}}
	if err := rec.Begin(); err != nil {
		return withCode(exitUsage, err)
	}
	ended := false
	defer func() {
		if !ended {
			rec.End("panic", nil) // a panic below still stops the session
		}
	}()

	tty := stdout == os.Stdout && isTerminal(os.Stdout) && enableVT(os.Stdout)
	w := correlate.NewLive(o.correlateOptions(), o.window, correlate.LiveLimits{})
	refresh := o.refresh
	if refresh < 200*time.Millisecond {
		refresh = 200 * time.Millisecond
	}
	start := time.Now()
	var buf bytes.Buffer
	var lastProps live.Properties

	draw := func(p live.Properties, st live.ConsumerStats) time.Duration {
		t0 := time.Now()
		m := w.Model()
		buf.Reset()
		if tty {
			buf.WriteString("\x1b[H\x1b[2J")
		} else {
			fmt.Fprintf(&buf, "--- %s\n", time.Now().Format("15:04:05"))
		}
		err := renderWatch(&buf, m, watchStatus{Session: s.Name(), Elapsed: time.Since(start), Events: st.Events,
			Dropped: st.Dropped, EventsLost: p.EventsLost, RealTimeBuffersLost: p.RealTimeBuffersLost,
			LogBuffersLost: p.LogBuffersLost, Window: o.window, StuckAfter: o.stuckAfter,
			DroppedByWatchWindow: w.Counts().DroppedNaming + w.Counts().DroppedIPC}, o.top)
		if err != nil {
			fmt.Fprintf(&buf, "ipctrace: %v\n", err)
		}
		stdout.Write(buf.Bytes())
		return time.Since(t0)
	}

	// The wait redraws on every tick; a redraw slower than half the
	// refresh period widens the period (the next Wait uses it).
	var reason string
	var sg os.Signal
	for {
		tooSlow := false
		reason, sg = rec.Wait(live.WaitOptions{Duration: remaining(o.duration, start), Tick: refresh,
			OnRecord: w.Add,
			OnTick: func(p live.Properties) string {
				lastProps = p
				if took := draw(p, rec.Feed().Stats()); took > refresh/2 {
					refresh = 2 * took
					tooSlow = true
					return "refresh"
				}
				return ""
			}})
		if !(reason == "refresh" && tooSlow) {
			break
		}
	}
	res := rec.End(reason, sg)
	ended = true
	select {
	case <-rec.Feed().Done():
		for r := range rec.Feed().Records() { // what arrived before the consumer ended
			w.Add(r)
		}
	default: // the consumer did not end (End warned): its queue stays open
	}
	if !res.PropsFinal {
		res.Props = lastProps
	}
	draw(res.Props, res.Stats)
	switch {
	case res.ConsumerErr != nil:
		return withCode(exitUsage, fmt.Errorf("the real-time consumer failed: %w", res.ConsumerErr))
	case res.Reason == live.ReasonEnded:
		fmt.Fprintf(stderr, "ipctrace: the session %s was stopped from outside\n", s.Name())
	case res.StopErr != nil:
		return withCode(exitUsage, res.StopErr)
	}
	return nil
}

// remaining is what is left of d since start (0: no limit; at least 1 ns).
func remaining(d time.Duration, start time.Time) time.Duration {
	if d <= 0 {
		return 0
	}
	if left := d - time.Since(start); left > 0 {
		return left
	}
	return time.Nanosecond
}

// watchCorrelateOptions maps the flags onto correlate.Options.
func (o *watchFlags) correlateOptions() correlate.Options {
	opt := correlate.Options{StuckAfter: o.stuckAfter, Process: o.process, PipeGlob: o.pipeGlob}
	opt.PIDs, _ = parsePIDs("watch", o.pids) // checked before runWatch
	return opt
}
