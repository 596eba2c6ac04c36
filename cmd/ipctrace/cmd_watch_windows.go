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
	if err := prepareSession(stderr); err != nil {
		return err
	}
	s, err := live.Start(live.Config{
		Options:  live.Options{Pipes: o.pipes, ALPC: o.alpc, Sections: o.sections, RPC: o.rpc, Classic: o.classic},
		RealTime: true,
	})
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer func() {
		if r := recover(); r != nil {
			s.Stop()
			panic(r)
		}
	}()
	defer s.Stop()
	for _, w := range s.Warnings() {
		fmt.Fprintf(stderr, "ipctrace: warning: %s\n", w)
	}
	cons, err := live.OpenRealTime(s.Name(), 1<<16)
	if err != nil {
		s.Stop()
		return withCode(exitUsage, err)
	}
	defer cons.Close()

	tty := stdout == os.Stdout && isTerminal(os.Stdout) && enableVT(os.Stdout)
	w := correlate.NewLive(o.correlateOptions(), o.window, correlate.LiveLimits{})
	sig, unsig := stopSignals()
	defer unsig()
	var timeout <-chan time.Time
	if o.duration > 0 {
		timeout = time.After(o.duration)
	}
	refresh := o.refresh
	if refresh < 200*time.Millisecond {
		refresh = 200 * time.Millisecond
	}
	tick := time.NewTicker(refresh)
	defer tick.Stop()
	start := time.Now()
	var buf bytes.Buffer

	draw := func() {
		t0 := time.Now()
		m := w.Model()
		p, _ := s.Query()
		st := cons.Stats()
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
		// Keep correlation below half of the time between redraws.
		if took := time.Since(t0); took > refresh/2 {
			refresh = 2 * took
			tick.Reset(refresh)
		}
	}

	recs := cons.Records()
	for {
		select {
		case r, ok := <-recs:
			if !ok {
				draw()
				fmt.Fprintln(stderr, "ipctrace: the session ended")
				return nil
			}
			w.Add(r)
		case <-tick.C:
			draw()
		case <-sig:
			s.Stop()
			draw()
			return nil
		case <-timeout:
			s.Stop()
			draw()
			return nil
		}
	}
}
