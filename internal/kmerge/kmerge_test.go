package kmerge

import (
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
