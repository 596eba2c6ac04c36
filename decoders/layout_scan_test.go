package decoders

import (
	"bytes"
	"testing"
)

// scanUTF16zSlow is the definition scanUTF16z must agree with: the first
// zero character at an even offset.
func scanUTF16zSlow(b []byte) ([]byte, int) {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return b[:i], i + 2
		}
	}
	return b[:len(b)&^1], len(b)
}

func TestScanUTF16z(t *testing.T) {
	cases := [][]byte{
		nil, {0}, {0, 0}, {'a', 0}, {'a', 0, 0, 0},
		{'a', 0, 0, 1, 0, 0},     // U+0100 then the terminator: the zero pair at 1 is no terminator
		{0, 0x41, 0, 0, 0x42, 0}, // U+4100, then the terminator at 2
		{1, 0, 0, 0, 0},          // odd length after the terminator
		{0x41, 0, 0, 0x41, 0},    // odd pair only, no terminator, odd length
		[]byte("\\\x00D\x00e\x00v\x00\x00\x00x\x00"),
	}
	for _, c := range cases {
		gr, gn := scanUTF16z(c)
		wr, wn := scanUTF16zSlow(c)
		if !bytes.Equal(gr, wr) || gn != wn {
			t.Errorf("scanUTF16z(%x) = %x, %d; want %x, %d", c, gr, gn, wr, wn)
		}
	}
}

func FuzzScanUTF16z(f *testing.F) {
	f.Add([]byte{'a', 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		gr, gn := scanUTF16z(b)
		wr, wn := scanUTF16zSlow(b)
		if !bytes.Equal(gr, wr) || gn != wn {
			t.Fatalf("scanUTF16z(%x) = %x, %d; want %x, %d", b, gr, gn, wr, wn)
		}
	})
}
