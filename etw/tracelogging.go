package etw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// TraceLogging field input types (docs/format.md#tracelogging; TraceLoggingDynamic.h InType).
const (
	TLInNull              uint8 = 0
	TLInUnicodeString     uint8 = 1 // NUL-terminated UTF-16LE
	TLInAnsiString        uint8 = 2 // NUL-terminated 8-bit
	TLInInt8              uint8 = 3
	TLInUint8             uint8 = 4
	TLInInt16             uint8 = 5
	TLInUint16            uint8 = 6
	TLInInt32             uint8 = 7
	TLInUint32            uint8 = 8
	TLInInt64             uint8 = 9
	TLInUint64            uint8 = 10
	TLInFloat             uint8 = 11
	TLInDouble            uint8 = 12
	TLInBool32            uint8 = 13
	TLInBinary            uint8 = 14 // u16 byte count + bytes
	TLInGUID              uint8 = 15
	TLInPointer           uint8 = 16 // record pointer width
	TLInFiletime          uint8 = 17
	TLInSystemtime        uint8 = 18
	TLInSID               uint8 = 19
	TLInHexInt32          uint8 = 20
	TLInHexInt64          uint8 = 21
	TLInCountedString     uint8 = 22 // u16 byte count + UTF-16LE
	TLInCountedAnsiString uint8 = 23 // u16 byte count + bytes
	TLInStruct            uint8 = 24 // OutType = number of member fields
	TLInCountedBinary     uint8 = 25 // u16 byte count + bytes
)

// InMeta bits of a TraceLogging field (docs/format.md#tracelogging).
const (
	tlInTypeMask = 0x1F
	tlCountMask  = 0x60
	tlCcount     = 0x20 // constant count: u16 in the metadata
	tlVcount     = 0x40 // variable count: u16 before the values in user data
	tlCustom     = 0x60 // u16 schema size + schema in the metadata; u16 size + bytes in user data
	tlChain      = 0x80
)

// TLInTypeName returns the TraceLoggingDynamic.h name of a TraceLogging
// InType ("UINT32", "STRUCT", …) or "INTYPE_<n>".
func TLInTypeName(t uint8) string {
	if int(t) < len(tlInTypes) {
		return tlInTypes[t].name
	}
	return "INTYPE_" + strconv.Itoa(int(t))
}

// TLEvent is a decoded TraceLogging event (docs/format.md#tracelogging). It holds no
// reference to the record's buffer.
type TLEvent struct {
	Provider      string    `json:"provider,omitempty"`      // PROV_TRAITS provider name
	ProviderGroup GUID      `json:"provider_group,omitzero"` // trait type 1
	Name          string    `json:"name"`                    // event name
	Tags          uint32    `json:"tags,omitempty"`          // 28-bit event tags
	Fields        []TLField `json:"fields"`                  // user data, in order
}

// TLField is one decoded field of a TraceLogging event.
//
// Value holds, for a scalar, the Go value of its InType: string for the
// string types, int8…uint64, float32, float64, bool (BOOL32), []byte
// (BINARY, COUNTEDBINARY, custom), GUID, uint64 (POINTER), time.Time
// (FILETIME, SYSTEMTIME, UTC), string "S-1-…" (SID), uint32/uint64
// (HEXINT32/64). A FILETIME after year 9999 stays a uint64 and a SYSTEMTIME
// outside years 0..9999 a [8]uint16. For an array (Array true) Value is []any of such values;
// for an array of structs each element is a []TLField. A scalar struct has
// Value nil and its members in Fields.
type TLField struct {
	Name    string    `json:"name"`
	InType  uint8     `json:"in_type"`
	OutType uint8     `json:"out_type,omitempty"` // for STRUCT: the member count
	Tags    uint32    `json:"tags,omitempty"`
	Array   bool      `json:"array,omitempty"`
	Value   any       `json:"value,omitempty"`
	Fields  []TLField `json:"fields,omitempty"`
}

// tlMeta is one field of an EVENT_SCHEMA_TL blob.
type tlMeta struct {
	name    string
	in      uint8 // InType
	out     uint8 // OutType (member count for STRUCT)
	count   uint8 // 0, tlCcount, tlVcount or tlCustom
	tags    uint32
	ccount  uint16
	members []tlMeta
	minSize int // fewest user-data bytes one value (one element) takes
}

