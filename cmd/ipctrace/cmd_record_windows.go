//go:build windows && (amd64 || arm64)

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw/live"
	"github.com/ipctrace/ipctrace/probes"
	"github.com/ipctrace/ipctrace/winobj"
)

// isTerminal reports whether f is a console.
func isTerminal(f *os.File) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(f.Fd()), &mode) == nil
}

// prepareSession runs the checks every live command shares: Windows build,
// elevation, and stopping sessions left by killed ipctrace processes.
func prepareSession(stderr io.Writer) error {
	if err := live.CheckPreconditions(); err != nil {
		return withCode(exitUsage, err)
	}
	stale, err := live.CleanupStale()
	for _, s := range stale {
		fmt.Fprintf(stderr, "ipctrace: stopped session %s left by a process that no longer runs\n", s)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ipctrace: warning: stale-session cleanup: %v\n", err)
	}
	return nil
}

// stopSignals delivers Ctrl-C, Ctrl-Break and console close / logoff /
// shutdown. The Go runtime installs the SetConsoleCtrlHandler routine and
// turns CTRL_CLOSE_EVENT into SIGTERM, holding the process open while we
// stop the session (the OS allows about 5 s).
func stopSignals() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// ipcTraceProvider is ipctrace's own TraceLogging provider in a session.
func ipcTraceProvider() live.Provider {
	g := decoders.IpcTraceProviderGUID
	return live.Provider{Name: decoders.IpcTraceProviderName, GUID: g, Level: 5, MatchAny: ^uint64(0)}
}

