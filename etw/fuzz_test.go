package etw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// Reading modes of checkInvariants. Each fuzz input is read one way only,
// chosen by a byte of the input, so that one exec stays cheap. Parallel is
// left out: it starts goroutines per file, and TestParallel already checks
// that it yields what the sequential walk yields.
const (
	modeFileOrder = iota // Records()
	modeTimeOrder        // Records(TimeOrder())
	modeBuffers          // Buffers()
	modeStats            // ComputeStats
	numModes
)

// checkInvariants reads data in the given mode (mode % numModes) and checks
// that it returns records or *FormatErrors, never panics or loops, and
// that records lie inside the data.
func checkInvariants(t *testing.T, mode uint8, data []byte) {
	f, err := NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) && !errors.Is(err, ErrNoHeader) {
			t.Fatalf("NewFile error %T %v is not a FormatError", err, err)
		}
		return
	}
	// Records and errors cannot outnumber len/minRecordSize by much; the
	// factor 4 leaves room for compressed buffers, whose images are larger.
	limit := 4 * (len(data)/minRecordSize + 16)
	switch mode % numModes {
	case modeFileOrder:
		checkRecords(t, f, data, limit)
	case modeTimeOrder:
		checkRecords(t, f, data, limit, TimeOrder())
	case modeBuffers:
		n := 0
		for _, err := range f.Buffers() {
			if n++; n > limit {
				t.Fatalf("more than %d buffers and errors from %d bytes", limit, len(data))
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("buffer error %T is not a FormatError", err)
				}
			}
		}
	case modeStats:
		if _, err := ComputeStats(f); err != nil {
			t.Fatal(err)
		}
	}
}

// checkRecords walks f.Records(opts...) and checks every result.
func checkRecords(t *testing.T, f *File, data []byte, limit int, opts ...Option) {
	n := 0
	for r, err := range f.Records(opts...) {
		if n++; n > limit {
			t.Fatalf("more than %d results from %d bytes", limit, len(data))
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a FormatError", err, err)
			}
			continue
		}
		if len(r.Raw) < minRecordSize || len(r.Payload) > len(r.Raw) || len(r.Ext) > len(r.Raw) {
			t.Fatalf("record slices inconsistent: raw %d ext %d payload %d", len(r.Raw), len(r.Ext), len(r.Payload))
		}
		if !r.Compressed && (r.BufferOffset < 0 || r.BufferOffset+int64(r.Pos)+int64(len(r.Raw)) > int64(len(data))) {
			t.Fatalf("record at %#x+%#x (%d bytes) outside %d bytes of input", r.BufferOffset, r.Pos, len(r.Raw), len(data))
		}
		for _, err := range r.ExtItems() {
			if err != nil {
				t.Fatalf("ext items of an accepted record: %v", err)
			}
		}
		_ = r.CountKey().String()
	}
}

// addCorpusSeeds adds the small corpus files, when ../shared is present.
func addCorpusSeeds(f *testing.F, max int64) {
	dir, ok := shared.Dir()
	if !ok {
		return
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.etl"))
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Size() <= max {
			if b, err := os.ReadFile(p); err == nil {
				addModes(f, b)
			}
		}
	}
}

// addModes adds seed b once in every reading mode.
func addModes(f *testing.F, b []byte) {
	for m := range uint8(numModes) {
		f.Add(m, b)
	}
}

// shrinkBuffers cuts every buffer of a file built by buildFile down to its
// used bytes (BufferSize = Offset), so that fuzz inputs stay small: the
// fuzzer's minimiser is quadratic in the input length, and a 3 KiB input
// kept it busy for most of a run.
func shrinkBuffers(file []byte) []byte {
	var out []byte
	for off := 0; off+testBufSize <= len(file); off += testBufSize {
		b := file[off : off+testBufSize]
		used := int(binary.LittleEndian.Uint32(b[0x30:]))
		nb := append([]byte(nil), b[:used]...)
		binary.LittleEndian.PutUint32(nb[0x00:], uint32(used))
		out = append(out, nb...)
	}
	return out
}

