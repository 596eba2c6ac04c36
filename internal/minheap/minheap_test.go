package minheap

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func lessInt(a, b *int) bool { return *a < *b }

func TestHeapSorts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		h := make([]int, n)
		for i := range h {
			h[i] = r.IntN(50)
		}
		want := slices.Sorted(slices.Values(h))
		Init(h, lessInt)
		var got []int
		for len(h) > 0 {
			got = append(got, h[0])
			h = Pop(h, lessInt)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: got %v, want %v", n, got, want)
		}
	}
}

// Replacing the minimum and sifting it down (as a merge does when a stream
// advances) keeps the heap ordered.
func TestReplaceMin(t *testing.T) {
	h := []int{1, 5, 3, 9, 7}
	Init(h, lessInt)
	h[0] = 8
	Down(h, 0, lessInt)
	if h[0] != 3 {
		t.Fatalf("min after replace = %d, want 3", h[0])
	}
}
