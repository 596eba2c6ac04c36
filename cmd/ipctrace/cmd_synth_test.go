package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
