//go:build windows

package main

import (
	"os"

	"github.com/ipctrace/ipctrace/probes"
)

// A probe re-executes ipctrace as its peer processes: dispatch them before
// any command runs.
func init() { exitAfterProbeChild() }

const probeUnsupportedNote = ""

// exitAfterProbeChild runs the peer half of a probe when this process was
// started as one, and exits.
func exitAfterProbeChild() {
	if probes.IsChild() {
		os.Exit(probes.ChildMain())
	}
}
