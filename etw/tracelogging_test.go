package etw

import (
	"bytes"
	hexenc "encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// lxcoreFirstEvent is the first EVENT_HEADER64 record with extended items of
// airbus__lxcore_kernel.etl (file offset 0x2048), checked by hand against
// docs/format.md#event-header, docs/format.md#tracelogging.
const lxcoreFirstEvent = "580113c001000000340b0000f4160000ecc7e2da1900000009c3d10c7808154583db749843b3f5c90000000b020000000000000000400000000000000000000000000000000000000000000000000000" +
	"40000c000100380038004d6963726f736f66742e57696e646f77732e53756273797374656d2e4c78436f7265001300011a73504fcf898247b3e0dce8c90476ba" +
	"70000b000000640064008000427265616b506f696e74004572726f724c6576656c0004696e7374616e63654964000f4c7850696400074c7854696400074c784e73000745786563757461626c6550617468001746756e6374696f6e00024c696e6500084d657373616765000200000000" +
	"0200000000000000000000000000000000ffffffffffffffff0000000000004c7870496e7374616e6365537461727400630a00005b307863303030303033345d204c7870496e7374616e6365496e697469616c697a650a00"

// recordFromEventHeader builds a Record from a raw EVENT_HEADER record the
// way the reader does: Ext = the item chain, Payload = the rest.
func recordFromEventHeader(t testing.TB, raw []byte, extLen int) *Record {
	t.Helper()
	kind := HeaderKind(raw[2])
	return &Record{
		Kind:         kind,
		Provider:     GUIDFromBytes(raw[0x18:]),
		Channel:      raw[0x2B],
		Flags:        uint16(raw[4]) | uint16(raw[5])<<8,
		Ext:          raw[eventHeaderSize : eventHeaderSize+extLen],
		Payload:      raw[eventHeaderSize+extLen:],
		BufferOffset: 0x2000,
		Pos:          0x48,
	}
}

func TestTraceLoggingLxCoreExample(t *testing.T) {
	raw, err := hexenc.DecodeString(lxcoreFirstEvent)
	if err != nil {
		t.Fatal(err)
	}
	r := recordFromEventHeader(t, raw, 64+112)
	ev, ok, err := r.TraceLogging()
	if err != nil || !ok {
		t.Fatalf("TraceLogging: ok %v, err %v", ok, err)
	}
	if ev.Provider != "Microsoft.Windows.Subsystem.LxCore" {
		t.Errorf("provider %q", ev.Provider)
	}
	if want := MustParseGUID("4f50731a-89cf-4782-b3e0-dce8c90476ba"); ev.ProviderGroup != want {
		t.Errorf("provider group %v, want %v", ev.ProviderGroup, want)
	}
	if ev.Name != "BreakPoint" || ev.Tags != 0 {
		t.Errorf("event %q tags %#x", ev.Name, ev.Tags)
	}
	want := []TLField{
		{Name: "ErrorLevel", InType: TLInUint8, Value: uint8(2)},
		{Name: "instanceId", InType: TLInGUID, Value: GUID{}},
		{Name: "LxPid", InType: TLInInt32, Value: int32(-1)},
		{Name: "LxTid", InType: TLInInt32, Value: int32(-1)},
		{Name: "LxNs", InType: TLInInt32, Value: int32(0)},
		{Name: "ExecutablePath", InType: TLInCountedAnsiString, Value: ""},
		{Name: "Function", InType: TLInAnsiString, Value: "LxpInstanceStart"},
		{Name: "Line", InType: TLInUint32, Value: uint32(2659)},
		{Name: "Message", InType: TLInAnsiString, Value: "[0xc0000034] LxpInstanceInitialize\n"},
	}
	if !reflect.DeepEqual(ev.Fields, want) {
		t.Errorf("fields\n got %+v\nwant %+v", ev.Fields, want)
	}
	// The provider does not use the name-hash GUID.
	if g := TraceLoggingProviderGUID(ev.Provider); g == r.Provider {
		t.Errorf("unexpected name-hash match %v", g)
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("JSON: %v", err)
	}

	// A record without EVENT_SCHEMA_TL is not TraceLogging.
	r2 := recordFromEventHeader(t, raw, 64)
	r2.Ext = append([]byte(nil), r2.Ext...)
	r2.Ext[4] = 0 // clear Linkage: PROV_TRAITS is the last item
	if _, ok, err := r2.TraceLogging(); ok || err != nil {
		t.Errorf("record without schema: ok %v err %v", ok, err)
	}

	// Truncated user data: the fields before are returned with a FormatError
	// naming the file offset of the missing byte.
	r3 := recordFromEventHeader(t, raw, 64+112)
	r3.Payload = r3.Payload[:20]
	ev, ok, err = r3.TraceLogging()
	var fe *FormatError
	if !ok || !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated: ok %v err %v", ok, err)
	}
	if len(ev.Fields) != 3 || ev.Fields[1].Name != "instanceId" {
		t.Errorf("truncated: %d fields decoded", len(ev.Fields))
	}
	if want := int64(0x2000 + 0x48 + 0x100 + 17); fe.Off != want {
		t.Errorf("truncated: error offset %#x, want %#x (%v)", fe.Off, want, err)
	}
}

