package etw

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Files that are not ETL at all are named so, whatever their size, instead
// of being reported as truncated or damaged ETL.
func TestNotETL(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 4096)...)
	text := []byte(strings.Repeat("hello, this is a README renamed to .etl\n", 200))
	for _, tc := range []struct {
		name  string
		data  []byte
		found string
	}{
		{"png", png, "a PNG image signature"},
		{"text", text, `text "hello, this is a"…`},
		{"short text", []byte("hi\n"), "3 bytes, fewer than the 72 of a buffer header"},
		{"empty", nil, "an empty file"},
		{"zeros", make([]byte, 8192), "bytes 00 00 00 00 00 00 00 00"},
	} {
		_, err := NewFile(bytes.NewReader(tc.data), int64(len(tc.data)))
		var ne *NotETLError
		if !errors.As(err, &ne) {
			t.Errorf("%s: err = %v, want *NotETLError", tc.name, err)
			continue
		}
		if !errors.Is(err, ErrNotETL) || !errors.Is(err, ErrNoHeader) {
			t.Errorf("%s: %v does not match ErrNotETL and ErrNoHeader", tc.name, err)
		}
		want := "not an ETL file: no WMI buffer header at offset 0 (found " + tc.found + ")"
		if err.Error() != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, err, want)
		}
	}
}
