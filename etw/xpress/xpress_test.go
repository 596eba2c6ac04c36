package xpress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// stream builds a compressed stream from a flag word and token bytes.
func stream(flags uint32, tokens ...byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, flags)
	return append(b, tokens...)
}

func TestDecompressHandBuilt(t *testing.T) {
	rep := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"empty", nil, []byte{}},
		{"literals", stream(0x1FFFFFFF, 'a', 'b', 'c'), []byte("abc")},
		{"short match", stream(0x1FFFFFFF, 'a', 'b', 'c', 2<<3|3, 0), []byte("abcabcabc")},
		{"overlap offset 2", stream(0x3FFFFFFF, 'a', 'b', 1<<3|4, 0), []byte("ababababa")},
		{"nibble low", stream(0x7FFFFFFF, 'a', 7, 0, 0), rep('a', 11)},
		{"nibble shared byte", stream(0x7FFFFFFF, 'a', 7, 0, 0x20, 7, 0), rep('a', 1+10+12)},
		{"nibble then fresh byte", stream(0x7FFFFFFF, 'a', 7, 0, 0x31, 7, 0, 7, 0, 0x04), rep('a', 1+11+13+14)},
		{"byte escape", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 5), rep('a', 1+3+7+15+5)},
		{"u16 escape", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 0xE8, 0x03), rep('a', 1+1000+3)},
		{"u16 escape minimum", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 22, 0), rep('a', 1+22+3)},
		{"u32 escape", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 0, 0, 0x70, 0x11, 0x01, 0), rep('a', 1+70000+3)},
		{"end at flag boundary", stream(0, []byte("0123456789abcdef0123456789ABCDEF")...), []byte("0123456789abcdef0123456789ABCDEF")},
		{"end after full flag word with ones", append(stream(0, []byte("0123456789abcdef0123456789ABCDEF")...), 0xFF, 0xFF, 0xFF, 0xFF), []byte("0123456789abcdef0123456789ABCDEF")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decompress(nil, tt.in)
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes %q, want %d bytes %q", len(got), trim(got), len(tt.want), trim(tt.want))
			}
		})
	}
}

func TestDecompressMaxOffset(t *testing.T) {
	// 8192 literal bytes, then a match of 3 at offset 8192 (v = 8191<<3).
	var want, in []byte
	for i := 0; i < 8192; i += 32 {
		in = binary.LittleEndian.AppendUint32(in, 0)
		for j := 0; j < 32; j++ {
			c := byte((i + j) * 7 / 3)
			in = append(in, c)
			want = append(want, c)
		}
	}
	in = binary.LittleEndian.AppendUint32(in, 0xFFFFFFFF)
	in = binary.LittleEndian.AppendUint16(in, 8191<<3)
	want = append(want, want[:3]...)
	got, err := Decompress(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("max offset match: got %d bytes, want %d", len(got), len(want))
	}
}

func trim(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func TestDecompressErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		max  int
		err  error
		off  int
	}{
		{"short flag word", []byte{1, 2}, 100, ErrCorrupt, 0},
		{"offset before start", stream(0x7FFFFFFF, 'a', 1<<3, 0), 100, ErrCorrupt, 5},
		{"match at start", stream(0xFFFFFFFF, 0, 0), 100, ErrCorrupt, 4},
		{"truncated match", stream(0x7FFFFFFF, 'a', 7), 100, ErrCorrupt, 5},
		{"missing nibble", stream(0x7FFFFFFF, 'a', 7, 0), 100, ErrCorrupt, 7},
		{"missing length byte", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F), 100, ErrCorrupt, 8},
		{"missing u16", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 1), 100, ErrCorrupt, 9},
		{"missing u32", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 0, 0, 1, 2), 100, ErrCorrupt, 11},
		{"u16 below 22", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 21, 0), 100, ErrCorrupt, 5},
		{"too large match", stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F), 1 << 20, ErrTooLarge, 5},
		{"too large literal", stream(0x0FFFFFFF, 'a', 'b', 'c', 'd'), 3, ErrTooLarge, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecompressLimit(nil, tt.in, tt.max)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Off != tt.off {
				t.Fatalf("err = %v, want *Error at offset %d", err, tt.off)
			}
		})
	}
}

func TestDecompressLimitExact(t *testing.T) {
	data := bytes.Repeat([]byte("exact size "), 100)
	c := Compress(nil, data)
	if _, err := DecompressLimit(nil, c, len(data)); err != nil {
		t.Fatalf("limit = size: %v", err)
	}
	if _, err := DecompressLimit(nil, c, len(data)-1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit = size-1: err = %v, want ErrTooLarge", err)
	}
}

func TestDecompressReusesBuffer(t *testing.T) {
	data := bytes.Repeat([]byte("reuse "), 1000)
	c := Compress(nil, data)
	buf := make([]byte, 10, len(data))
	got, err := Decompress(buf, c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("err %v, equal %v", err, bytes.Equal(got, data))
	}
	if &got[0] != &buf[:1][0] {
		t.Fatal("output does not reuse dst's array")
	}
	if n := testing.AllocsPerRun(10, func() { Decompress(buf, c) }); n != 0 {
		t.Fatalf("%v allocations per Decompress with a large enough dst", n)
	}
}

