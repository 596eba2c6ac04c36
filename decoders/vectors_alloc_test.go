package decoders

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// TestVectorZeroAllocs: every kernel payload vector decodes through a
// Parser without allocating (strings once interned, stacks within the
// event's frame storage).
func TestVectorZeroAllocs(t *testing.T) {
	p := NewParser()
	for _, v := range loadVectors(t) {
		payload, err := hex.DecodeString(v.PayloadHex)
		if err != nil {
			t.Fatal(err)
		}
		key := KernelKey(etw.MustParseGUID(v.ClassGUID), v.Opcode, v.Version)
		e, ok := Lookup(key)
		if !ok {
			t.Errorf("%s: no decoder for %s", v.Name, key)
			continue
		}
		if _, err := e.Decode(p, payload, v.PointerSize); err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		n := testing.AllocsPerRun(50, func() {
			if _, err := e.Decode(p, payload, v.PointerSize); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%s (%s): %.1f allocations per decode", v.Name, v.EventName, n)
		}
	}
	// No vector has an IPv6 address layout: TcpIp SendIPV6, x64, 64 bytes.
	e, _ := Lookup(KernelKey(TcpIpGUID, 26, 2))
	payload := make([]byte, 64)
	if n := testing.AllocsPerRun(50, func() {
		if _, err := e.Decode(p, payload, 8); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("TcpIp SendIPV6: %.1f allocations per decode", n)
	}
}

// TestNilPayload: a nil payload gives, for every registered key and both
// pointer sizes, an empty event when the layout needs no byte and a
// DecodeError at offset 0 otherwise; never a panic or a nil event.
func TestNilPayload(t *testing.T) {
	p := NewParser()
	for _, e := range Entries() {
		for _, ptr := range []int{4, 8} {
			ev, err := e.Decode(p, nil, ptr)
			if ev == nil {
				t.Fatalf("%s p%d: nil event", e.Key, ptr)
			}
			if e.MinSize(ptr) == 0 {
				if err != nil {
					t.Errorf("%s p%d: %v", e.Key, ptr, err)
				}
				continue
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Off != 0 || !errors.Is(err, ErrTruncated) {
				t.Errorf("%s p%d: want a truncation DecodeError at offset 0, got %v", e.Key, ptr, err)
			}
		}
	}
}
