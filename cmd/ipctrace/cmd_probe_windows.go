//go:build windows

package main

// A probe re-executes ipctrace as its peer processes: dispatch them before
// any command runs.
func init() { exitAfterProbeChild() }

const probeUnsupportedNote = ""
