package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/hang"
	"github.com/ipctrace/ipctrace/report"
)

// exitCycle is the status of `hang --fail-on-cycle` when a deadlock is
// found; it shares 3 with --fail-on-stuck (docs/README.md#contract).
const exitCycle = exitStuck

// hangFlags are the flags of `ipctrace hang`.
type hangFlags struct {
	output      string
	all         bool
	failOnCycle bool
	noPipes     bool
}

var hangOpts hangFlags

var hangCmd = &cobra.Command{
	Use:   "hang PID|NAME [--all] [-o table|json] [--fail-on-cycle]",
	Short: "Why a live process is stuck, right now: wait chains, pipe waits and deadlocks (Windows)",
	Long: `hang reads, without a recording, what the threads of a running process wait on:
the wait chain of every thread from Wait Chain Traversal (ALPC, COM, COM
activation, SendMessage, mutexes, critical sections, thread and process waits,
across processes, with WCT's own cycle verdict), the thread states and wait
reasons of the process list, and the named-pipe ends the process holds (state,
the process at the other end, bytes waiting, instances), which WCT does not
follow. A thread in a wait whose process holds the connected client end of a
pipe served elsewhere becomes an inferred pipe wait.

The result is printed like report's stuck operations and deadlocks: each wait
names its mechanism and says whether it was read from Windows (WCT) or
inferred; deadlocks are thread-level, or process-level ("probable") when a
receiving thread is not seen waiting.

PID|NAME is a process id or an image name (with or without .exe; every process
of that name is read). --all reads every process. hang only reads: it never
connects to a pipe, never opens a pipe by name and never injects a thread.
Run it elevated: without SeDebugPrivilege other users' processes are not
readable, and hang says so and reports what it could read.

Exit status: 0, 1 on usage or read errors, 3 with --fail-on-cycle when a
deadlock is found.`,
	Args: func(cmd *cobra.Command, args []string) error {
		if hangOpts.all {
			return cobra.NoArgs(cmd, args)
		}
		return cobra.ExactArgs(1)(cmd, args)
	},
	RunE: func(cmd *cobra.Command, args []string) error {
		if err := hangOpts.validate(); err != nil {
			return err
		}
		return runHang(cmd, args, &hangOpts)
	},
}

func init() {
	f := hangCmd.Flags()
	o := &hangOpts
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.BoolVar(&o.all, "all", false, "read every process instead of PID|NAME")
	f.BoolVar(&o.failOnCycle, "fail-on-cycle", false, "exit with status 3 when a deadlock (thread- or process-level) is found")
	f.BoolVar(&o.noPipes, "no-pipes", false, "skip the handle scan for named-pipe ends")
	rootCmd.AddCommand(hangCmd)
}

func (o *hangFlags) validate() error {
	switch o.output {
	case "table", "json":
		return nil
	}
	return withCode(exitUsage, fmt.Errorf("hang: -o %q: want table or json", o.output))
}

// renderHang prints a hang result through the report renderers, its
// warnings on stderr, and returns the exit status error.
func renderHang(stdout, stderr io.Writer, r *hang.Result, o *hangFlags) error {
	for _, w := range r.Warnings {
		fmt.Fprintln(stderr, "ipctrace: hang: warning:", w)
	}
	for _, p := range r.Processes {
		if p.Target && p.Err != "" {
			fmt.Fprintf(stderr, "ipctrace: hang: PID %d (%s): %s\n", p.PID, p.Image, p.Err)
		}
	}
	m := hang.ToModel(r)
	var err error
	switch o.output {
	case "json":
		err = report.JSON(stdout, m)
	default:
		targets := 0
		for _, p := range r.Processes {
			if p.Target {
				targets++
			}
		}
		fmt.Fprintf(stdout, "Live wait chains of %d process(es) at %s: read from Windows now, no recording.\n"+
			"Rows marked * are inferred; the others were read from Wait Chain Traversal.\n\n",
			targets, etw.FiletimeToTime(r.Time).UTC().Format(time.RFC3339))
		if len(m.Stuck) == 0 && len(m.Deadlocks) == 0 {
			_, err = fmt.Fprintln(stdout, "No stuck waits: no thread waits on an object Wait Chain Traversal follows, "+
				"and no waiting thread holds the client end of a pipe served by another process.")
		} else {
			err = report.Table(stdout, m, report.TableOptions{})
		}
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	if o.failOnCycle && len(r.Cycles) > 0 {
		return withCode(exitCycle, nil)
	}
	return nil
}
