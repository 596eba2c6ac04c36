package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

func statsExit(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

func TestStatsJSONMatchesTruth(t *testing.T) {
	files := shared.CorpusFiles(t)
	var out, errb bytes.Buffer
	if err := runStats(&out, &errb, files, true); err != nil {
		t.Fatalf("stats: %v (%s)", err, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("stderr on intact files: %s", errb.String())
	}
	var got []struct {
		File   string         `json:"file"`
		Events int            `json:"events"`
		Counts map[string]int `json:"counts"`
		First  string         `json:"first_timestamp"`
		Max    string         `json:"max_timestamp"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) {
		t.Fatalf("%d results for %d files", len(got), len(files))
	}
	for _, g := range got {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(g.File), "truth", filepath.Base(g.File)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var tr struct {
			Summary struct {
				Total int    `json:"total_events_dissect"`
				First string `json:"first_timestamp"`
				Max   string `json:"max_timestamp"`
			} `json:"summary"`
			Dissect struct {
				Counts map[string]int `json:"counts"`
			} `json:"dissect_etl"`
		}
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatal(err)
		}
		if g.Events != tr.Summary.Total || g.First != tr.Summary.First || g.Max != tr.Summary.Max || len(g.Counts) != len(tr.Dissect.Counts) {
			t.Errorf("%s: events %d first %s max %s keys %d; truth %d %s %s %d", filepath.Base(g.File),
				g.Events, g.First, g.Max, len(g.Counts), tr.Summary.Total, tr.Summary.First, tr.Summary.Max, len(tr.Dissect.Counts))
		}
		for k, v := range tr.Dissect.Counts {
			if g.Counts[k] != v {
				t.Errorf("%s: %s = %d, truth %d", filepath.Base(g.File), k, g.Counts[k], v)
			}
		}
	}
}

func TestStatsExitCodes(t *testing.T) {
	src := shared.Path(t, "corpus", "krabsetw__powershell.etl")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.etl")
	os.WriteFile(truncated, data[:len(data)-1000], 0o644)
	garbage := filepath.Join(dir, "garbage.etl")
	os.WriteFile(garbage, bytes.Repeat([]byte{0x5A}, 5000), 0o644)

	cases := []struct {
		name   string
		path   string
		code   int
		stdout string
		stderr string
	}{
		{"intact", src, exitOK, "events:", ""},
		{"truncated", truncated, exitOK, "events:", "warning: " + truncated + ": offset 0x33c18: buffer at 0x32000 of 8192 bytes ends after 7192 bytes; missing [0x33c18, 0x34000)"},
		{"garbage", garbage, exitMalformed, "", garbage + `: not an ETL file: no WMI buffer header at offset 0 (found text "ZZZZZZZZZZZZZZZZ"…)`},
		{"directory", dir, exitUsage, "", dir + ": is a directory"},
		{"missing", filepath.Join(dir, "absent.etl"), exitUsage, "", "absent.etl: no such file or directory"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := statsExit(runStats(&out, &errb, []string{c.path}, false))
		if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
			t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want %d, %q, %q", c.name, code, out.String(), errb.String(), c.code, c.stdout, c.stderr)
		}
	}
}
