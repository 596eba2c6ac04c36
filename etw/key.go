package etw

import "strconv"

// CountClass is the family of a CountKey (corpus README "dissect_etl.counts").
type CountClass uint8

// Count classes.
const (
	CountEvent   CountClass = iota + 1 // EVENT_HEADER records: provider, id, opcode, version
	CountSystem                        // SYSTEM/COMPACT/PERFINFO: class GUID, group, opcode, version
	CountClassic                       // FULL_HEADER/INSTANCE: GUID, type, version
	CountMessage                       // WPP MESSAGE: message GUID, message number
)

// CountKey identifies an event type for counting. It is comparable and its
// String form is the corpus truth key syntax.
type CountKey struct {
	Class   CountClass
	GUID    GUID
	Group   uint8
	ID      uint16
	Opcode  uint8
	Version uint16
}

// CountKey returns the counting key of r.
func (r *Record) CountKey() CountKey {
	k := CountKey{GUID: r.Provider}
	switch {
	case r.Kind.IsEventHeader():
		k.Class, k.ID, k.Opcode, k.Version = CountEvent, r.ID, r.Opcode, r.Version
	case r.Kind.IsKernel():
		k.Class, k.Group, k.Opcode, k.Version = CountSystem, r.Group, r.Opcode, r.Version
	case r.Kind.IsClassic():
		k.Class, k.Opcode, k.Version = CountClassic, r.Opcode, r.Version
	case r.Kind == KindMessage:
		k.Class, k.ID = CountMessage, r.ID
	}
	return k
}

// String formats k as in the corpus truth:
//
//	<guid>|event|id=I|op=O|v=V
//	<guid>|sys|grp=0xGG|op=O|v=V
//	<guid>|classic|type=T|v=V
//	<guid>|message|id=N
func (k CountKey) String() string {
	return string(k.AppendText(make([]byte, 0, 64)))
}

// AppendText appends the String form of k to b.
func (k CountKey) AppendText(b []byte) []byte {
	b = append(b, k.GUID.String()...)
	u := func(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }
	switch k.Class {
	case CountEvent:
		b = append(b, "|event|id="...)
		b = u(b, uint64(k.ID))
		b = append(b, "|op="...)
		b = u(b, uint64(k.Opcode))
		b = append(b, "|v="...)
		b = u(b, uint64(k.Version))
	case CountSystem:
		b = append(b, "|sys|grp=0x"...)
		b = append(b, hexdigits[k.Group>>4], hexdigits[k.Group&0xF])
		b = append(b, "|op="...)
		b = u(b, uint64(k.Opcode))
		b = append(b, "|v="...)
		b = u(b, uint64(k.Version))
	case CountClassic:
		b = append(b, "|classic|type="...)
		b = u(b, uint64(k.Opcode))
		b = append(b, "|v="...)
		b = u(b, uint64(k.Version))
	case CountMessage:
		b = append(b, "|message|id="...)
		b = u(b, uint64(k.ID))
	default:
		b = append(b, "|unknown"...)
	}
	return b
}

// MarshalText implements encoding.TextMarshaler (the String form), so a
// map[CountKey]int encodes as a JSON object keyed like the truth.
func (k CountKey) MarshalText() ([]byte, error) { return k.AppendText(nil), nil }
