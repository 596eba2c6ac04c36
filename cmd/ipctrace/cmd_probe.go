package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/probes"
	"github.com/ipctrace/ipctrace/verify"
)

// probeFlags are the flags of `ipctrace probe`.
var probeFlags struct {
	count    int
	size     int
	mode     string
	clients  int
	transact bool
	expect   string
	handler  time.Duration
	posted   int
	hang     bool
	hangFor  time.Duration
	writers  int
}

// probeKind is one registered probe. Adding a probe means adding a row here
// and a case to probes.Run: the usage line, the help and the list printed by
// a bare 'ipctrace probe' come from this table.
type probeKind struct {
	name   string
	target bool     // takes one argument: what to probe
	help   []string // help lines, the first one after the name
}

var probeKinds = []probeKind{
	{verify.KindPipe, false, []string{
		"a named-pipe server and --clients client processes doing --count",
		"request/response exchanges of --size bytes (--mode byte|message,",
		"--transact for TransactNamedPipe)"}},
	{verify.KindSection, false, []string{
		"two processes hand --count messages of --size bytes through a",
		"named section, signalled by named events"}},
	{verify.KindRPC, false, []string{
		"--count RpcMgmtIsServerListening calls over ncalrpc (ALPC) to the",
		"endpoint mapper"}},
	{verify.KindConnect, true, []string{
		`\\.\pipe\NAME: connect latency or why the open failed (busy, absent,`,
		"denied), the server PID and the pipe's security descriptor explained.",
		"This check is itself a client connection."}},
	{verify.KindWindow, false, []string{
		"a peer process with a message-only window and a message loop: --count",
		"SendMessage calls whose handler takes --handler, then --posted PostMessages;",
		"--hang: one more send blocked in its handler for --hang-for (stuck meanwhile)"}},
	{verify.KindMailslot, false, []string{
		"a mailslot read by this process; --writers processes each write --count",
		"messages of --size bytes; the reader's last Read idles 1.5 s (never stuck)"}},
}

func probeKindNames() []string {
	names := make([]string, len(probeKinds))
	for i, k := range probeKinds {
		names[i] = k.name
	}
	return names
}

func lookupProbeKind(name string) (probeKind, bool) {
	for _, k := range probeKinds {
		if k.name == name {
			return k, true
		}
	}
	return probeKind{}, false
}

// probeKindsHelp is the list of probes, one block per kind.
func probeKindsHelp() string {
	var b strings.Builder
	for _, k := range probeKinds {
		for i, l := range k.help {
			if i == 0 {
				fmt.Fprintf(&b, "  probe %-8s %s\n", k.name, l)
			} else {
				fmt.Fprintf(&b, "  %-14s %s\n", "", l)
			}
		}
	}
	return b.String()
}

var probeCmd = &cobra.Command{
	Use:   "probe " + strings.Join(probeKindNames(), "|") + " [flags]",
	Short: "Generate reference IPC traffic with known counts, sizes and timing (Windows)",
	Long: `probe makes IPC traffic whose counts, sizes and timing it measures itself, and
writes them to an expectation file for 'ipctrace verify':

` + probeKindsHelp() + `
The probe prints its own latency baseline (p50/p90/p99) and, when a trace session
is running, drops start/stop marker events into it. Probes run on Windows.
Without an argument, probe lists the probes.`,
	Args: cobra.RangeArgs(0, 2),
	RunE: func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			fmt.Fprintf(cmd.OutOrStdout(), "Probes (ipctrace probe KIND; see ipctrace probe --help):\n%s", probeKindsHelp())
			return nil
		}
		return runProbe(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
	},
}

