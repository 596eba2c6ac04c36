// Package etw reads and writes Event Trace Log (.etl) files in pure Go:
// buffers, every record header kind in 32- and 64-bit form, XPRESS
// compressed buffers, timestamps per clock type, extended data items and
// TraceLogging metadata. The byte layouts are in docs/format.md; section
// numbers in comments refer to it.
//
// A File is read with Records, which streams records in file order (or in
// time order with TimeOrder). Damaged input never stops the stream: each
// unreadable byte range is reported as a *FormatError naming its offset,
// and reading resumes at the next record or buffer.
package etw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"sync"
)

// File is an open .etl file. Its methods may be called from several
// goroutines; each Records or Buffers iteration has its own state.
type File struct {
	r      io.ReaderAt
	closer io.Closer
	size   int64
	hdr    LogfileHeader
	clk    clock
	buf0   BufferInfo
	tb     timeBounds

	mu       sync.Mutex
	warnings []error
	seen     map[string]bool

	// The walk of the buffer headers, done once (steps).
	walkOnce sync.Once
	walked   []scanStep
}

// maxWarnings bounds the warnings kept by a File; later ones are counted.
const maxWarnings = 1000

// errIsDir is the cause of the *fs.PathError Open returns for a directory:
// an I/O error, not a malformed file.
var errIsDir = errors.New("is a directory")

// Open opens the named file. It fails only when the file cannot be read at
// all: no buffer 0 or no logfile header in it.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	if st.IsDir() {
		fh.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errIsDir}
	}
	f, err := NewFile(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// NewFile reads the file of size bytes behind r. It reads buffer 0 and its
// logfile header (docs/format.md#logfile-header); records are read lazily by Records.
func NewFile(r io.ReaderAt, size int64) (*File, error) {
	f := &File{r: r, size: size}
	var first [BufferHeaderSize + 8]byte
	n, _ := r.ReadAt(first[:min(int64(len(first)), max(size, 0))], 0)
	if err := checkBuffer0(first[:n], size); err != nil {
		return nil, err
	}
	s := bufferScanner{f: f}
	b, ok, err := s.next()
	if !ok {
		if err == nil {
			err = formatErr(0, ErrTruncated, "empty file")
		}
		return nil, fmt.Errorf("%w: %w", ErrNoHeader, err)
	}
	f.buf0 = b
	// Buffer 0 tells the compression format before the header is known (docs/format.md#buffer-header State).
	f.hdr.CompressionFormat = uint16(b.State)
	l := bufferLoader{f: f}
	img, lerr := l.load(&b)
	if img == nil {
		if lerr == nil {
			lerr = formatErr(0, ErrTruncated, "buffer 0 is empty")
		}
		return nil, fmt.Errorf("%w: %w", ErrNoHeader, lerr)
	}
	if len(img) < BufferHeaderSize+systemHeaderSize {
		return nil, formatErr(BufferHeaderSize, ErrNoHeader, "buffer 0 holds %d bytes of records, too few for the header event", len(img)-BufferHeaderSize)
	}
	kind, rsize, ok := recordSize(img[BufferHeaderSize:])
	if !ok || (kind != KindSystem32 && kind != KindSystem64) {
		return nil, formatErr(BufferHeaderSize, ErrNoHeader, "first record marker %#08x is not a SYSTEM header", binary.LittleEndian.Uint32(img[BufferHeaderSize:]))
	}
	if rsize < systemHeaderSize || BufferHeaderSize+rsize > len(img) {
		return nil, formatErr(BufferHeaderSize+4, ErrNoHeader, "header event size %d past buffer 0 (%d bytes)", rsize, len(img))
	}
	var rec Record
	if _, err := parseRecord(img[BufferHeaderSize:BufferHeaderSize+rsize], kind, &rec); err != nil {
		return nil, formatErr(BufferHeaderSize, ErrNoHeader, "header event: %v", err)
	}
	if rec.Group != GroupEventTrace || rec.Opcode != 0 {
		return nil, formatErr(BufferHeaderSize, ErrNoHeader, "first record is group %#x type %d, not the EventTrace header (group 0 type 0)", rec.Group, rec.Opcode)
	}
	h, err := parseLogfileHeader(rec.Payload, kind == KindSystem64, b.Off+int64(BufferHeaderSize+len(rec.Raw)-len(rec.Payload)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoHeader, err)
	}
	h.HeaderKind = kind
	h.HeaderRawTime = rec.RawTime
	if h.Compressed {
		h.CompressionFormat = uint16(b.State)
	} else {
		h.CompressionFormat = CompressionNone
	}
	f.hdr = h
	f.clk = newClock(&f.hdr)
	f.tb = newTimeBounds(&f.hdr)
	if lerr != nil {
		f.warn(lerr)
	}
	return f, nil
}

// Close closes the file opened by Open; it does nothing for NewFile.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Header returns the logfile header (docs/format.md#logfile-header).
func (f *File) Header() LogfileHeader { return f.hdr }

// Size returns the file size given to NewFile.
func (f *File) Size() int64 { return f.size }

// Warnings returns the errors met so far by all iterations over f (each
// once, at most 1000): every byte range that was skipped is named in one.
func (f *File) Warnings() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.warnings...)
}