func TestTraceLoggingProviderGUID(t *testing.T) {
	// learn.microsoft.com TRACELOGGING_DEFINE_PROVIDER: "MyCompany.MyComponent"
	// with the name-hash GUID {ce5fa4ea-ab00-5402-8b76-9f76ac858fb5}.
	tests := []struct{ name, guid string }{
		{"MyCompany.MyComponent", "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5"},
		{"mycompany.mycomponent", "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5"},
	}
	for _, tt := range tests {
		if g := TraceLoggingProviderGUID(tt.name); g.String() != tt.guid {
			t.Errorf("%q: %v, want %v", tt.name, g, tt.guid)
		}
	}
}

func TestTLTags(t *testing.T) {
	for _, tags := range []uint32{0, 1, 0x7F, 0x80, 0x200000, 0x0FFFFFFF, 0x0ABCDEF0} {
		b := appendTLTags(nil, tags)
		r := tlReader{b: b}
		got, err := r.tags("tags")
		if err != nil || got != tags || r.pos != len(b) {
			t.Errorf("tags %#x: encoded % x, decoded %#x (%v)", tags, b, got, err)
		}
	}
	// Redundant continuation bytes as written by TraceLoggingProvider.h.
	r := tlReader{b: []byte{0x80, 0x00}}
	if got, err := r.tags("tags"); got != 0 || err != nil {
		t.Errorf("80 00: %#x %v", got, err)
	}
}

