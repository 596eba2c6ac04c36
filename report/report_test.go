package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/report"
	"github.com/ipctrace/ipctrace/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// scenarioModel generates a synth scenario and correlates it.
func scenarioModel(t *testing.T, name string, seed uint64) *model.Model {
	t.Helper()
	var buf memfile.File
	if _, _, err := synth.Generate(name, &buf, synth.Options{Seed: seed}); err != nil {
		t.Fatalf("synth %s: %v", name, err)
	}
	m, err := correlate.AnalyzeReader(name+".etl", bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), correlate.Options{})
	if err != nil {
		t.Fatalf("analyze %s: %v", name, err)
	}
	return m
}

// TestGoldenTables compares the table report of a few scenarios, end to
// end (synth, correlate, report), with testdata/golden/<scenario>.txt
// (regenerate with go test ./report -update). The renderer's own goldens
// render constructed models (view_test.go), so that a correlator change
// touches only these.
func TestGoldenTables(t *testing.T) {
	for _, name := range []string{"mixed", "pipe-busy"} {
		t.Run(name, func(t *testing.T) {
			m := scenarioModel(t, name, 1)
			var out bytes.Buffer
			if err := report.Table(&out, m, report.TableOptions{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("table for %s differs from %s (run go test ./report -update after checking):\n%s", name, path, lineDiff(string(want), out.String()))
			}
		})
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(w), len(g)) && n < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			n++
		}
	}
	return b.String()
}

func TestTableContent(t *testing.T) {
	m := scenarioModel(t, "mixed", 3)
	var out bytes.Buffer
	if err := report.Table(&out, m, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Trace\n", "events lost", "Named pipes", "ALPC", "RPC methods", "Shared sections",
		"Stuck operations", "Deadlocks", "Security", "* inferred: pairing/latency from timing rules, docs/rules.md P4–P9"} {
		if !strings.Contains(s, want) {
			t.Errorf("mixed report lacks %q", want)
		}
	}
	if strings.Index(s, "loss:") > strings.Index(s, "Named pipes") {
		t.Error("loss is not at the top of the report")
	}

	// A model without IPC says so and how to record.
	out.Reset()
	empty := &model.Model{Trace: model.Trace{Events: 3}}
	if err := report.Table(&out, empty, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "No IPC found") || !strings.Contains(out.String(), "ipctrace record -o trace.etl") ||
		!strings.Contains(out.String(), "no loss") {
		t.Errorf("empty report:\n%s", out.String())
	}

	// MaxRows truncates and says so.
	out.Reset()
	if err := report.Table(&out, m, report.TableOptions{MaxRows: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "more rows") {
		t.Error("MaxRows did not announce the rows left out")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := scenarioModel(t, "mixed", 1)
	var out bytes.Buffer
	if err := report.JSON(&out, m); err != nil {
		t.Fatal(err)
	}
	var back model.Model
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Error("JSON does not round-trip to the same model")
	}
	// Stable top-level names.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"trace", "processes", "pipes", "alpc", "rpc", "sections", "stuck", "deadlocks", "security"} {
		if _, ok := top[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestJSONL(t *testing.T) {
	m := scenarioModel(t, "mixed", 1)
	var out bytes.Buffer
	if err := report.JSONL(&out, m); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	first := ""
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		kind, _ := obj["kind"].(string)
		if first == "" {
			first = kind
		}
		counts[kind]++
		if kind == report.KindStuck && obj["stuck_kind"] == "" {
			t.Errorf("stuck line without stuck_kind: %s", sc.Text())
		}
	}
	if first != report.KindTrace {
		t.Errorf("first line kind %q, want trace", first)
	}
	want := map[string]int{report.KindTrace: 1, report.KindProcess: len(m.Processes), report.KindPipe: len(m.Pipes),
		report.KindALPC: len(m.ALPC), report.KindRPC: len(m.RPC), report.KindSection: len(m.Sections),
		report.KindStuck: len(m.Stuck), report.KindDeadlock: len(m.Deadlocks), report.KindSecurity: len(m.Security),
		report.KindWarning: len(m.Warnings)}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%d %q lines, want %d", counts[k], k, n)
		}
	}
	if len(m.Stuck) == 0 || len(m.Pipes) == 0 || len(m.Deadlocks) == 0 {
		t.Errorf("mixed scenario without stuck/pipes/deadlocks: %d/%d/%d", len(m.Stuck), len(m.Pipes), len(m.Deadlocks))
	}
}

// TestCorpus reports every real trace of ../shared/corpus without error; a
// file without IPC results says so.
func TestCorpus(t *testing.T) {
	for _, f := range shared.CorpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, err := correlate.AnalyzeFiles([]string{f}, correlate.Options{})
			if err != nil {
				t.Fatalf("analyze: %v", err)
			}
			if m.Trace.Events == 0 {
				t.Errorf("no events read")
			}
			var out bytes.Buffer
			if err := report.Table(&out, m, report.TableOptions{MaxRows: 20}); err != nil {
				t.Fatal(err)
			}
			if !report.HasIPC(m) && !strings.Contains(out.String(), "No IPC found") {
				t.Errorf("trace without IPC results does not say so:\n%s", out.String())
			}
			for _, enc := range []func(io.Writer, *model.Model) error{report.JSON, report.JSONL} {
				if err := enc(io.Discard, m); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
