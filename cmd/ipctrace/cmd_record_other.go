//go:build !windows || !(amd64 || arm64)

package main

import "github.com/spf13/cobra"

func runRecord(cmd *cobra.Command, o *recordFlags) error {
	return errNeedsWindows("record")
}
