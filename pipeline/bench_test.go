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

// chooseSink is a countSink that takes only the events of the types take
// answers for, as the split engines of `report` choose theirs.
type chooseSink struct {
	countSink
	take func(decoders.Event) bool
}

func (s *chooseSink) Wants(d *decoders.Decoded) bool { return s.take(d.Event) }

// isMessage is the message family and the tables, the share of `report`'s
// second engine (correlate/split.go).
func isMessage(ev decoders.Event) bool {
	switch ev.(type) {
	case *decoders.AlpcMessage, *decoders.AlpcWaitNewMessage, *decoders.AlpcUnwait, *decoders.AlpcRaw,
		*decoders.RPCCallStart, *decoders.RPCCallStop, *decoders.COMCallDelay, *decoders.COMCliModalLoopDelay,
		*decoders.Process, *decoders.Thread, *decoders.KernelProcessStart, *decoders.KernelThread:
		return true
	}
	return false
}

// BenchmarkRunSplitEnv is BenchmarkRunEnv with the shape `report` runs:
// two counting consumers, each choosing its events as the two engines do.
func BenchmarkRunSplitEnv(b *testing.B) {
	path := shared.BenchTrace(b)
	for b.Loop() {
		srcs, errs := pipeline.Open([]string{path})
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		files := &chooseSink{take: func(ev decoders.Event) bool {
			switch ev.(type) {
			case *decoders.Process, *decoders.Thread, *decoders.KernelProcessStart, *decoders.KernelThread:
				return true
			}
			return !isMessage(ev)
		}}
		messages := &chooseSink{take: isMessage}
		pipeline.RunSplit(srcs, files, []pipeline.Sink{messages}, func(string) {})
		pipeline.Close(srcs)
		if files.events == 0 || messages.kept == 0 {
			b.Fatalf("the consumers took %d and %d events", files.events, messages.events)
		}
	}
}
