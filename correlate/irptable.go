package correlate

import "iter"

// irpTable maps IRP addresses to started pipe operations. Nearly every
// FileIo event inserts or removes one, so it is an open-addressed table
// with linear probing and backward-shift deletion instead of a map: no
// tombstones, no hashing of a generic key. Its size follows the number of
// operations outstanding, not the trace.
type irpTable struct {
	slots []irpSlot // a power of two in length, or empty
	shift uint      // 64 - log2(len(slots))
	n     int
}

type irpSlot struct {
	irp  uint64
	used bool
	op   irpOp
}

// home returns the preferred slot of irp.
func (t *irpTable) home(irp uint64) int {
	return int(((irp ^ irp>>32) * 0x9E3779B97F4A7C15) >> t.shift)
}

// find returns the slot holding irp, or -1.
func (t *irpTable) find(irp uint64) int {
	if t.n == 0 {
		return -1
	}
	mask := len(t.slots) - 1
	for i := t.home(irp); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if !s.used {
			return -1
		}
		if s.irp == irp {
			return i
		}
	}
}

// put sets the operation of irp.
func (t *irpTable) put(irp uint64, op irpOp) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(irp); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if !s.used {
			*s = irpSlot{irp: irp, used: true, op: op}
			t.n++
			return
		}
		if s.irp == irp {
			s.op = op
			return
		}
	}
}

// take removes the operation of irp and returns it.
func (t *irpTable) take(irp uint64) (irpOp, bool) {
	i := t.find(irp)
	if i < 0 {
		return irpOp{}, false
	}
	op := t.slots[i].op
	mask := len(t.slots) - 1
	// Backward shift: move later entries of the probe run into the hole
	// unless their home lies cyclically in (hole, j].
	for j := (i + 1) & mask; t.slots[j].used; j = (j + 1) & mask {
		k := t.home(t.slots[j].irp)
		if i <= j {
			if i < k && k <= j {
				continue
			}
		} else if i < k || k <= j {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = irpSlot{}
	t.n--
	return op, true
}

func (t *irpTable) grow() {
	old := t.slots
	size := max(2*len(old), 64)
	t.slots = make([]irpSlot, size)
	t.shift = 64
	for s := size; s > 1; s >>= 1 {
		t.shift--
	}
	t.n = 0
	for i := range old {
		if old[i].used {
			t.put(old[i].irp, old[i].op)
		}
	}
}

// all yields the outstanding operations, in no particular order.
func (t *irpTable) all() iter.Seq[irpOp] {
	return func(yield func(irpOp) bool) {
		for i := range t.slots {
			if t.slots[i].used && !yield(t.slots[i].op) {
				return
			}
		}
	}
}
