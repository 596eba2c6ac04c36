package etw

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// NotETLError reports a file that has no WMI buffer header at offset 0, so
// it is no ETL file at all (docs/format.md#buffers: buffer 0 starts the
// file). Found describes what the file starts with instead. It matches
// ErrNotETL and ErrNoHeader with errors.Is.
type NotETLError struct {
	Size  int64  // file size
	Found string // what offset 0 holds, e.g. "a PNG image signature"
}

func (e *NotETLError) Error() string {
	return "not an ETL file: no WMI buffer header at offset 0 (found " + e.Found + ")"
}

// Is makes errors.Is(err, ErrNotETL) and errors.Is(err, ErrNoHeader) hold.
func (e *NotETLError) Is(target error) bool { return target == ErrNotETL || target == ErrNoHeader }

// magics are file signatures worth naming when a file is not an ETL file.
var magics = []struct {
	sig  string
	name string
}{
	{"\x89PNG\r\n\x1a\n", "a PNG image signature"},
	{"%PDF-", "a PDF signature"},
	{"PK\x03\x04", "a ZIP archive signature"},
	{"\x1f\x8b", "a gzip signature"},
	{"\x7fELF", "an ELF executable signature"},
	{"MZ", "a Windows executable (MZ) signature"},
	{"\xff\xd8\xff", "a JPEG image signature"},
	{"<?xml", "XML text"},
}

// checkBuffer0 returns a *NotETLError when the first bytes of a file of
// size bytes cannot be a WMI buffer header, else nil. first holds up to
// BufferHeaderSize+8 bytes read at offset 0.
func checkBuffer0(first []byte, size int64) error {
	if size == 0 {
		return &NotETLError{Size: size, Found: "an empty file"}
	}
	if size >= BufferHeaderSize && len(first) >= BufferHeaderSize && plausible(first, size) {
		return nil
	}
	return &NotETLError{Size: size, Found: describeStart(first, size)}
}

// describeStart names what a non-ETL file starts with.
func describeStart(b []byte, size int64) string {
	for _, m := range magics {
		if bytes.HasPrefix(b, []byte(m.sig)) {
			return m.name
		}
	}
	if size < BufferHeaderSize {
		return fmt.Sprintf("%d bytes, fewer than the %d of a buffer header", size, BufferHeaderSize)
	}
	if isText(b) {
		t := b
		if len(t) > 16 {
			t = t[:16]
		}
		return fmt.Sprintf("text %q…", t)
	}
	n := min(len(b), 8)
	return fmt.Sprintf("bytes % x", b[:n])
}

// isText reports whether b is printable UTF-8 with common whitespace.
func isText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			// A rune cut by the end of the sample still counts as text.
			return len(b) < utf8.UTFMax && utf8.RuneStart(b[0])
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
		b = b[n:]
	}
	return true
}