func init() {
	f := probeCmd.Flags()
	f.IntVar(&probeFlags.count, "count", 100, "exchanges per client, messages (per mailslot writer), sends or calls")
	f.IntVar(&probeFlags.size, "size", 4096, "bytes per message (pipe, section, mailslot)")
	f.StringVar(&probeFlags.mode, "mode", "byte", "pipe mode: byte or message")
	f.IntVar(&probeFlags.clients, "clients", 1, "pipe client processes")
	f.BoolVar(&probeFlags.transact, "transact", false, "pipe clients use TransactNamedPipe (needs --mode message)")
	f.DurationVar(&probeFlags.handler, "handler", 10*time.Millisecond, "window: the handler's time per sent message")
	f.IntVar(&probeFlags.posted, "posted", 10, "window: messages posted after the sends")
	f.BoolVar(&probeFlags.hang, "hang", false, "window: one more send whose handler blocks for --hang-for (a stuck send meanwhile)")
	f.DurationVar(&probeFlags.hangFor, "hang-for", 3*time.Second, "window --hang: how long the handler stays blocked")
	f.IntVar(&probeFlags.writers, "writers", 2, "mailslot: writer processes")
	f.StringVar(&probeFlags.expect, "expect", "", "expectation file to write (default ipctrace-probe-KIND.json)")
	rootCmd.AddCommand(probeCmd)
}

func runProbe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	kind := args[0]
	o := probes.RunOptions{Count: probeFlags.count, Size: probeFlags.size, Mode: probeFlags.mode,
		Clients: probeFlags.clients, Transact: probeFlags.transact, Handler: probeFlags.handler,
		Posted: probeFlags.posted, Hang: probeFlags.hang, HangFor: probeFlags.hangFor, Writers: probeFlags.writers, Log: stderr}
	switch {
	case probeFlags.handler <= 0:
		// probes.RunOptions takes 0 for its default: 0 here would not mean 0.
		return withCode(exitUsage, fmt.Errorf("probe: --handler %s: give a positive time", probeFlags.handler))
	case probeFlags.hangFor <= 0:
		return withCode(exitUsage, fmt.Errorf("probe: --hang-for %s: give a positive time", probeFlags.hangFor))
	case probeFlags.writers <= 0:
		return withCode(exitUsage, fmt.Errorf("probe: --writers %d out of range 1..64", probeFlags.writers))
	}
	k, ok := lookupProbeKind(kind)
	switch {
	case !ok:
		return withCode(exitUsage, fmt.Errorf("probe: unknown probe %q (want %s)", termsafe.String(kind), strings.Join(probeKindNames(), ", ")))
	case k.target && len(args) != 2:
		return withCode(exitUsage, errors.New(`probe connect: give the pipe, e.g. \\.\pipe\NAME`))
	case k.target:
		o.Target = args[1]
	case len(args) != 1:
		return withCode(exitUsage, fmt.Errorf("probe %s takes no argument", kind))
	}
	e, err := probes.Run(ctx, kind, o)
	if errors.Is(err, probes.ErrUnsupported) {
		return withCode(exitUsage, fmt.Errorf("probe %s: %w (%s)", kind, err, probeUnsupportedNote))
	}
	if err != nil && !errors.Is(err, probes.ErrSkipped) {
		return withCode(exitUsage, err)
	}
	path := probeFlags.expect
	if path == "" {
		path = "ipctrace-probe-" + kind + ".json"
	}
	if serr := e.Save(path); serr != nil {
		return withCode(exitUsage, fmt.Errorf("probe: writing the expectation file: %w", serr))
	}
	printProbe(stdout, e)
	fmt.Fprintf(stdout, "expectation written to %s\n", path)
	return nil
}

