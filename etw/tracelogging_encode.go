package etw

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// ErrTLEncode is wrapped by the errors of EncodeTraceLogging.
var ErrTLEncode = errors.New("cannot encode TraceLogging event")

// TLProviderMeta describes a TraceLogging provider for its PROV_TRAITS blob.
type TLProviderMeta struct {
	Name  string
	Group GUID // provider group (trait type 1); zero for none
}

// TLEventMeta describes a TraceLogging event. Level, Opcode and Keyword go
// into the EVENT_HEADER descriptor (Channel 11); Name and Tags into the
// EVENT_SCHEMA_TL blob.
type TLEventMeta struct {
	Name    string
	Level   uint8
	Opcode  uint8
	Keyword uint64
	Tags    uint32 // 28 bits
}

// TLValue is one field to encode.
//
// Value types by InType: string (UNICODESTRING, ANSISTRING, COUNTEDSTRING,
// COUNTEDANSISTRING, and SID as "S-1-…"), any Go integer (INT8…UINT64,
// HEXINT32/64; range-checked), float32/float64 (FLOAT, DOUBLE), bool
// (BOOL32), []byte (BINARY, COUNTEDBINARY, SID in binary form), GUID,
// time.Time or an int64 FILETIME (FILETIME), time.Time (SYSTEMTIME), and
// []TLValue (STRUCT, 1…127 members). A slice of such values (other than
// the []byte of BINARY/COUNTEDBINARY/SID) is a variable-count array.
type TLValue struct {
	Name    string
	InType  uint8
	OutType uint8
	Tags    uint32
	Value   any
}

// EncodeTraceLogging builds the PROV_TRAITS blob, the EVENT_SCHEMA_TL blob
// and the packed user data of one TraceLogging event (docs/format.md#tracelogging),
// ready to be stored as extended items 12 and 11 and as user data.
func EncodeTraceLogging(p TLProviderMeta, e TLEventMeta, fields []TLValue) (traits, schema, data []byte, err error) {
	if traits, err = EncodeTLProviderTraits(p); err != nil {
		return nil, nil, nil, err
	}
	if strings.IndexByte(e.Name, 0) >= 0 {
		return nil, nil, nil, fmt.Errorf("%w: event name contains NUL", ErrTLEncode)
	}
	schema = []byte{0, 0}
	schema = appendTLTags(schema, e.Tags)
	schema = append(append(schema, e.Name...), 0)
	for i := range fields {
		if schema, data, err = encodeTLField(schema, data, &fields[i], 0); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(schema) > math.MaxUint16 {
		return nil, nil, nil, fmt.Errorf("%w: metadata of %d bytes exceeds 65535", ErrTLEncode, len(schema))
	}
	binary.LittleEndian.PutUint16(schema, uint16(len(schema)))
	return traits, schema, data, nil
}

// EncodeTLProviderTraits builds a PROV_TRAITS blob: u16 size, the provider
// name NUL-terminated, and a group trait {u16 19, u8 1, GUID} when p.Group
// is set.
func EncodeTLProviderTraits(p TLProviderMeta) ([]byte, error) {
	if strings.IndexByte(p.Name, 0) >= 0 {
		return nil, fmt.Errorf("%w: provider name contains NUL", ErrTLEncode)
	}
	b := []byte{0, 0}
	b = append(append(b, p.Name...), 0)
	if !p.Group.IsZero() {
		b = append(b, 19, 0, 1)
		b, _ = p.Group.AppendBinary(b)
	}
	if len(b) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: provider traits of %d bytes", ErrTLEncode, len(b))
	}
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	return b, nil
}

