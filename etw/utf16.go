package etw

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeUTF16 decodes little-endian UTF-16, the string encoding of ETW
// payloads and of the logfile header's names. An odd trailing byte is
// ignored and unpaired surrogates become U+FFFD. Pure-ASCII input, by far the
// most common in traces, takes a fast path with one allocation.
func DecodeUTF16(b []byte) string {
	ascii := true
	for i := 0; i+1 < len(b); i += 2 {
		if b[i+1] != 0 || b[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		out := make([]byte, len(b)/2)
		for i := range out {
			out[i] = b[2*i]
		}
		return string(out)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		if utf16.IsSurrogate(u) && i+3 < len(b) {
			u2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
			if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(u) {
			u = utf8.RuneError
		}
		out = utf8.AppendRune(out, u)
	}
	return string(out)
}
