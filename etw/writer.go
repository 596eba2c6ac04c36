package etw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf16"

	"github.com/ipctrace/ipctrace/etw/xpress"
)

// WriterOptions describe the session a Writer pretends to have recorded.
// Zero values take the defaults named on each field.
type WriterOptions struct {
	BufferSize         uint32    // session buffer size; default 64 KiB, minimum 1 KiB, multiple of 8
	PointerSize        int       // 8 (default) or 4: width of the logfile header and of kernel payloads
	NumberOfProcessors uint32    // default: 1 + the highest processor a record names (known at Close)
	ClockType          ClockType // ClockQPC (default) or ClockSystemTime
	PerfFreq           int64     // QPC frequency; default 10 MHz
	StartTime          int64     // FILETIME of the header event; default 2026-01-01T00:00:00Z
	StartRaw           int64     // raw clock value of the header event; default 1e12 (QPC) or StartTime
	BootTime           int64     // FILETIME; default StartTime minus one hour
	EndTime            int64     // FILETIME; default: the latest record time, set at Close
	MajorVersion       uint8     // OS version; default 10.0
	MinorVersion       uint8
	Build              uint32 // OS build (ProviderVersion); default 22631
	CpuSpeedInMHz      uint32 // default 3000
	TimerResolution    uint32 // 100 ns units; default 156250
	LoggerName         string // default "ipctrace"
	LogFileName        string // default "ipctrace.etl"
	// Compress writes XPRESS-compressed buffers (docs/format.md#compression):
	// LogFileMode |= EVENT_TRACE_COMPRESSED_MODE, buffer 0 small and
	// uncompressed, the other buffers packed back to back.
	Compress bool
	// EventsLost and BuffersLost go into the logfile header as given.
	EventsLost  uint32
	BuffersLost uint32
	LoggerID    uint16 // ETW_BUFFER_CONTEXT.LoggerId; default 0x20
}

// Default option values.
const (
	DefaultBufferSize = 64 << 10
	DefaultPerfFreq   = 10_000_000
	// DefaultStartTime is 2026-01-01T00:00:00Z as a FILETIME.
	DefaultStartTime = 134116992000000000
	defaultStartRaw  = 1_000_000_000_000
)

const (
	bufHeaderSize      = 0x48
	logFileModeSeqFile = 0x00000001 // EVENT_TRACE_FILE_MODE_SEQUENTIAL
	maxRecordSize      = 0xFFFF
)

// ErrWriterClosed is returned by methods called after Close.
var ErrWriterClosed = errors.New("writer closed")

// WriteError reports a record the Writer cannot store.
type WriteError struct {
	Index int64  // 0-based index of the record among those given to WriteRecord
	What  string // what is wrong
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("writing record %d: %s", e.Index, e.What)
}

// Writer writes an .etl file (docs/format.md): buffer 0 with the logfile
// header event, then one buffer per processor at a time, flushed when full,
// so buffers of different processors interleave in the file and sequence
// numbers are not monotonic in file order, as in real traces. Memory is
// bounded by one open buffer per processor plus one compression scratch
// buffer, whatever the trace size.
//
// When the destination is an io.WriteSeeker that can seek, Close rewrites
// buffer 0 with the final EndTime, BuffersWritten and NumberOfProcessors.
// Otherwise those fields keep the values known when buffer 0 was written:
// EndTime and NumberOfProcessors from the options (0 if not given), and
// BuffersWritten 0, like a session that was not closed cleanly.
type Writer struct {
	w       io.Writer
	ws      io.WriteSeeker // nil when the output cannot seek
	base    int64          // position of buffer 0 in ws
	opts    WriterOptions
	procs   []*wbuf
	seq     uint64
	written int64 // bytes written
	nbufs   uint32
	nrec    int64
	maxTime int64
	maxProc int
	hdr0    []byte // buffer 0 image (kept to be patched at Close)
	scratch []byte // compression output
	err     error
	closed  bool

	// OnFlush, when set, is called after each processor buffer is written.
	OnFlush func(FlushInfo)
}

// FlushInfo describes a processor buffer the Writer has written.
type FlushInfo struct {
	Processor uint16
	Sequence  uint64
	Flags     uint16 // BufferFlag*
	Records   int
	First     int64 // FILETIME of the first record (0 if none)
	Last      int64 // FILETIME of the last record
}

