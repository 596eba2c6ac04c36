//go:build !windows

package main

import "github.com/spf13/cobra"

func runHang(cmd *cobra.Command, args []string, o *hangFlags) error {
	return withCode(exitUsage, errHangNeedsWindows)
}
