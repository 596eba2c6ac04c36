package fleet

import (
	"path/filepath"
	"testing"

	"github.com/ipctrace/ipctrace/synth"
)

// BenchmarkRun100 writes a dataset of 100 generated traces (the synth
// scenarios in turn, each with its own seed): files/s and allocations of
// the whole run, analysis included.
func BenchmarkRun100(b *testing.B) {
	dir := b.TempDir()
	names := make([]string, 100)
	for i := range names {
		names[i] = synth.Scenarios[i%len(synth.Scenarios)]
	}
	paths := genTraces(b, dir, names, 100)
	out := filepath.Join(dir, "out")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sum, err := Run(out, paths, Options{Analysis: testOpt})
		if err != nil || sum.Files != len(paths) {
			b.Fatalf("files %d of %d: %v %v", sum.Files, len(paths), err, sum.Skipped)
		}
	}
	b.ReportMetric(float64(len(paths)*b.N)/b.Elapsed().Seconds(), "files/s")
}
