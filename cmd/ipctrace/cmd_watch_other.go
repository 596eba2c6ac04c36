//go:build !windows || !(amd64 || arm64)

package main

import "github.com/spf13/cobra"

func runWatch(cmd *cobra.Command, o *watchFlags) error { return errNeedsWindows("watch") }
