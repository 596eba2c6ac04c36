package latency

import "testing"

func TestExactPercentiles(t *testing.T) {
	var h Hist
	for i := int64(1); i <= 100; i++ {
		h.Record(i * 10) // 1 µs .. 100 µs
	}
	s := h.Summary()
	if s.Count != 100 || s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 || s.Approx {
		t.Fatalf("summary = %+v", s)
	}
	if s.Mean != 50.5 {
		t.Fatalf("mean = %v, want 50.5", s.Mean)
	}
}

func TestHistogramMode(t *testing.T) {
	var h Hist
	for i := int64(0); i < 10*ExactLimit; i++ {
		h.Record(1000) // 100 µs each
	}
	h.Record(123456) // exact max survives the histogram
	s := h.Summary()
	if !s.Approx || s.Count != 10*ExactLimit+1 || s.Max != 12345.6 {
		t.Fatalf("summary = %+v", s)
	}
	if s.P50 < 99 || s.P50 > 101 {
		t.Fatalf("p50 = %v, want about 100", s.P50)
	}
}

func TestMergeMatchesRecording(t *testing.T) {
	var a, b, all Hist
	for i := int64(0); i < 300; i++ {
		a.Record(i)
		b.Record(i * 3)
		all.Record(i)
	}
	for i := int64(0); i < 300; i++ {
		all.Record(i * 3)
	}
	a.Merge(&b)
	if a.Summary() != all.Summary() {
		t.Fatalf("merged %+v != recorded %+v", a.Summary(), all.Summary())
	}
}

func TestEmptyAndNegative(t *testing.T) {
	var h Hist
	if (h.Summary() != Summary{}) {
		t.Fatal("empty summary not zero")
	}
	h.Record(-5)
	if s := h.Summary(); s.Count != 1 || s.Max != 0 {
		t.Fatalf("negative sample: %+v", s)
	}
}