func TestTraceLoggingRoundTrip(t *testing.T) {
	ft := time.Date(2024, 3, 5, 6, 7, 8, 123456700, time.UTC)
	st := time.Date(2023, 12, 31, 23, 59, 58, 999000000, time.UTC)
	g := MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")
	fields := []TLValue{
		{Name: "u", InType: TLInUnicodeString, Value: "pipe \\\\.\\pipe\\é€😀"},
		{Name: "a", InType: TLInAnsiString, Value: "ansi"},
		{Name: "i8", InType: TLInInt8, Value: -128},
		{Name: "u8", InType: TLInUint8, Value: uint8(255)},
		{Name: "i16", InType: TLInInt16, Value: int16(-300)},
		{Name: "u16", InType: TLInUint16, Value: 65535},
		{Name: "i32", InType: TLInInt32, Value: int32(math.MinInt32)},
		{Name: "u32", InType: TLInUint32, OutType: 5, Value: uint32(0xDEADBEEF)},
		{Name: "i64", InType: TLInInt64, Value: int64(math.MinInt64)},
		{Name: "u64", InType: TLInUint64, Value: uint64(math.MaxUint64)},
		{Name: "f", InType: TLInFloat, Value: float32(1.5)},
		{Name: "d", InType: TLInDouble, Value: -2.25},
		{Name: "b", InType: TLInBool32, Value: true},
		{Name: "bin", InType: TLInBinary, Value: []byte{1, 2, 3}},
		{Name: "g", InType: TLInGUID, Tags: 0x123, Value: g},
		{Name: "ft", InType: TLInFiletime, Value: ft},
		{Name: "st", InType: TLInSystemtime, Value: st},
		{Name: "sid", InType: TLInSID, Value: "S-1-5-21-1004336348-1177238915-682003330-512"},
		{Name: "h32", InType: TLInHexInt32, Value: uint32(0x80000000)},
		{Name: "h64", InType: TLInHexInt64, Value: uint64(0xFFFF000000000001)},
		{Name: "cs", InType: TLInCountedString, Value: "counted"},
		{Name: "cas", InType: TLInCountedAnsiString, Value: "counted ansi"},
		{Name: "cb", InType: TLInCountedBinary, Value: []byte{}},
		{Name: "arr32", InType: TLInUint32, Value: []uint32{1, 2, 3}},
		{Name: "arrStr", InType: TLInUnicodeString, Value: []string{"x", "", "yz"}},
		{Name: "arr8", InType: TLInUint8, Value: []byte{9, 8}},
		{Name: "empty", InType: TLInInt64, Value: []int64{}},
		{Name: "s", InType: TLInStruct, Value: []TLValue{
			{Name: "pid", InType: TLInUint32, Value: 4},
			{Name: "inner", InType: TLInStruct, Tags: 7, Value: []TLValue{
				{Name: "name", InType: TLInAnsiString, Value: "n"},
			}},
			{Name: "sidBin", InType: TLInSID, Value: []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}},
		}},
		{Name: "last", InType: TLInInt32, Value: int32(42)},
	}
	traits, schema, data, err := EncodeTraceLogging(
		TLProviderMeta{Name: "IPCTrace.Test", Group: g},
		TLEventMeta{Name: "AllTypes", Tags: 0x0F00001}, fields)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := DecodeTraceLogging(traits, schema, data, 8)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if ev.Provider != "IPCTrace.Test" || ev.ProviderGroup != g || ev.Name != "AllTypes" || ev.Tags != 0x0F00001 {
		t.Fatalf("event %+v", ev)
	}
	want := []TLField{
		{Name: "u", InType: TLInUnicodeString, Value: "pipe \\\\.\\pipe\\é€😀"},
		{Name: "a", InType: TLInAnsiString, Value: "ansi"},
		{Name: "i8", InType: TLInInt8, Value: int8(-128)},
		{Name: "u8", InType: TLInUint8, Value: uint8(255)},
		{Name: "i16", InType: TLInInt16, Value: int16(-300)},
		{Name: "u16", InType: TLInUint16, Value: uint16(65535)},
		{Name: "i32", InType: TLInInt32, Value: int32(math.MinInt32)},
		{Name: "u32", InType: TLInUint32, OutType: 5, Value: uint32(0xDEADBEEF)},
		{Name: "i64", InType: TLInInt64, Value: int64(math.MinInt64)},
		{Name: "u64", InType: TLInUint64, Value: uint64(math.MaxUint64)},
		{Name: "f", InType: TLInFloat, Value: float32(1.5)},
		{Name: "d", InType: TLInDouble, Value: -2.25},
		{Name: "b", InType: TLInBool32, Value: true},
		{Name: "bin", InType: TLInBinary, Value: []byte{1, 2, 3}},
		{Name: "g", InType: TLInGUID, Tags: 0x123, Value: g},
		{Name: "ft", InType: TLInFiletime, Value: ft},
		{Name: "st", InType: TLInSystemtime, Value: st},
		{Name: "sid", InType: TLInSID, Value: "S-1-5-21-1004336348-1177238915-682003330-512"},
		{Name: "h32", InType: TLInHexInt32, Value: uint32(0x80000000)},
		{Name: "h64", InType: TLInHexInt64, Value: uint64(0xFFFF000000000001)},
		{Name: "cs", InType: TLInCountedString, Value: "counted"},
		{Name: "cas", InType: TLInCountedAnsiString, Value: "counted ansi"},
		{Name: "cb", InType: TLInCountedBinary, Value: []byte{}},
		{Name: "arr32", InType: TLInUint32, Array: true, Value: []any{uint32(1), uint32(2), uint32(3)}},
		{Name: "arrStr", InType: TLInUnicodeString, Array: true, Value: []any{"x", "", "yz"}},
		{Name: "arr8", InType: TLInUint8, Array: true, Value: []any{uint8(9), uint8(8)}},
		{Name: "empty", InType: TLInInt64, Array: true, Value: []any{}},
		{Name: "s", InType: TLInStruct, OutType: 3, Fields: []TLField{
			{Name: "pid", InType: TLInUint32, Value: uint32(4)},
			{Name: "inner", InType: TLInStruct, OutType: 1, Tags: 7, Fields: []TLField{
				{Name: "name", InType: TLInAnsiString, Value: "n"},
			}},
			{Name: "sidBin", InType: TLInSID, Value: "S-1-5-18"},
		}},
		{Name: "last", InType: TLInInt32, Value: int32(42)},
	}
	if len(ev.Fields) != len(want) {
		t.Fatalf("%d fields, want %d", len(ev.Fields), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(ev.Fields[i], want[i]) {
			t.Errorf("field %d\n got %#v\nwant %#v", i, ev.Fields[i], want[i])
		}
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("JSON: %v", err)
	}
	// Every byte of user data is consumed: one more byte is not a field.
	ev2, err := DecodeTraceLogging(traits, schema, data[:len(data)-1], 8)
	if !errors.Is(err, ErrTruncated) || len(ev2.Fields) != len(want) {
		t.Errorf("short data: %v, %d fields", err, len(ev2.Fields))
	}
}

