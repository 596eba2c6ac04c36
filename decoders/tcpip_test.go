package decoders

import (
	"encoding/json"
	"testing"
)

// TestNetHelpers: addresses and ports convert from their payload byte
// order, and IPv6 addresses round-trip through JSON.
func TestNetHelpers(t *testing.T) {
	// TcpIp RecvIPV4, x86: pid 4, size 100, daddr 10.0.0.2, saddr 192.168.1.7,
	// dport 445, sport 50000, seqnum 1, connid 0x80001234.
	b := unhex(t, "04000000 64000000 0a000002 c0a80107 01bd c350 01000000 34120080")
	ev, err := DecodePayload(KernelKey(TcpIpGUID, 11, 2), b, 4)
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*NetIPv4)
	if e.Dst().String() != "10.0.0.2" || e.Src().String() != "192.168.1.7" || e.DstPort() != 445 ||
		e.SrcPort() != 50000 || e.ConnID != 0x80001234 || e.Op != 11 {
		t.Errorf("got %+v (dst %s src %s ports %d %d)", e, e.Dst(), e.Src(), e.DstPort(), e.SrcPort())
	}
	// The same bytes are too short for the x64 layout (connid is 8 bytes).
	if _, err := DecodePayload(KernelKey(TcpIpGUID, 11, 2), b, 8); err == nil {
		t.Error("x64 decode of a 28-byte payload succeeded")
	}

	var a IPv6Addr
	if err := json.Unmarshal([]byte(`"2001:db8::1"`), &a); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(a)
	if string(out) != `"2001:db8::1"` || a[0] != 0x20 || a[15] != 1 {
		t.Errorf("IPv6Addr round trip: %s % x", out, a)
	}
	if err := a.UnmarshalText([]byte("not an address")); err == nil {
		t.Error("bad address accepted")
	}
}
