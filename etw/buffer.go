package etw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ipctrace/ipctrace/etw/xpress"
)

// BufferHeaderSize is the size of WMI_BUFFER_HEADER (docs/format.md#buffer-header).
const BufferHeaderSize = 0x48

// maxImageSize bounds the decompressed size of one buffer (ETW buffers are
// at most 16 MiB; the bound leaves room and keeps hostile sizes harmless).
const maxImageSize = 64 << 20

// Buffer flags (WMI_BUFFER_HEADER.BufferFlag, ntwmi.h ETW_BUFFER_FLAG_*).
const (
	BufferFlagFlushMarker     = 0x0001
	BufferFlagEventsLost      = 0x0002
	BufferFlagBufferLost      = 0x0004
	BufferFlagRTBackupCorrupt = 0x0008
	BufferFlagRTBackup        = 0x0010
	BufferFlagProcIndex       = 0x0020
	BufferFlagCompressed      = 0x0040
)

// Buffer types (WMI_BUFFER_HEADER.BufferType, ntwmi.h WMI_BUFFER_TYPE_*).
const (
	BufferTypeGeneric     = 0
	BufferTypeRundown     = 1
	BufferTypeCtxSwap     = 2
	BufferTypeRefTime     = 3
	BufferTypeHeader      = 4
	BufferTypeBatched     = 5
	BufferTypeEmptyMarker = 6
	BufferTypeDbgInfo     = 7
)

// processorIndexMask is ETW_PROCESSOR_INDEX_MASK.
const processorIndexMask = 0x07FF

// BufferInfo describes one buffer of the file (WMI_BUFFER_HEADER, docs/format.md#buffer-header).
type BufferInfo struct {
	Off            int64  // file offset of the buffer header
	Size           uint32 // BufferSize: bytes on disk, header included
	SavedOffset    uint32
	CurrentOffset  uint32
	TimeStamp      int64 // flush time in the session clock, as stored
	SequenceNumber uint64
	Processor      uint16 // processor index (Win8+ with PROC_INDEX) or number (Win7)
	LoggerID       uint16
	State          uint32
	Offset         uint32 // end of valid data in the (uncompressed) buffer, header included
	Flags          uint16 // BufferFlag*
	Type           uint16 // BufferType*

	// Compressed reports BufferFlag COMPRESSED: the payload on disk is
	// XPRESS data that decompresses to Offset-0x48 bytes (docs/format.md#compression).
	Compressed bool

	// Filled by (*File).Buffers only: number of records and FILETIMEs of
	// the first and last record carrying a time (0 when none).
	Records   int
	FirstTime int64
	LastTime  int64

	avail uint32 // bytes present in the file (< Size for a truncated last buffer)
}

// EventsLost reports the EVENTS_LOST flag.
func (b *BufferInfo) EventsLost() bool { return b.Flags&BufferFlagEventsLost != 0 }

// BufferLost reports the BUFFER_LOST flag.
func (b *BufferInfo) BufferLost() bool { return b.Flags&BufferFlagBufferLost != 0 }

// Lossy reports whether the buffer carries EVENTS_LOST or BUFFER_LOST.
func (b *BufferInfo) Lossy() bool { return b.Flags&(BufferFlagEventsLost|BufferFlagBufferLost) != 0 }

func parseBufferHeader(h []byte, off int64) BufferInfo {
	le := binary.LittleEndian
	b := BufferInfo{
		Off:            off,
		Size:           le.Uint32(h[0x00:]),
		SavedOffset:    le.Uint32(h[0x04:]),
		CurrentOffset:  le.Uint32(h[0x08:]),
		TimeStamp:      int64(le.Uint64(h[0x10:])),
		SequenceNumber: le.Uint64(h[0x18:]),
		LoggerID:       le.Uint16(h[0x2A:]),
		State:          le.Uint32(h[0x2C:]),
		Offset:         le.Uint32(h[0x30:]),
		Flags:          le.Uint16(h[0x34:]),
		Type:           le.Uint16(h[0x36:]),
	}
	if b.Flags&BufferFlagProcIndex != 0 {
		b.Processor = le.Uint16(h[0x28:]) & processorIndexMask
	} else {
		b.Processor = uint16(h[0x28]) // Win7: u8 ProcessorNumber
	}
	b.Compressed = b.Flags&BufferFlagCompressed != 0
	return b
}

