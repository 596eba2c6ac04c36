package kmerge

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

type slice struct {
	keys []int64
	ord  int
	i    int
}

func (s *slice) Key() int64 { return s.keys[s.i] }
func (s *slice) Order() int { return s.ord }
func (s *slice) Next() bool { s.i++; return s.i < len(s.keys) }

func TestMerge(t *testing.T) {
	a := &slice{keys: []int64{1, 3, 3, 9}, ord: 0}
	b := &slice{keys: []int64{2, 3, 4}, ord: 1}
	c := &slice{keys: []int64{0, 10}, ord: 2}
	type got struct {
		k   int64
		ord int
	}
	var out []got
	Merge([]*slice{b, c, a}, func(s *slice) bool { out = append(out, got{s.Key(), s.ord}); return true })
	want := []got{{0, 2}, {1, 0}, {2, 1}, {3, 0}, {3, 0}, {3, 1}, {4, 1}, {9, 0}, {10, 2}}
	if !slices.Equal(out, want) {
		t.Fatalf("got %v\nwant %v", out, want)
	}
}

func TestMergeStop(t *testing.T) {
	a := &slice{keys: []int64{1, 2, 3}}
	n := 0
	Merge([]*slice{a}, func(*slice) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("emit called %d times after returning false", n)
	}
}

// Merging random streams through Heap (as the pipeline does) yields every
// item once, in (key, order) order, for stream counts on both sides of the
// heap's depth changes.
func TestHeapMergesRandomStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 40; n++ {
		type it struct {
			k   int64
			ord int
		}
		keys := make([][]int64, n)
		var want []it
		for i := range keys {
			k := int64(0)
			for range r.IntN(30) {
				k += int64(r.IntN(4)) // repeats: ties between and within streams
				keys[i] = append(keys[i], k)
				want = append(want, it{k, n - i})
			}
		}
		slices.SortStableFunc(want, func(a, b it) int {
			if a.k != b.k {
				return cmp.Compare(a.k, b.k)
			}
			return cmp.Compare(a.ord, b.ord)
		})
		var h Heap
		pos := make([]int, n)
		for i := range keys {
			if len(keys[i]) > 0 {
				h.Push(i, n-i, keys[i][0]) // orders opposite to indexes
			}
		}
		var got []it
		for h.Len() > 0 {
			i := h.Min()
			got = append(got, it{keys[i][pos[i]], n - i})
			pos[i]++
			if pos[i] < len(keys[i]) {
				h.Fix(keys[i][pos[i]])
			} else {
				h.Pop()
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: got %v\nwant %v", n, got, want)
		}
		// In runs, as the pipeline's consumers merge: the stream Min goes
		// on while it comes before Bound.
		got = got[:0]
		clear(pos)
		for i := range keys {
			if len(keys[i]) > 0 {
				h.Push(i, n-i, keys[i][0])
			}
		}
		for h.Len() > 0 {
			i := h.Min()
			bk, bo, ok := h.Bound()
			for {
				got = append(got, it{keys[i][pos[i]], n - i})
				pos[i]++
				if pos[i] == len(keys[i]) || ok && !Before(keys[i][pos[i]], n-i, bk, bo) {
					break
				}
			}
			if pos[i] < len(keys[i]) {
				h.Fix(keys[i][pos[i]])
			} else {
				h.Pop()
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d, in runs: got %v\nwant %v", n, got, want)
		}
	}
}
