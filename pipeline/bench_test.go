package pipeline_test

import (
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/pipeline"
)

// countSink counts what Run hands it and does nothing else: with it, a
// benchmark measures reading, decoding and merging without the engine.
type countSink struct{ events, kept int64 }

func (s *countSink) Begin(pipeline.Source) {}
func (s *countSink) Add(d *decoders.Decoded) {
	s.events++
	if d.Event != nil {
		s.kept++
	}
}
func (s *countSink) Buffer(etw.BufferInfo) {}

// BenchmarkRunEnv runs the pipeline with a counting sink on the trace named
// by IPCTRACE_BENCH_ETL (skipped when unset): the part of `report` that is
// not correlation. Compare with correlate's BenchmarkAnalyzeFileEnv on the
// same file (docs/ARCHITECTURE.md#performance).
func BenchmarkRunEnv(b *testing.B) {
	path := shared.BenchTrace(b)
	var events int64
	for b.Loop() {
		srcs, errs := pipeline.Open([]string{path})
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		var s countSink
		pipeline.Run(srcs, &s, func(string) {})
		pipeline.Close(srcs)
		events += s.events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
