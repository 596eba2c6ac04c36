package etw

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func TestDecodeUTF16(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{utf16le(`\Device\NamedPipe\ipctrace`), `\Device\NamedPipe\ipctrace`},
		{utf16le("Ünïcödé €"), "Ünïcödé €"},
		{utf16le("emoji 😀 pair"), "emoji 😀 pair"},
		{append(utf16le("odd"), 'x'), "odd"},    // odd trailing byte ignored
		{[]byte{0x3D, 0xD8, 'a', 0}, "\uFFFDa"}, // lone high surrogate
		{[]byte{0x00, 0xDC}, "\uFFFD"},          // lone low surrogate
		{nil, ""},
	} {
		if got := DecodeUTF16(tc.in); got != tc.want {
			t.Errorf("DecodeUTF16(% x) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