func roundTrip(t *testing.T, data []byte) {
	t.Helper()
	c := Compress(nil, data)
	got, err := DecompressLimit(nil, c, len(data))
	if err != nil {
		t.Fatalf("%d bytes: decompress: %v", len(data), err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("%d bytes: round trip mismatch (got %d bytes)", len(data), len(got))
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	lowEntropy := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab\x00\xff"[r.IntN(4)]
		}
		return b
	}
	var text []byte
	for i := 0; len(text) < 200000; i++ {
		text = append(text, []byte("pipe \\Device\\NamedPipe\\srv")...)
		text = binary.LittleEndian.AppendUint64(text, uint64(i*i))
	}
	cases := map[string][]byte{
		"empty":    {},
		"one":      {42},
		"two":      {1, 2},
		"zeros 1M": make([]byte, 1<<20),
		"ff 70000": bytes.Repeat([]byte{0xFF}, 70000),
		"random":   random(100000),
		"low":      lowEntropy(100000),
		"text":     text,
		// Lengths on each escape boundary: 3+7-1, 3+7, 3+7+15, 3+7+15+255, 0xFFFF+3, 0x10000+3.
		"runs": func() []byte {
			var b []byte
			for i, n := range []int{9, 10, 24, 25, 26, 279, 280, 281, 0xFFFF + 3, 0x10000 + 3, 0x10000 + 4} {
				b = append(b, byte(i), byte(i+100))
				b = append(b, bytes.Repeat([]byte{byte(i)}, n)...)
			}
			return b
		}(),
	}
	for n := 0; n < 80; n++ {
		cases["small random "+string(rune('A'+n%26))+string(rune('a'+n/26))] = lowEntropy(n)
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) { roundTrip(t, data) })
	}
	if c := Compress(nil, make([]byte, 1<<20)); len(c) > 200 {
		t.Errorf("1 MiB of zeros compressed to %d bytes, want a few dozen", len(c))
	}
	if c := Compress(nil, text); len(c) > len(text)/2 {
		t.Errorf("repetitive text compressed to %d of %d bytes", len(c), len(text))
	}
}

func TestCompressSegments(t *testing.T) {
	defer func(s int) { segment = s }(segment)
	segment = 5000
	var data []byte
	for i := 0; len(data) < 50000; i++ {
		data = append(data, []byte("segment boundary test ")...)
		data = append(data, byte(i), byte(i>>8))
	}
	roundTrip(t, data)
	roundTrip(t, make([]byte, 3*segment+7))
}

