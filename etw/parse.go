package etw

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Marker word bits (docs/format.md#marker-word, ntwmi.h).
const (
	markerTypeMask     = 0x00FF0000
	markerTopEvent     = 0xC0 // TRACE_HEADER_FLAG | TRACE_HEADER_EVENT_TRACE
	markerTopMessage   = 0x90 // TRACE_HEADER_FLAG | TRACE_MESSAGE
	versionPEBSFlag    = 0x8000
	versionPMCMask     = 0x0700
	versionExtMask     = versionPEBSFlag | versionPMCMask
	eventFlagExtended  = 0x0001 // EVENT_HEADER_FLAG_EXTENDED_INFO
	recordAlign        = 8
	minRecordSize      = 8
	errorRecordMinSize = 8
)

// MESSAGE option flags (TRACE_MESSAGE_*; docs/format.md#message).
const (
	MessageSequence     = 0x01
	MessageGUID         = 0x02
	MessageComponentID  = 0x04
	MessageTimestamp    = 0x08
	MessagePerfTime     = 0x10
	MessageSystemInfo   = 0x20
	MessagePointer32    = 0x40
	MessagePointer64    = 0x80
	messageHeaderSize   = 8
	systemHeaderSize    = 0x20
	compactHeaderSize   = 0x18
	perfinfoHeaderSize  = 0x10
	fullHeaderSize      = 0x30
	instanceHeaderSize  = 0x48
	kernelSizeFieldOff  = 4
	recordTimeFieldOff  = 0x10
	perfinfoTimeFieldOf = 0x08
)

// errSkip marks a record that was read but is not an event (ERROR, TIMED,
// WNODE): the walk skips its bytes and reports them.
var errSkip = errors.New("record skipped")

// recordSize returns the declared size of the record at the start of b
// (len(b) >= 8) and its kind, without validating it further.
func recordSize(b []byte) (kind HeaderKind, size int, ok bool) {
	m := binary.LittleEndian.Uint32(b)
	switch m >> 24 {
	case markerTopEvent:
		kind = HeaderKind((m & markerTypeMask) >> 16)
		if kind.IsKernel() {
			return kind, int(binary.LittleEndian.Uint16(b[kernelSizeFieldOff:])), true
		}
		return kind, int(binary.LittleEndian.Uint16(b)), true
	case markerTopMessage:
		return KindMessage, int(binary.LittleEndian.Uint16(b)), true
	}
	return 0, 0, false
}

// parseRecord decodes the record rec (exactly its declared size, len >= 8)
// of the given kind into r. It sets every header field; the caller sets
// the position fields and Time. The returned error is a sentinel
// (ErrBadSize, ErrTruncated, ErrBadMarker, errSkip) that the caller wraps with offsets.
func parseRecord(rec []byte, kind HeaderKind, r *Record) (what string, err error) {
	le := binary.LittleEndian
	*r = Record{Kind: kind, Raw: rec}
	switch kind {
	case KindSystem32, KindSystem64, KindCompact32, KindCompact64, KindPerfInfo32, KindPerfInfo64:
		hs := systemHeaderSize
		timeOff := recordTimeFieldOff
		switch kind {
		case KindCompact32, KindCompact64:
			hs = compactHeaderSize
		case KindPerfInfo32, KindPerfInfo64:
			hs = perfinfoHeaderSize
			timeOff = perfinfoTimeFieldOf
		}
		v := le.Uint16(rec)
		// PEBS index and PMC counters sit between the header and the payload (docs/format.md#perfinfo-header).
		if v&versionPEBSFlag != 0 {
			hs += 8
		}
		hs += 8 * int((v&versionPMCMask)>>8)
		if len(rec) < hs {
			return kind.String() + " header", ErrBadSize
		}
		r.Version = v &^ versionExtMask
		r.Opcode = rec[6]
		r.Group = rec[7]
		if hs >= compactHeaderSize && kind != KindPerfInfo32 && kind != KindPerfInfo64 {
			r.ThreadID = le.Uint32(rec[8:])
			r.ProcessID = le.Uint32(rec[12:])
		}
		r.RawTime = int64(le.Uint64(rec[timeOff:]))
		r.Provider = KernelClassGUID(r.Group, r.Opcode)
		r.Payload = rec[hs:]

	case KindFull32, KindFull64, KindInstance32, KindInstance64:
		hs := fullHeaderSize
		if kind == KindInstance32 || kind == KindInstance64 {
			hs = instanceHeaderSize
		}
		if len(rec) < hs {
			return kind.String() + " header", ErrBadSize
		}
		r.Opcode = rec[4]
		r.Level = rec[5]
		r.Version = le.Uint16(rec[6:])
		r.ThreadID = le.Uint32(rec[8:])
		r.ProcessID = le.Uint32(rec[12:])
		r.RawTime = int64(le.Uint64(rec[0x10:]))
		r.Provider = GUIDFromBytes(rec[0x18:])
		r.Payload = rec[hs:]

	case KindEvent32, KindEvent64:
		if len(rec) < eventHeaderSize {
			return kind.String() + " header", ErrBadSize
		}
		r.Flags = le.Uint16(rec[4:])
		r.EventProperty = le.Uint16(rec[6:])
		r.ThreadID = le.Uint32(rec[8:])
		r.ProcessID = le.Uint32(rec[12:])
		r.RawTime = int64(le.Uint64(rec[0x10:]))
		r.Provider = GUIDFromBytes(rec[0x18:])
		r.ID = le.Uint16(rec[0x28:])
		r.Version = uint16(rec[0x2A])
		r.Channel = rec[0x2B]
		r.Level = rec[0x2C]
		r.Opcode = rec[0x2D]
		r.Task = le.Uint16(rec[0x2E:])
		r.Keyword = le.Uint64(rec[0x30:])
		r.ActivityID = GUIDFromBytes(rec[0x40:])
		p := eventHeaderSize
		if r.Flags&eventFlagExtended != 0 {
			n, err := extLength(rec[p:])
			if err != nil {
				return "extended data item at record +" + "0x" + strconv.FormatUint(uint64(p+n), 16), err
			}
			r.Ext = rec[p : p+n]
			p += n
		}
		r.Payload = rec[p:]

	case KindMessage:
		flags := le.Uint16(rec[6:])
		r.ID = le.Uint16(rec[4:])
		r.Flags = flags
		p := messageHeaderSize
		need := func(n int) bool { return p+n <= len(rec) }
		if flags&MessageSequence != 0 {
			if !need(4) {
				return "MESSAGE sequence", ErrBadSize
			}
			p += 4
		}
		if flags&MessageGUID != 0 {
			if !need(16) {
				return "MESSAGE GUID", ErrBadSize
			}
			r.Provider = GUIDFromBytes(rec[p:])
			p += 16
		} else if flags&MessageComponentID != 0 {
			if !need(4) {
				return "MESSAGE component id", ErrBadSize
			}
			p += 4
		}
		if flags&MessageTimestamp != 0 {
			if !need(8) {
				return "MESSAGE timestamp", ErrBadSize
			}
			r.RawTime = int64(le.Uint64(rec[p:]))
			p += 8
		} else {
			r.NoTime = true
		}
		if flags&MessageSystemInfo != 0 {
			if !need(8) {
				return "MESSAGE system info", ErrBadSize
			}
			r.ThreadID = le.Uint32(rec[p:])
			r.ProcessID = le.Uint32(rec[p+4:])
			p += 8
		}
		r.Payload = rec[p:]

	case KindError, 0x0C, 0x0E:
		return kind.String() + " record", errSkip

	default:
		return "record header type " + "0x" + strconv.FormatUint(uint64(kind), 16), ErrBadMarker
	}
	return "", nil
}