// plausible reports whether h looks like a buffer header that fits in
// remain bytes. It is used to find the next buffer after a damaged one.
func plausible(h []byte, remain int64) bool {
	le := binary.LittleEndian
	size := le.Uint32(h[0x00:])
	offset := le.Uint32(h[0x30:])
	flags := le.Uint16(h[0x34:])
	typ := le.Uint16(h[0x36:])
	if size < BufferHeaderSize || int64(size) > remain || le.Uint32(h[0x0C:]) != 0 {
		return false
	}
	if typ > BufferTypeDbgInfo || flags&^0x7F != 0 {
		return false
	}
	if offset < BufferHeaderSize || offset > maxImageSize {
		return false
	}
	if flags&BufferFlagCompressed == 0 {
		if offset > size {
			return false
		}
		if offset >= BufferHeaderSize+8 && len(h) >= BufferHeaderSize+8 {
			if _, _, ok := recordSize(h[BufferHeaderSize:]); !ok {
				return false
			}
		}
	}
	return true
}

// resync looks for the next plausible buffer header at or after from and
// returns its offset, or the file size when there is none.
func (f *File) resync(from int64) int64 {
	const chunk = 1 << 16
	buf := make([]byte, chunk+BufferHeaderSize+8)
	for pos := from; pos+BufferHeaderSize <= f.size; pos += chunk {
		n, err := f.r.ReadAt(buf, pos)
		if n < BufferHeaderSize {
			if err != nil && !errors.Is(err, io.EOF) {
				return f.size
			}
			break
		}
		for i := 0; i+BufferHeaderSize <= n && i < chunk; i++ {
			if buf[i+0x0C]|buf[i+0x0D]|buf[i+0x0E]|buf[i+0x0F] != 0 || buf[i+1]|buf[i] == 0 && buf[i+2] == 0 && buf[i+3] == 0 {
				continue // ReferenceCount must be 0; BufferSize must not
			}
			end := i + BufferHeaderSize + 8
			if end > n {
				end = n
			}
			at := pos + int64(i)
			if plausible(buf[i:end], f.size-at) && f.chained(at) {
				return at
			}
		}
	}
	return f.size
}

// chained reports whether the plausible buffer at off is followed by the
// end of the file or by another plausible buffer header.
func (f *File) chained(off int64) bool {
	var h [BufferHeaderSize + 8]byte
	if n, _ := f.r.ReadAt(h[:4], off); n < 4 {
		return false
	}
	next := off + int64(binary.LittleEndian.Uint32(h[:]))
	if next == f.size {
		return true
	}
	n, _ := f.r.ReadAt(h[:], next)
	return n >= BufferHeaderSize && plausible(h[:n], f.size-next)
}

// scanStep is one result of bufferScanner.next short of the end: a buffer
// (ok), a skipped range (err), or a usable buffer with an error (both).
type scanStep struct {
	b   BufferInfo
	ok  bool
	err error
}

// steps returns the walk of f's buffer headers, done on the first call
// and kept (about 120 bytes per buffer) for the File's life: grouping by
// processor, the lossy buffers and Buffers all need it, and each walk
// costs a read per buffer, about 20 ms per GB of 64 KiB buffers
// (docs/ARCHITECTURE.md#performance). The callers record the errors they
// reach, as the walk itself once did.
func (f *File) steps() []scanStep {
	f.walkOnce.Do(func() {
		s := bufferScanner{f: f}
		for {
			b, ok, err := s.next()
			if !ok && err == nil {
				break
			}
			f.walked = append(f.walked, scanStep{b, ok, err})
		}
	})
	return f.walked
}

// bufferScanner walks buffer headers in file order by BufferSize (docs/format.md#buffers).
type bufferScanner struct {
	f   *File
	off int64
	hdr [BufferHeaderSize]byte
}

