package etw

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by FormatError (use errors.Is).
var (
	// ErrTruncated: the input ends before a structure it announces.
	ErrTruncated = errors.New("truncated")
	// ErrBadMarker: a record marker word names no known header kind.
	ErrBadMarker = errors.New("bad record marker")
	// ErrBadSize: a size field is impossible (too small, past its container).
	ErrBadSize = errors.New("bad size")
	// ErrDecompress: a compressed buffer does not decompress to its announced length.
	ErrDecompress = errors.New("decompression failed")
	// ErrNoHeader: the file does not start with a logfile-header buffer.
	ErrNoHeader = errors.New("no logfile header")
	// ErrNotETL: the file does not start with a WMI buffer header at all (a
	// PNG or a text file renamed .etl). It also matches ErrNoHeader.
	ErrNotETL = errors.New("not an ETL file")
	// ErrBadTime: a record's timestamp lies outside the file's own time
	// range or before the previous record of its buffer (damage that passes
	// the structural checks); the record is excluded.
	ErrBadTime = errors.New("implausible timestamp")
	// ErrUnsupported: a valid but unsupported feature (e.g. a compression format).
	ErrUnsupported = errors.New("unsupported")
	// ErrErrorRecord: an ERROR (0x0D) record, written by the logger in place of an event.
	ErrErrorRecord = errors.New("error record")
)

// FormatError reports malformed input. Off is a file offset; for records
// inside a compressed buffer it is the buffer's file offset and What names
// the position in the decompressed image ("in decompressed buffer at +N").
type FormatError struct {
	Off  int64
	What string
	Err  error
}

func (e *FormatError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("offset %#x: %s", e.Off, e.What)
	}
	return fmt.Sprintf("offset %#x: %s: %v", e.Off, e.What, e.Err)
}

// Unwrap returns the underlying sentinel or cause.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, err error, format string, args ...any) *FormatError {
	return &FormatError{Off: off, What: fmt.Sprintf(format, args...), Err: err}
}
