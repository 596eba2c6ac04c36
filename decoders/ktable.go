package decoders

import (
	"sync"

	"github.com/ipctrace/ipctrace/etw"
)

// kernelVersions bounds the versions held by the kernel table; records of
// higher versions go through the keyed registry.
const kernelVersions = 8

// kernelTable finds the entry of a kernel or classic record (class GUID,
// opcode, version: docs/events.md#conventions) without building a
// Key: the class GUID is matched through a collision-free hash of its first
// word, then opcode and version index small arrays. It holds every class of
// the kernel group table and every class with a registered opcode-keyed
// layout, and answers exactly as the registry does for them.
type kernelTable struct {
	mul     uint32
	byHash  [kernelHashSize]uint8 // hash of Data1 → class index + 1 (0: none)
	classes []etw.GUID            // class index → class GUID
	ops     [][256]uint16         // class index → opcode → slot (0: no entries)
	slots   [][kernelVersions]*Entry
}

const (
	kernelHashBits = 7
	kernelHashSize = 1 << kernelHashBits
)

func (t *kernelTable) hash(data1 uint32) uint32 {
	return (data1 * t.mul) >> (32 - kernelHashBits)
}

// find returns the entry of (class, opcode, version); ok is false when the
// table does not cover the class or version and the registry must answer.
func (t *kernelTable) find(class etw.GUID, opcode uint8, version uint16) (e *Entry, ok bool) {
	if version >= kernelVersions {
		return nil, false
	}
	ci := int(t.byHash[t.hash(class.Data1)]) - 1
	if ci < 0 || t.classes[ci] != class {
		return nil, false
	}
	return t.slots[t.ops[ci][opcode]][version], true
}

// kernelTableOnce builds the table after every init function registered
// its layouts.
var kernelTableOnce = sync.OnceValue(buildKernelTable)

func buildKernelTable() *kernelTable {
	seen := map[etw.GUID]bool{}
	var classes []etw.GUID
	addClass := func(g etw.GUID) {
		if g != (etw.GUID{}) && !seen[g] {
			seen[g] = true
			classes = append(classes, g)
		}
	}
	for g := 0; g < 256; g++ {
		addClass(etw.KernelClassGUID(uint8(g), 0))
		addClass(etw.KernelClassGUID(uint8(g), 10))
	}
	for k := range registry {
		if !k.Manifest && k.ID < 256 {
			addClass(k.Provider)
		}
	}
	t := &kernelTable{}
	// Find a multiplier that spreads the classes' first words without
	// collision; the table then needs one compare per lookup.
	for m := uint32(0x9E3779B1); ; m += 2 {
		t.mul = m
		t.byHash = [kernelHashSize]uint8{}
		ok := len(classes) < kernelHashSize
		for i, g := range classes {
			if !ok {
				break
			}
			h := t.hash(g.Data1)
			if t.byHash[h] != 0 {
				ok = false
				break
			}
			t.byHash[h] = uint8(i + 1)
		}
		if ok {
			break
		}
		if m-0x9E3779B1 > 1<<24 {
			// No spread found: an empty table sends every lookup to the registry.
			return &kernelTable{mul: 1, slots: make([][kernelVersions]*Entry, 1)}
		}
	}
	t.classes = classes
	t.ops = make([][256]uint16, len(classes))
	t.slots = make([][kernelVersions]*Entry, 1) // slot 0: no entries
	for k, e := range registry {
		if k.Manifest || k.ID >= 256 || k.Version >= kernelVersions {
			continue
		}
		ci := int(t.byHash[t.hash(k.Provider.Data1)]) - 1
		op := &t.ops[ci][k.ID]
		if *op == 0 {
			t.slots = append(t.slots, [kernelVersions]*Entry{})
			*op = uint16(len(t.slots) - 1)
		}
		t.slots[*op][k.Version] = e
	}
	return t
}