func runRecord(cmd *cobra.Command, o *recordFlags) error {
	if err := o.validate(); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if o.snapshot {
		return recordSnapshot(cmd.OutOrStdout(), o)
	}
	// Signals first: until signal.Notify, Ctrl-C ends the process without
	// running defers and the session would be left running.
	sig, unsig := stopSignals()
	defer unsig()
	if err := prepareSession(stderr); err != nil {
		return err
	}
	out, err := filepath.Abs(o.output)
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg := live.Config{
		Options: live.Options{Pipes: o.pipes, ALPC: o.alpc, Sections: o.sections, RPC: o.rpc, Messages: o.messages, COM: o.com,
			Handles: o.handles, HandlesRawMask: o.handlesRaw, NoStartRundown: o.noRundown, Classic: o.classic},
		LogFile: out,
		// A counting real-time consumer feeds the events/s status line; a
		// ring is meant for long unattended runs and writes its file only.
		RealTime: o.ring == "",
	}
	maxBytes := o.maxBytes()
	if o.ring != "" {
		n, _ := parseSize(o.ring)
		cfg.Ring, cfg.MaxFileMB = true, sizeMB(n)
	} else if maxBytes > 0 {
		cfg.MaxFileMB = sizeMB(maxBytes)
	}
	if o.classic {
		fmt.Fprintln(stderr, "ipctrace: --classic uses the shared NT Kernel Logger: it fails if another tool holds it, and Kernel-File/RPC providers are not available there")
	}

	var tl *live.TLWriter
	if o.classic && (o.security || o.probe != "") {
		fmt.Fprintln(stderr, "ipctrace: warning: the NT Kernel Logger cannot carry ipctrace's own events: no security snapshots or probe markers")
	} else if o.security || o.probe != "" {
		traits, _, _, err := decoders.EncodeSecuritySnapshot(&decoders.SecuritySnapshot{})
		if err == nil {
			tl, err = live.RegisterTraceLogging(decoders.IpcTraceProviderGUID, traits)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ipctrace: warning: own provider not registered, no snapshots: %v\n", err)
		} else {
			defer tl.Close()
		}
	}

	s, err := live.NewSession(cfg)
	if err != nil {
		return withCode(exitUsage, err)
	}
	b := &live.WinBackend{S: s, Own: tl, OwnProvider: ipcTraceProvider(),
		OnSnapshot: func(phase string) { writeSnapshots(stderr, tl, phase) }}
	rec := &live.Recorder{B: b, Sig: sig, Log: func(f string, a ...any) { fmt.Fprintf(stderr, "ipctrace: "+f+"\n", a...) },
		L: live.Lifecycle{RealTime: cfg.RealTime, Own: tl != nil, Security: o.security && tl != nil,
			StartRundown: s.HasStartRundown(), StopRundown: !o.classic && !o.noRundown}}
	fmt.Fprintf(stderr, "ipctrace: recording session %s to %s (kernel flags %#08x", s.Name(), out, s.Plan().EnableFlags)
	for _, p := range s.Plan().Providers {
		fmt.Fprintf(stderr, ", %s", p.Name)
	}
	fmt.Fprintln(stderr, ")")
	if o.ring == "" && o.maxSize == "" {
		fmt.Fprintf(stderr, "ipctrace: the file is limited to %s by default (--max-size SIZE to change, --max-size 0 for no limit)\n", humanBytes(defaultMaxBytes))
	}
	if err := rec.Begin(); err != nil {
		if errors.Is(err, live.ErrInterrupted) {
			err = fmt.Errorf("%w; the session is stopped", err)
		}
		return withCode(exitUsage, err)
	}
	// A panic anywhere below still stops the session and flushes the file.
	ended := false
	defer func() {
		if !ended {
			rec.End("panic", nil)
		}
	}()

	probeDone := make(chan string, 1)
	if o.probe != "" {
		go func() {
			if err := runProbeInRecording(stderr, o, out); err != nil {
				fmt.Fprintf(stderr, "\nipctrace: probe: %v\n", err)
			}
			time.Sleep(2 * time.Second) // let the last buffers reach the session
			probeDone <- "probe finished"
		}()
	}

	tty := isTerminal(os.Stderr)
	start := time.Now()
	var lastEvents uint64
	reason, sg := rec.Wait(live.WaitOptions{Duration: o.duration, Stop: probeDone, OnTick: func(p live.Properties) string {
		size := fileSize(out)
		if maxBytes > 0 && size >= maxBytes {
			return "max size reached"
		}
		if tty {
			var ev uint64
			if f := rec.Feed(); f != nil {
				ev = f.Stats().Events
			}
			fmt.Fprintf(stderr, "\r%s  %7d events/s  events lost %d  buffers lost %d  file %s   ",
				time.Since(start).Round(time.Second), ev-lastEvents, p.EventsLost,
				p.LogBuffersLost+p.RealTimeBuffersLost, humanBytes(size))
			lastEvents = ev
		}
		return ""
	}})
	if tty {
		fmt.Fprintln(stderr)
	}
	if sg != nil {
		reason = "signal " + sg.String()
	}
	res := rec.End(reason, sg)
	ended = true
	printSummary(stderr, res.Reason, time.Since(start), out, res.Props, res.Stats, res.Counted)
	if res.Reason == live.ReasonEnded {
		fmt.Fprintf(stderr, "ipctrace: the session was stopped from outside; %s is kept (counters are the last ones read before the end)\n", out)
	}
	if res.ConsumerErr != nil {
		fmt.Fprintf(stderr, "ipctrace: warning: real-time consumer: %v\n", res.ConsumerErr)
	}
	if res.StopErr != nil {
		return withCode(exitUsage, res.StopErr)
	}
	if fileSize(out) == 0 {
		return withCode(exitUsage, fmt.Errorf("ETW wrote nothing to %s: the session delivered no events", out))
	}
	return nil
}

