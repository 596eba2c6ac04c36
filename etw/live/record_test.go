package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// eventRecordBytes lays out an EVENT_RECORD by the offsets of docs/recording.md#structures.
func eventRecordBytes(flags uint16, provider etw.GUID, id uint16, version, level, opcode uint8, proc uint16) []byte {
	b := make([]byte, 112)
	le := binary.LittleEndian
	le.PutUint16(b[0:], 80)
	le.PutUint16(b[4:], flags)
	le.PutUint16(b[6:], 0x5)
	le.PutUint32(b[8:], 0x1234)      // ThreadId
	le.PutUint32(b[12:], 0x5678)     // ProcessId
	le.PutUint64(b[16:], 0x1d2c3b4a) // TimeStamp
	putGUID(b[24:], provider)
	le.PutUint16(b[40:], id)
	b[42] = version
	b[43] = 0x10 // channel
	b[44] = level
	b[45] = opcode
	le.PutUint16(b[46:], 0x77)               // task
	le.PutUint64(b[48:], 0x8000000000000010) // keyword
	putGUID(b[64:], etw.MustParseGUID("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"))
	le.PutUint16(b[80:], proc)
	return b
}

func TestRecordFromEvent(t *testing.T) {
	fileIo := etw.MustParseGUID("90cbdc39-4a3e-11d1-84f4-0000f80464e3")
	image := etw.MustParseGUID("2cb15d1d-5fc1-11d2-abe1-00a0c911f518")
	payload := []byte{1, 2, 3, 4}
	for _, tc := range []struct {
		name    string
		flags   uint16
		prov    etw.GUID
		opcode  uint8
		kind    etw.HeaderKind
		group   uint8
		id      uint16
		proc    uint16
		ptrSize int
	}{
		{"kernel FileIo 64", 0x0100 | 0x0040, fileIo, 64, etw.KindSystem64, 0x04, 0, 3, 8},
		{"kernel image load keeps group 3", 0x0100, image, 10, etw.KindSystem64, 0x03, 0, 3, 8},
		{"kernel image other opcode", 0x0100, image, 3, etw.KindSystem64, 0x14, 0, 3, 8},
		{"kernel 32-bit flag", 0x0100 | 0x0020, fileIo, 0, etw.KindSystem32, 0x04, 0, 3, 8},
		{"classic non-kernel", 0x0100, kernelFileGUID, 1, etw.KindFull64, 0, 0, 3, 8},
		{"manifest", 0x0040, rpcGUID, 1, etw.KindEvent64, 0, 5, 3, 8},
		{"manifest host 32", 0, rpcGUID, 1, etw.KindEvent32, 0, 5, 3, 4},
		{"processor index", 0x0200, rpcGUID, 1, etw.KindEvent64, 0, 5, 0x1ff, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := eventRecordBytes(tc.flags, tc.prov, 5, 3, 4, tc.opcode, tc.proc)
			ext := []extData{{Type: 1, Data: bytes.Repeat([]byte{9}, 16)}, {Type: 3, Data: []byte{7, 0, 0, 0}}}
			r, err := recordFromEvent(b, payload, ext, tc.ptrSize)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.kind || r.Group != tc.group || r.ID != tc.id || r.Opcode != tc.opcode || r.Version != 3 ||
				r.Level != 4 || r.Channel != 0x10 || r.Task != 0x77 || r.Keyword != 0x8000000000000010 {
				t.Errorf("identity: %+v", r)
			}
			if r.Provider != tc.prov || r.ThreadID != 0x1234 || r.ProcessID != 0x5678 || r.RawTime != 0x1d2c3b4a ||
				r.Time != r.RawTime || r.EventProperty != 5 || r.Flags != tc.flags || r.Processor != tc.proc ||
				r.ActivityID.String() != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
				t.Errorf("header: %+v", r)
			}
			if !bytes.Equal(r.Payload, payload) || r.Raw != nil {
				t.Errorf("payload %x raw %x", r.Payload, r.Raw)
			}
			var got []etw.ExtItem
			for it, err := range r.ExtItems() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it)
			}
			if len(got) != 2 || got[0].Type != 1 || len(got[0].Data) != 16 || got[1].Type != 3 || !bytes.Equal(got[1].Data, []byte{7, 0, 0, 0}) {
				t.Errorf("ext items %+v", got)
			}
		})
	}
	if _, err := recordFromEvent(make([]byte, 87), nil, nil, 8); !errors.Is(err, errShortEventRecord) {
		t.Errorf("short record: %v", err)
	}
}

func TestEncodeExtItems(t *testing.T) {
	if encodeExtItems(nil) != nil {
		t.Error("no items should give nil")
	}
	b := encodeExtItems([]extData{{Type: 12, Data: make([]byte, 56)}, {Type: 11, Data: make([]byte, 100)}})
	// Same shapes as the airbus lxcore sample in docs/format.md#event-header: sizes 64 and 112.
	le := binary.LittleEndian
	if len(b) != 176 || le.Uint16(b[0:]) != 64 || le.Uint16(b[2:]) != 12 || le.Uint16(b[4:]) != 1 || le.Uint16(b[6:]) != 56 ||
		le.Uint16(b[64:]) != 112 || le.Uint16(b[66:]) != 11 || le.Uint16(b[68:]) != 0 || le.Uint16(b[70:]) != 100 {
		t.Errorf("layout % x", b[:8])
	}
}

// The struct OpenTraceW fills in is read by etw.ParseLogfileHeader: its x64
// layout must put the fields where this package's offsets (used by the
// Windows size checks) say.
func TestLogfileHeaderLayout(t *testing.T) {
	b := make([]byte, 280)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 65536)
	le.PutUint32(b[4:], 0x0a000002)
	le.PutUint32(b[12:], 8)
	le.PutUint32(b[offTLHPointerSize:], 8)
	le.PutUint32(b[offTLHEventsLost:], 17)
	le.PutUint64(b[offTLHBootTime:], 111)
	le.PutUint64(b[offTLHPerfFreq:], 10000000)
	le.PutUint64(b[offTLHStartTime:], 333)
	le.PutUint32(b[offTLHReservedFlags:], 1)
	le.PutUint32(b[offTLHBuffersLost:], 2)
	h, err := etw.ParseLogfileHeader(b, 8)
	if err != nil {
		t.Fatal(err)
	}
	if h.BufferSize != 65536 || h.NumberOfProcessors != 8 || h.PointerSize != 8 || h.EventsLost != 17 ||
		h.BootTime != 111 || h.PerfFreq != 10000000 || h.StartTime != 333 || h.ClockType != 1 || h.BuffersLost != 2 {
		t.Errorf("%+v", h)
	}
	if _, err := etw.ParseLogfileHeader(b[:279], 8); err == nil {
		t.Error("short header accepted")
	}
}

// BenchmarkRecordFromEvent measures the per-event conversion that the
// real-time callback performs (besides copying the payload).
func BenchmarkRecordFromEvent(b *testing.B) {
	er := eventRecordBytes(0x0140, etw.MustParseGUID("90cbdc39-4a3e-11d1-84f4-0000f80464e3"), 0, 3, 4, 67, 1)
	payload := make([]byte, 56)
	b.SetBytes(int64(len(er) + len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := recordFromEvent(er, payload, nil, 8); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeProperties(b *testing.B) {
	c := propertiesConfig{SessionName: "ipctrace-4242", LogFile: `C:\traces\x.etl`, BufferSizeKB: 64}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeProperties(c); err != nil {
			b.Fatal(err)
		}
	}
}