// printProbe prints what the probe did, for people.
func printProbe(w io.Writer, e *verify.Expectation) {
	if e.Skipped != "" {
		fmt.Fprintf(w, "probe %s skipped: %s\n", e.Kind, e.Skipped)
		return
	}
	fmt.Fprintf(w, "probe %s: %s\n", e.Kind, probeSummary(e))
	for _, p := range e.Processes {
		fmt.Fprintf(w, "  process %d  %-7s threads %v\n", p.PID, p.Role, p.TIDs)
	}
	for _, p := range e.Pipes {
		fmt.Fprintf(w, "  pipe %s  server %d  client %d  to_server %d ops/%d bytes  to_client %d ops/%d bytes\n",
			p.Name, p.ServerPID, p.ClientPID, p.ToServer.Ops, p.ToServer.Bytes, p.ToClient.Ops, p.ToClient.Bytes)
	}
	for _, s := range e.Sections {
		fmt.Fprintf(w, "  section %s  %d bytes (views of %d)  pids %v  %d messages\n", s.Name, s.Size, s.ViewSize, s.PIDs, s.Messages)
	}
	for _, r := range e.RPC {
		fmt.Fprintf(w, "  rpc %s:[%s]  %s  %d calls, %d failed\n", r.Protocol, r.Endpoint, r.Procedure, r.Calls, r.Failed)
	}
	for _, x := range e.Windows {
		var msgs []string
		for _, m := range x.Messages {
			msgs = append(msgs, fmt.Sprintf("%s ×%d", m.Name, m.Count))
		}
		fmt.Fprintf(w, "  window %#x (class %s) of pid %d thread %d: %d sends from thread %d (%s)\n",
			x.Hwnd, x.Class, x.ReceiverPID, x.ReceiverTID, x.Sent, x.SenderTID, strings.Join(msgs, ", "))
		fmt.Fprintf(w, "    handler held each timed message %.0f µs or more: measured p50 %.1f µs, max %.1f µs; %d posted, %d retrieved\n",
			x.HandlerUS, x.Handler.P50, x.Handler.Max, x.Posted, x.Retrieved)
		if h := x.Hang; h != nil {
			fmt.Fprintf(w, "    hung send: the handler blocked %.1f ms, SendMessage returned after %.1f ms (stuck in the handler meanwhile)\n",
				h.HeldUS/1000, h.LatencyUS/1000)
		}
	}
	for _, x := range e.Mailslots {
		fmt.Fprintf(w, "  mailslot %s  reader %d  %d writers  %d messages, %d bytes written and read\n",
			x.Name, x.ReaderPID, len(x.Writers), x.Messages, x.Bytes)
		fmt.Fprintf(w, "    the reader's last Read waited %.1f ms with nothing to read and timed out (idle, never stuck)\n", x.IdleUS/1000)
	}
	if c := e.Connect; c != nil {
		if c.OK {
			fmt.Fprintf(w, "  connected to %s in %.1f µs; server pid %d\n", c.Pipe, c.LatencyUS, c.ServerPID)
		} else {
			fmt.Fprintf(w, "  could not connect to %s (%.1f µs): %s\n", c.Pipe, c.LatencyUS, c.Reason)
		}
		if c.SDDL != "" {
			fmt.Fprintf(w, "  SDDL: %s\n", c.SDDL)
		}
		for _, l := range c.Explanation {
			fmt.Fprintf(w, "    %s\n", l)
		}
		if c.SDError != "" {
			fmt.Fprintf(w, "  security descriptor: %s\n", c.SDError)
		}
		fmt.Fprintf(w, "  note: %s\n", c.Note)
	}
	if l := e.Latency; l.Count > 0 {
		fmt.Fprintf(w, "  local baseline (%d samples, µs): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f\n",
			l.Count, l.P50, l.P90, l.P99, l.Max, l.Mean)
	}
	if e.Markers.Written > 0 {
		fmt.Fprintf(w, "  marker events: %d written by provider %s\n", e.Markers.Written, e.Markers.Provider)
	} else if e.Markers.Error != "" {
		fmt.Fprintf(w, "  marker events: none (%s)\n", e.Markers.Error)
	}
}

func probeSummary(e *verify.Expectation) string {
	o := e.Options
	var parts []string
	if o.Count > 0 && e.Kind != verify.KindConnect {
		parts = append(parts, fmt.Sprintf("count %d", o.Count))
	}
	if e.Kind == verify.KindPipe || e.Kind == verify.KindSection || e.Kind == verify.KindMailslot {
		parts = append(parts, fmt.Sprintf("size %d", o.Size))
	}
	switch e.Kind {
	case verify.KindWindow:
		parts = append(parts, fmt.Sprintf("handler %s", time.Duration(o.HandlerUS)*time.Microsecond), fmt.Sprintf("posted %d", o.Posted))
		if o.Hang {
			parts = append(parts, fmt.Sprintf("hang %s", time.Duration(o.HangUS)*time.Microsecond))
		}
	case verify.KindMailslot:
		parts = append(parts, fmt.Sprintf("writers %d", o.Writers))
	}
	if e.Kind == verify.KindPipe {
		parts = append(parts, "mode "+o.Mode, fmt.Sprintf("clients %d", o.Clients))
		if o.Transact {
			parts = append(parts, "transact")
		}
	}
	if o.Target != "" {
		parts = append(parts, "target "+o.Target)
	}
	return strings.Join(parts, ", ")
}
