package pipeline

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// TestArena checks that values stored in an arena keep their addresses and
// contents while more are added, and across a reset and refill.
func TestArena(t *testing.T) {
	var a arena[int]
	for round := 0; round < 3; round++ {
		n := 1000 - 300*round
		ptrs := make([]*int, n)
		for i := range n {
			ptrs[i] = a.next()
			*ptrs[i] = i*7 + round
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

// TestKeptTypes checks the batch's table of kept types: every kept value
// is copied into the batch, unchanged but for what aliases the payload;
// direct types get their storage from the batch; others are dropped.
func TestKeptTypes(t *testing.T) {
	b := newBatch(4, 1)
	for i, k := range kept {
		ev := reflect.New(k.typ.Elem()).Interface().(decoders.Event)
		c := decoders.Decoded{Event: ev}
		b.own(&c)
		if reflect.TypeOf(c.Event) != k.typ || c.Event == ev {
			t.Errorf("%v: own gave %T %p for %p", k.typ, c.Event, c.Event, ev)
		}
		if vs := b.stores[i].reserve(nil, 3); len(vs) != 3 || reflect.TypeOf(vs[0]) != k.typ {
			t.Errorf("%v: reserved %d values of type %T", k.typ, len(vs), vs[0])
		}
	}
	owned := func(ev decoders.Event) decoders.Event {
		c := decoders.Decoded{Event: ev}
		b.own(&c)
		return c.Event
	}
	sd := []byte{1, 0, 4, 0x80}
	sn := owned(&decoders.SecuritySnapshot{Name: "x", SD: sd}).(*decoders.SecuritySnapshot)
	if sn.Name != "x" || !bytes.Equal(sn.SD, sd) || &sn.SD[0] == &sd[0] {
		t.Errorf("security snapshot copied as %+v", sn)
	}
	raw := owned(&decoders.AlpcRaw{Op: 7, Payload: sd}).(*decoders.AlpcRaw)
	if raw.Op != 7 || raw.Payload != nil {
		t.Errorf("raw ALPC copied as %+v", raw)
	}
	kp := owned(&decoders.KernelProcessStart{ProcessID: 9, MandatoryLabel: decoders.SIDField{Raw: sd}}).(*decoders.KernelProcessStart)
	if kp.ProcessID != 9 || kp.MandatoryLabel.Raw != nil {
		t.Errorf("Kernel-Process start copied as %+v", kp)
	}
	rw := owned(&decoders.FileReadWrite{IoSize: 12, FileKey: 3}).(*decoders.FileReadWrite)
	if rw.IoSize != 12 || rw.FileKey != 3 {
		t.Errorf("read copied as %+v", rw)
	}
	pr := owned(&decoders.Process{ProcessID: 5, UserSID: "S-1-5-18", SID: decoders.SIDField{Raw: sd}}).(*decoders.Process)
	if pr.ProcessID != 5 || pr.UserSID != "S-1-5-18" || pr.SID.Raw != nil {
		t.Errorf("process copied as %+v", pr)
	}
	if ev := owned(&decoders.FileDirEnum{}); ev != nil {
		t.Errorf("a type not kept came out as %T", ev)
	}
}

// TestDirectTypesHoldNoReferences checks that the types decoded straight
// into a batch hold no slice, pointer or map, which could point into the
// payload or the Parser's storage, both reused for the next event; such a
// type must be copied with a cut instead.
func TestDirectTypesHoldNoReferences(t *testing.T) {
	var walk func(reflect.Type, string) string
	walk = func(ty reflect.Type, path string) string {
		switch ty.Kind() {
		case reflect.Slice, reflect.Pointer, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return path
		case reflect.Struct:
			for i := range ty.NumField() {
				if p := walk(ty.Field(i).Type, path+"."+ty.Field(i).Name); p != "" {
					return p
				}
			}
		case reflect.Array:
			return walk(ty.Elem(), path+"[]")
		}
		return ""
	}
	direct := 0
	for _, k := range kept {
		if !k.direct {
			continue
		}
		direct++
		if p := walk(k.typ.Elem(), k.typ.Elem().Name()); p != "" {
			t.Errorf("%s is a reference, but %v is decoded straight into batches", p, k.typ)
		}
	}
	if direct < 15 {
		t.Errorf("only %d direct types", direct)
	}
}

// TestSlotsReserve decodes into a batch through a Parser and slots past
// several reserved runs and arena chunks, then switches batches: every
// value is new, and none reserved in the first batch is handed out for
// the second.
func TestSlotsReserve(t *testing.T) {
	var ent *decoders.Entry
	for _, e := range decoders.Entries() {
		if _, ok := e.New().(*decoders.FileReadWrite); ok && !e.Key.Manifest {
			ent = e
			break
		}
	}
	if ent == nil {
		t.Fatal("no FileReadWrite layout")
	}
	payload, err := ent.Encode(nil, &decoders.FileReadWrite{IrpPtr: 7, IoSize: 9}, 8)
	if err != nil {
		t.Fatal(err)
	}
	rec := &etw.Record{Kind: etw.KindSystem64, Provider: ent.Key.Provider, Opcode: uint8(ent.Key.ID),
		Version: ent.Key.Version, Payload: payload}
	p := decoders.NewParser()
	st := slots{p: p}
	p.Reserve = st.reserve
	b1, b2 := newBatch(4, 1), newBatch(4, 1)
	st.setBatch(b1)
	seen := map[decoders.Event]bool{}
	var last decoders.Event
	take := func(n int) {
		for range n {
			var d decoders.Decoded
			if _, err := p.DecodeInto(rec, &d); err != nil {
				t.Fatal(err)
			}
			ev := d.Event
			if fr, ok := ev.(*decoders.FileReadWrite); !ok || fr.IrpPtr != 7 || fr.IoSize != 9 || !st.stored() || seen[ev] {
				t.Fatalf("decoded %T %+v (stored %v, seen %v)", ev, ev, st.stored(), seen[ev])
			}
			if i, _ := p.Placed(); i != ent.Index() {
				t.Fatalf("Placed gives entry %d, want %d", i, ent.Index())
			}
			seen[ev], last = true, ev
		}
	}
	take(arenaChunk + reserveRun + 1) // into a second chunk, mid-run
	inFirst := len(seen)
	st.setBatch(b2)
	take(1)
	if len(seen) != inFirst+1 {
		t.Fatalf("%d values, want %d", len(seen), inFirst+1)
	}
	for ev := range seen {
		p := ev.(*decoders.FileReadWrite)
		in := func(b *batch) bool {
			for _, c := range b.stores[keptIndex[reflect.TypeOf(p)]].(*typed[decoders.FileReadWrite, *decoders.FileReadWrite]).chunks {
				c = c[:cap(c)]
				if len(c) > 0 && uintptr(unsafe.Pointer(p)) >= uintptr(unsafe.Pointer(&c[0])) &&
					uintptr(unsafe.Pointer(p)) <= uintptr(unsafe.Pointer(&c[len(c)-1])) {
					return true
				}
			}
			return false
		}
		if in(b1) == in(b2) || in(b2) != (ev == last) {
			t.Fatalf("value %p in batch 1: %v, in batch 2: %v (the last: %v)", p, in(b1), in(b2), ev == last)
		}
	}
}
