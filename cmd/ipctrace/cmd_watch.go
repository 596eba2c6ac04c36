package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/report"
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

// renderWatch writes one view: a header with the live loss counters, then
// the table report of the window's model (conversations, stuck operations,
// deadlocks; pairings marked as inferred by the report).
func renderWatch(out io.Writer, m *correlate.Model, st watchStatus, top int) error {
	fmt.Fprintf(out, "ipctrace watch  session %s  %s  events %d", st.Session, st.Elapsed.Round(time.Second), st.Events)
	if st.EventsLost != 0 || st.RealTimeBuffersLost != 0 || st.LogBuffersLost != 0 || st.Dropped != 0 {
		fmt.Fprintf(out, "  LOSS: events lost %d, real-time buffers lost %d, buffers lost %d, dropped by ipctrace %d",
			st.EventsLost, st.RealTimeBuffersLost, st.LogBuffersLost, st.Dropped)
	} else {
		fmt.Fprint(out, "  no loss")
	}
	if st.DroppedByWatchWindow != 0 {
		fmt.Fprintf(out, "  (%d events dropped by the view's memory caps)", st.DroppedByWatchWindow)
	}
	fmt.Fprintf(out, "\nconversations of the last %s; operations waiting longer than %s are stuck\n", st.Window, st.StuckAfter)
	return report.Table(out, m, report.TableOptions{MaxRows: top})
}

// watchCorrelateOptions maps the flags onto correlate.Options.
func (o *watchFlags) correlateOptions() correlate.Options {
	opt := correlate.Options{StuckAfter: o.stuckAfter, Process: o.process, PipeGlob: o.pipeGlob}
	for _, p := range o.pids {
		opt.PIDs = append(opt.PIDs, uint32(p))
	}
	return opt
}
