package main

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// captureRun runs the command line through run and returns its exit code and stderr.
func captureRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	code := run(args)
	os.Stderr = old
	w.Close()
	var b bytes.Buffer
	b.ReadFrom(r)
	return code, b.String()
}

func TestRecordWatchRequireWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("this checks the non-Windows behaviour")
	}
	for _, args := range [][]string{
		{"record", "-o", "x.etl"},
		{"record", "-o", "x.etl", "--duration", "5s", "--pipes", "--security"},
		{"record", "--snapshot"},
		{"watch"},
		{"watch", "--alpc", "--window", "10s"},
	} {
		code, stderr := captureRun(t, args...)
		if code != 1 || !strings.Contains(stderr, "requires Windows") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and \"requires Windows\"", args, code, stderr)
		}
	}
	if _, err := os.Stat("x.etl"); err == nil {
		t.Error("record created x.etl on a system where it cannot record")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"256MB": 256 << 20, "1G": 1 << 30, "1GiB": 1 << 30, "512k": 512 << 10, "64": 64 << 20, " 2 m ": 2 << 20,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5M", "12X", "MB", "99999999999G"} {
		if _, err := parseSize(in); !errors.Is(err, errBadSize) {
			t.Errorf("parseSize(%q) accepted: %v", in, err)
		}
	}
	if sizeMB(1) != 1 || sizeMB(1<<20) != 1 || sizeMB(1<<20+1) != 2 {
		t.Error("sizeMB rounding")
	}
}

func TestRecordFlagValidation(t *testing.T) {
	for _, o := range []recordFlags{
		{},
		{output: "a.etl", ring: "1M", maxSize: "2M"},
		{output: "a.etl", ring: "zz"},
		{output: "a.etl", probe: "tcp"},
	} {
		if err := o.validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if err := (&recordFlags{output: "a.etl", ring: "64MB", probe: "pipe"}).validate(); err != nil {
		t.Error(err)
	}
}

// synthRecords generates a scenario and returns its records in file order,
// as a real-time consumer would deliver them (not time-ordered across CPUs).
func synthRecords(t testing.TB, name string) ([]etw.Record, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if _, _, err := synth.Generate(name, &buf, synth.Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	f, err := etw.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var recs []etw.Record
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r.Clone())
	}
	return recs, buf.Bytes()
}

// The live view replays the window with a fresh engine; with a window
// covering the whole trace it must find what the offline analysis finds.
func TestWatcherMatchesOfflineAnalysis(t *testing.T) {
	for _, sc := range []string{"pipe-pingpong", "pipe-stuck-read", "alpc-rpc", "alpc-stuck", "mixed"} {
		t.Run(sc, func(t *testing.T) {
			recs, raw := synthRecords(t, sc)
			opt := correlate.Options{}
			want, err := correlate.AnalyzeReader(sc, bytes.NewReader(raw), int64(len(raw)), opt)
			if err != nil {
				t.Fatal(err)
			}
			w := newWatcher(opt, 1000*time.Hour)
			for _, r := range recs {
				w.add(r)
			}
			got := w.model()
			if len(got.Pipes) != len(want.Pipes) || len(got.ALPC) != len(want.ALPC) || len(got.RPC) != len(want.RPC) ||
				len(got.Stuck) != len(want.Stuck) || len(got.Deadlocks) != len(want.Deadlocks) {
				t.Errorf("watch: %d pipes %d alpc %d rpc %d stuck %d deadlocks; offline: %d %d %d %d %d",
					len(got.Pipes), len(got.ALPC), len(got.RPC), len(got.Stuck), len(got.Deadlocks),
					len(want.Pipes), len(want.ALPC), len(want.RPC), len(want.Stuck), len(want.Deadlocks))
			}
			var ops, wantOps int64
			for _, p := range got.Pipes {
				ops += p.ToServer.Ops + p.ToClient.Ops
			}
			for _, p := range want.Pipes {
				wantOps += p.ToServer.Ops + p.ToClient.Ops
			}
			if ops != wantOps {
				t.Errorf("pipe ops %d, offline %d", ops, wantOps)
			}
			var out bytes.Buffer
			if err := renderWatch(&out, got, watchStatus{Session: "ipctrace-1", Window: time.Minute}, 1000); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "no loss") {
				t.Errorf("view:\n%s", out.String())
			}
			for _, p := range got.Pipes {
				if !strings.Contains(out.String(), p.Name) {
					t.Errorf("view does not show pipe %s:\n%s", p.Name, out.String())
				}
			}
			out.Reset()
			renderWatch(&out, got, watchStatus{Session: "ipctrace-1", Window: time.Minute, RealTimeBuffersLost: 3}, 10)
			if !strings.Contains(out.String(), "LOSS") || !strings.Contains(out.String(), "real-time buffers lost 3") {
				t.Errorf("loss not shown:\n%s", out.String())
			}
		})
	}
}

func TestWatcherWindowDropsOldEvents(t *testing.T) {
	recs, _ := synthRecords(t, "pipe-pingpong")
	full := newWatcher(correlate.Options{}, 1000*time.Hour)
	short := newWatcher(correlate.Options{}, time.Microsecond)
	for _, r := range recs {
		full.add(r)
		short.add(r)
	}
	fm, sm := full.model(), short.model()
	if len(short.recent) >= len(full.recent) {
		t.Errorf("window kept %d of %d IPC events", len(short.recent), len(full.recent))
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
	if len(short.state) != len(full.state) || len(full.state) == 0 {
		t.Errorf("naming events: %d vs %d (must be kept whatever the window)", len(short.state), len(full.state))
	}
}

// BenchmarkWatcherRefresh measures one live-view refresh (replay and
// correlation of everything kept) over the "mixed" synthetic scenario.
func BenchmarkWatcherRefresh(b *testing.B) {
	recs, _ := synthRecords(b, "mixed")
	w := newWatcher(correlate.Options{}, 1000*time.Hour)
	for _, r := range recs {
		w.add(r)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.model()
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestWatcherCaps(t *testing.T) {
	recs, _ := synthRecords(t, "mixed")
	w := newWatcher(correlate.Options{}, 1000*time.Hour)
	w.maxState, w.maxRecent = 8, 16
	for _, r := range recs {
		w.add(r)
	}
	if len(w.state) > 8 || len(w.recent) > 16 {
		t.Errorf("caps exceeded: %d naming, %d IPC events kept", len(w.state), len(w.recent))
	}
	if w.droppedState == 0 || w.droppedRecent == 0 {
		t.Errorf("drops not counted: %d, %d", w.droppedState, w.droppedRecent)
	}
	if w.events != int64(len(recs)) {
		t.Errorf("events %d, want %d", w.events, len(recs))
	}
	w.model() // must not fail on a trimmed state
}
