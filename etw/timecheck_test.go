package etw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// demoRecord is one record of testdata/demo.etl: where it is and when.
type demoRecord struct {
	off  int64 // absolute file offset of the record header
	buf  int64 // offset of its buffer
	kind HeaderKind
	raw  int64
}

func readDemo(t *testing.T) ([]byte, []demoRecord) {
	t.Helper()
	data, err := os.ReadFile("../testdata/demo.etl")
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var recs []demoRecord
	for r, err := range f.Records() {
		if err != nil {
			t.Fatalf("intact demo: %v", err)
		}
		if !r.NoTime {
			recs = append(recs, demoRecord{r.BufferOffset + int64(r.Pos), r.BufferOffset, r.Kind, r.RawTime})
		}
	}
	return data, recs
}

// readDamaged reads data and returns the number of records and the
// ErrBadTime warnings.
func readDamaged(t *testing.T, data []byte) (int, []*FormatError) {
	t.Helper()
	f, err := NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var bad []*FormatError
	for r, err := range f.Records() {
		var fe *FormatError
		if errors.As(err, &fe) && errors.Is(err, ErrBadTime) {
			bad = append(bad, fe)
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if r != nil {
			n++
		}
	}
	return n, bad
}

// TestDamagedTimestamp: a copy of the demo with 5 bytes of one record's
// timestamp changed is read with a warning naming that record's absolute
// offset, and without that record; so is a timestamp moved before its
// predecessor in the same buffer.
func TestDamagedTimestamp(t *testing.T) {
	data, recs := readDemo(t)
	// The SYSTEM64 and EVENT_HEADER64 headers keep their timestamp at +0x10.
	var pick int
	for i := len(recs) / 2; i < len(recs); i++ {
		k := recs[i].kind
		prev := recs[i-1]
		if (k == KindSystem64 || k == KindEvent64) && prev.buf == recs[i].buf && prev.raw < recs[i].raw {
			pick = i
			break
		}
	}
	if pick == 0 {
		t.Fatal("no record to damage")
	}
	target := recs[pick]
	for _, tc := range []struct {
		name   string
		damage func(b []byte)
		want   string
	}{
		{"five high bytes", func(b []byte) {
			copy(b[target.off+0x13:], []byte{0x7f, 0x7f, 0x7f, 0x7f, 0x7f})
		}, " the trace "}, // before its start or after its end, by how the clock wraps
		{"before its predecessor", func(b []byte) {
			binary.LittleEndian.PutUint64(b[target.off+0x10:], uint64(recs[pick-1].raw-1))
		}, "before the previous record of its buffer"},
	} {
		b := bytes.Clone(data)
		tc.damage(b)
		n, bad := readDamaged(t, b)
		if len(bad) != 1 {
			t.Errorf("%s: %d timestamp warnings, want 1: %v", tc.name, len(bad), bad)
			continue
		}
		if bad[0].Off != target.off || !strings.Contains(bad[0].Error(), tc.want) {
			t.Errorf("%s: warning %q at %#x; want offset %#x and %q", tc.name, bad[0], bad[0].Off, target.off, tc.want)
		}
		if n != len(recs)-1+countUntimed(t, data) {
			t.Errorf("%s: %d records read, want every one but the damaged", tc.name, n)
		}
	}
}

func countUntimed(t *testing.T, data []byte) int {
	f, err := NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r, err := range f.Records() {
		if err == nil && r.NoTime {
			n++
		}
	}
	return n
}
