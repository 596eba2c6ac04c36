package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSynth writes e and its synthetic trace (with faults o) into dir.
func writeSynth(t *testing.T, dir string, e *Expectation, o SynthOptions) (etl, exp string) {
	t.Helper()
	etl = filepath.Join(dir, "probe.etl")
	exp = filepath.Join(dir, "probe.json")
	f, err := os.Create(etl)
	if err != nil {
		t.Fatal(err)
	}
	if err := SynthTrace(f, e, o); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Save(exp); err != nil {
		t.Fatal(err)
	}
	return etl, exp
}

func ruleVerdicts(r *Result) map[string]string {
	m := map[string]string{}
	for _, x := range r.Rules {
		m[x.ID] = x.Verdict
	}
	return m
}

func TestVerifyCorrectTrace(t *testing.T) {
	cases := []struct {
		name  string
		e     *Expectation
		rules map[string]string
	}{
		// "" : the rule is not listed, as the probe's traffic cannot show it.
		{"pipe-byte-2-clients", fakePipe(2, 50, 3000, "byte", false),
			map[string]string{"C1": Held, "C2": Held, "C3": "", "C4": Held, "C5": Held}},
		{"pipe-message-3-clients", fakePipe(3, 20, 512, "message", false),
			map[string]string{"C1": Held, "C2": Held, "C3": "", "C4": Held, "C5": Held}},
		{"pipe-transact", fakePipe(1, 30, 100, "message", true),
			map[string]string{"C1": Held, "C2": Held, "C4": Held}},
		{"section", fakeSection(40, 10000),
			map[string]string{"C1": "", "C2": "", "C3": "", "C4": "", "C5": ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			etl, exp := writeSynth(t, t.TempDir(), c.e, SynthOptions{Seed: 1})
			e, err := LoadExpectation(exp)
			if err != nil {
				t.Fatal(err)
			}
			r, err := VerifyFile(etl, e, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			r.WriteText(&sb)
			if !r.OK() {
				t.Fatalf("differences on a correct trace:\n%s", sb.String())
			}
			got := ruleVerdicts(r)
			for id, want := range c.rules {
				if got[id] != want {
					t.Errorf("%s: %q, want %q\n%s", id, got[id], want, sb.String())
				}
			}
			if len(r.Matched) == 0 {
				t.Errorf("nothing matched:\n%s", sb.String())
			}
		})
	}
}

func TestVerifyFaultyTrace(t *testing.T) {
	pipe := func() *Expectation { return fakePipe(2, 50, 1000, "byte", false) }
	cases := []struct {
		name string
		e    *Expectation
		o    SynthOptions
		want []string // substrings of differences that must appear
	}{
		{"dropped-write", pipe(), SynthOptions{DropWrite: 3},
			[]string{"client 5001: to_server ops 49, expected 50", "client 5001: to_server bytes 49000, expected 50000"}},
		{"wrong-bytes", fakePipe(2, 50, 1000, "message", false), SynthOptions{WrongBytes: 60},
			[]string{"client 5002: to_server bytes 50001, expected 50000"}},
		{"missing-client", pipe(), SynthOptions{MissingClient: 2},
			[]string{"process 5002 (client 2): not in the trace", "client 5002: no conversation in the trace (client 2 missing)"}},
		{"lost-buffer", pipe(), SynthOptions{LoseFrom: 20, LoseTo: 30},
			[]string{"trace: 1 buffers lost", "trace: events may be missing from"}},
		{"section-missing-peer", fakeSection(10, 4096), SynthOptions{MissingClient: 1},
			[]string{"process 5001 (peer): not in the trace", "not in the trace (no section mapped by pids [4000 5001])"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			etl, _ := writeSynth(t, t.TempDir(), c.e, c.o)
			r, err := VerifyFile(etl, c.e, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			r.WriteText(&sb)
			if r.OK() {
				t.Fatalf("no difference found:\n%s", sb.String())
			}
			text := strings.Join(r.Differences, "\n")
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing difference %q in:\n%s", w, sb.String())
				}
			}
		})
	}
}

func TestToleranceAllows(t *testing.T) {
	tol := DefaultTolerance
	cases := []struct {
		got, want float64
		ok        bool
	}{
		{10, 50, true},     // 40 µs off, under 50 µs
		{100, 160, false},  // 60 µs off, 20% of 160 is 32
		{1000, 1190, true}, // 190 off, 20% is 238
		{1000, 1300, false},
	}
	for _, c := range cases {
		if got := tol.allows(c.got, c.want); got != c.ok {
			t.Errorf("allows(%v, %v) = %v, want %v", c.got, c.want, got, c.ok)
		}
	}
	if s := tol.String(); s != "max(50 µs, 20%)" {
		t.Errorf("String() = %q", s)
	}
}

func TestReadExpectationErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"version": 9, "kind": "pipe"}`, "unsupported expectation file version"},
		{`{"version": 1, "kind": "teapot"}`, `unknown kind "teapot"`},
		{`{"version": 1, "kind": "pipe", "ops": [{"kind": "write", "conv": 3}]}`, "op 0 refers to conversation 3 of 0"},
		{`{"version": 1,`, "offset 0xe: reading the expectation"},
		{`{"version": 1, "kind": x}`, "offset 0x17: reading the expectation"},
		{`{"version": "one"}`, "offset 0x11: reading the expectation"},
		{`Z`, "offset 0x0: reading the expectation: invalid character 'Z'"},
		{`{"model_version": 2, "pipes": [], "alpc": []}`, "not an expectation file"},
		{`[1, 2]`, "not an expectation file (those are written by 'ipctrace probe' and have \"version\" and \"kind\"): its top level is a JSON array, not an object"},
	}
	for _, c := range cases {
		_, err := ReadExpectation(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.in, err, c.want)
		}
	}
}

// TestWriteTextEscapes: a pipe name with an escape sequence (from the trace
// or a doctored expectation file) is printed escaped.
func TestWriteTextEscapes(t *testing.T) {
	r := &Result{Kind: KindPipe, Tolerance: "x", Differences: []string{"pipe \x1b]0;pwned\x07: missing"},
		Matched: []string{"process \u202egnp.exe"}, Notes: []string{"\u009b2J"}}
	var sb strings.Builder
	r.WriteText(&sb)
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b"} {
		if strings.Contains(sb.String(), bad) {
			t.Errorf("output holds %q raw:\n%q", bad, sb.String())
		}
	}
}

// The probe's marker events reach the rules through the pipeline: a trace
// holding them says how many, one without them says the provider was not
// enabled.
func TestVerifyMarkers(t *testing.T) {
	for _, written := range []int{0, 1, 2} {
		e := fakePipe(1, 5, 100, "byte", false)
		e.Markers.Written = written
		etl, _ := writeSynth(t, t.TempDir(), e, SynthOptions{Seed: 1})
		r, err := VerifyFile(etl, e, DefaultTolerance)
		if err != nil {
			t.Fatal(err)
		}
		want := "no marker event of probe " + e.ID
		switch written {
		case 1:
			want = "marker events of probe " + e.ID + ": 1 start, 0 stop"
		case 2:
			want = "marker events of probe " + e.ID + ": 1 start, 1 stop"
		}
		found := false
		for _, n := range r.Notes {
			found = found || strings.HasPrefix(n, want)
		}
		if !found || !r.OK() {
			t.Errorf("%d markers written: notes %q (OK %v), want one starting %q", written, r.Notes, r.OK(), want)
		}
	}
}
