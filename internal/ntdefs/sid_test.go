package ntdefs

import (
	"encoding/binary"
	"testing"
)

// sidBytes builds a binary SID: revision, authority (big-endian, 6 bytes),
// sub-authorities (little-endian).
func sidBytes(rev byte, auth uint64, sub ...uint32) []byte {
	b := []byte{rev, byte(len(sub))}
	for i := 5; i >= 0; i-- {
		b = append(b, byte(auth>>(8*uint(i))))
	}
	for _, v := range sub {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

func TestSIDString(t *testing.T) {
	tests := []struct {
		rev  byte
		auth uint64
		sub  []uint32
		want string
	}{
		// Well-known SIDs of MS-DTYP §2.4.2.4.
		{1, 1, []uint32{0}, "S-1-1-0"},
		{1, 5, []uint32{18}, "S-1-5-18"},
		{1, 5, []uint32{32, 544}, "S-1-5-32-544"},
		{1, 16, []uint32{8192}, "S-1-16-8192"},
		{1, 5, []uint32{21, 1004336348, 1177238915, 682003330, 1001}, "S-1-5-21-1004336348-1177238915-682003330-1001"},
		{1, 5, nil, "S-1-5"}, // no sub-authority: not valid for Windows, printed anyway
		{1, 0, []uint32{0}, "S-1-0-0"},
		{1, 5, []uint32{0xFFFFFFFF}, "S-1-5-4294967295"},
		// The decimal example of the RtlConvertSidToUnicodeString page.
		{1, 281736, []uint32{12, 72, 9, 110}, "S-1-281736-12-72-9-110"},
		// Authorities from 2^32 on are "0x" and 12 hex digits (MS-DTYP §2.4.2.1);
		// the RtlConvertSidToUnicodeString page prints this one unpadded.
		{1, 173495281736, []uint32{12, 72, 9, 110}, "S-1-0x0028651FE848-12-72-9-110"},
		{1, 1<<32 - 1, []uint32{1}, "S-1-4294967295-1"},
		{1, 1 << 32, []uint32{1}, "S-1-0x000100000000-1"},
		{1, 1<<48 - 1, []uint32{1}, "S-1-0xFFFFFFFFFFFF-1"},
		{1, 0xABCDEF012345, nil, "S-1-0xABCDEF012345"},
		// The revision is printed as found.
		{2, 5, []uint32{18}, "S-2-5-18"},
	}
	for _, tc := range tests {
		b := sidBytes(tc.rev, tc.auth, tc.sub...)
		if got, ok := SIDString(b); !ok || got != tc.want {
			t.Errorf("SIDString(% x) = %q, %v; want %q", b, got, ok, tc.want)
		}
		if got := string(AppendSID([]byte("x"), tc.rev, tc.auth, tc.sub)); got != "x"+tc.want {
			t.Errorf("AppendSID(%d, %#x, %v) = %q, want %q", tc.rev, tc.auth, tc.sub, got, "x"+tc.want)
		}
		if n, ok := SIDSize(append(b, 0xEE, 0xEE)); !ok || n != len(b) {
			t.Errorf("SIDSize(%q) = %d, %v; want %d", tc.want, n, ok, len(b))
		}
		if got, ok := AppendSIDString(nil, append(b, 0xEE)); !ok || string(got) != tc.want {
			t.Errorf("AppendSIDString(%q) with a trailing byte = %q, %v", tc.want, got, ok)
		}
		if a := SIDAuthority(b); a != tc.auth {
			t.Errorf("SIDAuthority(%q) = %#x", tc.want, a)
		}
	}
}

func TestSIDTruncated(t *testing.T) {
	full := sidBytes(1, 5, 21, 1, 2, 3)
	for n := 0; n < len(full); n++ {
		if s, ok := SIDString(full[:n]); ok || s != "" {
			t.Errorf("SIDString of %d of %d bytes = %q, %v", n, len(full), s, ok)
		}
		if out, ok := AppendSIDString([]byte("keep"), full[:n]); ok || string(out) != "keep" {
			t.Errorf("AppendSIDString of %d bytes = %q, %v", n, out, ok)
		}
		if _, ok := SIDSize(full[:n]); ok {
			t.Errorf("SIDSize accepted %d of %d bytes", n, len(full))
		}
	}
	// A count of 255 needs 1028 bytes.
	if _, ok := SIDSize(append([]byte{1, 255, 0, 0, 0, 0, 0, 5}, make([]byte, 1019)...)); ok {
		t.Error("SIDSize accepted 255 sub-authorities in 1027 bytes")
	}
}

func BenchmarkAppendSIDString(b *testing.B) {
	sid := sidBytes(1, 5, 21, 1004336348, 1177238915, 682003330, 1001)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendSIDString(buf[:0], sid)
	}
}

func TestAppendSIDBinary(t *testing.T) {
	good := map[string][]byte{
		"S-1-5-18":                       sidBytes(1, 5, 18),
		"s-1-5-32-544":                   sidBytes(1, 5, 32, 544),
		"S-1-5":                          sidBytes(1, 5),
		"S-2-5-18":                       sidBytes(2, 5, 18),
		"S-1-0x0028651FE848-12-72-9-110": sidBytes(1, 173495281736, 12, 72, 9, 110),
		"S-1-0X28651fe848-1":             sidBytes(1, 173495281736, 1),
		"S-1-281474976710655-1":          sidBytes(1, 1<<48-1, 1),
		"S-1-5-4294967295":               sidBytes(1, 5, 0xFFFFFFFF),
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15": sidBytes(1, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
	}
	for s, want := range good {
		got, err := AppendSIDBinary([]byte{0xAA}, s)
		if err != nil || string(got) != string(append([]byte{0xAA}, want...)) {
			t.Errorf("AppendSIDBinary(%q) = % x, %v; want % x", s, got, err, want)
		}
	}
	for _, s := range []string{"", "S", "S-1", "X-1-5", "S-256-5", "S-1-x", "S-1-5-x", "S-1-5-4294967296",
		"S-1-281474976710656", "S-1-0x1000000000000", "S-1-0x", "S-1--5", "S-1-5-",
		"S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		if got, err := AppendSIDBinary([]byte{0xAA}, s); err != ErrSIDSyntax || len(got) != 1 {
			t.Errorf("AppendSIDBinary(%q) = % x, %v", s, got, err)
		}
	}
	// The string form round-trips.
	for _, b := range [][]byte{sidBytes(1, 5, 21, 1, 2, 3), sidBytes(1, 1<<40+5, 7), sidBytes(1, 1<<32)} {
		s, _ := SIDString(b)
		if back, err := AppendSIDBinary(nil, s); err != nil || string(back) != string(b) {
			t.Errorf("%q: round trip % x, %v", s, back, err)
		}
	}
}
