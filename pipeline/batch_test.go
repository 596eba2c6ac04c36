package pipeline

import "testing"

// TestArena checks that values put in an arena keep their addresses and
// contents while more are added, and across a reset and refill.
func TestArena(t *testing.T) {
	var a arena[int]
	for round := 0; round < 3; round++ {
		n := 1000 - 300*round
		ptrs := make([]*int, n)
		for i := range n {
			ptrs[i] = a.put(i*7 + round)
		}
		for i, p := range ptrs {
			if *p != i*7+round {
				t.Fatalf("round %d: value %d is %d, want %d", round, i, *p, i*7+round)
			}
		}
		if want := (n + arenaChunk - 1) / arenaChunk; round == 0 && len(a.chunks) != want {
			t.Fatalf("%d chunks for %d values, want %d", len(a.chunks), n, want)
		}
		a.reset()
		if len(a.chunks) != 4 || len(a.chunks[0]) != 0 || a.ci != 0 {
			t.Fatalf("round %d: reset left %d chunks, first of %d values, at chunk %d", round, len(a.chunks), len(a.chunks[0]), a.ci)
		}
	}
}