// wbuf is the open buffer of one processor.
type wbuf struct {
	data   []byte // BufferSize bytes; header filled at flush
	off    int    // fill offset (header included)
	seq    uint64
	flags  uint16
	open   bool
	lastTS int64 // raw time of the latest record
	nrec   int
	first  int64 // FILETIMEs of the first and last records
	last   int64
}

// NewWriter writes buffer 0 to w and returns a Writer for the records.
func NewWriter(w io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.BufferSize == 0 {
		opts.BufferSize = DefaultBufferSize
	}
	if opts.BufferSize < 1024 || opts.BufferSize%8 != 0 {
		return nil, fmt.Errorf("writer: buffer size %d is not a multiple of 8 >= 1024", opts.BufferSize)
	}
	if opts.PointerSize == 0 {
		opts.PointerSize = 8
	}
	if opts.PointerSize != 4 && opts.PointerSize != 8 {
		return nil, fmt.Errorf("writer: pointer size %d is not 4 or 8", opts.PointerSize)
	}
	if opts.ClockType == 0 {
		opts.ClockType = ClockQPC
	}
	if opts.ClockType != ClockQPC && opts.ClockType != ClockSystemTime {
		return nil, fmt.Errorf("writer: clock type %d not supported", opts.ClockType)
	}
	if opts.PerfFreq == 0 {
		opts.PerfFreq = DefaultPerfFreq
	}
	if opts.PerfFreq < 0 {
		return nil, fmt.Errorf("writer: PerfFreq %d", opts.PerfFreq)
	}
	if opts.StartTime == 0 {
		opts.StartTime = DefaultStartTime
	}
	if opts.StartRaw == 0 {
		if opts.ClockType == ClockSystemTime {
			opts.StartRaw = opts.StartTime
		} else {
			opts.StartRaw = defaultStartRaw
		}
	}
	if opts.BootTime == 0 {
		opts.BootTime = opts.StartTime - 3600*10_000_000
	}
	if opts.MajorVersion == 0 && opts.MinorVersion == 0 {
		opts.MajorVersion = 10
	}
	if opts.Build == 0 {
		opts.Build = 22631
	}
	if opts.CpuSpeedInMHz == 0 {
		opts.CpuSpeedInMHz = 3000
	}
	if opts.TimerResolution == 0 {
		opts.TimerResolution = 156250
	}
	if opts.LoggerName == "" {
		opts.LoggerName = "ipctrace"
	}
	if opts.LogFileName == "" {
		opts.LogFileName = "ipctrace.etl"
	}
	if opts.LoggerID == 0 {
		opts.LoggerID = 0x20
	}
	wr := &Writer{w: w, opts: opts, maxTime: opts.StartTime, maxProc: -1}
	if ws, ok := w.(io.WriteSeeker); ok {
		if pos, err := ws.Seek(0, io.SeekCurrent); err == nil {
			wr.ws, wr.base = ws, pos
		}
	}
	wr.hdr0 = wr.buffer0()
	if err := wr.put(wr.hdr0); err != nil {
		return nil, err
	}
	wr.nbufs = 1
	return wr, nil
}

// Options returns the options in effect (defaults filled in).
func (w *Writer) Options() WriterOptions { return w.opts }

// Written returns the number of bytes written so far.
func (w *Writer) Written() int64 { return w.written }

func (w *Writer) put(b []byte) error {
	if w.err != nil {
		return w.err
	}
	n, err := w.w.Write(b)
	w.written += int64(n)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("writer: %w", err)
	}
	return w.err
}

// RawTime converts a FILETIME to the session clock (the inverse of
// docs/format.md#clocks): the smallest raw value whose conversion is at or after
// ft. With PerfFreq >= 10 MHz (or the system-time clock) every FILETIME has
// an exact raw value, so reading back gives ft itself.
func (w *Writer) RawTime(ft int64) int64 {
	d := ft - w.opts.StartTime
	freq := uint64(w.opts.PerfFreq)
	if w.opts.ClockType == ClockSystemTime || freq == 1e7 {
		return w.opts.StartRaw + d
	}
	neg := d < 0
	u := uint64(d)
	if neg {
		u = uint64(-d)
	}
	hi, lo := bits.Mul64(u, freq)
	q, r := bits.Div64(hi%1e7, lo, 1e7) // hi%1e7: overflow saturates silently for absurd times
	if !neg && r != 0 {
		q++ // ceil for forward differences
	}
	if neg {
		return w.opts.StartRaw - int64(q)
	}
	return w.opts.StartRaw + int64(q)
}

