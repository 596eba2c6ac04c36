package decoders

import (
	"math/rand"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// keyedEntry is the entry the Key path gives for rec.
func keyedEntry(rec *etw.Record) *Entry {
	return registry[RecordKey(rec)]
}

// tableEntry is the entry the Parser's dispatch gives for rec.
func tableEntry(t *testing.T, p *Parser, rec *etw.Record) *Entry {
	t.Helper()
	key := Key{Provider: rec.Provider, ID: uint16(rec.Opcode), Version: rec.Version}
	if p.kt == nil {
		p.kt = kernelTableOnce()
	}
	e, ok := p.kt.find(rec.Provider, rec.Opcode, rec.Version)
	if !ok {
		e = p.lookup(&key)
	}
	return e
}

func TestKernelTableRegisteredKeys(t *testing.T) {
	p := NewParser()
	n := 0
	for k, want := range registry {
		if k.Manifest || k.ID > 255 {
			continue
		}
		for _, kind := range []etw.HeaderKind{etw.KindSystem64, etw.KindFull32} {
			rec := &etw.Record{Kind: kind, Provider: k.Provider, Opcode: uint8(k.ID), Version: k.Version}
			if got := tableEntry(t, p, rec); got != want {
				t.Fatalf("%s (%v): table gives %v, registry %v", k, kind, got, want)
			}
			if got := keyedEntry(rec); got != want {
				t.Fatalf("%s: key path gives %v, registry %v", k, got, want)
			}
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d kernel keys registered", n)
	}
	// The table must actually serve the kernel classes.
	for _, g := range []etw.GUID{FileIoGUID, ALPCGUID, ProcessGUID, ImageGUID, ThreadGUID} {
		if _, ok := kernelTableOnce().find(g, 1, 2); !ok {
			t.Errorf("%s not in the kernel table", g)
		}
	}
}

func TestKernelTableMatchesKeyPath(t *testing.T) {
	p := NewParser()
	rng := rand.New(rand.NewSource(1))
	hits := 0
	check := func(group, opcode uint8, version uint16) {
		rec := &etw.Record{Kind: etw.KindSystem64, Group: group, Opcode: opcode, Version: version,
			Provider: etw.KernelClassGUID(group, opcode)}
		got, want := tableEntry(t, p, rec), keyedEntry(rec)
		if got != want {
			t.Fatalf("group %#x opcode %d version %d: table %v, key path %v", group, opcode, version, got, want)
		}
		if got != nil {
			hits++
		}
		// Through the Parser: same key, decoder found exactly when the key
		// path finds one.
		var d Decoded
		ok, _ := p.DecodeInto(rec, &d)
		if d.Key != RecordKey(rec) || ok != (want != nil) {
			t.Fatalf("group %#x opcode %d version %d: DecodeInto key %s ok %v, want %s %v",
				group, opcode, version, d.Key, ok, RecordKey(rec), want != nil)
		}
	}
	// Every group (known and unknown) and opcode at the low versions,
	// including the group 3 opcode 10 Image rule.
	for g := 0; g < 40; g++ {
		for op := 0; op < 256; op++ {
			for v := uint16(0); v < 6; v++ {
				check(uint8(g), uint8(op), v)
			}
		}
	}
	for i := 0; i < 200000; i++ {
		check(uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint16(rng.Intn(20)))
	}
	check(3, 10, 3)
	check(3, 10, 0xFFFF)
	if hits == 0 {
		t.Fatal("no triple found an entry")
	}
	e := tableEntry(t, p, &etw.Record{Kind: etw.KindSystem64, Group: 3, Opcode: 10, Version: 3,
		Provider: etw.KernelClassGUID(3, 10)})
	if e == nil || e.Key.Provider != ImageGUID {
		t.Fatalf("group 3 opcode 10 gives %v, want an Image layout", e)
	}
	// Random providers (unknown classes) and random GUIDs sharing a class's
	// first word must fall back to the key path.
	for i := 0; i < 20000; i++ {
		var g etw.GUID
		g.Data1 = rng.Uint32()
		if i%2 == 0 {
			g = FileIoGUID
			g.Data4[7] ^= byte(1 + rng.Intn(255))
		}
		rec := &etw.Record{Kind: etw.KindFull64, Provider: g, Opcode: uint8(rng.Intn(256)), Version: uint16(rng.Intn(5))}
		if got, want := tableEntry(t, p, rec), keyedEntry(rec); got != want {
			t.Fatalf("%s: table %v, key path %v", g, got, want)
		}
	}
}

// TestDecodeIntoMatchesDecode checks that both entry points give the same
// Decoded for kernel, manifest and unknown records.
func TestDecodeIntoMatchesDecode(t *testing.T) {
	for i, v := range specVectors {
		payload := unhex(t, v.hex)
		for _, kind := range []etw.HeaderKind{etw.KindSystem64, etw.KindEvent64} {
			rec := &etw.Record{Kind: kind, Provider: v.key.Provider, Opcode: uint8(v.key.ID), ID: v.key.ID,
				Version: v.key.Version, Payload: payload, Time: 42, ProcessID: 7, ThreadID: 8, Processor: 1}
			a, aok, aerr := NewParser().Decode(rec)
			var b Decoded
			b.Event = &FileName{} // stale content must be overwritten
			b.PID = 99
			bok, berr := NewParser().DecodeInto(rec, &b)
			if aok != bok || (aerr == nil) != (berr == nil) || a.Key != b.Key || a.Time != b.Time ||
				a.PID != b.PID || a.TID != b.TID || a.Processor != b.Processor || (a.Event == nil) != (b.Event == nil) {
				t.Fatalf("vector %d kind %v: Decode %+v %v %v, DecodeInto %+v %v %v", i, kind, a, aok, aerr, b, bok, berr)
			}
		}
	}
}