// appendTLTags appends the 7-bit-group encoding of 28-bit tags (most
// significant group first, high bit = more follow); 0 is one zero byte.
func appendTLTags(b []byte, tags uint32) []byte {
	tags &= 0x0FFFFFFF
	for {
		c := byte(tags>>21) & 0x7F
		tags = (tags << 7) & 0x0FFFFFFF
		if tags == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func encodeTLField(meta, data []byte, f *TLValue, depth int) ([]byte, []byte, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: field %q (%s): %s", ErrTLEncode, f.Name, TLInTypeName(f.InType), fmt.Sprintf(format, args...))
	}
	if strings.IndexByte(f.Name, 0) >= 0 {
		return nil, nil, fail("name contains NUL")
	}
	if f.InType > TLInCountedBinary || f.InType == TLInNull || f.InType == TLInPointer {
		return nil, nil, fail("InType not supported for encoding")
	}
	if f.OutType > 0x7F {
		return nil, nil, fail("OutType %d above 127", f.OutType)
	}
	in := f.InType
	out := f.OutType
	var members []TLValue
	var elems reflect.Value
	isArray := false
	switch f.InType {
	case TLInStruct:
		m, ok := f.Value.([]TLValue)
		if !ok || len(m) == 0 || len(m) > 127 {
			return nil, nil, fail("STRUCT needs []TLValue with 1..127 members")
		}
		if depth >= tlMaxDepth {
			return nil, nil, fail("struct nested deeper than %d", tlMaxDepth)
		}
		members, out = m, uint8(len(m))
	case TLInBinary, TLInCountedBinary, TLInSID:
		if _, ok := f.Value.([]byte); ok {
			break
		}
		fallthrough
	default:
		if v := reflect.ValueOf(f.Value); v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
			if f.InType == TLInBinary {
				return nil, nil, fail("BINARY cannot be an array")
			}
			if v.Len() > math.MaxUint16 {
				return nil, nil, fail("array of %d elements", v.Len())
			}
			isArray, elems = true, v
			in |= tlVcount
		}
	}
	meta = append(meta, f.Name...)
	meta = append(meta, 0)
	if out != 0 || f.Tags != 0 {
		meta = append(meta, in|tlChain)
		if f.Tags != 0 {
			meta = append(meta, out|tlChain)
			meta = appendTLTags(meta, f.Tags)
		} else {
			meta = append(meta, out)
		}
	} else {
		meta = append(meta, in)
	}
	var err error
	switch {
	case members != nil:
		for i := range members {
			if meta, data, err = encodeTLField(meta, data, &members[i], depth+1); err != nil {
				return nil, nil, err
			}
		}
	case isArray:
		data = binary.LittleEndian.AppendUint16(data, uint16(elems.Len()))
		for i := 0; i < elems.Len(); i++ {
			if data, err = appendTLScalar(data, f.InType, elems.Index(i).Interface()); err != nil {
				return nil, nil, fail("element %d: %v", i, err)
			}
		}
	default:
		if data, err = appendTLScalar(data, f.InType, f.Value); err != nil {
			return nil, nil, fail("%v", err)
		}
	}
	return meta, data, nil
}