// buffer0 builds buffer 0: a HEADER buffer with the logfile-header event.
func (w *Writer) buffer0() []byte {
	o := &w.opts
	le := binary.LittleEndian
	ptr := o.PointerSize
	lhSize := 0x110
	kind := KindSystem32
	if ptr == 8 {
		lhSize, kind = 0x118, KindSystem64
	}
	names := appendUTF16z(nil, o.LoggerName)
	names = appendUTF16z(names, o.LogFileName)
	payload := make([]byte, lhSize, lhSize+len(names))
	le.PutUint32(payload[0x00:], o.BufferSize)
	payload[4], payload[5] = o.MajorVersion, o.MinorVersion
	le.PutUint32(payload[0x08:], o.Build)
	le.PutUint32(payload[0x0C:], w.numProcs())
	end := o.EndTime
	if end == 0 && w.closed {
		end = w.maxTime
	}
	le.PutUint64(payload[0x10:], uint64(end))
	le.PutUint32(payload[0x18:], o.TimerResolution)
	mode := uint32(logFileModeSeqFile)
	if o.Compress {
		mode |= LogFileModeCompressed
	}
	le.PutUint32(payload[0x20:], mode)
	if w.closed {
		le.PutUint32(payload[0x24:], w.nbufs)
	}
	le.PutUint32(payload[0x28:], 1) // StartBuffers
	le.PutUint32(payload[0x2C:], uint32(ptr))
	le.PutUint32(payload[0x30:], o.EventsLost)
	le.PutUint32(payload[0x34:], o.CpuSpeedInMHz)
	b := 0x38 + 2*ptr + 0xB0 // after the two name pointers and TIME_ZONE_INFORMATION + pad
	le.PutUint64(payload[b:], uint64(o.BootTime))
	le.PutUint64(payload[b+8:], uint64(o.PerfFreq))
	le.PutUint64(payload[b+16:], uint64(o.StartTime))
	le.PutUint32(payload[b+24:], uint32(o.ClockType))
	le.PutUint32(payload[b+28:], o.BuffersLost)
	payload = append(payload, names...)

	rec := appendSystemHeader(nil, kind, 2, 0, 0, 0, 0, o.StartRaw, len(payload), true)
	rec = append(rec, payload...)

	size := int(o.BufferSize)
	if o.Compress {
		// Small, uncompressed buffer 0 (docs/format.md#compression): rounded up to 512.
		size = (bufHeaderSize + len(rec) + 511) &^ 511
	}
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 0xFF
	}
	copy(buf[bufHeaderSize:], rec)
	fill := bufHeaderSize + align8(len(rec))
	for i := bufHeaderSize + len(rec); i < fill; i++ {
		buf[i] = 0
	}
	state := uint32(3) // Flush; in compressed files COMPRESSION_FORMAT_XPRESS (3)
	putBufferHeader(buf, uint32(size), uint32(fill), 0, 0, 0, uint32(w.opts.LoggerID)<<16, state, BufferFlagFlushMarker, BufferTypeHeader)
	return buf
}

func (w *Writer) numProcs() uint32 {
	if w.opts.NumberOfProcessors != 0 {
		return w.opts.NumberOfProcessors
	}
	if w.closed {
		return uint32(w.maxProc + 1)
	}
	return 0
}

// putBufferHeader fills the 0x48-byte WMI_BUFFER_HEADER at the start of b (docs/format.md#buffer-header).
func putBufferHeader(b []byte, size, offset uint32, ts int64, seq uint64, clock uint64, ctx, state uint32, flags, typ uint16) {
	le := binary.LittleEndian
	le.PutUint32(b[0x00:], size)
	le.PutUint32(b[0x04:], offset) // SavedOffset
	le.PutUint32(b[0x08:], offset) // CurrentOffset
	le.PutUint32(b[0x0C:], 0)      // ReferenceCount
	le.PutUint64(b[0x10:], uint64(ts))
	le.PutUint64(b[0x18:], seq)
	le.PutUint64(b[0x20:], clock)
	le.PutUint32(b[0x28:], ctx)
	le.PutUint32(b[0x2C:], state)
	le.PutUint32(b[0x30:], offset)
	le.PutUint16(b[0x34:], flags)
	le.PutUint16(b[0x36:], typ)
	clear(b[0x38:0x48])
}

func align8(n int) int { return (n + 7) &^ 7 }

