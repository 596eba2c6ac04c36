package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runOut runs the command line with stdout captured.
func runOut(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	return run(args), out.String()
}

func TestVersion(t *testing.T) {
	code, out := runOut(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "ipctrace ") || !strings.Contains(out, "go:      "+runtime.Version()) {
		t.Errorf("version: exit %d, %q", code, out)
	}
	code, out = runOut(t, "--version")
	if code != exitOK || !strings.HasPrefix(out, "ipctrace ") || !strings.HasSuffix(out, runtime.Version()+"\n") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

func TestProbeList(t *testing.T) {
	code, out := runOut(t, "probe")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, k := range []string{"probe pipe ", "probe section ", "probe rpc ", "probe connect ", "probe window ", "probe mailslot "} {
		if !strings.Contains(out, k) {
			t.Errorf("probe list lacks %q:\n%s", k, out)
		}
	}
	if !strings.HasPrefix(probeCmd.Use, "probe pipe|section|rpc|connect|window|mailslot ") {
		t.Errorf("usage %q", probeCmd.Use)
	}
}

// The output convention: -o/--format everywhere, --json as an alias, an
// unknown format a usage error naming the formats.
func TestFormatFlags(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo.etl")
	_, viaJSON := runOut(t, "stats", "--json", demo)
	statsFormat.value = "text"
	_, viaO := runOut(t, "stats", "-o", "json", demo)
	statsFormat.value = "text"
	_, viaFormat := runOut(t, "stats", "--format", "json", demo)
	statsFormat.value = "text"
	if !strings.HasPrefix(viaJSON, "{") || viaJSON != viaO || viaO != viaFormat {
		t.Errorf("--json, -o json and --format json differ:\n%.200s\n%.200s\n%.200s", viaJSON, viaO, viaFormat)
	}
	if code, _ := runOut(t, "stats", "-o", "xml", demo); code != exitUsage {
		t.Errorf("stats -o xml: exit %d", code)
	}
	if err := (&formatFlag{allowed: []string{"text", "json"}}).Set("xml"); err == nil || err.Error() != `unknown format "xml" (want text, json)` {
		t.Errorf("Set(xml) = %v", err)
	}
	f := &formatFlag{allowed: []string{"table", "json"}}
	if err := f.Set("text"); err != nil || f.value != "table" {
		t.Errorf("text on a table command: %v, %q", err, f.value)
	}
}

// TestStatsText: providers are named like dump does, and a field without a
// value (a logger without a name) prints no line.
func TestStatsText(t *testing.T) {
	code, out := runOut(t, "stats", filepath.Join("..", "..", "testdata", "demo.etl"))
	if code != exitOK || !strings.Contains(out, "  FileIo\n") || !strings.Contains(out, "Events  Key") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "┌") || strings.Contains(out, "│") {
		t.Errorf("box-drawing table:\n%s", out)
	}
}

// TestExitCodesSeveralFiles: the contract of main.go for each command, with
// one file and with a bad file next to a good one: the good one is still
// reported and the exit code is the bad file's.
func TestExitCodesSeveralFiles(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo.etl")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.etl")
	text := filepath.Join(dir, "notes.etl")
	if err := os.WriteFile(text, []byte(strings.Repeat("a text file renamed .etl\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stdout string // "" : nothing expected; else a substring
	}{
		{[]string{"stats", missing}, exitUsage, ""},
		{[]string{"stats", dir}, exitUsage, ""},
		{[]string{"stats", text}, exitMalformed, ""},
		{[]string{"stats", missing, demo}, exitUsage, "events:  "},
		{[]string{"stats", text, demo}, exitMalformed, "events:  "},
		{[]string{"stats", missing, text, demo}, exitMalformed, "events:  "},
		{[]string{"dump", missing}, exitUsage, ""},
		{[]string{"dump", dir}, exitUsage, ""},
		{[]string{"dump", text}, exitMalformed, ""},
		{[]string{"report", missing}, exitUsage, ""},
		{[]string{"report", dir}, exitUsage, ""},
		{[]string{"report", text}, exitMalformed, ""},
		{[]string{"report", missing, demo}, exitUsage, "Named pipes"},
		{[]string{"report", text, demo}, exitMalformed, "Named pipes"},
	}
	for _, c := range cases {
		reportOpts = reportFlags{output: "table"}
		statsFormat.value, dumpFormat.value = "text", "text"
		code, out := runOut(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args[:len(c.args)], code, c.code)
		}
		if c.stdout == "" && out != "" {
			t.Errorf("%v: stdout %.100q, want nothing", c.args, out)
		}
		if c.stdout != "" && !strings.Contains(out, c.stdout) {
			t.Errorf("%v: stdout lacks %q:\n%.300s", c.args, c.stdout, out)
		}
	}
}