const (
	tlMaxDepth   = 32      // struct nesting
	tlSaturation = 1 << 30 // cap for minSize sums
)

// tlErr is a TraceLogging decoding error at pos in one of the three blobs.
type tlErr struct {
	area string // "EVENT_SCHEMA_TL", "PROV_TRAITS" or "user data"
	pos  int
	what string
	err  error
}

func (e *tlErr) Error() string {
	return fmt.Sprintf("TraceLogging %s at +%#x: %s: %v", e.area, e.pos, e.what, e.err)
}

func (e *tlErr) Unwrap() error { return e.err }

// tlReader reads one blob.
type tlReader struct {
	b    []byte
	pos  int
	area string
}

func (r *tlReader) fail(what string, err error) *tlErr {
	return &tlErr{r.area, r.pos, what, err}
}

func (r *tlReader) u8(what string) (uint8, error) {
	if r.pos >= len(r.b) {
		return 0, r.fail(what, ErrTruncated)
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *tlReader) u16(what string) (uint16, error) {
	if len(r.b)-r.pos < 2 {
		return 0, r.fail(what, ErrTruncated)
	}
	r.pos += 2
	return binary.LittleEndian.Uint16(r.b[r.pos-2:]), nil
}

func (r *tlReader) bytes(n int, what string) ([]byte, error) {
	if n < 0 || len(r.b)-r.pos < n {
		return nil, r.fail(what, ErrTruncated)
	}
	r.pos += n
	return r.b[r.pos-n : r.pos], nil
}

// cstring reads a NUL-terminated UTF-8 string.
func (r *tlReader) cstring(what string) (string, error) {
	i := bytes.IndexByte(r.b[r.pos:], 0)
	if i < 0 {
		return "", r.fail(what+" (no NUL)", ErrTruncated)
	}
	s := ansiString(r.b[r.pos : r.pos+i])
	r.pos += i + 1
	return s, nil
}

// tags reads 7-bit groups, most significant first, while the high bit is
// set; the first group is bits 27..21 of the 28-bit tag value.
func (r *tlReader) tags(what string) (uint32, error) {
	var v uint32
	shift := 21
	for {
		c, err := r.u8(what)
		if err != nil {
			return 0, err
		}
		if shift >= 0 {
			v |= uint32(c&0x7F) << uint(shift)
		}
		shift -= 7
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

// parseProvTraits decodes a PROV_TRAITS blob (docs/format.md#tracelogging,
// provider-traits): u16 size, NUL-terminated name, traits {u16 size, u8
// type, data}. Only trait type 1 (provider group GUID) is kept.
func parseProvTraits(b []byte) (name string, group GUID, err error) {
	r := tlReader{b: b, area: "PROV_TRAITS"}
	size, err := r.u16("total size")
	if err != nil {
		return "", group, err
	}
	if int(size) > len(b) || size < 3 {
		return "", group, &tlErr{r.area, 0, fmt.Sprintf("total size %d of %d bytes", size, len(b)), ErrBadSize}
	}
	r.b = b[:size]
	if name, err = r.cstring("provider name"); err != nil {
		return "", group, err
	}
	for r.pos < len(r.b) {
		start := r.pos
		ts, err := r.u16("trait size")
		if err != nil {
			return name, group, err
		}
		if ts < 3 || int(ts) > len(r.b)-start {
			return name, group, &tlErr{r.area, start, fmt.Sprintf("trait size %d", ts), ErrBadSize}
		}
		typ := r.b[start+2]
		data := r.b[start+3 : start+int(ts)]
		if typ == 1 && len(data) >= 16 {
			group = GUIDFromBytes(data)
		}
		r.pos = start + int(ts)
	}
	return name, group, nil
}

// parseSchemaTL decodes an EVENT_SCHEMA_TL blob (docs/format.md#tracelogging).
func parseSchemaTL(b []byte) (name string, tags uint32, fields []tlMeta, err error) {
	r := tlReader{b: b, area: "EVENT_SCHEMA_TL"}
	size, err := r.u16("size")
	if err != nil {
		return "", 0, nil, err
	}
	if int(size) > len(b) || size < 2 {
		return "", 0, nil, &tlErr{r.area, 0, fmt.Sprintf("size %d of %d bytes", size, len(b)), ErrBadSize}
	}
	r.b = b[:size]
	if tags, err = r.tags("event tags"); err != nil {
		return "", 0, nil, err
	}
	if name, err = r.cstring("event name"); err != nil {
		return "", 0, nil, err
	}
	for r.pos < len(r.b) {
		f, err := r.field(0)
		if err != nil {
			return name, tags, fields, err
		}
		fields = append(fields, f)
	}
	return name, tags, fields, nil
}

// field reads one field and, for a STRUCT, its members; errors name the field.
func (r *tlReader) field(depth int) (tlMeta, error) {
	var f tlMeta
	var err error
	start := r.pos
	if f.name, err = r.cstring("field name"); err != nil {
		return f, err
	}
	err = r.fieldMeta(&f, start, depth)
	if te, ok := err.(*tlErr); ok {
		te.what = fmt.Sprintf("field %q: %s", f.name, te.what)
	}
	return f, err
}

func (r *tlReader) fieldMeta(f *tlMeta, start, depth int) error {
	in, err := r.u8("InMeta")
	if err != nil {
		return err
	}
	f.in = in & tlInTypeMask
	f.count = in & tlCountMask
	if in&tlChain != 0 {
		out, err := r.u8("OutMeta")
		if err != nil {
			return err
		}
		f.out = out & 0x7F
		if out&tlChain != 0 {
			if f.tags, err = r.tags("tags"); err != nil {
				return err
			}
		}
	}
	switch f.count {
	case tlCcount:
		if f.ccount, err = r.u16("Ccount"); err != nil {
			return err
		}
	case tlCustom:
		n, err := r.u16("custom schema size")
		if err != nil {
			return err
		}
		if _, err := r.bytes(int(n), "custom schema"); err != nil {
			return err
		}
	}
	if f.in > TLInCountedBinary {
		return &tlErr{r.area, start, fmt.Sprintf("unknown InType %d", f.in), ErrUnsupported}
	}
	if f.in == TLInStruct && f.count != tlCustom {
		if depth >= tlMaxDepth {
			return &tlErr{r.area, start, fmt.Sprintf("struct nested deeper than %d", tlMaxDepth), ErrBadSize}
		}
		for i := 0; i < int(f.out); i++ {
			if r.pos >= len(r.b) {
				return r.fail(fmt.Sprintf("struct member %d of %d", i+1, f.out), ErrTruncated)
			}
			m, err := r.field(depth + 1)
			if err != nil {
				return err
			}
			f.members = append(f.members, m)
		}
	}
	f.minSize = tlMinSize(f)
	return nil
}

// tlMinSize returns the fewest user-data bytes one element of f takes.
func tlMinSize(f *tlMeta) int {
	if f.count == tlCustom {
		return 2
	}
	if f.in != TLInStruct {
		return tlInTypes[f.in].minSize
	}
	n := 0
	for i := range f.members {
		n += tlFieldMinSize(&f.members[i])
		if n > tlSaturation {
			return tlSaturation
		}
	}
	return n
}

// tlFieldMinSize is tlMinSize for the whole field, counts included.
func tlFieldMinSize(f *tlMeta) int {
	switch f.count {
	case tlVcount:
		return 2
	case tlCcount:
		return min(int(f.ccount)*f.minSize, tlSaturation)
	}
	return f.minSize
}

// tlData decodes user data against the parsed schema.
type tlData struct {
	tlReader
	ptrSize int
	budget  int // values left to produce; bounds allocation by the input size
}

func (d *tlData) spend(what string) error {
	d.budget--
	if d.budget < 0 {
		return d.fail(what+": too many values for the data size", ErrBadSize)
	}
	return nil
}

// decodeField decodes the value(s) of f; errors name the field.
func (d *tlData) decodeField(f *tlMeta) (TLField, error) {
	v, err := d.fieldValue(f)
	if te, ok := err.(*tlErr); ok {
		te.what = fmt.Sprintf("field %q (%s): %s", f.name, TLInTypeName(f.in), te.what)
	}
	return v, err
}

func (d *tlData) fieldValue(f *tlMeta) (TLField, error) {
	out := TLField{Name: f.name, InType: f.in, OutType: f.out, Tags: f.tags}
	if err := d.spend("field"); err != nil {
		return out, err
	}
	n := 0
	switch f.count {
	case 0, tlCustom:
		if f.count == tlCustom {
			v, err := d.counted()
			out.Value = v
			return out, err
		}
		if f.in == TLInStruct {
			fs, err := d.decodeMembers(f)
			out.Fields = fs
			return out, err
		}
		v, err := d.scalar(f)
		out.Value = v
		return out, err
	case tlCcount:
		n = int(f.ccount)
	case tlVcount:
		c, err := d.u16("Vcount")
		if err != nil {
			return out, err
		}
		n = int(c)
	}
	out.Array = true
	elem := f.minSize
	if f.in == TLInPointer {
		elem = d.ptrSize
	}
	if n > 0 && elem == 0 {
		return out, d.fail(fmt.Sprintf("array of %d zero-size elements", n), ErrBadSize)
	}
	if n > 0 && n > (len(d.b)-d.pos)/elem {
		return out, d.fail(fmt.Sprintf("array of %d elements of at least %d bytes", n, elem), ErrTruncated)
	}
	vals := make([]any, 0, n)
	for i := 0; i < n; i++ {
		if err := d.spend("element"); err != nil {
			out.Value = vals
			return out, err
		}
		var v any
		var err error
		if f.in == TLInStruct {
			v, err = d.decodeMembers(f)
		} else {
			v, err = d.scalar(f)
		}
		if err != nil {
			out.Value = vals
			return out, err
		}
		vals = append(vals, v)
	}
	out.Value = vals
	return out, nil
}

func (d *tlData) decodeMembers(f *tlMeta) ([]TLField, error) {
	fs := make([]TLField, 0, len(f.members))
	for i := range f.members {
		v, err := d.decodeField(&f.members[i])
		fs = append(fs, v)
		if err != nil {
			return fs, err
		}
	}
	return fs, nil
}

// countedRef reads a u16 byte count and that many bytes (aliasing d.b).
func (d *tlData) countedRef() ([]byte, error) {
	n, err := d.u16("value length")
	if err != nil {
		return nil, err
	}
	return d.bytes(int(n), "value")
}

// counted is countedRef with the bytes copied.
func (d *tlData) counted() ([]byte, error) {
	b, err := d.countedRef()
	if err != nil {
		return nil, err
	}
	return append([]byte{}, b...), nil
}

// scalar decodes one non-struct value of f.
func (d *tlData) scalar(f *tlMeta) (any, error) {
	if f.in == TLInPointer {
		b, err := d.bytes(d.ptrSize, "value")
		if err != nil {
			return nil, err
		}
		if d.ptrSize == 4 {
			return uint64(binary.LittleEndian.Uint32(b)), nil
		}
		return binary.LittleEndian.Uint64(b), nil
	}
	t := &tlInTypes[f.in]
	if t.fixed != nil {
		b, err := d.bytes(t.minSize, "value")
		if err != nil {
			return nil, err
		}
		return t.fixed(b), nil
	}
	return t.variable(d)
}

// tlInType describes how one InType is stored in user data
// (docs/format.md#tracelogging InType list): fixed-size types have fixed, the others
// variable; STRUCT (members) and POINTER (record width) are handled by the
// caller.
type tlInType struct {
	name     string
	minSize  int // size of a fixed type; fewest bytes of a variable one
	fixed    func(b []byte) any
	variable func(d *tlData) (any, error)
}

var tlLE = binary.LittleEndian

var tlInTypes = [...]tlInType{
	TLInNull:          {"NULL", 0, nil, func(*tlData) (any, error) { return nil, nil }},
	TLInUnicodeString: {"UNICODESTRING", 2, nil, (*tlData).utf16z},
	TLInAnsiString:    {"ANSISTRING", 1, nil, func(d *tlData) (any, error) { return d.cstring("value") }},
	TLInInt8:          {"INT8", 1, func(b []byte) any { return int8(b[0]) }, nil},
	TLInUint8:         {"UINT8", 1, func(b []byte) any { return b[0] }, nil},
	TLInInt16:         {"INT16", 2, func(b []byte) any { return int16(tlLE.Uint16(b)) }, nil},
	TLInUint16:        {"UINT16", 2, func(b []byte) any { return tlLE.Uint16(b) }, nil},
	TLInInt32:         {"INT32", 4, func(b []byte) any { return int32(tlLE.Uint32(b)) }, nil},
	TLInUint32:        {"UINT32", 4, func(b []byte) any { return tlLE.Uint32(b) }, nil},
	TLInInt64:         {"INT64", 8, func(b []byte) any { return int64(tlLE.Uint64(b)) }, nil},
	TLInUint64:        {"UINT64", 8, func(b []byte) any { return tlLE.Uint64(b) }, nil},
	TLInFloat:         {"FLOAT", 4, func(b []byte) any { return math.Float32frombits(tlLE.Uint32(b)) }, nil},
	TLInDouble:        {"DOUBLE", 8, func(b []byte) any { return math.Float64frombits(tlLE.Uint64(b)) }, nil},
	TLInBool32:        {"BOOL32", 4, func(b []byte) any { return tlLE.Uint32(b) != 0 }, nil},
	TLInBinary:        {"BINARY", 2, nil, func(d *tlData) (any, error) { return d.counted() }},
	TLInGUID:          {"GUID", 16, func(b []byte) any { return GUIDFromBytes(b) }, nil},
	TLInPointer:       {"POINTER", 4, nil, nil},
	TLInFiletime:      {"FILETIME", 8, tlFiletime, nil},
	TLInSystemtime:    {"SYSTEMTIME", 16, tlSystemtime, nil},
	TLInSID:           {"SID", 8, nil, (*tlData).sid},
	TLInHexInt32:      {"HEXINT32", 4, func(b []byte) any { return tlLE.Uint32(b) }, nil},
	TLInHexInt64:      {"HEXINT64", 8, func(b []byte) any { return tlLE.Uint64(b) }, nil},
	TLInCountedString: {"COUNTEDSTRING", 2, nil, func(d *tlData) (any, error) {
		b, err := d.countedRef()
		return DecodeUTF16(b), err
	}},
	TLInCountedAnsiString: {"COUNTEDANSISTRING", 2, nil, func(d *tlData) (any, error) {
		b, err := d.countedRef()
		return ansiString(b), err
	}},
	TLInStruct:        {"STRUCT", 0, nil, nil},
	TLInCountedBinary: {"COUNTEDBINARY", 2, nil, func(d *tlData) (any, error) { return d.counted() }},
}

// utf16z reads a NUL-terminated UTF-16LE string.
func (d *tlData) utf16z() (any, error) {
	for i := d.pos; i+1 < len(d.b); i += 2 {
		if d.b[i] == 0 && d.b[i+1] == 0 {
			s := DecodeUTF16(d.b[d.pos:i])
			d.pos = i + 2
			return s, nil
		}
	}
	return nil, d.fail("value (no NUL)", ErrTruncated)
}

// sid reads a SID: revision, sub-authority count n, 6-byte authority, n u32.
func (d *tlData) sid() (any, error) {
	if len(d.b)-d.pos < 8 {
		return nil, d.fail("value", ErrTruncated)
	}
	b, err := d.bytes(8+4*int(d.b[d.pos+1]), "value")
	if err != nil {
		return nil, err
	}
	return formatTLSID(b), nil
}

// tlFiletime converts a FILETIME; one past year 9999 stays a uint64.
func tlFiletime(b []byte) any {
	ft := tlLE.Uint64(b)
	if ft > tlMaxFiletime {
		return ft
	}
	return FiletimeToTime(int64(ft))
}

// tlSystemtime converts a SYSTEMTIME (wYear, wMonth, wDayOfWeek, wDay,
// wHour, wMinute, wSecond, wMilliseconds); one outside years 0..9999 stays
// a [8]uint16.
func tlSystemtime(b []byte) any {
	var w [8]uint16
	for i := range w {
		w[i] = tlLE.Uint16(b[2*i:])
	}
	t := time.Date(int(w[0]), time.Month(w[1]), int(w[3]), int(w[4]), int(w[5]), int(w[6]),
		int(w[7])*int(time.Millisecond), time.UTC)
	if t.Year() < 0 || t.Year() > 9999 {
		return w
	}
	return t
}

// tlMaxFiletime is 9999-12-31T23:59:59.9999999Z, the last FILETIME a
// time.Time can marshal to JSON.
const tlMaxFiletime = 2650467743999999999

// ansiString returns b as a string: as is when it is valid UTF-8, else
// read as Latin-1 (the code page is not recorded).
func ansiString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	buf := make([]byte, 0, 2*len(b))
	for _, c := range b {
		buf = utf8.AppendRune(buf, rune(c))
	}
	return string(buf)
}

// formatTLSID formats a binary SID as "S-1-5-21-…" (ntdefs.AppendSID): the
// identifier authority in decimal below 2^32, else "0x" and 12 hex digits.
// b must hold at least 8 + 4*SubAuthorityCount bytes; a shorter b gives "S-?".
func formatTLSID(b []byte) string {
	if s, ok := ntdefs.SIDString(b); ok {
		return s
	}
	return "S-?"
}

// DecodeTraceLogging decodes a TraceLogging event from its PROV_TRAITS blob
// (may be nil), EVENT_SCHEMA_TL blob and user data; ptrSize (4 or 8) is the
// record's pointer width. Errors are *FormatError whose Off is the offset
// inside the blob named in What. Whatever was decoded before an error is
// returned with it.
func DecodeTraceLogging(traits, schema, data []byte, ptrSize int) (*TLEvent, error) {
	ev, _, err := decodeTL(nil, traits, schema, data, ptrSize)
	var te *tlErr
	if errors.As(err, &te) {
		return ev, &FormatError{Off: int64(te.pos), What: "TraceLogging " + te.area + ": " + te.what, Err: te.err}
	}
	return ev, err
}

// TLDecoder decodes TraceLogging records like Record.TraceLogging, and
// keeps the parsed provider and event metadata it has seen, keyed by their
// bytes, so that a repeated event costs only the decoding of its user data.
// It keeps at most 4096 entries of each kind. The zero value is ready to
// use; a TLDecoder is not safe for concurrent use.
type TLDecoder struct {
	schemas map[string]*tlSchema
	traits  map[string]tlProvider
}

const tlCacheMax = 4096

type tlSchema struct {
	name   string
	tags   uint32
	fields []tlMeta
}

type tlProvider struct {
	name  string
	group GUID
}

// Decode is Record.TraceLogging with metadata caching.
func (c *TLDecoder) Decode(r *Record) (ev *TLEvent, ok bool, err error) {
	return r.traceLogging(c)
}

func (c *TLDecoder) provider(b []byte) (tlProvider, error) {
	if c != nil {
		if p, ok := c.traits[string(b)]; ok {
			return p, nil
		}
	}
	name, group, err := parseProvTraits(b)
	p := tlProvider{name, group}
	if err == nil && c != nil {
		if c.traits == nil || len(c.traits) >= tlCacheMax {
			c.traits = make(map[string]tlProvider)
		}
		c.traits[string(b)] = p
	}
	return p, err
}

func (c *TLDecoder) schema(b []byte) (*tlSchema, error) {
	if c != nil {
		if s, ok := c.schemas[string(b)]; ok {
			return s, nil
		}
	}
	name, tags, fields, err := parseSchemaTL(b)
	s := &tlSchema{name, tags, fields}
	if err == nil && c != nil {
		if c.schemas == nil || len(c.schemas) >= tlCacheMax {
			c.schemas = make(map[string]*tlSchema)
		}
		c.schemas[string(b)] = s
	}
	return s, err
}

// decodeTL decodes an event and returns how many bytes of data it used;
// c may be nil (no caching).
func decodeTL(c *TLDecoder, traits, schema, data []byte, ptrSize int) (*TLEvent, int, error) {
	ev := &TLEvent{}
	if traits != nil {
		p, err := c.provider(traits)
		ev.Provider, ev.ProviderGroup = p.name, p.group
		if err != nil {
			return ev, 0, err
		}
	}
	s, err := c.schema(schema)
	ev.Name, ev.Tags = s.name, s.tags
	if err != nil {
		return ev, 0, err
	}
	if ptrSize != 4 {
		ptrSize = 8
	}
	d := tlData{tlReader: tlReader{b: data, area: "user data"}, ptrSize: ptrSize,
		budget: 2*len(data) + 2*len(schema) + 16}
	ev.Fields = make([]TLField, 0, len(s.fields))
	for i := range s.fields {
		v, err := d.decodeField(&s.fields[i])
		ev.Fields = append(ev.Fields, v)
		if err != nil {
			return ev, d.pos, err
		}
	}
	return ev, d.pos, nil
}

// TraceLogging decodes r as a TraceLogging event from its EVENT_SCHEMA_TL
// and PROV_TRAITS extended items and its user data (docs/format.md#tracelogging).
// ok is false when r has no EVENT_SCHEMA_TL item (a Channel 11 record
// whose user data opens with the two metadata blobs is decoded from them).
// Errors are *FormatError
// naming the file offset (or the decompressed-buffer position) and what was
// being read; the part decoded before an error is returned with it.
func (r *Record) TraceLogging() (ev *TLEvent, ok bool, err error) {
	return r.traceLogging(nil)
}

func (r *Record) traceLogging(c *TLDecoder) (ev *TLEvent, ok bool, err error) {
	var schema, traits []byte
	var extErr error
	for it, err := range r.ExtItems() {
		if err != nil {
			extErr = err
			break
		}
		switch it.Type {
		case ExtEventSchemaTL:
			schema = it.Data
		case ExtProvTraits:
			traits = it.Data
		}
	}
	if schema == nil {
		if extErr == nil && r.Channel == tlChannel {
			return r.traceLoggingInUserData(c)
		}
		return nil, false, extErr
	}
	ev, _, err = decodeTL(c, traits, schema, r.Payload, r.PointerSize())
	var te *tlErr
	if errors.As(err, &te) {
		// Position of the failing byte inside the record.
		at := eventHeaderSize + te.pos
		switch te.area {
		case "user data":
			at += len(r.Ext)
		case "PROV_TRAITS":
			at += r.extDataPos(traits)
		default:
			at += r.extDataPos(schema)
		}
		return ev, true, r.tlFormatErr(at, "TraceLogging "+te.area+": "+te.what, te.err)
	}
	if err != nil {
		return ev, true, err
	}
	return ev, true, extErr
}

// tlChannel is the EVENT_DESCRIPTOR channel of TraceLogging events.
const tlChannel = 11

// traceLoggingInUserData decodes a TraceLogging event whose PROV_TRAITS and
// EVENT_SCHEMA_TL blobs were not moved into extended items and so open the
// user data (docs/format.md#tracelogging, last item; written on systems before Windows
// 10). It accepts the record only when both blobs parse and the fields use
// the rest of the user data exactly; otherwise ok is false.
func (r *Record) traceLoggingInUserData(c *TLDecoder) (*TLEvent, bool, error) {
	b := r.Payload
	if len(b) < 4 {
		return nil, false, nil
	}
	n := int(binary.LittleEndian.Uint16(b))
	if n < 3 || n+2 > len(b) {
		return nil, false, nil
	}
	traits := b[:n]
	m := int(binary.LittleEndian.Uint16(b[n:]))
	if m < 3 || m > len(b)-n {
		return nil, false, nil
	}
	schema := b[n : n+m]
	if _, _, err := parseProvTraits(traits); err != nil {
		return nil, false, nil
	}
	ev, used, err := decodeTL(c, traits, schema, b[n+m:], r.PointerSize())
	if err != nil || used != len(b)-n-m {
		return nil, false, nil
	}
	return ev, true, nil
}

// extDataPos returns the offset in r.Ext of data, a slice of it.
func (r *Record) extDataPos(data []byte) int {
	if len(data) == 0 {
		return 0
	}
	for i := range r.Ext {
		if &r.Ext[i] == &data[0] {
			return i
		}
	}
	return 0
}

// tlFormatErr builds the *FormatError for byte at of the record.
func (r *Record) tlFormatErr(at int, what string, err error) *FormatError {
	at += r.Pos
	if r.Compressed {
		return formatErr(r.BufferOffset, err, "%s, in decompressed buffer at +%#x", what, at)
	}
	return formatErr(r.BufferOffset+int64(at), err, "%s", what)
}
