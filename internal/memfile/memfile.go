// Package memfile provides an in-memory io.WriteSeeker, so that the ETL
// writer can patch the logfile header at Close exactly as it does in a file,
// without touching the disk (tests, and commands that write to a buffer).
package memfile

import (
	"errors"
	"io"
)

// File is an in-memory io.WriteSeeker. The zero value is an empty file.
type File struct {
	b   []byte
	off int64
}

// Write writes p at the current offset, growing the file as needed.
func (m *File) Write(p []byte) (int, error) {
	if need := m.off + int64(len(p)); need > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, need-int64(len(m.b)))...)
	}
	copy(m.b[m.off:], p)
	m.off += int64(len(p))
	return len(p), nil
}

// Seek sets the offset for the next Write.
func (m *File) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	default:
		return 0, errors.New("memfile: invalid whence")
	}
	if off < 0 {
		return 0, errors.New("memfile: negative offset")
	}
	m.off = off
	return off, nil
}

// Bytes returns the file's contents (aliasing its storage).
func (m *File) Bytes() []byte { return m.b }
