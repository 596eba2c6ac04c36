package etw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// GUID is a Windows GUID. Bytes on disk are in Windows order: Data1, Data2 and
// Data3 little-endian, Data4 as is (docs/format.md#event-header).
type GUID struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// GUIDFromBytes decodes 16 bytes in Windows (little-endian) order.
// It panics if b is shorter than 16 bytes; callers check lengths first.
func GUIDFromBytes(b []byte) GUID {
	var g GUID
	g.Data1 = binary.LittleEndian.Uint32(b[0:])
	g.Data2 = binary.LittleEndian.Uint16(b[4:])
	g.Data3 = binary.LittleEndian.Uint16(b[6:])
	copy(g.Data4[:], b[8:16])
	return g
}

// AppendBinary appends g in Windows (little-endian) byte order.
func (g GUID) AppendBinary(b []byte) ([]byte, error) {
	b = binary.LittleEndian.AppendUint32(b, g.Data1)
	b = binary.LittleEndian.AppendUint16(b, g.Data2)
	b = binary.LittleEndian.AppendUint16(b, g.Data3)
	return append(b, g.Data4[:]...), nil
}

// IsZero reports whether g is the null GUID.
func (g GUID) IsZero() bool { return g == GUID{} }

const hexdigits = "0123456789abcdef"

// String formats g in lower case, 8-4-4-4-12, without braces.
func (g GUID) String() string {
	var buf [36]byte
	putHex := func(dst []byte, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			dst[i] = hexdigits[v&0xF]
			v >>= 4
		}
	}
	putHex(buf[0:8], uint64(g.Data1), 8)
	buf[8] = '-'
	putHex(buf[9:13], uint64(g.Data2), 4)
	buf[13] = '-'
	putHex(buf[14:18], uint64(g.Data3), 4)
	buf[18] = '-'
	putHex(buf[19:21], uint64(g.Data4[0]), 2)
	putHex(buf[21:23], uint64(g.Data4[1]), 2)
	buf[23] = '-'
	for i := 0; i < 6; i++ {
		putHex(buf[24+2*i:26+2*i], uint64(g.Data4[2+i]), 2)
	}
	return string(buf[:])
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (g *GUID) UnmarshalText(b []byte) error {
	v, err := ParseGUID(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// ErrBadGUID is returned by ParseGUID for text that is not a GUID.
var ErrBadGUID = errors.New("malformed GUID")

// ParseGUID parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", with or without braces, any case.
func ParseGUID(s string) (GUID, error) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return GUID{}, fmt.Errorf("%w: %q", ErrBadGUID, s)
	}
	parse := func(t string) (uint64, error) { return strconv.ParseUint(t, 16, 64) }
	d1, err1 := parse(s[0:8])
	d2, err2 := parse(s[9:13])
	d3, err3 := parse(s[14:18])
	if err := errors.Join(err1, err2, err3); err != nil {
		return GUID{}, fmt.Errorf("%w: %q", ErrBadGUID, s)
	}
	g := GUID{Data1: uint32(d1), Data2: uint16(d2), Data3: uint16(d3)}
	rest := s[19:23] + s[24:36]
	for i := 0; i < 8; i++ {
		v, err := parse(rest[2*i : 2*i+2])
		if err != nil {
			return GUID{}, fmt.Errorf("%w: %q", ErrBadGUID, s)
		}
		g.Data4[i] = byte(v)
	}
	return g, nil
}

// MustParseGUID is ParseGUID for constants; it panics on malformed input.
func MustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// HeaderKind is the header type of a record: byte 2 of the marker word for
// 0xC0 records (docs/format.md#marker-word), or KindMessage for 0x90 WPP records.
type HeaderKind uint8

// Header kinds (docs/format.md#marker-word table).
const (
	KindSystem32    HeaderKind = 0x01
	KindSystem64    HeaderKind = 0x02
	KindCompact32   HeaderKind = 0x03
	KindCompact64   HeaderKind = 0x04
	KindFull32      HeaderKind = 0x0A
	KindInstance32  HeaderKind = 0x0B
	KindError       HeaderKind = 0x0D
	KindMessage     HeaderKind = 0x0F
	KindPerfInfo32  HeaderKind = 0x10
	KindPerfInfo64  HeaderKind = 0x11
	KindEvent32     HeaderKind = 0x12
	KindEvent64     HeaderKind = 0x13
	KindFull64      HeaderKind = 0x14
	KindInstance64  HeaderKind = 0x15
	kindUnknownBase HeaderKind = 0xFF
)

var kindNames = map[HeaderKind]string{
	KindSystem32: "SYSTEM32", KindSystem64: "SYSTEM64",
	KindCompact32: "COMPACT32", KindCompact64: "COMPACT64",
	KindFull32: "FULL_HEADER32", KindFull64: "FULL_HEADER64",
	KindInstance32: "INSTANCE32", KindInstance64: "INSTANCE64",
	KindError: "ERROR", KindMessage: "MESSAGE",
	KindPerfInfo32: "PERFINFO32", KindPerfInfo64: "PERFINFO64",
	KindEvent32: "EVENT_HEADER32", KindEvent64: "EVENT_HEADER64",
}

// String returns the name used by the corpus truth header_kind_histogram.
func (k HeaderKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("KIND_0x%02X", uint8(k))
}

