// Package latency summarises latency samples (count, p50, p90, p99, max,
// mean) for correlation results and for the truth files that synth writes,
// so that both quantise the same way.
//
// Samples are durations in trace ticks (100 ns). The first ExactLimit samples
// are kept as they are and give exact nearest-rank percentiles; beyond that
// the samples move into an HdrHistogram (2 significant digits, so a
// histogram costs about 30 KiB however long the trace), and percentiles come
// from it. Count, max and mean stay exact in both modes.
package latency

import (
	"math"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// ExactLimit is the number of samples kept exactly before switching to a histogram.
const ExactLimit = 256

// highest is the largest value tracked by the histogram: one day in 100 ns ticks.
// Larger samples are clamped to it for percentiles (max stays exact).
const highest = 24 * 3600 * 10_000_000

// Hist accumulates latency samples. The zero value is ready to use; a
// Hist in use must not be copied (copies would share its histogram).
type Hist struct {
	n     int64
	sum   int64
	max   int64
	exact []int64
	h     *hdrhistogram.Histogram
	// pend holds, once h is in use, the samples not yet recorded in it,
	// at most pendSize. Recorded back to back (flush), they fetch each
	// line of the histogram's counts they touch once (a histogram holds
	// tens of KiB, and there is one per conversation), where samples
	// recorded one by one, between other work, fetch it each time.
	pend []int64
}

// pendSize is the most samples a Hist holds back from its histogram.
const pendSize = 64

// Record adds one sample of d ticks (100 ns). Negative samples count as 0.
func (l *Hist) Record(d int64) {
	if d < 0 {
		d = 0
	}
	l.n++
	l.sum += d
	if d > l.max {
		l.max = d
	}
	if l.h == nil && len(l.exact) < ExactLimit {
		l.exact = append(l.exact, d)
		return
	}
	if l.h == nil {
		l.start()
	}
	l.pend = append(l.pend, d)
	if len(l.pend) == pendSize {
		l.flush()
	}
}

// start moves the exact samples into a new histogram.
func (l *Hist) start() {
	l.h = hdrhistogram.New(1, highest, 2)
	for _, v := range l.exact {
		l.recordHist(v)
	}
	l.exact = nil
	l.pend = make([]int64, 0, pendSize)
}

// flush records the pending samples in the histogram.
func (l *Hist) flush() {
	for _, v := range l.pend {
		l.recordHist(v)
	}
	l.pend = l.pend[:0]
}

func (l *Hist) recordHist(v int64) {
	if v > highest {
		v = highest
	}
	_ = l.h.RecordValue(v) // cannot fail: v is within [0, highest]
}

// Merge adds every sample of o to l.
func (l *Hist) Merge(o *Hist) {
	if o.h == nil {
		for _, v := range o.exact {
			l.Record(v)
		}
		return
	}
	if l.h == nil {
		l.start()
	}
	o.flush()
	l.flush()
	l.h.Merge(o.h)
	l.n += o.n
	l.sum += o.sum
	l.max = max(l.max, o.max)
}

// Count returns the number of samples.
func (l *Hist) Count() int64 { return l.n }

// Summary is the JSON form of a latency distribution, in microseconds.
type Summary struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	// Approx is true when percentiles come from the histogram (more than
	// ExactLimit samples) and are exact only to 2 significant digits.
	Approx bool `json:"approx,omitempty"`
}

// Summary returns the distribution in microseconds (0.1 µs resolution).
func (l *Hist) Summary() Summary {
	if l.n == 0 {
		return Summary{}
	}
	s := Summary{
		Count: l.n,
		Max:   us(l.max),
		Mean:  math.Round(float64(l.sum)/float64(l.n)) / 10,
	}
	if l.h != nil {
		l.flush()
		s.Approx = true
		s.P50 = us(min(l.h.ValueAtQuantile(50), l.max))
		s.P90 = us(min(l.h.ValueAtQuantile(90), l.max))
		s.P99 = us(min(l.h.ValueAtQuantile(99), l.max))
		return s
	}
	v := slices.Clone(l.exact)
	slices.Sort(v)
	s.P50, s.P90, s.P99 = us(rank(v, 50)), us(rank(v, 90)), us(rank(v, 99))
	return s
}

// rank is the nearest-rank percentile of sorted v.
func rank(v []int64, p int) int64 {
	i := (p*len(v) + 99) / 100 // ceil(p/100 * n)
	if i < 1 {
		i = 1
	}
	return v[i-1]
}

func us(ticks int64) float64 { return float64(ticks) / 10 }
