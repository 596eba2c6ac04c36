package latency

import (
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

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

// TestPendingSamples holds the batched recording to a histogram fed one
// sample at a time: percentiles agree whatever the number of samples
// still pending when Summary or Merge is called, and Summary can be
// called again after more samples.
func TestPendingSamples(t *testing.T) {
	for _, n := range []int{ExactLimit + 1, ExactLimit + pendSize - 1, ExactLimit + pendSize, ExactLimit + 5*pendSize + 17} {
		var l, a, b Hist
		ref := hdrhistogram.New(1, highest, 2)
		for i := range n {
			v := int64((i*7919)%5000 + i%3)
			l.Record(v)
			if i%2 == 0 {
				a.Record(v)
			} else {
				b.Record(v)
			}
			_ = ref.RecordValue(v)
		}
		a.Merge(&b)
		for _, h := range []*Hist{&l, &a} {
			s := h.Summary()
			for _, q := range []struct {
				got float64
				p   float64
			}{{s.P50, 50}, {s.P90, 90}, {s.P99, 99}} {
				if want := us(min(ref.ValueAtQuantile(q.p), h.max)); q.got != want {
					t.Errorf("%d samples: p%v %v, want %v", n, q.p, q.got, want)
				}
			}
			if s.Count != int64(n) {
				t.Errorf("%d samples: count %d", n, s.Count)
			}
		}
		l.Record(1 << 20)
		_ = ref.RecordValue(1 << 20)
		if got, want := l.Summary().P99, us(min(ref.ValueAtQuantile(99), l.max)); got != want {
			t.Errorf("%d samples and one more: p99 %v, want %v", n, got, want)
		}
	}
}