// PointerSize is the pointer width the kind implies for the payload: 4 for
// the "32" kinds, 8 for the "64" kinds, 0 for MESSAGE (see its option flags).
func (k HeaderKind) PointerSize() int {
	switch k {
	case KindSystem32, KindCompact32, KindFull32, KindInstance32, KindPerfInfo32, KindEvent32:
		return 4
	case KindSystem64, KindCompact64, KindFull64, KindInstance64, KindPerfInfo64, KindEvent64:
		return 8
	}
	return 0
}

// IsKernel reports whether the kind is a kernel SYSTEM/COMPACT/PERFINFO header,
// whose identity is (group, type, version).
func (k HeaderKind) IsKernel() bool {
	switch k {
	case KindSystem32, KindSystem64, KindCompact32, KindCompact64, KindPerfInfo32, KindPerfInfo64:
		return true
	}
	return false
}

// IsEventHeader reports whether the kind is an EVENT_HEADER (manifest or TraceLogging) record.
func (k HeaderKind) IsEventHeader() bool { return k == KindEvent32 || k == KindEvent64 }

// IsClassic reports whether the kind is a FULL_HEADER or INSTANCE (EVENT_TRACE_HEADER) record.
func (k HeaderKind) IsClassic() bool {
	return k == KindFull32 || k == KindFull64 || k == KindInstance32 || k == KindInstance64
}

// Record is one event record as read from a buffer.
//
// Slices (Payload, Ext) alias the buffer the record was read from: they are
// valid only until the iterator advances, unless the reader was asked to
// copy. Callers that keep a record must copy it (Clone).
type Record struct {
	Kind HeaderKind

	// Provider is the identity GUID: the class GUID derived from the group
	// for kernel records (corpus README table), the header GUID for
	// FULL_HEADER/INSTANCE records, EVENT_HEADER.ProviderId for manifest and
	// TraceLogging records, and the message GUID for WPP records (zero if
	// the record carries none).
	Provider GUID

	Group   uint8  // kernel hook group (SYSTEM/COMPACT/PERFINFO records only)
	ID      uint16 // EVENT_HEADER EventDescriptor.Id; MESSAGE MessageNumber; else 0
	Opcode  uint8  // kernel Packet.Type, classic Class.Type, EventDescriptor.Opcode
	Version uint16 // event version with PEBS/PMC bits masked out
	Level   uint8
	Channel uint8
	Task    uint16
	Keyword uint64

	// Flags is EVENT_HEADER.Flags for EVENT_HEADER records and the
	// OptionFlags word for MESSAGE records.
	Flags         uint16
	EventProperty uint16

	ThreadID  uint32
	ProcessID uint32

	RawTime int64 // timestamp in the session clock, as stored
	Time    int64 // FILETIME: 100 ns units since 1601-01-01 UTC

	ActivityID GUID

	// Ext holds the EVENT_HEADER extended data items exactly as on disk
	// (8-byte item headers included); nil when there are none.
	Ext []byte
	// Payload is the user data.
	Payload []byte

	// BufferOffset is the file offset of the buffer holding the record;
	// Pos is the record's offset inside that buffer (header included), in
	// the decompressed image for compressed buffers.
	BufferOffset int64
	Pos          int
	Processor    uint16 // processor index of the buffer

	// Compressed reports that the buffer was compressed on disk, so Pos is
	// an offset in the decompressed image, not in the file.
	Compressed bool
	// NoTime reports that the record carries no timestamp (a MESSAGE record
	// without TRACE_MESSAGE_TIMESTAMP); RawTime and Time are then 0.
	NoTime bool
	// Raw is the whole record as stored (header, header extensions,
	// extended items and payload, without alignment padding). It aliases
	// the buffer like Payload.
	Raw []byte
}

// PointerSize returns the payload pointer width (4 or 8) of the record.
// For MESSAGE records it follows the POINTER32/POINTER64 option flags.
func (r *Record) PointerSize() int {
	if n := r.Kind.PointerSize(); n != 0 {
		return n
	}
	if r.Flags&0x40 != 0 {
		return 4
	}
	return 8
}

// Clone returns a deep copy of r whose slices do not alias any buffer.
func (r *Record) Clone() Record {
	c := *r
	if r.Raw != nil {
		// Keep Ext and Payload pointing into the copied Raw when they alias it.
		c.Raw = append([]byte(nil), r.Raw...)
		if i, ok := subslice(r.Raw, r.Ext); ok {
			c.Ext = c.Raw[i : i+len(r.Ext) : i+len(r.Ext)]
		} else if r.Ext != nil {
			c.Ext = append([]byte(nil), r.Ext...)
		}
		if i, ok := subslice(r.Raw, r.Payload); ok {
			c.Payload = c.Raw[i : i+len(r.Payload) : i+len(r.Payload)]
		} else if r.Payload != nil {
			c.Payload = append([]byte(nil), r.Payload...)
		}
		return c
	}
	if r.Ext != nil {
		c.Ext = append([]byte(nil), r.Ext...)
	}
	if r.Payload != nil {
		c.Payload = append([]byte(nil), r.Payload...)
	}
	return c
}

// subslice reports whether sub was sliced from b (b[i:j] without a cap
// limit) and returns its start index i.
func subslice(b, sub []byte) (int, bool) {
	if len(sub) == 0 || len(b) == 0 {
		return 0, false
	}
	i := cap(b) - cap(sub)
	if i < 0 || i+len(sub) > len(b) || &b[i] != &sub[0] {
		return 0, false
	}
	return i, true
}
