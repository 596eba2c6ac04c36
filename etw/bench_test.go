package etw

import (
	"os"
	"runtime"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// Largest uncompressed and a compressed corpus file.
const (
	benchUncompressed = "perfview__diagsession__diaghub.user_paged.1.etl"
	benchCompressed   = "perfview__net.4.5.2.x64.etl"
)

func benchStats(b *testing.B, name string) {
	path := shared.Path(b, "corpus", name)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s, err := ComputeStats(f)
		if err != nil {
			b.Fatal(err)
		}
		events += s.Events
		f.Close()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkStatsUncompressed(b *testing.B) { benchStats(b, benchUncompressed) }
func BenchmarkStatsCompressed(b *testing.B)   { benchStats(b, benchCompressed) }

func benchRecords(b *testing.B, name string, opts ...Option) {
	benchRecordsPath(b, shared.Path(b, "corpus", name), opts...)
}

func benchRecordsPath(b *testing.B, path string, opts ...Option) {
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(f.Size())
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	records := 0
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		for r, err := range f.Records(opts...) {
			if err != nil {
				b.Fatal(err)
			}
			records++
			_ = r.Provider
		}
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(records), "allocs/record")
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecordsLoop is the bare iteration: allocs/record shows the loop
// itself does not allocate (the few allocations per pass are the reusable
// buffers of the iteration).
func BenchmarkRecordsLoop(b *testing.B)           { benchRecords(b, benchUncompressed) }
func BenchmarkRecordsLoopCompressed(b *testing.B) { benchRecords(b, benchCompressed) }
func BenchmarkRecordsTimeOrder(b *testing.B)      { benchRecords(b, benchCompressed, TimeOrder()) }

func BenchmarkStatsCompressedParallel(b *testing.B) {
	path := shared.Path(b, "corpus", benchCompressed)
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(f.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ComputeStats(f, Parallel(0)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordsLoopParallel(b *testing.B) { benchRecords(b, benchCompressed, Parallel(0)) }
func BenchmarkRecordsTimeOrderParallel(b *testing.B) {
	benchRecords(b, benchCompressed, TimeOrder(), Parallel(0))
}

// BenchmarkStatsEnv runs ComputeStats (as `ipctrace stats` does) on the
// trace named by IPCTRACE_BENCH_ETL; skipped when unset.
func BenchmarkStatsEnv(b *testing.B) {
	path := shared.BenchTrace(b)
	events := 0
	for b.Loop() {
		f, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s, err := ComputeStats(f, Parallel(0))
		if err != nil {
			b.Fatal(err)
		}
		events += s.Events
		f.Close()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRecordsEnv iterates the records of the trace named by
// IPCTRACE_BENCH_ETL in time order, as report does; skipped when unset.
func BenchmarkRecordsEnv(b *testing.B) {
	path := os.Getenv("IPCTRACE_BENCH_ETL")
	if path == "" {
		b.Skip("IPCTRACE_BENCH_ETL not set")
	}
	benchRecordsPath(b, path, TimeOrder())
}
