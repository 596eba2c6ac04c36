package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// writeScenario writes a synth scenario to dir/name.etl.
func writeScenario(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name+".etl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := synth.Generate(name, f, synth.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// runReportCmd runs `ipctrace report args...` through run() and returns
// the exit code, stdout and stderr.
func runReportCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	reportOpts = reportFlags{output: "table"}
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	defer rootCmd.SetOut(nil)
	defer rootCmd.SetErr(nil)
	code := run(append([]string{"report"}, args...))
	return code, out.String(), errb.String()
}

func TestReportFailOnStuck(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipctrace-report")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	healthy := writeScenario(t, dir, "alpc-rpc")
	stuck := writeScenario(t, dir, "alpc-stuck")

	cases := []struct {
		name string
		args []string
		code int
	}{
		{"healthy without flag", []string{healthy}, exitOK},
		{"healthy with flag", []string{"--fail-on-stuck", healthy}, exitOK},
		{"stuck without flag", []string{stuck}, exitOK},
		{"stuck with flag", []string{"--fail-on-stuck", stuck}, exitStuck},
		{"stuck json with flag", []string{"-o", "json", "--fail-on-stuck", stuck}, exitStuck},
		{"stuck but younger than --stuck-after", []string{"--fail-on-stuck", "--stuck-after", "1h", stuck}, exitOK},
		{"stuck filtered out by --pid", []string{"--fail-on-stuck", "--pid", "4", stuck}, exitOK},
		{"both files merged", []string{"--fail-on-stuck", healthy, stuck}, exitStuck},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runReportCmd(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if out == "" {
				t.Error("no report printed")
			}
		})
	}
}

func TestReportOutputsAndErrors(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipctrace-report")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	mixed := writeScenario(t, dir, "mixed")

	code, out, _ := runReportCmd(t, "-o", "json", mixed)
	var m model.Model
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil || len(m.Pipes) == 0 {
		t.Errorf("-o json: exit %d, %d pipes", code, len(m.Pipes))
	}
	code, out, _ = runReportCmd(t, "-o", "jsonl", "--pipe", "ipctrace-stuck", mixed)
	if code != exitOK || !strings.Contains(out, `"kind":"pipe"`) || strings.Contains(out, `"kind":"alpc"`) {
		t.Errorf("-o jsonl --pipe: exit %d\n%s", code, out)
	}
	code, out, _ = runReportCmd(t, "-o", "perfetto", mixed)
	if code != exitOK || len(out) < 100 || out[0] != 0x0A { // Trace.packet, bytes
		t.Errorf("-o perfetto: exit %d, %d bytes", code, len(out))
	}
	code, _, _ = runReportCmd(t, "-o", "xml", mixed)
	if code != exitUsage {
		t.Errorf("-o xml: exit %d, want %d", code, exitUsage)
	}
	// --since/--until as offsets from the trace start.
	code, out, _ = runReportCmd(t, "-o", "json", "--until", "1ns", mixed)
	if code != exitOK || json.Unmarshal([]byte(out), &m) != nil || len(m.Pipes) != 0 {
		t.Errorf("--until 1ns: exit %d, %d pipes", code, len(m.Pipes))
	}

	// No file could be read at all: 2 for garbage, 1 for a missing file.
	bad := filepath.Join(dir, "bad.etl")
	if err := os.WriteFile(bad, bytes.Repeat([]byte{0xAB}, 300), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runReportCmd(t, bad); code != exitMalformed {
		t.Errorf("garbage file: exit %d, want %d (%s)", code, exitMalformed, errs)
	}
	if code, _, _ := runReportCmd(t, filepath.Join(dir, "missing.etl")); code != exitUsage {
		t.Errorf("missing file: exit %d, want %d", code, exitUsage)
	}
	// One readable file among unreadable ones: report it, warn about the rest.
	code, out, errs := runReportCmd(t, bad, mixed)
	if code != exitOK || !strings.Contains(out, "Named pipes") || !strings.Contains(errs, "bad.etl") {
		t.Errorf("mixed inputs: exit %d, stderr %q", code, errs)
	}
}

func TestReportDemo(t *testing.T) {
	code, out, _ := runReportCmd(t)
	if code != exitOK || !strings.Contains(out, "embedded demo trace") || !strings.Contains(out, "Named pipes") {
		t.Errorf("demo report: exit %d\n%s", code, out)
	}
	// The demo starts at the synth start time.
	if !strings.Contains(out, etw.FormatFiletime(synth.DefaultStart)) {
		t.Errorf("demo report does not start at %s", etw.FormatFiletime(synth.DefaultStart))
	}
}
