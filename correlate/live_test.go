package correlate_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

func liveRecords(t testing.TB, name string) ([]etw.Record, []byte) {
	t.Helper()
	recs, raw, err := synth.Records(name, synth.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return recs, raw
}

// With a window covering the whole trace, the live view must find the
// conversations, stuck operations and cycles the offline analysis finds.
// Trace-level facts (loss from buffer headers, event totals) are the
// offline reader's business and are not compared.
func TestLiveMatchesOfflineAnalysis(t *testing.T) {
	// Every scenario, so that every event type an engine uses goes both
	// through the pipeline's batches (offline) and straight from the
	// decoder (live), but those whose facts only the file gives: lossy's
	// buffer-header loss, and the busy machines' pipes opened before the
	// trace, which offline analysis names from the rundown it reads ahead
	// (seedRundownNames), and mixed, the others together with a loss
	// window of its own.
	offlineOnly := map[string]bool{"lossy": true, "busy-machine": true, "busy-machine-healthy": true, "mixed": true}
	for _, sc := range synth.Scenarios {
		if offlineOnly[sc] {
			continue
		}
		t.Run(sc, func(t *testing.T) {
			recs, raw := liveRecords(t, sc)
			want, err := correlate.AnalyzeReader(sc, bytes.NewReader(raw), int64(len(raw)), correlate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			l := correlate.NewLive(correlate.Options{}, 1000*time.Hour, correlate.LiveLimits{})
			for _, r := range recs {
				l.Add(r)
			}
			got := l.Model()
			got.Trace, got.Warnings = want.Trace, want.Warnings
			for _, d := range compareModels(got, want) {
				t.Error(d)
			}
			if c := l.Counts(); c.Events != int64(len(recs)) || c.DroppedNaming != 0 || c.DroppedIPC != 0 {
				t.Errorf("counts %+v for %d records", c, len(recs))
			}
		})
	}
}

func TestLiveWindowDropsOldEvents(t *testing.T) {
	recs, _ := liveRecords(t, "pipe-pingpong")
	full := correlate.NewLive(correlate.Options{}, 1000*time.Hour, correlate.LiveLimits{})
	short := correlate.NewLive(correlate.Options{}, time.Microsecond, correlate.LiveLimits{})
	for _, r := range recs {
		full.Add(r)
		short.Add(r)
	}
	fm, sm := full.Model(), short.Model()
	fc, sc := full.Counts(), short.Counts()
	if sc.KeptIPC >= fc.KeptIPC {
		t.Errorf("window kept %d of %d IPC events", sc.KeptIPC, fc.KeptIPC)
	}
	if sc.KeptNaming != fc.KeptNaming || fc.KeptNaming == 0 {
		t.Errorf("naming events: %d vs %d (must be kept whatever the window)", sc.KeptNaming, fc.KeptNaming)
	}
	var fo, so int64
	for _, p := range fm.Pipes {
		fo += p.ToServer.Ops + p.ToClient.Ops
	}
	for _, p := range sm.Pipes {
		so += p.ToServer.Ops + p.ToClient.Ops
	}
	if fo == 0 || so >= fo {
		t.Errorf("ops: full window %d, 1 µs window %d", fo, so)
	}
}

func TestLiveLimits(t *testing.T) {
	recs, _ := liveRecords(t, "mixed")
	l := correlate.NewLive(correlate.Options{}, 1000*time.Hour, correlate.LiveLimits{Naming: 8, IPC: 16})
	for _, r := range recs {
		l.Add(r)
	}
	c := l.Counts()
	if c.KeptNaming > 8 || c.KeptIPC > 16 {
		t.Errorf("limits exceeded: %d naming, %d IPC events kept", c.KeptNaming, c.KeptIPC)
	}
	if c.DroppedNaming == 0 || c.DroppedIPC == 0 || c.Events != int64(len(recs)) {
		t.Errorf("counts %+v for %d records", c, len(recs))
	}
	l.Model() // must not fail on trimmed state
}

// BenchmarkLiveRefresh measures one live-view refresh (replay and
// correlation of everything kept) over the "mixed" scenario.
func BenchmarkLiveRefresh(b *testing.B) {
	recs, _ := liveRecords(b, "mixed")
	l := correlate.NewLive(correlate.Options{}, 1000*time.Hour, correlate.LiveLimits{})
	for _, r := range recs {
		l.Add(r)
	}
	b.ReportAllocs()
	for b.Loop() {
		l.Model()
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