// next returns the next buffer. It returns ok=false at the end of the file.
// A non-nil error names a skipped byte range; when ok is also true the
// buffer is still usable (a truncated last buffer).
func (s *bufferScanner) next() (b BufferInfo, ok bool, err error) {
	f := s.f
	if s.off < f.size {
		off := s.off
		remain := f.size - off
		if remain < BufferHeaderSize {
			s.off = f.size
			return b, false, formatErr(off, ErrTruncated, "buffer header: %d trailing bytes skipped [%#x, %#x)", remain, off, f.size)
		}
		if n, err := f.r.ReadAt(s.hdr[:], off); n < len(s.hdr) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			s.off = f.size
			return b, false, formatErr(off, err, "reading buffer header; skipped [%#x, %#x)", off, f.size)
		}
		b = parseBufferHeader(s.hdr[:], off)
		if b.Size < BufferHeaderSize {
			next := f.resync(off + 1)
			s.off = next
			return b, false, formatErr(off, ErrBadSize, "BufferSize %d smaller than the buffer header; skipped [%#x, %#x)", b.Size, off, next)
		}
		if int64(b.Size) > remain {
			// Either the file is cut, or the size is damaged and more
			// buffers follow: look for one.
			if next := f.resync(off + 1); next < f.size {
				s.off = next
				return b, false, formatErr(off, ErrBadSize, "BufferSize %d past the end of the file but a buffer follows; skipped [%#x, %#x)", b.Size, off, next)
			}
			b.avail = uint32(remain)
			s.off = f.size
			return b, true, formatErr(off+remain, ErrTruncated, "buffer at %#x of %d bytes ends after %d bytes; missing [%#x, %#x)", off, b.Size, remain, off+remain, off+int64(b.Size))
		}
		b.avail = b.Size
		s.off = off + int64(b.Size)
		return b, true, nil
	}
	return b, false, nil
}

// bufferLoader reads buffers and decompresses them into a reusable image.
type bufferLoader struct {
	f   *File
	raw []byte // bytes as on disk
	img []byte // header + decompressed payload (compressed buffers)
}

// load returns the buffer image: the header followed by the payload, cut
// at Offset (and at the bytes present). Records alias the returned slice
// until the next call. A non-nil error with a non-nil image means the
// image is usable but shorter than announced.
func (l *bufferLoader) load(b *BufferInfo) ([]byte, error) {
	f := l.f
	n := int(b.avail)
	if cap(l.raw) < n {
		l.raw = make([]byte, n)
	}
	raw := l.raw[:n]
	if m, err := f.r.ReadAt(raw, b.Off); m < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, formatErr(b.Off, err, "reading buffer; skipped [%#x, %#x)", b.Off, b.Off+int64(n))
	}
	if b.Offset < BufferHeaderSize {
		if b.Offset == 0 && b.Type == BufferTypeEmptyMarker {
			return nil, nil
		}
		return nil, formatErr(b.Off+0x30, ErrBadSize, "buffer Offset %#x below the header size; skipped [%#x, %#x)", b.Offset, b.Off, b.Off+int64(b.Size))
	}
	if !b.Compressed {
		end := int(b.Offset)
		if end > n {
			if n < int(b.Size) { // truncated file: the scanner already reported it
				return raw, nil
			}
			return raw, formatErr(b.Off+0x30, ErrBadSize, "buffer Offset %#x past BufferSize %#x; records read up to BufferSize", b.Offset, b.Size)
		}
		return raw[:end], nil
	}
	if n < int(b.Size) {
		return nil, formatErr(b.Off, ErrTruncated, "compressed buffer cut by the end of the file; skipped [%#x, %#x)", b.Off, b.Off+int64(n))
	}
	if f.hdr.CompressionFormat != CompressionXpress {
		return nil, formatErr(b.Off, ErrUnsupported, "compression format %s; skipped [%#x, %#x)", CompressionName(f.hdr.CompressionFormat), b.Off, b.Off+int64(n))
	}
	want := int(b.Offset) - BufferHeaderSize
	if want > maxImageSize {
		return nil, formatErr(b.Off+0x30, ErrBadSize, "compressed buffer announces %d bytes; skipped [%#x, %#x)", want, b.Off, b.Off+int64(n))
	}
	// Decompress in place after a copy of the header; the image grows with
	// the bytes actually produced, never with the announced size.
	img := append(l.img[:0], raw[:BufferHeaderSize]...)
	out, err := xpress.DecompressLimit(img[BufferHeaderSize:], raw[BufferHeaderSize:], want)
	if len(out) > 0 && cap(img) < BufferHeaderSize+len(out) {
		img = append(img, out...) // xpress grew a new array
	} else {
		img = img[:BufferHeaderSize+len(out)]
	}
	l.img = img
	if err != nil || len(out) != want {
		if err == nil {
			err = ErrDecompress
		} else {
			err = fmt.Errorf("%w: %w", ErrDecompress, err)
		}
		return nil, formatErr(b.Off, err, "compressed buffer decompresses to %d bytes, want Offset-0x48 = %d; skipped [%#x, %#x)", len(out), want, b.Off, b.Off+int64(n))
	}
	return img, nil
}
