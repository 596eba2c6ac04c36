package correlate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/internal/shared"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/synth"
)

// benchScale multiplies the rounds of the mixed scenario in benchmarks.
const benchScale = 40

// BenchmarkEngineMixed measures the correlation engine alone (events
// already decoded) on the mixed scenario: events/s and allocations.
func BenchmarkEngineMixed(b *testing.B) {
	var buf memfile.File
	_, bld, err := synth.Generate("mixed", &buf, synth.Options{Seed: 1, Scale: benchScale, Keep: true})
	if err != nil {
		b.Fatal(err)
	}
	em := bld.Emitted()
	evs := make([]decoders.Decoded, len(em))
	for i, e := range em {
		evs[i] = decoders.Decoded{Key: e.Key, Time: e.Time, PID: e.PID, TID: e.TID, Processor: e.Processor,
			ActivityID: e.ActivityID, Event: e.Event}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := correlate.New(correlate.Options{})
		for j := range evs {
			e.Add(&evs[j])
		}
		if m := e.Finish(); len(m.Pipes) == 0 {
			b.Fatal("no pipes")
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAnalyzeMixed measures the whole pipeline (read, decode,
// correlate) on an in-memory mixed trace: bytes/s and allocations.
func BenchmarkAnalyzeMixed(b *testing.B) {
	var buf memfile.File
	if _, _, err := synth.Generate("mixed", &buf, synth.Options{Seed: 1, Scale: benchScale}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf.Bytes())))
	b.ReportAllocs()
	b.ResetTimer()
	var events int64
	for i := 0; i < b.N; i++ {
		m, err := correlate.AnalyzeReader("mixed", bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), correlate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		events += m.Trace.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAnalyzeFilesLarge runs AnalyzeFiles on a mixed trace on disk
// (scale 400, about 34 MB) and reports the heap the process reserved
// (HeapSys, which does not shrink: an upper bound of the peak heap).
// The 1 GiB figure is measured with the CLI:
//
//	ipctrace synth mixed --scale 12000 -o big.etl
//	/usr/bin/time -f '%e s %M KB' ipctrace report -o json big.etl >/dev/null
func BenchmarkAnalyzeFilesLarge(b *testing.B) {
	dir, err := os.MkdirTemp("", "ipctrace-bench")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mixed.etl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := synth.Generate("mixed", f, synth.Options{Seed: 1, Scale: 400}); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	b.SetBytes(st.Size())
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := correlate.AnalyzeFiles([]string{path}, correlate.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}

// BenchmarkAnalyzeFileEnv runs AnalyzeFiles on the trace named by
// IPCTRACE_BENCH_ETL (skipped when unset), for profiling on large traces:
//
//	ipctrace synth mixed --scale 3000 -o /tmp/perf.etl
//	IPCTRACE_BENCH_ETL=/tmp/perf.etl go test ./correlate -run XXX -bench FileEnv -benchtime 3x -cpuprofile cpu.prof
func BenchmarkAnalyzeFileEnv(b *testing.B) {
	path := shared.BenchTrace(b)
	var events int64
	for b.Loop() {
		m, err := correlate.AnalyzeFiles([]string{path}, correlate.Options{})
		if err != nil {
			b.Fatal(err)
		}
		events += m.Trace.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
