package etw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Damaged inputs built in memory from corpus bytes: the reader must return
// every readable record, and errors naming each skipped byte range.

type recID struct {
	buf int64
	pos int
	raw int64
}

func recordIDs(t *testing.T, data []byte) (ids []recID, errs []error) {
	t.Helper()
	f := openBytes(t, data)
	for r, err := range f.Records() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, recID{r.BufferOffset, r.Pos, r.RawTime})
	}
	return ids, errs
}

func buffersOf(t *testing.T, data []byte) []BufferInfo {
	t.Helper()
	var out []BufferInfo
	for b, err := range openBytes(t, data).Buffers() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// without returns ids minus those for which drop is true.
func without(ids []recID, drop func(recID) bool) []recID {
	var out []recID
	for _, id := range ids {
		if !drop(id) {
			out = append(out, id)
		}
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []recID) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: record %d = %+v, want %+v", what, i, got[i], want[i])
			return
		}
	}
}

// oneError checks that errs holds exactly one *FormatError at off wrapping
// sentinel whose text names the skipped range.
func oneError(t *testing.T, what string, errs []error, off int64, sentinel error, rng string) {
	t.Helper()
	if len(errs) != 1 {
		t.Errorf("%s: errors %v, want one", what, errs)
		return
	}
	var fe *FormatError
	if !errors.As(errs[0], &fe) {
		t.Errorf("%s: %T is not a *FormatError", what, errs[0])
		return
	}
	if fe.Off != off || !errors.Is(fe, sentinel) || !strings.Contains(fe.Error(), rng) {
		t.Errorf("%s: error %q (off %#x), want off %#x, %v, naming %q", what, fe, fe.Off, off, sentinel, rng)
	}
}

func TestTruncatedFile(t *testing.T) {
	data := readCorpus(t, "airbus__ShutdownPerfDiagLogger.etl")
	full, errs := recordIDs(t, data)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	bufs := buffersOf(t, data)
	b := bufs[len(bufs)/2]
	cuts := []int64{
		b.Off + int64(b.Offset)/2, // inside a buffer's records
		b.Off + 10,                // inside a buffer header
		b.Off + BufferHeaderSize,  // just after a header
		b.Off,                     // on a buffer boundary
	}
	for _, cut := range cuts {
		ids, errs := recordIDs(t, data[:cut])
		// Everything read is a prefix of the intact file's records, and no
		// record of a complete buffer is lost.
		if len(ids) > len(full) {
			t.Fatalf("cut %#x: more records than the intact file", cut)
		}
		sameIDs(t, fmt.Sprintf("cut %#x prefix", cut), ids, full[:len(ids)])
		before := len(without(full, func(id recID) bool { return id.buf >= b.Off }))
		if len(ids) < before {
			t.Errorf("cut %#x: %d records, want at least the %d of complete buffers", cut, len(ids), before)
		}
		switch {
		case cut == b.Off:
			if len(errs) != 0 || len(ids) != before {
				t.Errorf("cut on a boundary: %d records, errors %v", len(ids), errs)
			}
		case cut-b.Off < BufferHeaderSize:
			oneError(t, "cut in header", errs, b.Off, ErrTruncated, fmt.Sprintf("skipped [%#x, %#x)", b.Off, cut))
		default:
			if len(errs) == 0 {
				t.Errorf("cut %#x: no error", cut)
				continue
			}
			var fe *FormatError
			if !errors.As(errs[0], &fe) || fe.Off != cut || !errors.Is(fe, ErrTruncated) ||
				!strings.Contains(fe.What, fmt.Sprintf("missing [%#x, %#x)", cut, b.Off+int64(b.Size))) {
				t.Errorf("cut %#x: first error %v", cut, errs[0])
			}
			if cut > b.Off+BufferHeaderSize && len(ids) == before {
				t.Errorf("cut %#x: no record read from the partial buffer", cut)
			}
		}
	}
}

func TestCorruptBufferHeader(t *testing.T) {
	for _, name := range []string{"airbus__ShutdownPerfDiagLogger.etl", "perfview__net.4.5.2.x64.etl"} {
		orig := readCorpus(t, name)
		full, _ := recordIDs(t, orig)
		bufs := buffersOf(t, orig)
		b, next := bufs[3], bufs[4]
		for _, size := range []uint32{0, 0x10, 0x7FFFFFF0} {
			data := append([]byte(nil), orig...)
			binary.LittleEndian.PutUint32(data[b.Off:], size)
			ids, errs := recordIDs(t, data)
			what := fmt.Sprintf("%s BufferSize=%#x", name, size)
			sameIDs(t, what, ids, without(full, func(id recID) bool { return id.buf == b.Off }))
			oneError(t, what, errs, b.Off, ErrBadSize, fmt.Sprintf("skipped [%#x, %#x)", b.Off, next.Off))
		}
	}
}

