//go:build !windows

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestProbeOffWindows: every probe fails off Windows as a usage error that
// says where probes run; bad window and mailslot flags fail before that.
func TestProbeOffWindows(t *testing.T) {
	defer func(h, f time.Duration, w int) { probeFlags.handler, probeFlags.hangFor, probeFlags.writers = h, f, w }(
		probeFlags.handler, probeFlags.hangFor, probeFlags.writers)
	probeFlags.handler, probeFlags.hangFor, probeFlags.writers = 10*time.Millisecond, time.Second, 2
	for _, kind := range []string{"pipe", "section", "rpc", "window", "mailslot"} {
		var out, errb bytes.Buffer
		err := runProbe(context.Background(), &out, &errb, []string{kind})
		if err == nil || exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "traffic probes run on Windows only") ||
			!strings.Contains(err.Error(), "windows and mailslots with Windows APIs") {
			t.Errorf("probe %s: %v (exit %d)", kind, err, exitCodeOf(err))
		}
	}
	for _, c := range []struct {
		set  func()
		want string
	}{
		{func() { probeFlags.handler = 0 }, "--handler 0s: give a positive time"},
		{func() { probeFlags.hangFor = -time.Second }, "--hang-for -1s: give a positive time"},
		{func() { probeFlags.writers = 0 }, "--writers 0 out of range 1..64"},
	} {
		probeFlags.handler, probeFlags.hangFor, probeFlags.writers = 10*time.Millisecond, time.Second, 2
		c.set()
		var out, errb bytes.Buffer
		err := runProbe(context.Background(), &out, &errb, []string{"window"})
		if err == nil || exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want %q", err, c.want)
		}
	}
}
