//go:build windows && (amd64 || arm64)

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/etw/live"
)

// TestRecordShort records for two seconds through the command. On Windows
// (elevated) it must produce a readable .etl; elsewhere (not elevated, or
// Wine, whose ETW records nothing) it must fail quickly with a clear reason.
func TestRecordShort(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipctrace-record-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir) // best effort (Wine)
	out := filepath.Join(dir, "r.etl")
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stderr := captureRun(t, "record", "-o", out, "--duration", "2s", "--pipes")
		done <- result{code, stderr}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("record --duration 2s did not return within 90 s")
	}
	t.Logf("exit %d\n%s", r.code, r.stderr)
	wineVersion, underWine := live.IsWine()
	if r.code != 0 {
		reasons := []string{"build 9200", "elevated", "ETW wrote nothing", "Win32 error"}
		ok := false
		for _, s := range reasons {
			ok = ok || strings.Contains(r.stderr, s)
		}
		if !ok {
			t.Errorf("failure without a clear reason: %q", r.stderr)
		}
		if underWine || live.CheckPreconditions() != nil {
			t.Skipf("cannot record here (Wine %q: %v): %s", wineVersion, underWine, strings.TrimSpace(r.stderr))
		}
		t.Fatalf("record failed on an elevated Windows: %s", r.stderr)
	}
	if !strings.Contains(r.stderr, "EventsLost") {
		t.Errorf("summary does not state the loss counters: %s", r.stderr)
	}
	f, err := etw.Open(out)
	if err != nil {
		t.Fatalf("reading the recording: %v", err)
	}
	defer f.Close()
	n := 0
	for _, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Error("recording has no records")
	}
}
