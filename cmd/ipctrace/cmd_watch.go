package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// watchFlags are the flags of `ipctrace watch`.
type watchFlags struct {
	pipes, alpc, sections, rpc bool
	window                     time.Duration
	refresh                    time.Duration
	stuckAfter                 time.Duration
	duration                   time.Duration
	top                        int
	pids                       []uint
	process                    string
	pipeGlob                   string
	classic                    bool
}

var watchOpts watchFlags

var watchCmd = &cobra.Command{
	Use:   "watch [--pipes] [--alpc] [--sections] [--rpc] [--window D] [--stuck-after D]",
	Short: "Show IPC conversations and stuck operations live (Windows, elevated)",
	Long: `watch runs the same private ETW session as record, without a file, and
correlates its events as they arrive: every --refresh it shows the pipe, ALPC
and RPC conversations of the last --window and the operations that have been
waiting longer than --stuck-after. On a terminal the view is redrawn in place;
otherwise each refresh is appended. Stop it with Ctrl-C.`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		return runWatch(cmd, &watchOpts)
	},
}

func init() {
	f := watchCmd.Flags()
	o := &watchOpts
	f.BoolVar(&o.pipes, "pipes", false, "named pipes")
	f.BoolVar(&o.alpc, "alpc", false, "ALPC")
	f.BoolVar(&o.sections, "sections", false, "sections")
	f.BoolVar(&o.rpc, "rpc", false, "RPC")
	f.DurationVar(&o.window, "window", 60*time.Second, "show conversations of this last period")
	f.DurationVar(&o.refresh, "refresh", 2*time.Second, "redraw interval")
	f.DurationVar(&o.stuckAfter, "stuck-after", 2*time.Second, "report operations waiting longer than this")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until Ctrl-C)")
	f.IntVar(&o.top, "top", 15, "rows per section")
	f.UintSliceVar(&o.pids, "pid", nil, "only conversations involving these PIDs")
	f.StringVar(&o.process, "process", "", "only conversations involving this image name")
	f.StringVar(&o.pipeGlob, "pipe", "", "only pipes matching this glob")
	f.BoolVar(&o.classic, "classic", false, "use the shared NT Kernel Logger session")
	rootCmd.AddCommand(watchCmd)
}

// watcher keeps what a live view needs to be rebuilt at any moment: the
// naming events (processes, threads, images, file names) since the start,
// and the IPC events of the last window. Each refresh correlates them in
// time order with a fresh engine (correlate.Engine is finished once), so
// memory is bounded by the window and the caps, not by the session length.
type watcher struct {
	opt       correlate.Options
	window    int64 // 100 ns units
	parser    *decoders.Parser
	state     []etw.Record
	recent    []etw.Record
	maxState  int
	maxRecent int
	last      int64

	events, undecoded, droppedState, droppedRecent int64
}

func newWatcher(opt correlate.Options, window time.Duration) *watcher {
	return &watcher{opt: opt, window: int64(window / 100), parser: decoders.NewParser(),
		maxState: 1 << 20, maxRecent: 4 << 20}
}

// isState reports whether an event names things (kept for the whole session).
func isState(ev decoders.Event) bool {
	switch ev.(type) {
	case *decoders.Process, *decoders.Thread, *decoders.Image, *decoders.FileName:
		return true
	}
	return false
}

// add keeps r (which must not alias a buffer) if a decoder knows it.
func (w *watcher) add(r etw.Record) {
	w.events++
	d, ok, _ := w.parser.Decode(&r)
	if !ok || d.Event == nil {
		w.undecoded++
		return
	}
	if r.Time > w.last {
		w.last = r.Time
	}
	if isState(d.Event) {
		if len(w.state) >= w.maxState {
			n := len(w.state) / 4
			w.state = append(w.state[:0], w.state[n:]...)
			w.droppedState += int64(n)
		}
		w.state = append(w.state, r)
		return
	}
	if len(w.recent) >= w.maxRecent {
		n := len(w.recent) / 4
		w.recent = append(w.recent[:0], w.recent[n:]...)
		w.droppedRecent += int64(n)
	}
	w.recent = append(w.recent, r)
}

// trim drops IPC events older than the window before now.
func (w *watcher) trim(now int64) {
	cut := now - w.window
	i := 0
	for i < len(w.recent) && w.recent[i].Time < cut {
		i++
	}
	if i > 0 {
		w.recent = append(w.recent[:0], w.recent[i:]...)
	}
}

// model correlates the kept events in time order and returns the model.
func (w *watcher) model() *correlate.Model {
	w.trim(w.last)
	byTime := func(a, b etw.Record) int { return cmp.Compare(a.Time, b.Time) }
	slices.SortStableFunc(w.state, byTime)
	slices.SortStableFunc(w.recent, byTime)
	e := correlate.New(w.opt)
	p := decoders.NewParser()
	i, j := 0, 0
	for i < len(w.state) || j < len(w.recent) {
		var r *etw.Record
		if j >= len(w.recent) || (i < len(w.state) && w.state[i].Time <= w.recent[j].Time) {
			r = &w.state[i]
			i++
		} else {
			r = &w.recent[j]
			j++
		}
		if d, ok, _ := p.Decode(r); ok && d.Event != nil {
			e.Add(&d)
		}
	}
	return e.Finish()
}

// watchStatus is the loss and rate line shown above the view.
type watchStatus struct {
	Session              string
	Elapsed              time.Duration
	Events, Dropped      uint64
	EventsLost           uint32
	RealTimeBuffersLost  uint32
	LogBuffersLost       uint32
	Window, StuckAfter   time.Duration
	DroppedByWatchWindow int64
}

