package etw

import (
	"encoding/binary"
	"strconv"
)

// LogFileMode flags used by the reader (evntrace.h EVENT_TRACE_*).
const (
	LogFileModeCircular   = 0x00000002
	LogFileModeCompressed = 0x04000000 // EVENT_TRACE_COMPRESSED_MODE (docs/format.md#compression)
)

// Compression formats (COMPRESSION_FORMAT_*), the low 16 bits of buffer 0's State
// in compressed files (docs/format.md#buffer-header, docs/format.md#compression).
const (
	CompressionNone       = 0
	CompressionLZNT1      = 2
	CompressionXpress     = 3
	CompressionXpressHuff = 4
)

// LogfileHeader is the TRACE_LOGFILE_HEADER carried by the first record of
// buffer 0 (docs/format.md#logfile-header), with the strings that follow it and facts the
// reader derives from it. Times are FILETIMEs (100 ns since 1601-01-01 UTC).
type LogfileHeader struct {
	BufferSize         uint32 // session (uncompressed) buffer size
	MajorVersion       uint8  // OS major version
	MinorVersion       uint8  // OS minor version
	SubVersion         uint8
	SubMinorVersion    uint8
	ProviderVersion    uint32 // OS build number
	NumberOfProcessors uint32
	EndTime            int64 // 0 if the session was not closed cleanly
	TimerResolution    uint32
	MaximumFileSize    uint32 // MB
	LogFileMode        uint32
	BuffersWritten     uint32 // unreliable (docs/format.md#buffers); never used to walk the file
	StartBuffers       uint32
	PointerSize        uint32
	EventsLost         uint32
	CpuSpeedInMHz      uint32
	TimeZoneBias       int32 // minutes, TIME_ZONE_INFORMATION.Bias
	BootTime           int64
	PerfFreq           int64
	StartTime          int64
	ClockType          ClockType // ReservedFlags
	BuffersLost        uint32

	LoggerName  string
	LogFileName string

	// HeaderKind is the kind of the header event (KindSystem32 or
	// KindSystem64); its width gives the layout of the struct.
	HeaderKind HeaderKind
	// HeaderRawTime is the raw timestamp of the header event, the reference
	// point of the time conversion (docs/format.md#clocks).
	HeaderRawTime int64

	// Compressed reports LogFileMode & EVENT_TRACE_COMPRESSED_MODE;
	// CompressionFormat is then the low 16 bits of buffer 0's State.
	Compressed        bool
	CompressionFormat uint16
}

// OSVersion returns "major.minor build N", the corpus truth's os_version form.
func (h *LogfileHeader) OSVersion() string {
	return strconv.FormatUint(uint64(h.MajorVersion), 10) + "." + strconv.FormatUint(uint64(h.MinorVersion), 10) + " build " + strconv.FormatUint(uint64(h.ProviderVersion), 10)
}

// CompressionName names CompressionFormat.
func CompressionName(f uint16) string {
	switch f {
	case CompressionNone:
		return "none"
	case CompressionLZNT1:
		return "LZNT1"
	case CompressionXpress:
		return "XPRESS"
	case CompressionXpressHuff:
		return "XPRESS_HUFF"
	}
	return "format " + strconv.FormatUint(uint64(f), 10)
}

// Layout sizes of TRACE_LOGFILE_HEADER (docs/format.md#logfile-header table).
const (
	logfileHeaderSize32 = 0x110
	logfileHeaderSize64 = 0x118
)

// ParseLogfileHeader decodes a TRACE_LOGFILE_HEADER of the given pointer
// size (4 or 8): the payload of a file's header event, or the struct that
// OpenTraceW fills in for a real-time consumer (the same layout, docs/events.md
// docs/recording.md#structures). Names are read when they follow the struct, as in files.
func ParseLogfileHeader(p []byte, pointerSize int) (LogfileHeader, error) {
	return parseLogfileHeader(p, pointerSize == 8, 0)
}

// parseLogfileHeader decodes the payload of the header event. is64 selects
// the 64-bit layout. off is the payload's file offset, for errors.
func parseLogfileHeader(p []byte, is64 bool, off int64) (LogfileHeader, error) {
	var h LogfileHeader
	size, ptr := logfileHeaderSize32, 4
	if is64 {
		size, ptr = logfileHeaderSize64, 8
	}
	if len(p) < size {
		return h, formatErr(off, ErrTruncated, "TRACE_LOGFILE_HEADER: %d of %d bytes", len(p), size)
	}
	le := binary.LittleEndian
	h.BufferSize = le.Uint32(p[0x00:])
	h.MajorVersion, h.MinorVersion, h.SubVersion, h.SubMinorVersion = p[4], p[5], p[6], p[7]
	h.ProviderVersion = le.Uint32(p[0x08:])
	h.NumberOfProcessors = le.Uint32(p[0x0C:])
	h.EndTime = int64(le.Uint64(p[0x10:]))
	h.TimerResolution = le.Uint32(p[0x18:])
	h.MaximumFileSize = le.Uint32(p[0x1C:])
	h.LogFileMode = le.Uint32(p[0x20:])
	h.BuffersWritten = le.Uint32(p[0x24:])
	h.StartBuffers = le.Uint32(p[0x28:])
	h.PointerSize = le.Uint32(p[0x2C:])
	h.EventsLost = le.Uint32(p[0x30:])
	h.CpuSpeedInMHz = le.Uint32(p[0x34:])
	tz := 0x38 + 2*ptr // after LoggerName and LogFileName pointers
	h.TimeZoneBias = int32(le.Uint32(p[tz:]))
	b := tz + 0xB0
	h.BootTime = int64(le.Uint64(p[b:]))
	h.PerfFreq = int64(le.Uint64(p[b+8:]))
	h.StartTime = int64(le.Uint64(p[b+16:]))
	h.ClockType = ClockType(le.Uint32(p[b+24:]))
	h.BuffersLost = le.Uint32(p[b+28:])
	h.Compressed = h.LogFileMode&LogFileModeCompressed != 0

	rest := p[size:]
	var n int
	h.LoggerName, n = utf16z(rest)
	h.LogFileName, _ = utf16z(rest[n:])
	return h, nil
}

// utf16z decodes a NUL-terminated UTF-16LE string at the start of b and
// returns it and the bytes consumed (terminator included). A missing
// terminator ends the string at the end of b.
func utf16z(b []byte) (string, int) {
	n := 0
	for n+1 < len(b) && (b[n] != 0 || b[n+1] != 0) {
		n += 2
	}
	used := n + 2
	if used > len(b) {
		used = len(b)
	}
	return DecodeUTF16(b[:n]), used
}
