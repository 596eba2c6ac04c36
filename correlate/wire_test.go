package correlate_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/synth"
)

// traceOnly are the JSON fields a scenario's truth does not give, because
// only the trace knows them: the file names, the engine's wording of
// evidence and summaries, and the pairing details derived from identity
// rules (docs/rules.md P1–P3) that the scenarios do not model.
var traceOnly = map[string]bool{
	"files": true, "evidence": true, "summary": true,
	"server_tid": true, "client_tid": true, "server_rule": true, "client_rule": true,
	"server_image": true, "client_image": true,
	"round_trip_us": true, "queue_delay_us": true, "flush_drain_us": true, "connect_wait_us": true,
	"ops": true, "owner_pid": true, "owner_name": true, "error": true,
	"detail": true, "peer_last_activity": true,
}

// TestTruthIsReport checks that synth's truth and the engine's model are
// the same JSON for every scenario, field for field, except traceOnly.
func TestTruthIsReport(t *testing.T) {
	for _, name := range synth.Scenarios {
		t.Run(name, func(t *testing.T) {
			var buf memfile.File
			truth, _, err := synth.Generate(name, &buf, synth.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := correlate.AnalyzeReader(name, bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), correlate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			g, w := wire(t, got), wire(t, truth)
			var diffs []string
			jsonDiff("", w, g, &diffs)
			for i, d := range diffs {
				if i == 20 {
					t.Errorf("… %d more", len(diffs)-20)
					break
				}
				t.Error(d)
			}
		})
	}
}

// wire is m's JSON as generic values, with traceOnly fields removed and
// arrays in a canonical order.
func wire(t *testing.T, m *model.Model) any {
	t.Helper()
	c := *m
	c.Warnings = nil
	raw, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return canon(v)
}

func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x["pairing"] == "listen-completion" {
			// H2's confidence is 1/the instances free when the engine
			// paired the client: the trace's, not the scenario's.
			delete(x, "confidence")
		}
		for k, e := range x {
			if traceOnly[k] {
				delete(x, k)
				continue
			}
			x[k] = canon(e)
		}
		return x
	case []any:
		for i := range x {
			x[i] = canon(x[i])
		}
		slices.SortStableFunc(x, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return strings.Compare(string(ja), string(jb))
		})
		return x
	}
	return v
}

func jsonDiff(path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: truth %v, report %v", path, want, got))
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		}) {
			jsonDiff(path+"."+k, w[k], g[k], out)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: truth has %d items, report %v", path, len(w), lenOf(got)))
			return
		}
		for i := range w {
			jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			*out = append(*out, fmt.Sprintf("%s: truth %v, report %v", path, want, got))
		}
	}
}

func lenOf(v any) string {
	if a, ok := v.([]any); ok {
		return fmt.Sprintf("%d items", len(a))
	}
	return fmt.Sprint(v)
}
