package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// End-to-end benchmarks of `report -o json` and, for comparison on the same
// file, `stats` (README "Performance"). Two traces are generated once:
//
//   - mixed: the IPC-heavy mixed scenario, every event correlated;
//   - busy: the busy-machine scenario, where almost every event is disk
//     I/O on ordinary files (background noise ipctrace must skip).
//
// IPCTRACE_BENCH_SCALE multiplies their size (default 1: about 25 MB and
// 43 MB). The 1 GiB figures in README come from the CLI; see there.
//
//	go test ./cmd/ipctrace -run '^$' -bench 'Report|Stats' -benchmem
//
// The traces are removed by TestMain.
var benchTraces = struct {
	once  sync.Once
	dir   string
	paths map[string]string
	err   error
}{}

func benchTrace(b *testing.B, name string) string {
	b.Helper()
	benchTraces.once.Do(func() {
		scale := 1
		if s := os.Getenv("IPCTRACE_BENCH_SCALE"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				benchTraces.err = fmt.Errorf("IPCTRACE_BENCH_SCALE=%q: want a positive integer", s)
				return
			}
			scale = n
		}
		dir, err := os.MkdirTemp("", "ipctrace-bench")
		if err != nil {
			benchTraces.err = err
			return
		}
		benchTraces.dir = dir
		benchTraces.paths = map[string]string{}
		for _, t := range []struct {
			name, scenario string
			scale          int
		}{{"mixed", "mixed", 200}, {"busy", "busy-machine", 300}} {
			p := filepath.Join(dir, t.name+".etl")
			f, err := os.Create(p)
			if err != nil {
				benchTraces.err = err
				return
			}
			_, _, err = synth.Generate(t.scenario, f, synth.Options{Seed: 1, Scale: t.scale * scale})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				benchTraces.err = err
				return
			}
			benchTraces.paths[t.name] = p
		}
	})
	if benchTraces.err != nil {
		b.Fatal(benchTraces.err)
	}
	return benchTraces.paths[name]
}

// countEvents is the number of records in path, for events/s.
func countEvents(b *testing.B, path string) int64 {
	f, err := etw.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, err := range f.Records() {
		if err == nil {
			n++
		}
	}
	return n
}

// benchCLI runs fn once per iteration on path and reports MB/s (of file),
// events/s and heap allocations per event.
func benchCLI(b *testing.B, name string, fn func(path string) error) {
	path := benchTrace(b, name)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	events := countEvents(b, path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		if err := fn(path); err != nil {
			b.Fatal(err)
		}
		n++
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(events)*float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(events*int64(n)), "allocs/event")
}

func reportJSON(path string) error {
	return runReport(io.Discard, io.Discard, []string{path}, reportFlags{output: "json", stuckAfter: time.Second})
}

func stats(path string) error { return runStats(io.Discard, io.Discard, []string{path}, false) }

func BenchmarkReportMixed(b *testing.B) { benchCLI(b, "mixed", reportJSON) }
func BenchmarkReportBusy(b *testing.B)  { benchCLI(b, "busy", reportJSON) }
func BenchmarkStatsMixed(b *testing.B)  { benchCLI(b, "mixed", stats) }
func BenchmarkStatsBusy(b *testing.B)   { benchCLI(b, "busy", stats) }

// TestMain removes the benchmarks' traces after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchTraces.dir != "" {
		os.RemoveAll(benchTraces.dir)
	}
	os.Exit(code)
}