func TestCompressAppends(t *testing.T) {
	prefix := []byte("prefix")
	c := Compress(append([]byte(nil), prefix...), []byte("hello hello hello"))
	if !bytes.HasPrefix(c, prefix) {
		t.Fatal("Compress did not append to dst")
	}
	got, err := Decompress(nil, c[len(prefix):])
	if err != nil || string(got) != "hello hello hello" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// compressedBuffer is one compressed buffer of a corpus file.
type compressedBuffer struct {
	off     int64
	payload []byte
	size    int // expected decompressed length: Offset - 0x48
}

// corpusBuffers walks the buffers of an .etl file (docs/format.md#buffers, docs/format.md#buffer-header)
// and returns its compressed ones.
func corpusBuffers(t testing.TB, name string) []compressedBuffer {
	t.Helper()
	p := shared.Path(t, "corpus", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var bufs []compressedBuffer
	for off := 0; off < len(data); {
		if len(data)-off < 0x48 {
			t.Fatalf("%s: %d trailing bytes at %#x", name, len(data)-off, off)
		}
		h := data[off:]
		size := int(binary.LittleEndian.Uint32(h))
		offset := int(binary.LittleEndian.Uint32(h[0x30:]))
		flag := binary.LittleEndian.Uint16(h[0x34:])
		if size < 0x48 || size > len(data)-off {
			t.Fatalf("%s: bad BufferSize %d at %#x", name, size, off)
		}
		if flag&0x40 != 0 {
			bufs = append(bufs, compressedBuffer{int64(off), h[0x48:size], offset - 0x48})
		}
		off += size
	}
	return bufs
}

var corpusCompressed = []string{
	"perfview__net.4.5.2.x64.etl",
	"perfview__SelfDescribingSingleEvent.etl",
	"perfview__smallEtlFile.etl",
}

func TestDecompressCorpus(t *testing.T) {
	total := 0
	for _, name := range corpusCompressed {
		t.Run(name, func(t *testing.T) {
			bufs := corpusBuffers(t, name)
			if len(bufs) == 0 {
				t.Fatal("no compressed buffers")
			}
			var out []byte
			theirs, ours, plain := 0, 0, 0
			for _, b := range bufs {
				var err error
				out, err = DecompressLimit(out, b.payload, b.size)
				if err != nil {
					t.Fatalf("buffer at %#x: %v", b.off, err)
				}
				if len(out) != b.size {
					t.Fatalf("buffer at %#x: decompressed %d bytes, want Offset-0x48 = %d", b.off, len(out), b.size)
				}
				// The first record of every buffer has the 0xC0 or 0x90 marker flags.
				if top := out[3]; top != 0xC0 && top != 0x90 {
					t.Fatalf("buffer at %#x: first record marker %#x", b.off, binary.LittleEndian.Uint32(out))
				}
				// Our compressor round-trips the real payload.
				roundTrip(t, out)
				theirs += len(b.payload)
				ours += len(Compress(nil, out))
				plain += len(out)
			}
			t.Logf("%d bytes: Windows compressed to %d, Compress to %d", plain, theirs, ours)
			total += len(bufs)
			t.Logf("%d compressed buffers", len(bufs))
		})
	}
	t.Logf("%d compressed buffers decompressed", total)
}

func BenchmarkDecompressCorpus(b *testing.B) {
	bufs := corpusBuffers(b, "perfview__net.4.5.2.x64.etl")
	n := 0
	maxSize := 0
	for _, buf := range bufs {
		n += buf.size
		maxSize = max(maxSize, buf.size)
	}
	out := make([]byte, 0, maxSize)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, buf := range bufs {
			var err error
			out, err = DecompressLimit(out, buf.payload, buf.size)
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkCompressCorpus(b *testing.B) {
	bufs := corpusBuffers(b, "perfview__net.4.5.2.x64.etl")
	var plain [][]byte
	n := 0
	for _, buf := range bufs {
		out, err := DecompressLimit(nil, buf.payload, buf.size)
		if err != nil {
			b.Fatal(err)
		}
		plain = append(plain, out)
		n += len(out)
	}
	var dst []byte
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range plain {
			dst = Compress(dst[:0], p)
		}
	}
}

// referenceDecompress follows the [MS-XCA] §2.4 pseudo-code byte by byte
// (no limit); ok is false where Decompress reports ErrCorrupt.
func referenceDecompress(in []byte) (out []byte, ok bool) {
	var flags uint32
	nflags, pos, half := 0, 0, -1
	for {
		if nflags == 0 {
			if pos == len(in) {
				return out, true
			}
			if len(in)-pos < 4 {
				return out, false
			}
			flags = binary.LittleEndian.Uint32(in[pos:])
			pos += 4
			nflags = 32
		}
		nflags--
		if flags&(1<<uint(nflags)) == 0 {
			if pos == len(in) {
				return out, true
			}
			out = append(out, in[pos])
			pos++
			continue
		}
		if pos == len(in) {
			return out, true
		}
		if len(in)-pos < 2 {
			return out, false
		}
		v := int(binary.LittleEndian.Uint16(in[pos:]))
		pos += 2
		off, length := v/8+1, v%8
		if length == 7 {
			if half < 0 {
				if pos == len(in) {
					return out, false
				}
				length = int(in[pos] % 16)
				half = pos
				pos++
			} else {
				length = int(in[half] / 16)
				half = -1
			}
			if length == 15 {
				if pos == len(in) {
					return out, false
				}
				length = int(in[pos])
				pos++
				if length == 255 {
					if len(in)-pos < 2 {
						return out, false
					}
					length = int(binary.LittleEndian.Uint16(in[pos:]))
					pos += 2
					if length == 0 {
						if len(in)-pos < 4 {
							return out, false
						}
						length = int(binary.LittleEndian.Uint32(in[pos:]))
						pos += 4
					}
					if length < 22 {
						return out, false
					}
					length -= 22
				}
				length += 15
			}
			length += 7
		}
		length += 3
		if off > len(out) || length > 1<<24 {
			return out, false
		}
		for i := 0; i < length; i++ {
			out = append(out, out[len(out)-off])
		}
	}
}

func FuzzDecompress(f *testing.F) {
	f.Add([]byte{}, 100)
	f.Add(stream(0x7FFFFFFF, 'a', 7, 0, 0x0F, 0xFF, 0, 0, 0x70, 0x11, 0x01, 0), 1<<20)
	f.Add(stream(0x1FFFFFFF, 'a', 'b', 'c', 2<<3|3, 0), 9)
	f.Add(Compress(nil, bytes.Repeat([]byte("fuzz seed "), 50)), 500)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		max = max & (1<<22 - 1)
		out, err := DecompressLimit(nil, in, max)
		if len(out) > max {
			t.Fatalf("output %d bytes exceeds limit %d", len(out), max)
		}
		// Differential check against the byte-by-byte reference.
		if ref, ok := referenceDecompress(in); ok && len(ref) <= max {
			if err != nil || !bytes.Equal(out, ref) {
				t.Fatalf("reference gives %d bytes, Decompress %d bytes, err %v", len(ref), len(out), err)
			}
		} else if !ok && err == nil {
			t.Fatalf("reference fails, Decompress succeeds with %d bytes", len(out))
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Off < 0 || e.Off > len(in) {
				t.Fatalf("bad error %v", err)
			}
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("abcabcabcabcabc"))
	f.Add(bytes.Repeat([]byte{0}, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data)
	})
}
