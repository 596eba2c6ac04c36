package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestHelpFits checks that the help of every command fits 120 columns, as
// the tables do, with its flag descriptions wrapped.
func TestHelpFits(t *testing.T) {
	cmds := [][]string{{"--help"}}
	for _, c := range rootCmd.Commands() {
		cmds = append(cmds, []string{c.Name(), "--help"})
	}
	// Cobra keeps --help set on a command after it ran; clear it so the
	// tests that run after this one are not answered with help.
	defer func() {
		for _, c := range append(rootCmd.Commands(), rootCmd) {
			if f := c.Flags().Lookup("help"); f != nil {
				f.Value.Set("false")
				f.Changed = false
			}
		}
	}()
	for _, args := range cmds {
		_, out := runOut(t, args...)
		if !strings.Contains(out, "Usage:") {
			t.Errorf("%v: no usage in %q", args, out)
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("%v: a line of %d columns: %q", args, n, line)
			}
		}
	}
}