func appendUTF16z(b []byte, s string) []byte {
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return append(b, 0, 0)
}

// appendSystemHeader appends a SYSTEM (full=true, 0x20 bytes) or COMPACT
// (0x18 bytes) kernel header for a payload of n bytes (docs/format.md#system-header).
func appendSystemHeader(b []byte, kind HeaderKind, version uint16, opcode, group uint8, tid, pid uint32, raw int64, n int, full bool) []byte {
	le := binary.LittleEndian
	hs := 0x18
	if full {
		hs = 0x20
	}
	b = le.AppendUint16(b, version)
	b = append(b, byte(kind), 0xC0)
	b = le.AppendUint16(b, uint16(hs+n))
	b = append(b, opcode, group)
	b = le.AppendUint32(b, tid)
	b = le.AppendUint32(b, pid)
	b = le.AppendUint64(b, uint64(raw))
	if full {
		b = le.AppendUint64(b, 0) // KernelTime, UserTime
	}
	return b
}

// AppendExtItem appends one EVENT_HEADER extended data item as stored in a
// file (docs/format.md#event-header): {u16 size, u16 type, u16 linkage, u16 data
// size}, the data, zero padding to 8 bytes. last clears the Linkage bit.
func AppendExtItem(dst []byte, typ uint16, data []byte, last bool) []byte {
	le := binary.LittleEndian
	size := 8 + align8(len(data))
	dst = le.AppendUint16(dst, uint16(size))
	dst = le.AppendUint16(dst, typ)
	link := uint16(1)
	if last {
		link = 0
	}
	dst = le.AppendUint16(dst, link)
	dst = le.AppendUint16(dst, uint16(len(data)))
	dst = append(dst, data...)
	for i := len(data); i < align8(len(data)); i++ {
		dst = append(dst, 0)
	}
	return dst
}

// recordLen returns the stored size of r (without alignment padding).
func recordLen(r *Record) (int, string) {
	n := len(r.Payload)
	switch r.Kind {
	case KindSystem32, KindSystem64:
		n += 0x20
	case KindCompact32, KindCompact64:
		n += 0x18
	case KindPerfInfo32, KindPerfInfo64:
		n += 0x10
	case KindFull32, KindFull64:
		n += 0x30
	case KindEvent32, KindEvent64:
		n += 0x50 + len(r.Ext)
	case KindMessage:
		n += 8
		f := r.Flags
		if f&MessageSequence != 0 {
			n += 4
		}
		if f&MessageGUID != 0 {
			n += 16
		} else if f&MessageComponentID != 0 {
			n += 4
		}
		if f&MessageTimestamp != 0 {
			n += 8
		}
		if f&MessageSystemInfo != 0 {
			n += 8
		}
	default:
		return 0, "header kind " + r.Kind.String() + " cannot be written"
	}
	if len(r.Ext) != 0 && !r.Kind.IsEventHeader() {
		return 0, "extended items on a " + r.Kind.String() + " record"
	}
	if r.Kind.IsKernel() && r.Version&versionExtMask != 0 {
		return 0, fmt.Sprintf("version %#x has PEBS/PMC bits", r.Version)
	}
	return n, ""
}