func (f *File) warn(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = make(map[string]bool)
	}
	k := err.Error()
	if f.seen[k] || len(f.warnings) >= maxWarnings {
		return
	}
	f.seen[k] = true
	f.warnings = append(f.warnings, err)
}

// Option configures Records.
type Option func(*options)

type options struct {
	timeOrder bool
	workers   int
}

// TimeOrder makes Records yield records in time order: buffers are grouped
// by processor, each group is ordered by SequenceNumber, and the per-processor
// streams are merged by timestamp (docs/format.md#buffers). Records without a timestamp keep
// their place in their processor's stream. With Parallel, each processor's
// next buffer is read and decompressed ahead on the worker goroutines.
func TimeOrder() Option { return func(o *options) { o.timeOrder = true } }

// Buffers yields every buffer of the file in file order, walked by its own
// BufferSize (docs/format.md#buffers), never by BuffersWritten. Each buffer is decoded to fill
// Records, FirstTime and LastTime, and yielded once with a nil error. Errors
// (*FormatError) name skipped byte ranges and come with the BufferInfo
// concerned as far as it could be read; iteration continues after them.
func (f *File) Buffers() iter.Seq2[BufferInfo, error] {
	return func(yield func(BufferInfo, error) bool) { f.buffers(false, yield) }
}

// LossyBuffers is Buffers restricted to the buffers flagged EVENTS_LOST or
// BUFFER_LOST: only their records are walked; of the other buffers only
// the headers are read, so errors inside them are not reported here.
func (f *File) LossyBuffers() iter.Seq2[BufferInfo, error] {
	return func(yield func(BufferInfo, error) bool) { f.buffers(true, yield) }
}

func (f *File) buffers(lossyOnly bool, yield func(BufferInfo, error) bool) {
	l := bufferLoader{f: f}
	var r Record
	for _, st := range f.steps() {
		b, ok, err := st.b, st.ok, st.err
		if err != nil {
			f.warn(err)
			if !yield(b, err) {
				return
			}
		}
		if !ok {
			continue
		}
		if lossyOnly && !b.Lossy() {
			continue
		}
		img, err := l.load(&b)
		if err != nil {
			f.warn(err)
			if !yield(b, err) {
				return
			}
		}
		c := cursor{b: b, img: img, pos: BufferHeaderSize}
		timed := false
		for {
			ok, err := c.next(f, &r)
			if err != nil {
				f.warn(err)
				if !yield(b, err) {
					return
				}
				continue
			}
			if !ok {
				break
			}
			b.Records++
			if !r.NoTime {
				if !timed {
					timed = true
					b.FirstTime = r.Time
				}
				b.LastTime = r.Time
			}
		}
		if !yield(b, nil) {
			return
		}
	}
}

