package etw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// checkInvariants reads data every way the package offers and checks that
// it returns records or *FormatErrors, never panics or loops, and that
// records lie inside the data.
func checkInvariants(t *testing.T, data []byte) {
	f, err := NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) && !errors.Is(err, ErrNoHeader) {
			t.Fatalf("NewFile error %T %v is not a FormatError", err, err)
		}
		return
	}
	limit := len(data)/minRecordSize + 16 // records and errors cannot outnumber this
	for _, opts := range [][]Option{nil, {TimeOrder()}, {Parallel(2)}, {TimeOrder(), Parallel(2)}} {
		n := 0
		for r, err := range f.Records(opts...) {
			n++
			if n > 4*limit {
				t.Fatalf("more than %d results from %d bytes", 4*limit, len(data))
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
	for _, err := range f.Buffers() {
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("buffer error %T is not a FormatError", err)
			}
		}
	}
	if _, err := ComputeStats(f); err != nil {
		t.Fatal(err)
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
				f.Add(b)
			}
		}
	}
}

// FuzzBufferWalk feeds whole files: buffer headers, sizes, compression.
func FuzzBufferWalk(f *testing.F) {
	h := defaultTestHeader()
	f.Add(buildFile(h))
	f.Add(buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 3, 1, 5, []byte{1, 2, 3})}))
	two := buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 3, 1, 5, nil)}, [][]byte{sysRecord(KindSystem32, 2, 4, 1, 6, nil)})
	f.Add(two)
	f.Add(two[:len(two)-100])
	compressed := append([]byte(nil), two...)
	binary.LittleEndian.PutUint16(compressed[testBufSize+0x34:], BufferFlagCompressed)
	f.Add(compressed)
	addCorpusSeeds(f, 8<<10)
	f.Fuzz(checkInvariants)
}

// FuzzRecordHeaders feeds the payload of one buffer after a valid buffer 0.
func FuzzRecordHeaders(f *testing.F) {
	ext := append(extItem(ExtStackTrace64, true, make([]byte, 16)), extItem(ExtEventSchemaTL, false, []byte("abc"))...)
	seeds := [][]byte{
		sysRecord(KindSystem64, 0x8203, 0x1A, 0x21, 7, make([]byte, 40)),
		eventRecord(GUID{Data1: 5}, 1, 2, 3, 8, ext, []byte("x")),
		{0x10, 0, 0, 0x90, 1, 0, 0xFF, 0, 1, 2, 3, 4, 5, 6, 7, 8},
		{0x30, 0, byte(KindFull64), 0xC0},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	head := buildBuffer(0, 0, BufferTypeHeader, buildHeaderEvent(defaultTestHeader()))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > testBufSize-BufferHeaderSize {
			payload = payload[:testBufSize-BufferHeaderSize]
		}
		buf := buildBuffer(1, 0, BufferTypeGeneric)
		copy(buf[BufferHeaderSize:], payload)
		binary.LittleEndian.PutUint32(buf[0x30:], uint32(BufferHeaderSize+len(payload)))
		checkInvariants(t, append(append([]byte(nil), head...), buf...))
	})
}