// walkSeeds returns the synthetic seeds of FuzzBufferWalk, buffers shrunk.
func walkSeeds() [][]byte {
	h := defaultTestHeader()
	two := buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 3, 1, 5, nil)}, [][]byte{sysRecord(KindSystem32, 2, 4, 1, 6, nil)})
	compressed := append([]byte(nil), two...)
	binary.LittleEndian.PutUint16(compressed[testBufSize+0x34:], BufferFlagCompressed)
	seeds := [][]byte{
		shrinkBuffers(buildFile(h)),
		shrinkBuffers(buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 3, 1, 5, []byte{1, 2, 3})})),
		shrinkBuffers(two),
		shrinkBuffers(compressed),
	}
	short := seeds[2]
	return append(seeds, short[:len(short)-20])
}

// The shrunk seeds are still good files: every record of the full-size
// file is read from them, so the fuzzer starts from valid input.
func TestShrunkSeedsRead(t *testing.T) {
	h := defaultTestHeader()
	two := buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 3, 1, 5, nil)}, [][]byte{sysRecord(KindSystem32, 2, 4, 1, 6, nil)})
	small := shrinkBuffers(two)
	if len(small) >= len(two)/2 {
		t.Fatalf("shrunk file is %d bytes of %d", len(small), len(two))
	}
	read := func(b []byte) (recs []string) {
		f, err := NewFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for r, err := range f.Records() {
			if err != nil {
				t.Fatalf("%d-byte file: %v", len(b), err)
			}
			recs = append(recs, fmt.Sprintf("%v %d %d %x", r.Kind, r.Time, r.Opcode, r.Payload))
		}
		return recs
	}
	want, got := read(two), read(small)
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Fatalf("shrunk file gives %q, full file %q", got, want)
	}
}

// FuzzBufferWalk feeds whole files: buffer headers, sizes, compression.
// The first argument picks the reading mode (see checkInvariants). Only
// the smallest corpus trace is a seed, for the reason in shrinkBuffers.
func FuzzBufferWalk(f *testing.F) {
	for _, s := range walkSeeds() {
		addModes(f, s)
	}
	addCorpusSeeds(f, 2<<10)
	f.Fuzz(checkInvariants)
}

// FuzzRecordHeaders feeds the payload of one buffer after a valid buffer 0,
// read in the mode the first argument picks.
func FuzzRecordHeaders(f *testing.F) {
	ext := append(extItem(ExtStackTrace64, true, make([]byte, 16)), extItem(ExtEventSchemaTL, false, []byte("abc"))...)
	seeds := [][]byte{
		sysRecord(KindSystem64, 0x8203, 0x1A, 0x21, 7, make([]byte, 40)),
		eventRecord(GUID{Data1: 5}, 1, 2, 3, 8, ext, []byte("x")),
		{0x10, 0, 0, 0x90, 1, 0, 0xFF, 0, 1, 2, 3, 4, 5, 6, 7, 8},
		{0x30, 0, byte(KindFull64), 0xC0},
	}
	for _, s := range seeds {
		addModes(f, s)
	}
	head := buildBuffer(0, 0, BufferTypeHeader, buildHeaderEvent(defaultTestHeader()))
	f.Fuzz(func(t *testing.T, mode uint8, payload []byte) {
		if len(payload) > testBufSize-BufferHeaderSize {
			payload = payload[:testBufSize-BufferHeaderSize]
		}
		buf := buildBuffer(1, 0, BufferTypeGeneric)
		copy(buf[BufferHeaderSize:], payload)
		binary.LittleEndian.PutUint32(buf[0x30:], uint32(BufferHeaderSize+len(payload)))
		checkInvariants(t, mode, append(append([]byte(nil), head...), buf...))
	})
}
