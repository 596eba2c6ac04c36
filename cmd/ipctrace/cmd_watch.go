package main

import (
	"fmt"
	"io"
	"time"

	"github.com/ipctrace/ipctrace/model"

	"github.com/spf13/cobra"

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
	pids                       []string
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
		if _, err := parsePIDs("watch", watchOpts.pids); err != nil {
			return err
		}
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
	f.StringSliceVar(&o.pids, "pid", nil, "only conversations involving these process ids (repeat or comma-separate)")
	f.StringVar(&o.process, "process", "", "only conversations involving this image name")
	f.StringVar(&o.pipeGlob, "pipe", "", "only pipes matching this glob")
	f.BoolVar(&o.classic, "classic", false, "use the shared NT Kernel Logger session")
	rootCmd.AddCommand(watchCmd)
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
func renderWatch(out io.Writer, m *model.Model, st watchStatus, top int) error {
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
