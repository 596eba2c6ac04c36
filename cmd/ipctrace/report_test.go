package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/texttable"
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
		// alpc-stuck's call waits for less than the default --stuck-after
		// of 1 s when the trace ends: the cases that expect it name a 0.
		{"healthy without flag", []string{"--stuck-after", "0", healthy}, exitOK},
		{"healthy with flag", []string{"--fail-on-stuck", "--stuck-after", "0", healthy}, exitOK},
		{"stuck without flag", []string{"--stuck-after", "0", stuck}, exitOK},
		{"stuck with flag", []string{"--fail-on-stuck", "--stuck-after", "0", stuck}, exitStuck},
		{"stuck json with flag", []string{"-o", "json", "--fail-on-stuck", "--stuck-after", "0", stuck}, exitStuck},
		{"stuck but younger than --stuck-after", []string{"--fail-on-stuck", "--stuck-after", "1h", stuck}, exitOK},
		{"stuck but younger than the default --stuck-after", []string{"--fail-on-stuck", stuck}, exitOK},
		{"stuck filtered out by --pid", []string{"--fail-on-stuck", "--stuck-after", "0", "--pid", "4", stuck}, exitOK},
		{"both files merged", []string{"--fail-on-stuck", "--stuck-after", "0", healthy, stuck}, exitStuck},
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
	// One readable file among unreadable ones: report it, warn about the
	// rest, and exit with the unreadable file's code (main.go: exit codes).
	code, out, errs := runReportCmd(t, bad, mixed)
	if code != exitMalformed || !strings.Contains(out, "Named pipes") || !strings.Contains(errs, "bad.etl") {
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

// displayWidth counts terminal cells the way the table report does.
func displayWidth(s string) int { return texttable.Width(s) }

// TestReportFitsWidth: the demo report fits 120 columns by default, the
// width $COLUMNS gives, and --wide lifts the limit.
func TestReportFitsWidth(t *testing.T) {
	for _, c := range []struct {
		columns string
		args    []string
		limit   int
	}{
		{"", nil, 120},
		{"100", nil, 100},
		{"80", nil, 80},
	} {
		t.Setenv("COLUMNS", c.columns)
		code, out, errs := runReportCmd(t, c.args...)
		if code != exitOK {
			t.Fatalf("COLUMNS=%q: exit %d: %s", c.columns, code, errs)
		}
		for i, line := range strings.Split(out, "\n") {
			// Summary lines ("  name: value") may hold long file names.
			if w := displayWidth(line); w > c.limit && !strings.HasPrefix(line, "  ") {
				t.Errorf("COLUMNS=%q: line %d is %d wide: %q", c.columns, i+1, w, line)
			}
		}
	}
	t.Setenv("COLUMNS", "")
	_, out, _ := runReportCmd(t, "--wide")
	widest := 0
	for _, line := range strings.Split(out, "\n") {
		widest = max(widest, displayWidth(line))
	}
	if widest <= 120 || strings.Contains(out, "not shown to fit") {
		t.Errorf("--wide: widest line %d, or columns still left out", widest)
	}
}

// hostileTrace writes a trace whose image name clears the screen and whose
// pipe name sets the terminal title.
func hostileTrace(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "hostile.etl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := synth.NewBuilder(1)
	b.SetH1(true)
	if err := b.Stream(f, etw.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	p := b.Process(100, 4, "\x1b[2Jevil.exe", "evil.exe \x1b[31m", "S-1-5-18")
	srv, end := b.CreatePipe(b.Start()+b.US(10), p.Thread(b, 1000), "\x1b]0;pwned\x07", false)
	b.Listen(end+b.US(5), srv)
	if err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportTerminalInjection: names from the trace reach the terminal
// escaped, in the default and the wide table.
func TestReportTerminalInjection(t *testing.T) {
	path := hostileTrace(t, t.TempDir())
	for _, args := range [][]string{{path}, {"--wide", path}} {
		code, out, errs := runReportCmd(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		for i := 0; i < len(out); i++ {
			if c := out[i]; (c < 0x20 && c != '\n') || c == 0x7f {
				t.Fatalf("%v: control byte %#x reaches the terminal:\n%s", args, c, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07`) {
			t.Errorf("%v: the pipe name is not shown escaped:\n%s", args, out)
		}
		if !strings.Contains(out, `\x1b[2Jevil.exe`) {
			t.Errorf("%v: the image name is not shown escaped:\n%s", args, out)
		}
	}
}

// TestReportPerfettoTerminal: binary output to a terminal is refused, and
// an empty timeline is explained.
func TestReportPerfettoTerminal(t *testing.T) {
	saved := writesToTerminal
	defer func() { writesToTerminal = saved }()
	writesToTerminal = func(io.Writer) bool { return true }
	code, out, errs := runReportCmd(t, "-o", "perfetto")
	if code != exitUsage || out != "" {
		t.Errorf("perfetto to a terminal: exit %d, %d bytes, stderr %q", code, len(out), errs)
	}
	var discard bytes.Buffer
	if err := runReport(&discard, &discard, nil, reportFlags{output: "perfetto"}); err == nil || !strings.Contains(err.Error(), "redirect it to a file") {
		t.Errorf("perfetto to a terminal: error %v", err)
	}
	// Tables and JSON still go to a terminal.
	if code, _, _ := runReportCmd(t, "-o", "json"); code != exitOK {
		t.Errorf("json to a terminal: exit %d", code)
	}
	writesToTerminal = func(io.Writer) bool { return false }

	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.etl")
	f, err := os.Create(empty)
	if err != nil {
		t.Fatal(err)
	}
	b := synth.NewBuilder(1)
	if err := b.Stream(f, etw.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	b.Process(100, 4, "idle.exe", "idle.exe", "S-1-5-18")
	if err := b.Finish(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errs = runReportCmd(t, "-o", "perfetto", empty)
	if code != exitOK || out != "" || !strings.Contains(errs, "the Perfetto timeline is empty") {
		t.Errorf("empty timeline: exit %d, %d bytes, stderr %q", code, len(out), errs)
	}
	code, out, errs = runReportCmd(t, "-o", "perfetto")
	if code != exitOK || len(out) == 0 || strings.Contains(errs, "empty") {
		t.Errorf("demo timeline: exit %d, %d bytes, stderr %q", code, len(out), errs)
	}
}

// TestReportWords: sections in MiB, SID names in the processes table,
// no loss footnote without loss.
func TestReportWords(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runReportCmd(t, writeScenario(t, dir, "section-shared"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{" MiB", "Local System"} {
		if !strings.Contains(out, want) {
			t.Errorf("section report lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"2359296", "S-1-5-18 ", "marked \"lossy\"", "* inferred"} {
		if strings.Contains(out, bad) {
			t.Errorf("section report holds %q:\n%s", bad, out)
		}
	}
}