func TestTraceLoggingInUserData(t *testing.T) {
	traits, schema, data, err := EncodeTraceLogging(TLProviderMeta{Name: "Downlevel.Provider"},
		TLEventMeta{Name: "Old"}, []TLValue{{Name: "x", InType: TLInUint32, Value: 7}, {Name: "s", InType: TLInAnsiString, Value: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	payload := append(append(append([]byte{}, traits...), schema...), data...)
	r := &Record{Kind: KindEvent64, Channel: 11, Payload: payload}
	ev, ok, err := r.TraceLogging()
	if !ok || err != nil || ev.Provider != "Downlevel.Provider" || ev.Name != "Old" || len(ev.Fields) != 2 || ev.Fields[1].Value != "hi" {
		t.Fatalf("ok %v err %v ev %+v", ok, err, ev)
	}
	// Not Channel 11, or the fields do not use the data exactly: not TraceLogging.
	for _, r := range []*Record{
		{Kind: KindEvent64, Channel: 0, Payload: payload},
		{Kind: KindEvent64, Channel: 11, Payload: payload[:len(payload)-1]},
		{Kind: KindEvent64, Channel: 11, Payload: append(payload[:len(payload):len(payload)], 0)},
		{Kind: KindEvent64, Channel: 11, Payload: []byte{0xFF, 0xFF, 1, 2, 3}},
	} {
		if _, ok, err := r.TraceLogging(); ok || err != nil {
			t.Errorf("channel %d, %d bytes: ok %v err %v", r.Channel, len(r.Payload), ok, err)
		}
	}
}

func TestEncodeTraceLoggingErrors(t *testing.T) {
	bad := []TLValue{
		{Name: "x", InType: TLInUint8, Value: 256},
		{Name: "x", InType: TLInInt8, Value: -129},
		{Name: "x", InType: TLInUint32, Value: -1},
		{Name: "x", InType: TLInUint32, Value: "str"},
		{Name: "x", InType: TLInAnsiString, Value: "a\x00b"},
		{Name: "x\x00", InType: TLInUint8, Value: 1},
		{Name: "x", InType: TLInBinary, Value: [][]byte{{1}}},
		{Name: "x", InType: TLInStruct, Value: []TLValue{}},
		{Name: "x", InType: TLInPointer, Value: uint64(1)},
		{Name: "x", InType: 30, Value: 1},
		{Name: "x", InType: TLInSID, Value: "S-1-x"},
		{Name: "x", InType: TLInUint16, OutType: 200, Value: 1},
		{Name: "x", InType: TLInFiletime, Value: time.Time{}},
		{Name: "x", InType: TLInSystemtime, Value: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, f := range bad {
		if _, _, _, err := EncodeTraceLogging(TLProviderMeta{Name: "P"}, TLEventMeta{Name: "E"}, []TLValue{f}); !errors.Is(err, ErrTLEncode) {
			t.Errorf("%+v: err %v, want ErrTLEncode", f, err)
		}
	}
}

// schemaBlob builds an EVENT_SCHEMA_TL blob from raw field metadata.
func schemaBlob(name string, fields ...byte) []byte {
	b := []byte{0, 0, 0}
	b = append(append(b, name...), 0)
	b = append(b, fields...)
	b[0], b[1] = byte(len(b)), byte(len(b)>>8)
	return b
}

func TestTraceLoggingHandBuilt(t *testing.T) {
	tests := []struct {
		name    string
		schema  []byte
		data    []byte
		ptrSize int
		want    []TLField
	}{
		{
			name:   "ccount array",
			schema: schemaBlob("E", append([]byte("c\x00"), 0x20|TLInUint16, 3, 0)...),
			data:   []byte{1, 0, 2, 0, 3, 0},
			want:   []TLField{{Name: "c", InType: TLInUint16, Array: true, Value: []any{uint16(1), uint16(2), uint16(3)}}},
		},
		{
			name: "ccount array of structs",
			schema: schemaBlob("E", append(append([]byte("s\x00"), 0x20|0x80|TLInStruct, 2, 2, 0),
				[]byte("a\x00\x04b\x00\x02")...)...),
			data: []byte{7, 'x', 0, 8, 0},
			want: []TLField{{Name: "s", InType: TLInStruct, OutType: 2, Array: true, Value: []any{
				[]TLField{{Name: "a", InType: TLInUint8, Value: uint8(7)}, {Name: "b", InType: TLInAnsiString, Value: "x"}},
				[]TLField{{Name: "a", InType: TLInUint8, Value: uint8(8)}, {Name: "b", InType: TLInAnsiString, Value: ""}},
			}}},
		},
		{
			name:    "pointer 32",
			schema:  schemaBlob("E", append([]byte("p\x00"), TLInPointer)...),
			data:    []byte{1, 2, 3, 4},
			ptrSize: 4,
			want:    []TLField{{Name: "p", InType: TLInPointer, Value: uint64(0x04030201)}},
		},
		{
			name:    "pointer 64 vcount",
			schema:  schemaBlob("E", append([]byte("p\x00"), 0x40|TLInPointer)...),
			data:    []byte{1, 0, 1, 2, 3, 4, 5, 6, 7, 8},
			ptrSize: 8,
			want:    []TLField{{Name: "p", InType: TLInPointer, Array: true, Value: []any{uint64(0x0807060504030201)}}},
		},
		{
			name:   "custom",
			schema: schemaBlob("E", append([]byte("c\x00"), 0x60|TLInBinary, 2, 0, 0xAA, 0xBB)...),
			data:   []byte{2, 0, 5, 6},
			want:   []TLField{{Name: "c", InType: TLInBinary, Value: []byte{5, 6}}},
		},
		{
			name:   "null and field tags",
			schema: schemaBlob("E", append([]byte("n\x00"), 0x80|TLInNull, 0x80|3, 0x81, 0x00)...),
			data:   nil,
			want:   []TLField{{Name: "n", InType: TLInNull, OutType: 3, Tags: 1 << 21}},
		},
		{
			name:   "unicode surrogates and latin1",
			schema: schemaBlob("E", append([]byte("u\x00\x01a\x00"), TLInAnsiString)...),
			data:   []byte{0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8, 0x41, 0, 0, 0, 0xE9, 0},
			want: []TLField{{Name: "u", InType: TLInUnicodeString, Value: "😀\uFFFDA"},
				{Name: "a", InType: TLInAnsiString, Value: "é"}},
		},
		{
			name:   "sid with large authority",
			schema: schemaBlob("E", append([]byte("s\x00"), TLInSID)...),
			data:   []byte{1, 1, 1, 0, 0, 0, 0, 0, 7, 0, 0, 0},
			// 2^40: "0x" and 12 hex digits (MS-DTYP §2.4.2.1), as decoders and secdesc print it.
			want: []TLField{{Name: "s", InType: TLInSID, Value: "S-1-0x010000000000-7"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeTraceLogging(nil, tt.schema, tt.data, tt.ptrSize)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev.Fields, tt.want) {
				t.Errorf("\n got %#v\nwant %#v", ev.Fields, tt.want)
			}
		})
	}
}

func TestTraceLoggingBadInput(t *testing.T) {
	tests := []struct {
		name   string
		traits []byte
		schema []byte
		data   []byte
		err    error
		what   string
	}{
		{"schema size past blob", nil, []byte{0x40, 0, 0, 'E', 0}, nil, ErrBadSize, "EVENT_SCHEMA_TL"},
		{"no event name NUL", nil, []byte{4, 0, 0, 'E'}, nil, ErrTruncated, "event name"},
		{"unknown InType", nil, schemaBlob("E", 'x', 0, 27), nil, ErrUnsupported, "unknown InType"},
		{"missing InMeta", nil, schemaBlob("E", 'x', 0), nil, ErrTruncated, "InMeta"},
		{"missing struct members", nil, schemaBlob("E", 's', 0, 0x80|TLInStruct, 3, 'a', 0, 4), nil, ErrTruncated, "struct member 2 of 3"},
		{"huge vcount", nil, schemaBlob("E", 'v', 0, 0x40|TLInUint32), []byte{0xFF, 0xFF, 1, 2, 3, 4}, ErrTruncated, "65535 elements"},
		{"zero-size array", nil, schemaBlob("E", 'v', 0, 0x20|TLInNull, 0xFF, 0xFF), nil, ErrBadSize, "zero-size"},
		{"binary past end", nil, schemaBlob("E", 'b', 0, TLInBinary), []byte{5, 0, 1}, ErrTruncated, `field "b" (BINARY)`},
		{"sid past end", nil, schemaBlob("E", 's', 0, TLInSID), []byte{1, 5, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0}, ErrTruncated, "SID"},
		{"traits size", []byte{0x30, 0, 'P', 0}, schemaBlob("E"), nil, ErrBadSize, "PROV_TRAITS"},
		{"trait size", []byte{7, 0, 'P', 0, 9, 0, 1}, schemaBlob("E"), nil, ErrBadSize, "trait size 9"},
		{"deep struct", nil, func() []byte {
			var f []byte
			for i := 0; i < 40; i++ {
				f = append(f, 's', 0, 0x80|TLInStruct, 1)
			}
			return schemaBlob("E", append(f, 'x', 0, 4)...)
		}(), nil, ErrBadSize, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTraceLogging(tt.traits, tt.schema, tt.data, 8)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want FormatError wrapping %v", err, tt.err)
			}
			if !bytes.Contains([]byte(fe.What), []byte(tt.what)) {
				t.Errorf("What %q does not name %q", fe.What, tt.what)
			}
		})
	}
}

func BenchmarkTraceLoggingLxCore(b *testing.B) {
	raw, err := hexenc.DecodeString(lxcoreFirstEvent)
	if err != nil {
		b.Fatal(err)
	}
	r := recordFromEventHeader(b, raw, 64+112)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.TraceLogging(); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzTraceLoggingMeta(f *testing.F) {
	raw, _ := hexenc.DecodeString(lxcoreFirstEvent)
	f.Add(raw[0x58:0x58+56], raw[0x98:0x98+100], raw[0x100:])
	traits, schema, data, _ := EncodeTraceLogging(TLProviderMeta{Name: "P", Group: GUID{Data1: 1}}, TLEventMeta{Name: "E", Tags: 5},
		[]TLValue{{Name: "s", InType: TLInStruct, Value: []TLValue{{Name: "a", InType: TLInUint32, Value: []uint32{1, 2}}, {Name: "b", InType: TLInSID, Value: "S-1-5-18"}}}})
	f.Add(traits, schema, data)
	f.Add([]byte{}, schemaBlob("E", 's', 0, 0x20|0x80|TLInStruct, 2, 0xFF, 0xFF, 'a', 0, 0, 'b', 0, 0x40|TLInNull), []byte{1, 0})
	f.Fuzz(func(t *testing.T, traits, schema, data []byte) {
		// The same bytes as user data of a Channel 11 record without extended items.
		r := Record{Kind: KindEvent32, Channel: 11, Payload: append(append(append([]byte{}, traits...), schema...), data...)}
		if ev, ok, err := r.TraceLogging(); ok != (ev != nil) || err != nil {
			t.Fatalf("user-data metadata: ok %v, ev %v, err %v", ok, ev, err)
		}
		ev, err := DecodeTraceLogging(traits, schema, data, 8)
		if ev == nil {
			t.Fatal("nil event")
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a FormatError", err, err)
			}
			return
		}
		// A decoded event must survive JSON encoding unless it holds a
		// non-finite float.
		if _, err := json.Marshal(ev); err != nil && !bytes.Contains([]byte(err.Error()), []byte("unsupported value")) {
			t.Fatalf("JSON: %v", err)
		}
	})
}

// tlTruthCount returns the number of EVENT_SCHEMA_TL items the corpus truth
// lists for etl (linkage walk, else dissect.etl).
func tlTruthCount(t *testing.T, etl string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(etl), "truth", filepath.Base(etl)+".json"))
	if err != nil {
		t.Fatalf("truth: %v", err)
	}
	var tr struct {
		Dissect struct {
			ExtTypes map[string]int `json:"extended_data_item_types"`
		} `json:"dissect_etl"`
		Walk struct {
			ExtTypes map[string]int `json:"extended_data_item_types(linkage-walk)"`
		} `json:"independent_record_walk"`
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("truth: %v", err)
	}
	if tr.Walk.ExtTypes != nil {
		return tr.Walk.ExtTypes["EVENT_SCHEMA_TL"]
	}
	return tr.Dissect.ExtTypes["EVENT_SCHEMA_TL"]
}

// TestTraceLoggingCorpus decodes every TraceLogging event of the corpus.
func TestTraceLoggingCorpus(t *testing.T) {
	files := shared.CorpusFiles(t)
	total, providers, hashed := 0, map[string]bool{}, map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n := 0
			names := map[string]int{}
			var dec TLDecoder
			for r, err := range f.Records() {
				if err != nil {
					continue // container damage is the reader's tests' business
				}
				ev, ok, err := r.TraceLogging()
				if err != nil {
					t.Errorf("record at buffer %#x +%#x: %v", r.BufferOffset, r.Pos, err)
					continue
				}
				if !ok {
					continue
				}
				// A TLDecoder (cached metadata) gives the same event.
				if ev2, ok2, err2 := dec.Decode(r); !ok2 || err2 != nil || !reflect.DeepEqual(ev, ev2) {
					t.Errorf("record at buffer %#x +%#x: TLDecoder gives %+v, %v, %v", r.BufferOffset, r.Pos, ev2, ok2, err2)
				}
				n++
				names[ev.Provider+"/"+ev.Name]++
				// The schema describes the user data exactly.
				var traits, schema []byte
				for it := range r.ExtItems() {
					switch it.Type {
					case ExtProvTraits:
						traits = it.Data
					case ExtEventSchemaTL:
						schema = it.Data
					}
				}
				if _, used, _ := decodeTL(nil, traits, schema, r.Payload, r.PointerSize()); used != len(r.Payload) {
					t.Errorf("%s/%s: fields use %d of %d user-data bytes", ev.Provider, ev.Name, used, len(r.Payload))
				}
				if names[ev.Provider+"/"+ev.Name] == 1 && testing.Verbose() {
					j, _ := json.Marshal(ev)
					t.Logf("%s", j)
				}
				if n == 1 && name == "airbus__lxcore_kernel.etl" {
					checkLxCoreFirst(t, ev)
				}
				if ev.Name == "" || ev.Provider == "" {
					t.Errorf("record at buffer %#x +%#x: provider %q event %q", r.BufferOffset, r.Pos, ev.Provider, ev.Name)
				}
				key := ev.Provider + " " + r.Provider.String()
				providers[key] = true
				if TraceLoggingProviderGUID(ev.Provider) == r.Provider {
					hashed[key] = true
				}
				if _, err := json.Marshal(ev); err != nil {
					t.Errorf("%s: JSON: %v", ev.Name, err)
				}
			}
			if want := tlTruthCount(t, path); n != want {
				t.Errorf("%d TraceLogging events, truth has %d EVENT_SCHEMA_TL items", n, want)
			}
			total += n
			if n > 0 {
				t.Logf("%d TraceLogging events: %v", n, names)
			}
		})
	}
	t.Logf("%d TraceLogging events decoded; %d of %d providers use the name-hash GUID", total, len(hashed), len(providers))
	// Providers whose GUID is the name hash (the others chose their own GUID).
	wantHashed := []string{
		"Atum-Hw3d 2c759654-e0cc-5e69-a99d-480ab2fa0c64",
		"MySource a61ea624-4944-55fc-c2a8-37838829438d",
		"Microsoft-Diagnostics-DiagnosticSource adb401e1-5296-51f8-c125-5fda75826144",
		"Microsoft.Windows.WaaSMedic.Local 30d25124-a468-505c-de82-8411646eb8b5",
	}
	for _, p := range wantHashed {
		if providers[p] && !hashed[p] {
			t.Errorf("provider %s: TraceLoggingProviderGUID does not reproduce its GUID", p)
		}
	}
	if len(files) >= 20 && len(hashed) != len(wantHashed) {
		t.Errorf("%d providers match their name hash, want %d: %v", len(hashed), len(wantHashed), hashed)
	}
}

