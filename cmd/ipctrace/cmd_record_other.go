//go:build !windows || !(amd64 || arm64)

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func runRecord(cmd *cobra.Command, o *recordFlags) error {
	return errNeedsWindows("record")
}

// errNeedsWindows is the error of record and watch on other systems.
func errNeedsWindows(cmd string) error {
	return withCode(exitUsage, fmt.Errorf("%s requires Windows (amd64 or arm64) and an elevated prompt; "+
		"record on Windows, then analyse the .etl here with report, stats or dump", cmd))
}