// appendRecord encodes r with raw timestamp raw.
func appendRecord(b []byte, r *Record, raw int64, size int) []byte {
	le := binary.LittleEndian
	switch r.Kind {
	case KindSystem32, KindSystem64:
		b = appendSystemHeader(b, r.Kind, r.Version, r.Opcode, r.Group, r.ThreadID, r.ProcessID, raw, len(r.Payload), true)
	case KindCompact32, KindCompact64:
		b = appendSystemHeader(b, r.Kind, r.Version, r.Opcode, r.Group, r.ThreadID, r.ProcessID, raw, len(r.Payload), false)
	case KindPerfInfo32, KindPerfInfo64:
		b = le.AppendUint16(b, r.Version)
		b = append(b, byte(r.Kind), 0xC0)
		b = le.AppendUint16(b, uint16(size))
		b = append(b, r.Opcode, r.Group)
		b = le.AppendUint64(b, uint64(raw))
	case KindFull32, KindFull64:
		b = le.AppendUint16(b, uint16(size))
		b = append(b, byte(r.Kind), 0xC0, r.Opcode, r.Level)
		b = le.AppendUint16(b, r.Version)
		b = le.AppendUint32(b, r.ThreadID)
		b = le.AppendUint32(b, r.ProcessID)
		b = le.AppendUint64(b, uint64(raw))
		b, _ = r.Provider.AppendBinary(b)
		b = le.AppendUint64(b, 0)
	case KindEvent32, KindEvent64:
		flags := r.Flags &^ eventFlagExtended
		if len(r.Ext) != 0 {
			flags |= eventFlagExtended
		}
		b = le.AppendUint16(b, uint16(size))
		b = append(b, byte(r.Kind), 0xC0)
		b = le.AppendUint16(b, flags)
		b = le.AppendUint16(b, r.EventProperty)
		b = le.AppendUint32(b, r.ThreadID)
		b = le.AppendUint32(b, r.ProcessID)
		b = le.AppendUint64(b, uint64(raw))
		b, _ = r.Provider.AppendBinary(b)
		b = le.AppendUint16(b, r.ID)
		b = append(b, byte(r.Version), r.Channel, r.Level, r.Opcode)
		b = le.AppendUint16(b, r.Task)
		b = le.AppendUint64(b, r.Keyword)
		b = le.AppendUint64(b, 0) // ProcessorTime
		b, _ = r.ActivityID.AppendBinary(b)
		b = append(b, r.Ext...)
	case KindMessage:
		f := r.Flags
		b = le.AppendUint16(b, uint16(size))
		b = append(b, 0, 0x90)
		b = le.AppendUint16(b, r.ID)
		b = le.AppendUint16(b, f)
		if f&MessageSequence != 0 {
			b = le.AppendUint32(b, 0)
		}
		if f&MessageGUID != 0 {
			b, _ = r.Provider.AppendBinary(b)
		} else if f&MessageComponentID != 0 {
			b = le.AppendUint32(b, 0)
		}
		if f&MessageTimestamp != 0 {
			b = le.AppendUint64(b, uint64(raw))
		}
		if f&MessageSystemInfo != 0 {
			b = le.AppendUint32(b, r.ThreadID)
			b = le.AppendUint32(b, r.ProcessID)
		}
	}
	return append(b, r.Payload...)
}

// WriteRecord appends r to the open buffer of processor r.Processor,
// flushing that buffer first if r does not fit. The record's timestamp is
// r.Time (a FILETIME) converted to the session clock with RawTime. Used
// fields: Kind, Group (kernel kinds), ID, Opcode, Version, Level, Channel,
// Task, Keyword, Flags, EventProperty, ThreadID, ProcessID, Time,
// ActivityID, Provider (FULL_HEADER, EVENT_HEADER, MESSAGE with the GUID
// option), Ext (EVENT_HEADER only, items as built by AppendExtItem),
// Payload and Processor. For EVENT_HEADER records the EXTENDED_INFO flag is
// set exactly when Ext is not empty. MESSAGE sequence and component-id
// fields are written as 0.
func (w *Writer) WriteRecord(r *Record) error {
	if w.closed {
		return ErrWriterClosed
	}
	if w.err != nil {
		return w.err
	}
	size, bad := recordLen(r)
	if bad == "" && size > maxRecordSize {
		bad = fmt.Sprintf("record size %d exceeds 65535", size)
	}
	if bad == "" && bufHeaderSize+align8(size) > int(w.opts.BufferSize) {
		bad = fmt.Sprintf("record size %d does not fit a %d-byte buffer", size, w.opts.BufferSize)
	}
	if bad != "" {
		return &WriteError{Index: w.nrec, What: bad}
	}
	b, err := w.open(int(r.Processor))
	if err != nil {
		return err
	}
	if b.off+align8(size) > len(b.data) {
		if err := w.flush(int(r.Processor)); err != nil {
			return err
		}
		if b, err = w.open(int(r.Processor)); err != nil {
			return err
		}
	}
	raw := w.RawTime(r.Time)
	out := appendRecord(b.data[b.off:b.off], r, raw, size)
	for i := len(out); i < align8(size); i++ {
		b.data[b.off+i] = 0
	}
	b.off += align8(size)
	b.lastTS = raw
	if b.nrec == 0 {
		b.first = r.Time
	}
	b.last = r.Time
	b.nrec++
	if r.Time > w.maxTime {
		w.maxTime = r.Time
	}
	w.nrec++
	return nil
}

