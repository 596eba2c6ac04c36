package verify

import (
	"strings"
	"testing"
)

// verifySynth writes the synthetic trace of e with faults o and verifies it.
func verifySynth(t *testing.T, e *Expectation, o SynthOptions) (*Result, string) {
	t.Helper()
	etl, exp := writeSynth(t, t.TempDir(), e, o)
	loaded, err := LoadExpectation(exp)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyFile(etl, loaded, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	r.WriteText(&sb)
	return r, sb.String()
}

// TestVerifyWindowMailslot: verify passes on the synthetic traces of window
// and mailslot expectations, including traces that end during the hung
// send (stuck, WM1) or the reader's idle Read (idle, I3).
func TestVerifyWindowMailslot(t *testing.T) {
	cases := []struct {
		name  string
		e     *Expectation
		o     SynthOptions
		rule  string // the rule listed, held
		match []string
	}{
		{"window", fakeWindow(20, 2000, 10, false), SynthOptions{Seed: 1}, "C12",
			[]string{"20 sends returned, 0 open, by message WM_USER+1 ×20; handler p50", "≥ the handler's known 2000.0 µs",
				"posted queue: 10 retrieved, none left queued", "SendMessage latency: p50", "handler time: p50"}},
		{"window-hang-released", fakeWindow(10, 1500, 5, true), SynthOptions{Seed: 2}, "C12",
			[]string{"11 sends returned, 0 open", "the hung send (WM_USER+2, handler held 1.5s): returned after the release"}},
		{"window-hang-stuck", fakeWindow(10, 1500, 5, true), SynthOptions{Seed: 3, EndDuringWait: true}, "C12",
			[]string{"10 sends returned, 1 open", "the hung send (WM_USER+2, handler held 1.5s): open at the end of the trace, stuck in the window's handler (WM1"}},
		{"window-no-posts", fakeWindow(3, 100, 0, false), SynthOptions{Seed: 4}, "C12", []string{"3 sends returned"}},
		{"mailslot", fakeMailslot(2, 25, 300), SynthOptions{Seed: 1}, "C13",
			[]string{`mailslot \\.\mailslot\ipctrace-probe-4000-0123456789ab: reader 4000, 2 writers, 50 messages, 15000 bytes written and read`,
				"the reader's last Read (idle 1.2s, nothing left to read): timed out within the trace"}},
		{"mailslot-idle-at-end", fakeMailslot(3, 5, 1), SynthOptions{Seed: 2, EndDuringWait: true}, "C13",
			[]string{"3 writers, 15 messages, 15 bytes", "pending at the end of the trace, idle (rule I3), not stuck"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, text := verifySynth(t, c.e, c.o)
			if !r.OK() {
				t.Fatalf("differences on a correct trace:\n%s", text)
			}
			for _, m := range c.match {
				if !strings.Contains(text, m) {
					t.Errorf("output lacks %q:\n%s", m, text)
				}
			}
			if len(r.Rules) != 1 || r.Rules[0].ID != c.rule || r.Rules[0].Verdict != Held {
				t.Errorf("rules %+v, want %s held\n%s", r.Rules, c.rule, text)
			}
		})
	}
}

// TestVerifyWindowMailslotDamaged: verify fails, naming the difference, on
// damaged traces (and on expectations the trace does not bear out).
func TestVerifyWindowMailslotDamaged(t *testing.T) {
	const win = "window 0x30052: sender 4000 tid 4100 → window thread 5001 tid 6001: "
	const ms = `mailslot \\.\mailslot\ipctrace-probe-4000-0123456789ab: `
	cases := []struct {
		name   string
		e      *Expectation
		o      SynthOptions
		damage func(e *Expectation) // applied to the expectation after the trace was written
		want   []string
		rule   string // the verdict on the probe's rule
	}{
		{"window-dropped-send", fakeWindow(20, 2000, 10, false), SynthOptions{DropWrite: 3}, nil,
			[]string{win + "19 SendMessage calls returned, expected 20", win + "WM_USER+1 (0x401) sent 19 times, expected 20"}, Held},
		{"window-hang-dropped", fakeWindow(10, 1500, 5, true), SynthOptions{DropWrite: 11}, nil,
			[]string{win + "10 SendMessage calls returned, expected 11", "WM_USER+2 (0x402) sent 0 times, expected 1",
				"the hung send (WM_USER+2, handler held 1.5s): no SendMessage took that long in the trace"}, Held},
		{"window-lost-buffer", fakeWindow(20, 2000, 10, false), SynthOptions{LoseFrom: 10, LoseTo: 14}, nil,
			[]string{"trace: 1 buffers lost"}, ""},
		{"window-handler-shorter", fakeWindow(10, 1500, 2, false), SynthOptions{},
			func(e *Expectation) { e.Windows[0].HandlerUS = 5000 },
			[]string{win + "handler time p50 1501.0 µs is below the handler's known 5000.0 µs"}, Held},
		{"window-hang-shorter", fakeWindow(5, 100, 0, true), SynthOptions{},
			func(e *Expectation) { e.Windows[0].Hang.HeldUS = 3e6 },
			[]string{"the hung send (WM_USER+2, handler held 3s): no SendMessage took that long in the trace"}, Held},
		{"window-other-thread", fakeWindow(5, 100, 0, false), SynthOptions{},
			func(e *Expectation) { e.Windows[0].ReceiverTID = 6002 },
			[]string{"window thread 5001 tid 6002: no SendMessage conversation between these threads (1 between the two processes on other threads)"}, ""},
		{"mailslot-dropped-write", fakeMailslot(2, 25, 300), SynthOptions{DropWrite: 7}, nil,
			[]string{ms + "writer 1 (pid 5001): 24 messages, expected 25", ms + "writer 1 (pid 5001): 7200 bytes, expected 7500",
				ms + "49 messages of 14700 bytes in all, expected 50 of 15000"}, Contradicted},
		{"mailslot-wrong-size", fakeMailslot(2, 25, 300), SynthOptions{WrongBytes: 2}, nil,
			[]string{ms + "writer 2 (pid 5002): 7501 bytes, expected 7500"}, Contradicted},
		{"mailslot-missing-writer", fakeMailslot(3, 4, 10), SynthOptions{MissingClient: 2}, nil,
			[]string{"process 5002 (writer 2): not in the trace", ms + "writer 2 (pid 5002) not in the trace (4 messages expected)"}, Contradicted},
		{"mailslot-other-reader", fakeMailslot(1, 3, 10), SynthOptions{},
			func(e *Expectation) { e.Mailslots[0].ReaderTID = 4101 },
			[]string{ms + "reader 4000 tid 4100, expected 4000 tid 4101"}, Held},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			etl, _ := writeSynth(t, t.TempDir(), c.e, c.o)
			if c.damage != nil {
				c.damage(c.e)
			}
			r, err := VerifyFile(etl, c.e, DefaultTolerance)
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			r.WriteText(&sb)
			text := sb.String()
			if r.OK() {
				t.Fatalf("no difference found:\n%s", text)
			}
			diffs := strings.Join(r.Differences, "\n")
			for _, w := range c.want {
				if !strings.Contains(diffs, w) {
					t.Errorf("missing difference %q in:\n%s", w, text)
				}
			}
			if c.rule != "" && (len(r.Rules) != 1 || r.Rules[0].Verdict != c.rule) {
				t.Errorf("rules %+v, want %s\n%s", r.Rules, c.rule, text)
			}
		})
	}
}

func TestSynthWindowMailslotErrors(t *testing.T) {
	w := fakeWindow(2, 10, 0, false)
	w.Ops = w.Ops[:1] // a send without its handler
	var sb strings.Builder
	if err := SynthTrace(&sb, w, SynthOptions{}); err == nil || !strings.Contains(err.Error(), "no handler operation") {
		t.Errorf("send without handler: %v", err)
	}
	if err := SynthTrace(&sb, fakeWindow(2, 10, 0, false), SynthOptions{MissingClient: 1}); err == nil {
		t.Error("window probe with a missing client: no error")
	}
	m := fakeMailslot(1, 1, 1)
	m.Mailslots[0].Name = `\\.\pipe\x`
	if err := SynthTrace(&sb, m, SynthOptions{}); err == nil || !strings.Contains(err.Error(), `is not \\.\mailslot\NAME`) {
		t.Errorf("mailslot named as a pipe: %v", err)
	}
}
