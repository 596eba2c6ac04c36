//go:build !windows

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func runHang(cmd *cobra.Command, args []string, o *hangFlags) error {
	return withCode(exitUsage, errHangNeedsWindows)
}

// errHangNeedsWindows is hang's error on other systems.
var errHangNeedsWindows = errors.New("hang requires Windows: it reads the wait chains, threads and pipe handles of live processes; " +
	"to analyse a recording here, use report on the .etl file")
