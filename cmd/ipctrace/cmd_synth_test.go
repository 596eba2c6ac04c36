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
)

func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.etl")
	truth := filepath.Join(dir, "t.json")
	if code := run([]string{"synth", "pipe-busy", "-o", out, "--seed", "3", "--truth", truth, "--compress"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	f, err := etw.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if h := f.Header(); !h.Compressed || h.LogFileName != "t.etl" {
		t.Errorf("header %+v", h)
	}
	b, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	var m model.Model
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Pipes) != 2 || m.Pipes[1].Failures["PIPE_BUSY"] != 1 {
		t.Errorf("truth pipes %+v", m.Pipes)
	}
	if code := run([]string{"synth", "no-such-scenario", "-o", filepath.Join(dir, "x.etl")}); code != exitUsage {
		t.Errorf("unknown scenario: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.etl")); !os.IsNotExist(err) {
		t.Errorf("failed run left its output: %v", err)
	}
	synthFlags.compress, synthFlags.truth = false, ""
}

// TestSynthExpect: synth --expect writes the trace of a probe expectation,
// and verify passes on it: the Linux path to a passing verify (README).
func TestSynthExpect(t *testing.T) {
	defer func() { synthFlags.expect, synthFlags.out = "", "" }()
	exp := filepath.Join("..", "..", "verify", "testdata", "pipe-message.expect.json")
	out := filepath.Join(t.TempDir(), "probe.etl")
	var stdout bytes.Buffer
	rootCmd.SetOut(&stdout)
	code := run([]string{"synth", "--expect", exp, "--out", out})
	rootCmd.SetOut(nil)
	if code != exitOK {
		t.Fatalf("synth --expect: exit %d", code)
	}
	if !strings.HasPrefix(stdout.String(), "wrote "+out+": the trace of probe pipe ") {
		t.Errorf("synth said %q", stdout.String())
	}
	synthFlags.expect, synthFlags.out = "", ""
	if code, text := runCapture(t, "verify", out, "--expect", exp); code != exitOK {
		t.Errorf("verify of synth --expect: exit %d\n%s", code, text)
	}
	// A scenario and --expect together, or neither, is a usage error.
	if code := run([]string{"synth", "pipe-busy", "--expect", exp, "--out", out}); code != exitUsage {
		t.Errorf("scenario and --expect: exit %d", code)
	}
	synthFlags.expect = ""
	if code := run([]string{"synth", "--out", out}); code != exitUsage {
		t.Errorf("no scenario: exit %d", code)
	}
}
