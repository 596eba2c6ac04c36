package decoders

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// TestZeroAllocs: fixed layouts decode without allocating, and so do string
// layouts once their strings are interned by the Parser.
func TestZeroAllocs(t *testing.T) {
	p := NewParser()
	for _, v := range specVectors {
		payload := unhex(t, v.hex)
		rec := &etw.Record{Kind: etw.KindSystem64, Provider: v.key.Provider, Opcode: uint8(v.key.ID), Version: v.key.Version, Payload: payload}
		if v.key.Manifest {
			rec.Kind, rec.Opcode, rec.ID = etw.KindEvent64, 0, v.key.ID
		}
		if _, ok, err := p.Decode(rec); !ok || err != nil {
			t.Fatalf("%s: %v %v", v.name, ok, err)
		}
		n := testing.AllocsPerRun(100, func() {
			if _, _, err := p.Decode(rec); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%s: %.1f allocations per decode", v.name, n)
		}
	}
}

// TestInternerBounded: distinct names never grow the Parser's string cache
// past its bounds, and long names are not cached.
func TestInternerBounded(t *testing.T) {
	p := NewParser()
	key := KernelKey(FileIoGUID, 0, 2)
	e, _ := Lookup(key)
	for i := 0; i < maxInterned+500; i++ {
		payload := append(make([]byte, 8), utf16z(`\Device\NamedPipe\p`+strings.Repeat("x", i%700)+strconv.Itoa(i))...)
		ev, err := e.Decode(p, payload, 8)
		if err != nil {
			t.Fatal(err)
		}
		if want := `\Device\NamedPipe\p` + strings.Repeat("x", i%700) + strconv.Itoa(i); ev.(*FileName).FileName != want {
			t.Fatalf("name %d: %q", i, ev.(*FileName).FileName)
		}
		if p.in.n > maxInterned || p.in.bytes > maxInternBytes {
			t.Fatalf("cache holds %d strings, %d bytes", p.in.n, p.in.bytes)
		}
	}
	long := append(make([]byte, 8), utf16z(strings.Repeat("y", maxInternLen))...)
	before := p.in.n
	if _, err := e.Decode(p, long, 8); err != nil || p.in.n != before {
		t.Errorf("long name cached: %v, %d -> %d", err, before, p.in.n)
	}
}

// TestRecordKey: dispatch keys per header kind (docs/events.md#conventions).
func TestRecordKey(t *testing.T) {
	for _, c := range []struct {
		rec  etw.Record
		want Key
	}{
		{etw.Record{Kind: etw.KindSystem64, Provider: FileIoGUID, Opcode: 64, Version: 3}, KernelKey(FileIoGUID, 64, 3)},
		{etw.Record{Kind: etw.KindPerfInfo32, Provider: ALPCGUID, Opcode: 33, Version: 2}, KernelKey(ALPCGUID, 33, 2)},
		{etw.Record{Kind: etw.KindFull64, Provider: ProcessGUID, Opcode: 1, Version: 4}, KernelKey(ProcessGUID, 1, 4)},
		// Classic kernel events delivered with an EVENT_HEADER (real-time, relogged).
		{etw.Record{Kind: etw.KindEvent64, Provider: FileIoGUID, Opcode: 64, Version: 3}, KernelKey(FileIoGUID, 64, 3)},
		{etw.Record{Kind: etw.KindEvent64, Provider: RPCGUID, ID: 7, Opcode: 64, Version: 1, Flags: 0x0100}, KernelKey(RPCGUID, 64, 1)},
		{etw.Record{Kind: etw.KindEvent32, Provider: KernelFileGUID, ID: 12, Version: 1}, ManifestKey(KernelFileGUID, 12, 1)},
	} {
		if got := RecordKey(&c.rec); got != c.want {
			t.Errorf("%+v: %s, want %s", c.rec, got, c.want)
		}
	}
	// The same FileIo payload decodes identically through both header kinds.
	b := unhex(t, specVectors[11].hex)
	p := NewParser()
	d1, ok1, err1 := p.Decode(&etw.Record{Kind: etw.KindSystem64, Provider: FileIoGUID, Opcode: 64, Version: 3, Payload: b})
	c1 := *d1.Event.(*FileCreate)
	d2, ok2, err2 := p.Decode(&etw.Record{Kind: etw.KindEvent64, Provider: FileIoGUID, Opcode: 64, Version: 3, Payload: b})
	if !ok1 || !ok2 || err1 != nil || err2 != nil || c1 != *d2.Event.(*FileCreate) {
		t.Errorf("SYSTEM64 and EVENT_HEADER64 decodes differ: %v %v", err1, err2)
	}
	// Kernel-File Create v1 maps onto the classic Create with the classic Op.
	d3, ok3, err3 := p.Decode(&etw.Record{Kind: etw.KindEvent64, Provider: KernelFileGUID, ID: 12, Version: 1, Payload: b})
	if !ok3 || err3 != nil || *d3.Event.(*FileCreate) != c1 {
		t.Errorf("Kernel-File 12 v1: %v %+v", err3, d3.Event)
	}
	// Pointer size comes from the header kind: the x64 payload misreads as x86.
	d4, _, _ := p.Decode(&etw.Record{Kind: etw.KindSystem32, Provider: FileIoGUID, Opcode: 64, Version: 3, Payload: b})
	if d4.Event.(*FileCreate).IrpPtr != 0x12345678 {
		t.Errorf("x86 decode IrpPtr %#x", d4.Event.(*FileCreate).IrpPtr)
	}
	p.PointerSize = 8
	d5, _, _ := p.Decode(&etw.Record{Kind: etw.KindSystem32, Provider: FileIoGUID, Opcode: 64, Version: 3, Payload: b})
	if *d5.Event.(*FileCreate) != c1 {
		t.Error("PointerSize override ignored")
	}
}
