package correlate

import (
	"math/rand/v2"
	"testing"
)

// TestIRPTable checks the open-addressed IRP table against a map under
// random inserts, overwrites and removals, with keys chosen to collide.
func TestIRPTable(t *testing.T) {
	var tab irpTable
	ref := map[uint64]irpOp{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		// Few distinct keys, some differing only in high bits, and 0.
		irp := uint64(r.IntN(300)) << (8 * uint(r.IntN(3)))
		switch r.IntN(3) {
		case 0, 1:
			op := irpOp{start: int64(i), size: uint32(irp)}
			tab.put(irp, op)
			ref[irp] = op
		case 2:
			got, ok := tab.take(irp)
			want, wok := ref[irp]
			if ok != wok || got != want {
				t.Fatalf("step %d: take(%#x) = %v, %v; want %v, %v", i, irp, got, ok, want, wok)
			}
			delete(ref, irp)
		}
		if tab.n != len(ref) {
			t.Fatalf("step %d: %d entries, want %d", i, tab.n, len(ref))
		}
	}
	n := 0
	for op := range tab.all() {
		if ref[uint64(op.size)] != op { // size holds the key (< 1<<32)
			t.Fatalf("all yields %v, not in the table", op)
		}
		n++
	}
	if n != len(ref) {
		t.Fatalf("all yields %d operations, want %d", n, len(ref))
	}
	for irp, want := range ref {
		if got, ok := tab.take(irp); !ok || got != want {
			t.Fatalf("take(%#x) = %v, %v; want %v", irp, got, ok, want)
		}
	}
	if tab.n != 0 || tab.find(5) >= 0 {
		t.Fatalf("table not empty: %d", tab.n)
	}
}
