package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/synth"
)

// corpusTotal reads summary.total_events_dissect of a corpus truth file.
func corpusTotal(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "corpus", "truth", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Summary struct {
			Total int `json:"total_events_dissect"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	return truth.Summary.Total
}

// TestDumpJSONCorpus: one JSON line per record with the documented fields;
// the 562 Kernel-File Create records carry their file names; undecoded
// records keep their payload as hex.
func TestDumpJSONCorpus(t *testing.T) {
	const file = "perfview__net.4.5.2.x64.etl"
	path := shared.Path(t, "corpus", file)
	var out, errb bytes.Buffer
	if err := runDump(&out, &errb, path, dumpFlags{json: true}); err != nil {
		t.Fatal(err)
	}
	lines, kfCreate, raw := 0, 0, 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		for _, k := range []string{"time", "kind", "provider", "id", "opcode", "version", "pid", "tid"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", lines, k, sc.Bytes())
			}
		}
		ev, _ := m["event"].(string)
		if ev == "" {
			raw++
			if _, ok := m["payload_hex"]; !ok {
				t.Errorf("line %d: undecoded without payload_hex: %s", lines, sc.Bytes())
			}
		}
		if ev == "Kernel-File/Create" {
			kfCreate++
			f := m["fields"].(map[string]any)
			if p, _ := f["open_path"].(string); !strings.HasPrefix(p, `\`) {
				t.Errorf("Kernel-File Create without a path: %s", sc.Bytes())
			}
		}
	}
	if want := corpusTotal(t, file); lines != want {
		t.Errorf("%d lines, truth has %d events", lines, want)
	}
	if kfCreate != 562 {
		t.Errorf("%d Kernel-File/Create lines, want 562", kfCreate)
	}
	if raw == 0 {
		t.Error("no undecoded record: the file has PerfInfo/StackWalk records without decoders")
	}
}

// TestDumpUndecodedCorpus: --undecoded counts plus decoded records make the
// truth total, and the counts agree with the truth per key.
func TestDumpUndecodedCorpus(t *testing.T) {
	const file = "perfview__net.4.5.2.x64.etl"
	path := shared.Path(t, "corpus", file)
	var out, errb bytes.Buffer
	if err := runDump(&out, &errb, path, dumpFlags{json: true, undecoded: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(shared.Path(t, "corpus", "truth", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		DissectETL struct {
			Counts map[string]int `json:"counts"`
		} `json:"dissect_etl"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	undecoded := 0
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if n := truth.DissectETL.Counts[l.Key]; n != l.Count {
			t.Errorf("%s: %d undecoded, truth %d", l.Key, l.Count, n)
		}
		undecoded += l.Count
	}
	var all bytes.Buffer
	if err := runDump(&all, &errb, path, dumpFlags{json: true}); err != nil {
		t.Fatal(err)
	}
	decoded := 0
	for _, line := range bytes.Split(all.Bytes(), []byte("\n")) {
		if bytes.Contains(line, []byte(`"event":`)) {
			decoded++
		}
	}
	if total := corpusTotal(t, file); decoded+undecoded != total {
		t.Errorf("decoded %d + undecoded %d != %d", decoded, undecoded, total)
	}
}

// TestDumpSynthGolden dumps a synthetic trace (every event decoded) and
// compares it with a golden file (-update rewrites it).
func TestDumpSynthGolden(t *testing.T) {
	for _, sc := range []string{"pipe-pingpong", "alpc-rpc", "security"} {
		t.Run(sc, func(t *testing.T) {
			var etl bytes.Buffer
			if _, _, err := synth.Generate(sc, &etl, synth.Options{Seed: 1, Writer: etw.WriterOptions{LogFileName: sc + ".etl"}}); err != nil {
				t.Skipf("synth %s: %v", sc, err)
			}
			path := filepath.Join(t.TempDir(), sc+".etl")
			if err := os.WriteFile(path, etl.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			if err := runDump(&out, &errb, path, dumpFlags{}); err != nil {
				t.Fatal(err)
			}
			if errb.Len() != 0 {
				t.Errorf("warnings: %s", errb.String())
			}
			for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if strings.Contains(line, " payload=") && !strings.Contains(line, "(EventTrace)") {
					t.Errorf("line %d of a synthetic trace not decoded: %s", i+1, line)
				}
			}
			checkGolden(t, "dump_"+sc+".golden", out.Bytes())
		})
	}
}

// TestDumpMalformed: a file with no readable record exits with status 2.
func TestDumpMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.etl")
	garbage := bytes.Repeat([]byte{0xA5, 0x5A, 0x13, 0x37}, 2048)
	if err := os.WriteFile(path, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := runDump(&out, &errb, path, dumpFlags{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitMalformed {
		t.Fatalf("err = %v, want exit %d", err, exitMalformed)
	}
	if code := run([]string{"dump", filepath.Join(t.TempDir(), "missing.etl")}); code != exitUsage {
		t.Errorf("missing file: exit %d, want %d", code, exitUsage)
	}
}

func TestFormatFiletime(t *testing.T) {
	for ft, want := range map[int64]string{
		116444736000000000: "1970-01-01T00:00:00.0000000Z",
		132404548206236167: "2020-07-29T00:07:00.6236167Z",
		0:                  "1601-01-01T00:00:00.0000000Z",
	} {
		if got := formatFiletime(ft); got != want {
			t.Errorf("%d: %s, want %s", ft, got, want)
		}
	}
}
