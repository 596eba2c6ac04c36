package correlate_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/synth"
)

func analyzeMixed(t *testing.T, opt correlate.Options) *model.Model {
	t.Helper()
	var buf memfile.File
	if _, _, err := synth.Generate("mixed", &buf, synth.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	m, err := correlate.AnalyzeReader("mixed", bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSinceWindow checks docs/rules.md F2: a conversation opened before
// --since with traffic inside the window is kept, counting only that
// traffic; one with no traffic inside is left out.
func TestSinceWindow(t *testing.T) {
	all := analyzeMixed(t, correlate.Options{})
	mid := all.Trace.Start.Std().Add(10 * time.Millisecond)
	win := analyzeMixed(t, correlate.Options{Since: mid})
	if win.Trace.Filter == nil || win.Trace.Filter.Excluded == 0 || win.Trace.Filter.Since.IsZero() {
		t.Fatalf("filter not reported: %+v", win.Trace.Filter)
	}
	since := model.Time(all.Trace.Start) + 10*10_000
	byKey := func(m *model.Model) map[string]model.Pipe {
		out := map[string]model.Pipe{}
		for _, p := range m.Pipes {
			out[fmt.Sprintf("%s|%d|%d|%d", p.Name, p.Instance, p.ServerPID, p.ClientPID)] = p
		}
		return out
	}
	w := byKey(win)
	kept := 0
	for k, p := range byKey(all) {
		active := p.Last >= since && p.ToServer.Ops+p.ToClient.Ops > 0
		got, ok := w[k]
		switch {
		case active && !ok:
			t.Errorf("%s: active after --since, but left out", k)
		case ok && (got.ToServer.Ops > p.ToServer.Ops || got.ToClient.Ops > p.ToClient.Ops):
			t.Errorf("%s: more traffic in the window (%+v %+v) than in the whole trace (%+v %+v)", k, got.ToServer, got.ToClient, p.ToServer, p.ToClient)
		case ok && p.First < since && got.First < since:
			t.Errorf("%s: first %s is before the window", k, got.First)
		}
		if ok {
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("the window kept no pipe conversation")
	}
}

func TestPipeFilter(t *testing.T) {
	for _, pat := range []string{`\\.\pipe\ipctrace-busy`, `ipctrace-busy`, `*BUSY*`, `\\.\pipe\ipctrace-b?sy`} {
		m := analyzeMixed(t, correlate.Options{PipeGlob: pat})
		if len(m.Pipes) == 0 {
			t.Errorf("%q matches no pipe", pat)
		}
		for _, p := range m.Pipes {
			if p.Name != `\\.\pipe\ipctrace-busy` {
				t.Errorf("%q kept %s", pat, p.Name)
			}
		}
		for _, s := range m.Stuck {
			if strings.HasPrefix(s.Kind, "alpc") {
				t.Errorf("%q kept ALPC stuck %+v", pat, s)
			}
		}
		if len(m.ALPC) != 0 || len(m.Sections) != 0 || len(m.Deadlocks) != 0 {
			t.Errorf("%q kept %d ALPC, %d sections, %d deadlocks", pat, len(m.ALPC), len(m.Sections), len(m.Deadlocks))
		}
	}
	if err := correlate.CheckPipePattern("["); err == nil {
		t.Error(`"[" accepted`)
	}
	if err := correlate.CheckPipePattern(`\\.\pipe\x*`); err != nil {
		t.Error(err)
	}
}
