//go:build windows

package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/hang"
)

func runHang(cmd *cobra.Command, args []string, o *hangFlags) error {
	stderr := cmd.ErrOrStderr()
	opt := hang.Options{All: o.all, NoPipes: o.noPipes}
	if !o.all {
		procs, err := hang.ListProcesses()
		if err != nil && len(procs) == 0 {
			return withCode(exitUsage, fmt.Errorf("hang: %w", err))
		}
		pids, err := hang.SelectTargets(procs, args[0], false, uint32(os.Getpid()))
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("hang: %w", err))
		}
		if len(pids) > 1 {
			fmt.Fprintf(stderr, "ipctrace: hang: %d processes are named %q: reading all of them (PIDs %v)\n", len(pids), args[0], pids)
		}
		opt.PIDs = pids
	}
	snap, err := hang.Collect(opt)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("hang: %w", err))
	}
	return renderHang(cmd.OutOrStdout(), stderr, hang.Analyze(snap), o)
}
