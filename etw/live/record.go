package live

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
)

// extData is one EVENT_HEADER_EXTENDED_DATA_ITEM with its data copied out
// of ETW's buffer.
type extData struct {
	Type    uint16
	Linkage uint16
	Data    []byte
}

// encodeExtItems lays extended items out as they are stored in .etl files
// (docs/format.md#event-header): an 8-byte header {u16 Size, u16 ExtType, u16
// Linkage, u16 DataSize} then the data padded to 8 bytes; Linkage bit 0 is
// set on every item but the last. Items larger than 65527 bytes are cut
// to fit the u16 size fields. Returns nil for no items.
func encodeExtItems(items []extData) []byte {
	if len(items) == 0 {
		return nil
	}
	var b []byte
	for i, it := range items {
		data := it.Data
		if len(data) > 0xFFFF-8-7 {
			data = data[:0xFFFF-8-7]
		}
		size := align8(8 + len(data))
		var link uint16
		if i < len(items)-1 {
			link = 1
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(size))
		b = binary.LittleEndian.AppendUint16(b, it.Type)
		b = binary.LittleEndian.AppendUint16(b, link)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
		b = append(b, data...)
		for pad := size - 8 - len(data); pad > 0; pad-- {
			b = append(b, 0)
		}
	}
	return b
}

// errShortEventRecord is returned for an EVENT_RECORD copy shorter than 88 bytes.
var errShortEventRecord = errors.New("EVENT_RECORD shorter than its header and buffer context")

// recordFromEvent builds the etw.Record for one real-time event from the
// first 88 bytes of its EVENT_RECORD (EVENT_HEADER and BufferContext,
// docs/recording.md#structures), its user data and its extended items. The slices are
// stored as given: the caller passes copies (ETW's buffer is valid only
// during the callback, docs/recording.md#pitfalls, pitfall 5).
//
// Real-time timestamps are FILETIMEs (no PROCESS_TRACE_MODE_RAW_TIMESTAMP),
// so RawTime and Time are equal. Kernel events (CLASSIC_HEADER with a
// kernel class GUID) get a SYSTEM kind and their hook group; other classic
// events a FULL_HEADER kind; the rest EVENT_HEADER kinds. Pointer width
// follows the 32_BIT_HEADER / 64_BIT_HEADER flags, else hostPointerSize.
// Raw stays nil: a real-time event has no stored form.
func recordFromEvent(er []byte, userData []byte, ext []extData, hostPointerSize int) (etw.Record, error) {
	var r etw.Record
	if len(er) < offRecExtendedData {
		return r, fmt.Errorf("%w: %d bytes", errShortEventRecord, len(er))
	}
	le := binary.LittleEndian
	r.Flags = le.Uint16(er[offHdrFlags:])
	r.EventProperty = le.Uint16(er[offHdrEventProperty:])
	r.ThreadID = le.Uint32(er[offHdrThreadID:])
	r.ProcessID = le.Uint32(er[offHdrProcessID:])
	r.RawTime = int64(le.Uint64(er[offHdrTimeStamp:]))
	r.Time = r.RawTime
	r.Provider = etw.GUIDFromBytes(er[offHdrProviderID:])
	d := er[offHdrDescriptor:]
	id := le.Uint16(d[0:])
	r.Version = uint16(d[2])
	r.Channel = d[3]
	r.Level = d[4]
	r.Opcode = d[5]
	r.Task = le.Uint16(d[6:])
	r.Keyword = le.Uint64(d[8:])
	r.ActivityID = etw.GUIDFromBytes(er[offHdrActivityID:])
	if r.Flags&eventHeaderFlagProcessorIndex != 0 {
		r.Processor = le.Uint16(er[offRecProcessorNumber:])
	} else {
		r.Processor = uint16(er[offRecProcessorNumber])
	}

	ptr := hostPointerSize
	switch {
	case r.Flags&eventHeaderFlag32BitHeader != 0:
		ptr = 4
	case r.Flags&eventHeaderFlag64BitHeader != 0:
		ptr = 8
	}
	classic := r.Flags&eventHeaderFlagClassicHeader != 0
	if classic {
		if g, ok := groupOf(r.Provider, r.Opcode); ok {
			r.Group = g
			r.Kind = pick(ptr, etw.KindSystem32, etw.KindSystem64)
		} else {
			r.Kind = pick(ptr, etw.KindFull32, etw.KindFull64)
		}
	} else {
		r.ID = id
		r.Kind = pick(ptr, etw.KindEvent32, etw.KindEvent64)
	}
	r.Payload = userData
	r.Ext = encodeExtItems(ext)
	return r, nil
}

func pick(ptr int, k32, k64 etw.HeaderKind) etw.HeaderKind {
	if ptr == 4 {
		return k32
	}
	return k64
}