func TestRecordSizePastBuffer(t *testing.T) {
	orig := readCorpus(t, "airbus__ShutdownPerfDiagLogger.etl")
	full, _ := recordIDs(t, orig)
	bufs := buffersOf(t, orig)
	b := bufs[2]
	var inBuf []recID
	for _, id := range full {
		if id.buf == b.Off {
			inBuf = append(inBuf, id)
		}
	}
	victim := inBuf[2]
	data := append([]byte(nil), orig...)
	at := victim.buf + int64(victim.pos)
	kind, _, _ := recordSize(data[at:])
	sizeOff := int64(0)
	if kind.IsKernel() {
		sizeOff = kernelSizeFieldOff
	}
	binary.LittleEndian.PutUint16(data[at+sizeOff:], 0xFFF8)
	ids, errs := recordIDs(t, data)
	sameIDs(t, "record size past buffer", ids, without(full, func(id recID) bool { return id.buf == b.Off && id.pos >= victim.pos }))
	oneError(t, "record size past buffer", errs, at, ErrBadSize, fmt.Sprintf("skipped [%#x, %#x)", at, b.Off+int64(b.Offset)))

	// A marker that names no header kind ends the buffer the same way.
	data = append([]byte(nil), orig...)
	binary.LittleEndian.PutUint32(data[at:], 0x12345678)
	ids, errs = recordIDs(t, data)
	sameIDs(t, "bad marker", ids, without(full, func(id recID) bool { return id.buf == b.Off && id.pos >= victim.pos }))
	oneError(t, "bad marker", errs, at, ErrBadMarker, fmt.Sprintf("skipped [%#x, %#x)", at, b.Off+int64(b.Offset)))
}

func TestBadCompressedLength(t *testing.T) {
	orig := readCorpus(t, "perfview__net.4.5.2.x64.etl")
	full, _ := recordIDs(t, orig)
	bufs := buffersOf(t, orig)
	b := bufs[5]
	if !b.Compressed {
		t.Fatal("buffer 5 is not compressed")
	}
	for _, delta := range []int32{8, -8, 1 << 20} {
		data := append([]byte(nil), orig...)
		binary.LittleEndian.PutUint32(data[b.Off+0x30:], uint32(int32(b.Offset)+delta))
		ids, errs := recordIDs(t, data)
		what := fmt.Sprintf("Offset%+d", delta)
		sameIDs(t, what, ids, without(full, func(id recID) bool { return id.buf == b.Off }))
		oneError(t, what, errs, b.Off, ErrDecompress, fmt.Sprintf("skipped [%#x, %#x)", b.Off, b.Off+int64(b.Size)))
	}
	// Damaged compressed bytes: an error or records, never a panic; other
	// buffers are intact.
	data := append([]byte(nil), orig...)
	for i := b.Off + BufferHeaderSize + 100; i < b.Off+int64(b.Size); i += 97 {
		data[i] ^= 0x5A
	}
	ids, _ := recordIDs(t, data)
	others := without(full, func(id recID) bool { return id.buf == b.Off })
	sameIDs(t, "damaged stream, other buffers", without(ids, func(id recID) bool { return id.buf == b.Off }), others)
}

func TestUnreadableFile(t *testing.T) {
	orig := readCorpus(t, "s4__SIH.20230422.034724.362.1.etl")
	cases := map[string][]byte{
		"empty":             {},
		"short":             orig[:20],
		"bad first marker":  append(append(append([]byte(nil), orig[:BufferHeaderSize]...), 1, 2, 3, 4), orig[BufferHeaderSize+4:]...),
		"header too short":  orig[:BufferHeaderSize+0x40],
		"not the header":    func() []byte { d := append([]byte(nil), orig...); d[BufferHeaderSize+7] = 5; return d }(),
		"buffer size below": func() []byte { d := append([]byte(nil), orig...); d[0], d[1] = 0, 0; return d }(),
	}
	for name, data := range cases {
		_, err := NewFile(bytesReader(data), int64(len(data)))
		if !errors.Is(err, ErrNoHeader) {
			t.Errorf("%s: err %v, want ErrNoHeader", name, err)
		}
	}
}
