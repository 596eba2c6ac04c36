// Package xpress implements the MS-XCA "Plain LZ77" compression format
// (COMPRESSION_FORMAT_XPRESS = 3), used for the payload of compressed ETL
// buffers (docs/format.md#compression; [MS-XCA] §2.3 compression, §2.4 decompression).
//
// A stream is a sequence of 32-bit little-endian flag words, each followed by
// the 32 tokens it describes, most significant bit first: a 0 bit is one
// literal byte, a 1 bit is a match
//
//	u16 v: offset = v>>3 + 1 (1..8192), length = v&7 + 3
//	if v&7 == 7: a 4-bit length extension (the low nibble of a fresh byte,
//	the next time the high nibble of the same byte); 15 escapes to a byte;
//	255 escapes to a u16 (0 escapes to a u32) holding the length minus 3.
//
// The stream ends when the input is exhausted where a flag word or a match
// would start.
package xpress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Sentinel errors wrapped by *Error.
var (
	// ErrCorrupt reports a stream that is truncated or refers to bytes
	// before the start of the output.
	ErrCorrupt = errors.New("corrupt input")
	// ErrTooLarge reports a stream whose output would exceed the limit.
	ErrTooLarge = errors.New("output exceeds limit")
)

// Error is a decompression error at input offset Off.
type Error struct {
	Off  int    // offset in the compressed input
	What string // what was being read
	Err  error  // ErrCorrupt or ErrTooLarge
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v at input offset %#x: %s", e.Err, e.Off, e.What)
}

func (e *Error) Unwrap() error { return e.Err }

// DefaultMaxOutput is the output limit of Decompress.
const DefaultMaxOutput = 64 << 20

// Decompress decompresses src into dst[:0] and returns the result. When
// cap(dst) is large enough the result reuses dst's array and Decompress does
// not allocate. The output is limited to DefaultMaxOutput bytes; use
// DecompressLimit when the expected size is known.
func Decompress(dst, src []byte) ([]byte, error) {
	return DecompressLimit(dst, src, DefaultMaxOutput)
}

// DecompressLimit is Decompress with an output limit: it fails with
// ErrTooLarge, before allocating, as soon as the output would exceed max
// bytes. On error the bytes decompressed so far are returned.
func DecompressLimit(dst, src []byte, max int) ([]byte, error) {
	out := dst[:0]
	if max < 0 {
		max = 0
	}
	in := 0
	var flags uint32 // next flag in bit 31
	nflags := 0      // flag bits left in flags
	half := -1       // input offset of the byte whose high nibble is still unused
	for {
		if nflags == 0 {
			if in == len(src) {
				return out, nil
			}
			if len(src)-in < 4 {
				return out, &Error{in, "flag word", ErrCorrupt}
			}
			flags = binary.LittleEndian.Uint32(src[in:])
			in += 4
			nflags = 32
		}
		// Run of literals: the leading zero bits of flags.
		if lit := bits.LeadingZeros32(flags); lit > 0 {
			if lit > nflags {
				lit = nflags
			}
			if n := len(src) - in; lit > n {
				// The input ends inside the literals: the stream is
				// complete after the bytes that are there.
				if len(out)+n > max {
					return out, &Error{in, "literal", ErrTooLarge}
				}
				return append(out, src[in:]...), nil
			}
			if len(out)+lit > max {
				return out, &Error{in, "literal", ErrTooLarge}
			}
			out = append(out, src[in:in+lit]...)
			in += lit
			flags <<= uint(lit)
			nflags -= lit
			if nflags == 0 {
				continue
			}
		}
		// Match.
		flags <<= 1
		nflags--
		if in == len(src) {
			return out, nil
		}
		start := in
		if len(src)-in < 2 {
			return out, &Error{in, "match", ErrCorrupt}
		}
		v := int(binary.LittleEndian.Uint16(src[in:]))
		in += 2
		off := v>>3 + 1
		length := v & 7
		if length == 7 {
			if half < 0 {
				if in == len(src) {
					return out, &Error{in, "match length nibble", ErrCorrupt}
				}
				length = int(src[in] & 15)
				half = in
				in++
			} else {
				length = int(src[half] >> 4)
				half = -1
			}
			if length == 15 {
				if in == len(src) {
					return out, &Error{in, "match length byte", ErrCorrupt}
				}
				length = int(src[in])
				in++
				if length == 255 {
					if len(src)-in < 2 {
						return out, &Error{in, "match length u16", ErrCorrupt}
					}
					length = int(binary.LittleEndian.Uint16(src[in:]))
					in += 2
					if length == 0 {
						if len(src)-in < 4 {
							return out, &Error{in, "match length u32", ErrCorrupt}
						}
						length = int(binary.LittleEndian.Uint32(src[in:]))
						in += 4
					}
					if length < 15+7 {
						return out, &Error{start, "match length below 22", ErrCorrupt}
					}
					length -= 15 + 7
				}
				length += 15
			}
			length += 7
		}
		length += 3
		if off > len(out) {
			return out, &Error{start, fmt.Sprintf("match offset %d before start of output (%d bytes)", off, len(out)), ErrCorrupt}
		}
		if length > max-len(out) {
			return out, &Error{start, fmt.Sprintf("match of %d bytes", length), ErrTooLarge}
		}
		out = appendMatch(out, off, length)
	}
}

// appendMatch appends length bytes copied from off bytes back, where the
// source may overlap the bytes being appended (a run).
func appendMatch(out []byte, off, length int) []byte {
	n := len(out)
	if off >= 8 && cap(out)-n >= length+8 {
		// Fast path: 8-byte moves, each reading only bytes already final
		// (off >= 8); up to 7 bytes past the match land in spare capacity.
		o := out[:cap(out)]
		src := n - off
		for i := 0; i < length; i += 8 {
			binary.LittleEndian.PutUint64(o[n+i:], binary.LittleEndian.Uint64(o[src+i:]))
		}
		return out[:n+length]
	}
	if cap(out)-n < length {
		out = grow(out, length)
	}
	out = out[:n+length]
	src := n - off
	if off >= length {
		copy(out[n:], out[src:src+length])
		return out
	}
	// Overlapping: the pattern of off bytes repeats. Copying in chunks that
	// double each time is equivalent to a byte-by-byte forward copy.
	pos := n
	end := n + length
	for pos < end {
		k := copy(out[pos:end], out[src:pos])
		pos += k
	}
	return out
}

// grow returns out with room for at least n more bytes.
func grow(out []byte, n int) []byte {
	c := 2*cap(out) + n
	if c < 4096 {
		c = 4096
	}
	if need := len(out) + n; c > need+(64<<20) {
		c = need + (64 << 20)
	}
	b := make([]byte, len(out), c)
	copy(b, out)
	return b
}