func checkLxCoreFirst(t *testing.T, ev *TLEvent) {
	t.Helper()
	if ev.Provider != "Microsoft.Windows.Subsystem.LxCore" || ev.Name != "BreakPoint" {
		t.Errorf("lxcore first event %q/%q", ev.Provider, ev.Name)
	}
	var got []string
	for _, f := range ev.Fields {
		got = append(got, f.Name+":"+TLInTypeName(f.InType))
	}
	want := []string{"ErrorLevel:UINT8", "instanceId:GUID", "LxPid:INT32", "LxTid:INT32", "LxNs:INT32",
		"ExecutablePath:COUNTEDANSISTRING", "Function:ANSISTRING", "Line:UINT32", "Message:ANSISTRING"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lxcore first event fields %v, want %v", got, want)
	}
	if len(ev.Fields) == 9 && ev.Fields[6].Value != "LxpInstanceStart" {
		t.Errorf("Function = %v", ev.Fields[6].Value)
	}
}

// tlCorpusRecords returns copies of the 256 TraceLogging records of
// perfview__diagsession__diaghub.user_paged.1.etl and their ext + user-data bytes.
func tlCorpusRecords(b *testing.B) ([]Record, int) {
	f, err := Open(shared.Path(b, "corpus", "perfview__diagsession__diaghub.user_paged.1.etl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	n := 0
	for r, err := range f.Records() {
		if err != nil {
			continue
		}
		if _, ok, _ := r.TraceLogging(); ok {
			recs = append(recs, r.Clone())
			n += len(r.Ext) + len(r.Payload)
		}
	}
	return recs, n
}

// BenchmarkTraceLoggingCorpus decodes the corpus TraceLogging events with
// Record.TraceLogging (metadata parsed every time).
func BenchmarkTraceLoggingCorpus(b *testing.B) {
	recs, n := tlCorpusRecords(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			if _, _, err := recs[i].TraceLogging(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
}

// BenchmarkTraceLoggingCorpusCached is BenchmarkTraceLoggingCorpus with a TLDecoder.
func BenchmarkTraceLoggingCorpusCached(b *testing.B) {
	recs, n := tlCorpusRecords(b)
	var d TLDecoder
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			if _, _, err := d.Decode(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
}