// appendTLScalar appends one value of a non-struct InType.
func appendTLScalar(b []byte, in uint8, v any) ([]byte, error) {
	le := binary.LittleEndian
	switch in {
	case TLInUnicodeString, TLInAnsiString, TLInCountedString, TLInCountedAnsiString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want string, have %T", v)
		}
		switch in {
		case TLInUnicodeString:
			for _, u := range utf16.Encode([]rune(s)) {
				if u == 0 {
					return nil, errors.New("string contains NUL")
				}
				b = le.AppendUint16(b, u)
			}
			return append(b, 0, 0), nil
		case TLInAnsiString:
			if strings.IndexByte(s, 0) >= 0 {
				return nil, errors.New("string contains NUL")
			}
			return append(append(b, s...), 0), nil
		case TLInCountedString:
			u := utf16.Encode([]rune(s))
			if 2*len(u) > math.MaxUint16 {
				return nil, fmt.Errorf("string of %d UTF-16 units", len(u))
			}
			b = le.AppendUint16(b, uint16(2*len(u)))
			for _, c := range u {
				b = le.AppendUint16(b, c)
			}
			return b, nil
		default:
			if len(s) > math.MaxUint16 {
				return nil, fmt.Errorf("string of %d bytes", len(s))
			}
			return append(le.AppendUint16(b, uint16(len(s))), s...), nil
		}
	case TLInInt8, TLInInt16, TLInInt32, TLInInt64:
		n, ok := tlInt(v)
		bitsN := map[uint8]uint{TLInInt8: 8, TLInInt16: 16, TLInInt32: 32, TLInInt64: 64}[in]
		if !ok || bitsN < 64 && (n < -1<<(bitsN-1) || n >= 1<<(bitsN-1)) {
			return nil, fmt.Errorf("value %v (%T) does not fit", v, v)
		}
		return appendTLUint(b, uint64(n), bitsN), nil
	case TLInUint8, TLInUint16, TLInUint32, TLInUint64, TLInHexInt32, TLInHexInt64:
		n, ok := tlUint(v)
		bitsN := map[uint8]uint{TLInUint8: 8, TLInUint16: 16, TLInUint32: 32, TLInUint64: 64, TLInHexInt32: 32, TLInHexInt64: 64}[in]
		if !ok || bitsN < 64 && n >= 1<<bitsN {
			return nil, fmt.Errorf("value %v (%T) does not fit", v, v)
		}
		return appendTLUint(b, n, bitsN), nil
	case TLInFloat:
		switch x := v.(type) {
		case float32:
			return le.AppendUint32(b, math.Float32bits(x)), nil
		case float64:
			return le.AppendUint32(b, math.Float32bits(float32(x))), nil
		}
	case TLInDouble:
		switch x := v.(type) {
		case float32:
			return le.AppendUint64(b, math.Float64bits(float64(x))), nil
		case float64:
			return le.AppendUint64(b, math.Float64bits(x)), nil
		}
	case TLInBool32:
		if x, ok := v.(bool); ok {
			if x {
				return le.AppendUint32(b, 1), nil
			}
			return le.AppendUint32(b, 0), nil
		}
	case TLInBinary, TLInCountedBinary:
		if x, ok := v.([]byte); ok {
			if len(x) > math.MaxUint16 {
				return nil, fmt.Errorf("%d bytes", len(x))
			}
			return append(le.AppendUint16(b, uint16(len(x))), x...), nil
		}
	case TLInGUID:
		if x, ok := v.(GUID); ok {
			return x.AppendBinary(b)
		}
	case TLInFiletime:
		switch x := v.(type) {
		case time.Time:
			if x.Year() < 1601 || x.Year() > 30827 {
				return nil, fmt.Errorf("time %v outside the FILETIME range", x)
			}
			return le.AppendUint64(b, uint64(TimeToFiletime(x))), nil
		case int64:
			return le.AppendUint64(b, uint64(x)), nil
		}
	case TLInSystemtime:
		if x, ok := v.(time.Time); ok {
			x = x.UTC()
			if x.Year() < 1601 || x.Year() > 30827 {
				return nil, fmt.Errorf("time %v outside the SYSTEMTIME range", x)
			}
			for _, w := range []int{x.Year(), int(x.Month()), int(x.Weekday()), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond() / 1e6} {
				b = le.AppendUint16(b, uint16(w))
			}
			return b, nil
		}
	case TLInSID:
		switch x := v.(type) {
		case []byte:
			if len(x) < 8 || len(x) != 8+4*int(x[1]) {
				return nil, fmt.Errorf("binary SID of %d bytes", len(x))
			}
			return append(b, x...), nil
		case string:
			sid, err := parseTLSID(x)
			if err != nil {
				return nil, err
			}
			return append(b, sid...), nil
		}
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func appendTLUint(b []byte, n uint64, bits uint) []byte {
	for i := uint(0); i < bits; i += 8 {
		b = append(b, byte(n>>i))
	}
	return b
}

func tlInt(v any) (int64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if r.Uint() > math.MaxInt64 {
			return 0, false
		}
		return int64(r.Uint()), true
	}
	return 0, false
}

func tlUint(v any) (uint64, bool) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.Uint(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if r.Int() < 0 {
			return 0, false
		}
		return uint64(r.Int()), true
	}
	return 0, false
}

// parseTLSID parses "S-R-A-S1-S2-…" (MS-DTYP §2.4.2.1; authority in
// decimal or 0x-hex, at most 15 sub-authorities) into a binary SID.
func parseTLSID(s string) ([]byte, error) {
	b, err := ntdefs.AppendSIDBinary(nil, s)
	if err != nil {
		return nil, fmt.Errorf("malformed SID %q", s)
	}
	return b, nil
}

// tlNamespace is the EventSource/TraceLogging provider-name namespace
// 482C2DB2-C390-47C8-87F8-1A15BFC130FB, in big-endian byte order.
var tlNamespace = [16]byte{0x48, 0x2C, 0x2D, 0xB2, 0xC3, 0x90, 0x47, 0xC8, 0x87, 0xF8, 0x1A, 0x15, 0xBF, 0xC1, 0x30, 0xFB}

// TraceLoggingProviderGUID returns the provider GUID that EventSource and
// TraceLogging derive from a provider name: SHA-1 over the namespace and
// the upper-cased name in UTF-16BE, first 16 bytes, version nibble 5, read
// as a Windows (little-endian) GUID.
func TraceLoggingProviderGUID(name string) GUID {
	h := sha1.New()
	h.Write(tlNamespace[:])
	for _, u := range utf16.Encode([]rune(strings.ToUpper(name))) {
		h.Write([]byte{byte(u >> 8), byte(u)})
	}
	sum := h.Sum(nil)
	sum[7] = sum[7]&0x0F | 0x50
	return GUIDFromBytes(sum[:16])
}