// open returns the open buffer of processor p, starting one if needed.
// A buffer takes its sequence number when it is started.
func (w *Writer) open(p int) (*wbuf, error) {
	if p > 0x7FF {
		return nil, &WriteError{Index: w.nrec, What: fmt.Sprintf("processor %d exceeds the 11-bit processor index", p)}
	}
	for len(w.procs) <= p {
		w.procs = append(w.procs, nil)
	}
	if p > w.maxProc {
		w.maxProc = p
	}
	b := w.procs[p]
	if b == nil {
		b = &wbuf{data: make([]byte, w.opts.BufferSize)}
		w.procs[p] = b
	}
	if !b.open {
		w.seq++
		b.seq = w.seq
		b.off = bufHeaderSize
		b.flags = 0
		b.open = true
		b.nrec, b.first, b.last = 0, 0, 0
	}
	return b, nil
}

// MarkLoss ORs flags (BufferFlagEventsLost, BufferFlagBufferLost) into the
// open buffer of processor p, starting a buffer if none is open: the
// buffer that receives p's next records carries the flags.
func (w *Writer) MarkLoss(p uint16, flags uint16) error {
	if w.closed {
		return ErrWriterClosed
	}
	b, err := w.open(int(p))
	if err != nil {
		return err
	}
	b.flags |= flags & (BufferFlagEventsLost | BufferFlagBufferLost)
	return nil
}

// SetLoss sets the EventsLost and BuffersLost fields of the logfile header.
// They reach the file at Close when the output can seek (see Writer).
func (w *Writer) SetLoss(eventsLost, buffersLost uint32) {
	w.opts.EventsLost, w.opts.BuffersLost = eventsLost, buffersLost
}

// Flush writes the open buffer of processor p (if it holds records) so the
// next record of p starts a new buffer.
func (w *Writer) Flush(p uint16) error {
	if w.closed {
		return ErrWriterClosed
	}
	if int(p) >= len(w.procs) || w.procs[p] == nil || !w.procs[p].open {
		return nil
	}
	return w.flush(int(p))
}

// flush writes processor p's open buffer and closes it.
func (w *Writer) flush(p int) error {
	b := w.procs[p]
	b.open = false
	if b.off == bufHeaderSize && b.flags == 0 {
		return nil // never happens: a buffer is started for a record or a loss flag
	}
	flags := uint16(BufferFlagProcIndex) | b.flags
	ctx := uint32(p) | uint32(w.opts.LoggerID)<<16
	if w.OnFlush != nil {
		defer func() {
			if w.err == nil {
				w.OnFlush(FlushInfo{Processor: uint16(p), Sequence: b.seq, Flags: flags, Records: b.nrec, First: b.first, Last: b.last})
			}
		}()
	}
	if !w.opts.Compress {
		for i := b.off; i < len(b.data); i++ {
			b.data[i] = 0xFF
		}
		putBufferHeader(b.data, uint32(len(b.data)), uint32(b.off), b.lastTS, b.seq, 0, ctx, 3, flags, BufferTypeGeneric)
		w.nbufs++
		return w.put(b.data)
	}
	flags |= BufferFlagCompressed
	if cap(w.scratch) < bufHeaderSize {
		w.scratch = make([]byte, bufHeaderSize, int(w.opts.BufferSize)+bufHeaderSize)
	}
	out := xpress.Compress(w.scratch[:bufHeaderSize], b.data[bufHeaderSize:b.off])
	w.scratch = out[:0]
	putBufferHeader(out, uint32(len(out)), uint32(b.off), b.lastTS, b.seq, 0, ctx, 3, flags, BufferTypeGeneric)
	w.nbufs++
	return w.put(out)
}

// Close flushes every open buffer (in processor order), then rewrites
// buffer 0 with the final header fields when the output can seek. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	for p := range w.procs {
		if w.procs[p] != nil && w.procs[p].open {
			if err := w.flush(p); err != nil {
				break
			}
		}
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.ws == nil {
		return nil
	}
	end := w.base + w.written
	hdr := w.buffer0()
	if len(hdr) != len(w.hdr0) {
		return fmt.Errorf("writer: buffer 0 changed size")
	}
	if _, err := w.ws.Seek(w.base, io.SeekStart); err != nil {
		w.err = fmt.Errorf("writer: %w", err)
		return w.err
	}
	if _, err := w.ws.Write(hdr); err != nil {
		w.err = fmt.Errorf("writer: %w", err)
		return w.err
	}
	if _, err := w.ws.Seek(end, io.SeekStart); err != nil {
		w.err = fmt.Errorf("writer: %w", err)
	}
	return w.err
}