// renderWatch writes one view of m: conversations of the window and the
// stuck operations. Pairings are inferred (EVENTS.md §3.5, §4); the view
// says so.
func renderWatch(out io.Writer, m *correlate.Model, st watchStatus, top int) {
	fmt.Fprintf(out, "ipctrace watch  session %s  %s  events %d", st.Session, st.Elapsed.Round(time.Second), st.Events)
	loss := st.EventsLost != 0 || st.RealTimeBuffersLost != 0 || st.LogBuffersLost != 0 || st.Dropped != 0
	if loss {
		fmt.Fprintf(out, "  LOSS: events lost %d, real-time buffers lost %d, buffers lost %d, dropped by ipctrace %d",
			st.EventsLost, st.RealTimeBuffersLost, st.LogBuffersLost, st.Dropped)
	} else {
		fmt.Fprint(out, "  no loss")
	}
	fmt.Fprintf(out, "\nconversations of the last %s (pairing inferred [I])\n", st.Window)

	pipes := slices.Clone(m.Pipes)
	slices.SortFunc(pipes, func(a, b correlate.Pipe) int {
		return cmp.Compare(b.ToServer.Ops+b.ToClient.Ops, a.ToServer.Ops+a.ToClient.Ops)
	})
	if len(pipes) > 0 {
		fmt.Fprintf(out, "\nPIPES %d\n  %-40s %-22s %-22s %9s %9s %10s\n", len(pipes), "pipe", "server", "client", "ops", "bytes", "p50 µs")
		for _, p := range pipes[:min(top, len(pipes))] {
			fmt.Fprintf(out, "  %-40s %-22s %-22s %9d %9d %10.1f\n", clip(p.Name, 40),
				who(p.ServerPID, p.ServerImage), who(p.ClientPID, p.ClientImage),
				p.ToServer.Ops+p.ToClient.Ops, p.ToServer.Bytes+p.ToClient.Bytes, p.Latency.P50)
		}
	}
	alpc := slices.Clone(m.ALPC)
	slices.SortFunc(alpc, func(a, b correlate.ALPC) int { return cmp.Compare(b.Calls, a.Calls) })
	if len(alpc) > 0 {
		fmt.Fprintf(out, "\nALPC %d\n  %-34s %-22s %-22s %7s %7s %10s\n", len(alpc), "port", "client", "server", "calls", "pending", "p50 µs")
		for _, a := range alpc[:min(top, len(alpc))] {
			fmt.Fprintf(out, "  %-34s %-22s %-22s %7d %7d %10.1f\n", clip(a.Port, 34),
				who(a.ClientPID, a.ClientImage), who(a.ServerPID, a.ServerImage), a.Calls, a.Pending, a.Latency.P50)
		}
	}
	rpc := slices.Clone(m.RPC)
	slices.SortFunc(rpc, func(a, b correlate.RPC) int { return cmp.Compare(b.Calls, a.Calls) })
	if len(rpc) > 0 {
		fmt.Fprintf(out, "\nRPC %d\n  %-36s %5s %-24s %8s %8s %7s %10s\n", len(rpc), "interface", "proc", "endpoint", "client", "server", "calls", "p50 µs")
		for _, r := range rpc[:min(top, len(rpc))] {
			fmt.Fprintf(out, "  %-36s %5d %-24s %8d %8d %7d %10.1f\n", r.Interface, r.ProcNum, clip(r.Endpoint, 24),
				r.ClientPID, r.ServerPID, r.Calls, r.Latency.P50)
		}
	}
	if len(m.Stuck) > 0 || len(m.Deadlocks) > 0 {
		fmt.Fprintf(out, "\nSTUCK %d (waiting longer than %s)\n", len(m.Stuck), st.StuckAfter)
		stuck := slices.Clone(m.Stuck)
		slices.SortFunc(stuck, func(a, b correlate.Stuck) int { return cmp.Compare(b.WaitedUS, a.WaitedUS) })
		for _, s := range stuck[:min(top, len(stuck))] {
			peer := ""
			if s.PeerPID != 0 {
				peer = fmt.Sprintf(" on pid %d", s.PeerPID)
				if s.PeerLastActivity != "" {
					peer += " (last active " + s.PeerLastActivity + ")"
				}
			}
			inf := ""
			if s.Inferred {
				inf = " [I]"
			}
			fmt.Fprintf(out, "  %-16s pid %-6d tid %-6d %s waiting %s%s%s\n", s.Kind, s.PID, s.TID, clip(s.Object, 40),
				(time.Duration(s.WaitedUS) * time.Microsecond).Round(time.Millisecond), peer, inf)
		}
		for _, c := range m.Deadlocks {
			var parts []string
			for _, w := range c.Cycle {
				parts = append(parts, fmt.Sprintf("%d/%d %s", w.PID, w.TID, w.Object))
			}
			fmt.Fprintf(out, "  DEADLOCK: %s\n", strings.Join(parts, " -> "))
		}
	}
	if len(pipes)+len(alpc)+len(rpc)+len(m.Stuck) == 0 {
		fmt.Fprintln(out, "\n(no IPC conversation yet)")
	}
}

func who(pid uint32, image string) string {
	if pid == 0 {
		return "?"
	}
	if image == "" {
		return fmt.Sprint(pid)
	}
	return clip(fmt.Sprintf("%d %s", pid, baseName(image)), 22)
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// watchCorrelateOptions maps the flags onto correlate.Options.
func (o *watchFlags) correlateOptions() correlate.Options {
	opt := correlate.Options{StuckAfter: o.stuckAfter, Process: o.process, PipeGlob: o.pipeGlob}
	for _, p := range o.pids {
		opt.PIDs = append(opt.PIDs, uint32(p))
	}
	return opt
}
