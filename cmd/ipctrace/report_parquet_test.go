//go:build !noparquet

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/fleet"
)

func TestReportParquet(t *testing.T) {
	dir := t.TempDir()
	a := writeScenario(t, dir, "pipe-stuck-read")
	b := writeScenario(t, dir, "alpc-rpc")
	junk := filepath.Join(dir, "junk.etl")
	if err := os.WriteFile(junk, []byte(strings.Repeat("no trace ", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ds")

	code, stdout, stderr := runReportCmd(t, "-o", "parquet", "--out", out, "--machine", "web01", a, junk, b)
	// The junk file is named and skipped; the readable ones are written,
	// and the exit code is the junk file's (2: not ETL), as for a report.
	if code != exitMalformed {
		t.Errorf("exit %d, want %d", code, exitMalformed)
	}
	if !strings.Contains(stderr, junk+": ") || !strings.Contains(stderr, "(skipped)") {
		t.Errorf("stderr does not name the skipped file:\n%s", stderr)
	}
	if !strings.Contains(stdout, "2 of 3 files written") {
		t.Errorf("stdout: %q", stdout)
	}
	for _, tb := range fleet.Tables() {
		if st, err := os.Stat(filepath.Join(out, tb+".parquet")); err != nil || st.Size() == 0 {
			t.Errorf("%s.parquet: %v", tb, err)
		}
	}

	code, _, _ = runReportCmd(t, "-o", "parquet", "--out", out, "--stuck-after", "0", "--fail-on-stuck", a)
	if code != exitStuck {
		t.Errorf("--fail-on-stuck over a stuck read: exit %d, want %d", code, exitStuck)
	}
}

func TestReportParquetUsage(t *testing.T) {
	dir := t.TempDir()
	a := writeScenario(t, dir, "pipe-pingpong")
	for _, args := range [][]string{
		{"-o", "parquet", a},                                // no --out
		{"-o", "parquet", "--out", dir},                     // no files
		{"-o", "json", "--out", dir, a},                     // --out of another format
		{"--machine", "x", a},                               // --machine without parquet
		{"-o", "parquet", "--out", dir, "--since", "2s", a}, // an offset
	} {
		if code, _, _ := runReportCmd(t, args...); code != exitUsage {
			t.Errorf("report %q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