// Records yields the records of the file, in file order unless TimeOrder
// is given. The *Record is reused: it and the slices in it (Raw, Ext,
// Payload) alias the reader's buffers and are valid only until the loop
// continues; use Clone to keep one. A non-nil error names a skipped byte
// range (a *FormatError) and the record is nil; iteration continues after
// it with the next record or buffer.
func (f *File) Records(opts ...Option) iter.Seq2[*Record, error] {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeOrder {
		return func(yield func(*Record, error) bool) { f.timeOrder(o.workers, yield) }
	}
	return func(yield func(*Record, error) bool) { f.fileOrder(o.workers, yield) }
}

func (f *File) fileOrder(workers int, yield func(*Record, error) bool) {
	var r Record
	f.images(workers, nil, func(im *image) bool {
		for _, err := range [2]error{im.scanErr, im.loadErr} {
			if err != nil {
				f.warn(err)
				if !yield(nil, err) {
					return false
				}
			}
		}
		if !im.ok {
			return true
		}
		c := cursor{b: im.b, img: im.img, pos: BufferHeaderSize}
		for {
			ok, err := c.next(f, &r)
			if err != nil {
				f.warn(err)
				if !yield(nil, err) {
					return false
				}
				continue
			}
			if !ok {
				return true
			}
			if !yield(&r, nil) {
				return false
			}
		}
	})
}

// cursor walks the records of one buffer image (docs/format.md#records).
type cursor struct {
	b   BufferInfo
	img []byte // header + payload, cut at Offset; nil for an unreadable buffer
	pos int

	last  int64 // time of the last record accepted in this buffer
	timed bool  // last is set
}

// next decodes the next record into r and returns true, or returns false
// at the end of the buffer. A non-nil error reports skipped bytes; the walk
// may continue with the next call.
func (c *cursor) next(f *File, r *Record) (bool, error) {
	img := c.img
	end := len(img)
	if c.pos+minRecordSize <= end {
		pos := c.pos
		m := binary.LittleEndian.Uint32(img[pos:])
		if m == 0xFFFFFFFF || m == 0 {
			c.pos = end
			return false, nil
		}
		kind, size, ok := recordSize(img[pos:])
		if !ok {
			c.pos = end
			return false, c.errAt(pos, end, ErrBadMarker, fmt.Sprintf("record marker %#08x", m))
		}
		if size < minRecordSize || size > end-pos {
			c.pos = end
			return false, c.errAt(pos, end, ErrBadSize, fmt.Sprintf("%s record size %d past the buffer data (%d bytes left)", kind, size, end-pos))
		}
		c.pos = pos + (size+recordAlign-1)&^(recordAlign-1)
		what, err := parseRecord(img[pos:pos+size:pos+size], kind, r)
		if err != nil {
			if errors.Is(err, ErrBadMarker) {
				// Unknown header type: its size field cannot be trusted.
				c.pos = end
				return false, c.errAt(pos, end, err, what)
			}
			if errors.Is(err, errSkip) {
				err = ErrErrorRecord
				if kind != KindError {
					err = ErrUnsupported
				}
			}
			return false, c.errAt(pos, pos+size, err, what)
		}
		r.BufferOffset = c.b.Off
		r.Pos = pos
		r.Processor = c.b.Processor
		r.Compressed = c.b.Compressed
		if !r.NoTime {
			r.Time = f.clk.filetime(r.RawTime)
			if what := c.checkTime(f, r.Time); what != "" {
				return false, c.errAt(pos, pos+size, ErrBadTime, what)
			}
		}
		return true, nil
	}
	c.pos = end
	return false, nil
}

// errAt reports that bytes [from, to) of the buffer image were skipped.
func (c *cursor) errAt(from, to int, err error, what string) error {
	if c.b.Compressed {
		return formatErr(c.b.Off, err, "%s in decompressed buffer at +%#x; skipped decompressed bytes [+%#x, +%#x)", what, from, from, to)
	}
	return formatErr(c.b.Off+int64(from), err, "%s; skipped [%#x, %#x)", what, c.b.Off+int64(from), c.b.Off+int64(to))
}