// printSummary states what was recorded and every loss counter.
func printSummary(w io.Writer, reason string, d time.Duration, out string, p live.Properties, st live.ConsumerStats, counted bool) {
	fmt.Fprintf(w, "ipctrace: stopped (%s) after %s: %s, %d buffers written", reason, d.Round(time.Millisecond),
		humanBytes(fileSize(out)), p.BuffersWritten)
	if counted {
		fmt.Fprintf(w, ", %d events", st.Events)
	}
	fmt.Fprintln(w)
	if p.EventsLost == 0 && p.LogBuffersLost == 0 && p.RealTimeBuffersLost == 0 {
		fmt.Fprintln(w, "ipctrace: no loss reported by ETW (EventsLost 0, LogBuffersLost 0, RealTimeBuffersLost 0)")
	} else {
		fmt.Fprintf(w, "ipctrace: LOSS: EventsLost %d, LogBuffersLost %d, RealTimeBuffersLost %d", p.EventsLost,
			p.LogBuffersLost, p.RealTimeBuffersLost)
		fmt.Fprintln(w, " (real-time loss affects only the live status; the file has its own buffer-loss flags, see `ipctrace stats`)")
	}
	fmt.Fprintf(w, "ipctrace: analyse with: ipctrace report %s\n", out)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// writeSnapshots writes one SecuritySnapshot event per pipe, section and
// ALPC port (docs/security.md#reading-descriptors) into the session through ipctrace's provider.
func writeSnapshots(stderr io.Writer, tl *live.TLWriter, phase string) {
	t0 := time.Now()
	objs, errs := winobj.SnapshotObjects(winobj.SnapshotOptions{Pipes: true, Sections: true, ALPC: true})
	for _, err := range errs {
		fmt.Fprintf(stderr, "ipctrace: warning: security snapshot (%s): %v\n", phase, err)
	}
	written, unread, failed, notEnabled := 0, 0, 0, 0
	for _, ob := range objs {
		ev := decoders.SecuritySnapshot{Phase: phase, ObjectType: ob.ObjectType, Name: ob.Name, OwnerPID: ob.OwnerPID,
			Instances: ob.Instances, MaxInstances: ob.MaxInstances, SD: ob.SD, Error: ob.Error}
		if ob.SD == nil {
			unread++
		}
		_, schema, data, err := decoders.EncodeSecuritySnapshot(&ev)
		if err != nil {
			ev.SD, ev.Error = nil, "not written: "+err.Error()
			if _, schema, data, err = decoders.EncodeSecuritySnapshot(&ev); err != nil {
				failed++
				continue
			}
		}
		if err := tl.Write(4, 0, 0, schema, data); err != nil {
			if errors.Is(err, live.ErrNotEnabled) {
				notEnabled++
			} else {
				failed++
			}
			continue
		}
		written++
	}
	fmt.Fprintf(stderr, "ipctrace: security snapshot (%s): %d objects written in %s, %d without descriptor, %d failed, %d not written (provider not enabled); pipes read by %s\n",
		phase, written, time.Since(t0).Round(time.Millisecond), unread, failed, notEnabled, winobj.PipeMethod)
}

// recordProbePosted is the messages a window probe posts inside a
// recording (probe window's --posted default).
const recordProbePosted = 10

// runProbeInRecording runs the reference probe and saves its expectation.
func runProbeInRecording(stderr io.Writer, o *recordFlags, out string) error {
	exp, err := probes.Run(context.Background(), o.probe, probes.RunOptions{Count: o.probeCount, Size: o.probeSize,
		Mode: o.probeMode, Clients: o.clients, Transact: o.transact, Posted: recordProbePosted, Log: stderr})
	if err != nil {
		return err
	}
	path := o.expect
	if path == "" {
		path = strings.TrimSuffix(out, filepath.Ext(out)) + ".expect.json"
	}
	if err := exp.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ipctrace: probe %s done; expectation written to %s (check with: ipctrace verify %s --expect %s)\n",
		o.probe, path, out, path)
	return nil
}

// recordSnapshot flushes a running ring session to its file.
func recordSnapshot(stdout io.Writer, o *recordFlags) error {
	name := o.session
	if name == "" {
		list, err := live.ListSessions()
		if err != nil {
			return withCode(exitUsage, err)
		}
		var rings []string
		for _, p := range list {
			if _, ok := live.SessionPID(p.SessionName); ok && p.LogFileMode&live.ModeFileCircular != 0 {
				rings = append(rings, p.SessionName)
			}
		}
		switch len(rings) {
		case 0:
			return withCode(exitUsage, errors.New("record --snapshot: no running ipctrace --ring session"))
		case 1:
			name = rings[0]
		default:
			return withCode(exitUsage, fmt.Errorf("record --snapshot: several ring sessions (%s): choose one with --session", strings.Join(rings, ", ")))
		}
	}
	p, err := live.FlushSession(name)
	if err != nil {
		return withCode(exitUsage, err)
	}
	fmt.Fprintf(stdout, "flushed %s to %s (%s); copy the file now to keep this moment, the ring keeps turning\n",
		name, p.LogFile, humanBytes(fileSize(p.LogFile)))
	if p.EventsLost != 0 || p.LogBuffersLost != 0 {
		fmt.Fprintf(stdout, "LOSS so far: EventsLost %d, LogBuffersLost %d\n", p.EventsLost, p.LogBuffersLost)
	}
	return nil
}
