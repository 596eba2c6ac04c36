package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// The numbers in these tests are written out from docs/recording.md#structures, docs/recording.md#group-masks, not
// taken from the package's constants, so a wrong constant fails here.

func TestStructureSizes(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"WNODE_HEADER", sizeWnodeHeader, 48},
		{"EVENT_TRACE_PROPERTIES", sizeEventTraceProperties, 120},
		{"EVENT_DESCRIPTOR", sizeEventDescriptor, 16},
		{"EVENT_HEADER", sizeEventHeader, 80},
		{"EVENT_RECORD", sizeEventRecord, 112},
		{"EVENT_HEADER_EXTENDED_DATA_ITEM", sizeExtendedDataItem, 16},
		{"TRACE_LOGFILE_HEADER", sizeTraceLogfileHeader, 280},
		{"EVENT_TRACE_LOGFILEW", sizeEventTraceLogfile, 448},
		{"ENABLE_TRACE_PARAMETERS", sizeEnableTraceParameters, 48},
		{"EVENT_FILTER_DESCRIPTOR", sizeFilterDescriptor, 16},
		{"PERFINFO_GROUPMASK", sizeGroupMask, 32},
	} {
		if c.got != c.want {
			t.Errorf("%s: size %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"LogFileNameOffset", offPropLogFileNameOffset, 112},
		{"LoggerNameOffset", offPropLoggerNameOffset, 116},
		{"LoggerThreadId", offPropLoggerThreadID, 104},
		{"EventsLost", offPropEventsLost, 88},
		{"RealTimeBuffersLost", offPropRealTimeBuffersLost, 100},
		{"EVENT_RECORD.UserData", offRecUserData, 96},
		{"EVENT_RECORD.UserContext", offRecUserContext, 104},
		{"EVENT_RECORD.UserDataLength", offRecUserDataLength, 86},
		{"LOGFILE.LogfileHeader", offLogfileHeader, 120},
		{"LOGFILE.BufferCallback", offLogfileBufferCallback, 400},
		{"LOGFILE.EventRecordCallback", offLogfileEventCallback, 424},
		{"LOGFILE.Context", offLogfileContext, 440},
		{"TLH.PointerSize", offTLHPointerSize, 44},
		{"TLH.BootTime", offTLHBootTime, 248},
		{"TLH.PerfFreq", offTLHPerfFreq, 256},
		{"TLH.StartTime", offTLHStartTime, 264},
		{"TLH.BuffersLost", offTLHBuffersLost, 276},
		{"ENABLE.EnableFilterDesc", offEnableFilterDesc, 32},
		{"ENABLE.FilterDescCount", offEnableFilterDescCount, 40},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

func utf16Bytes(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

func TestEncodeProperties(t *testing.T) {
	guid := etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")
	for _, tc := range []struct {
		name, session, file string
		wantLen, wantFile   int
	}{
		// "ipctrace-4242" is 13 chars: 28 bytes with NUL, padded to 32.
		{"real time", "ipctrace-4242", "", 120 + 32, 0},
		// C:\t\x.etl is 10 chars: 22 bytes, padded to 24, after the name at 152.
		{"file", "ipctrace-4242", `C:\t\x.etl`, 120 + 32 + 24, 152},
		// 3 chars: 8 bytes exactly.
		{"short name", "abc", "", 128, 0},
		{"non-ASCII", "ipctrace-é", `C:\trace\ü.etl`, 120 + 24 + 32, 144},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeProperties(propertiesConfig{
				SessionName: tc.session, LogFile: tc.file, SessionGUID: guid, ClockType: 1,
				BufferSizeKB: 64, MinBuffers: 8, MaxBuffers: 72, MaxFileSizeMB: 100,
				LogFileMode: 0x02000101, FlushTimer: 1, EnableFlags: 0x06108207,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tc.wantLen || len(b)%8 != 0 {
				t.Fatalf("len %d, want %d (multiple of 8)", len(b), tc.wantLen)
			}
			checks := []struct {
				off  int
				want uint32
				what string
			}{
				{0, uint32(tc.wantLen), "Wnode.BufferSize"},
				{4, 0, "Wnode.ProviderId"},
				{40, 1, "Wnode.ClientContext"},
				{44, 0x00020000, "Wnode.Flags"},
				{48, 64, "BufferSize"},
				{52, 8, "MinimumBuffers"},
				{56, 72, "MaximumBuffers"},
				{60, 100, "MaximumFileSize"},
				{64, 0x02000101, "LogFileMode"},
				{68, 1, "FlushTimer"},
				{72, 0x06108207, "EnableFlags"},
				{76, 0, "AgeLimit"},
				{112, uint32(tc.wantFile), "LogFileNameOffset"},
				{116, 120, "LoggerNameOffset"},
			}
			for _, c := range checks {
				if got := u32(b, c.off); got != c.want {
					t.Errorf("%s @%d = %#x, want %#x", c.what, c.off, got, c.want)
				}
			}
			wantGUID := []byte{0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
			if !bytes.Equal(b[24:40], wantGUID) {
				t.Errorf("Wnode.Guid bytes % x, want % x", b[24:40], wantGUID)
			}
			if !bytes.Equal(b[8:24], make([]byte, 16)) || !bytes.Equal(b[80:112], make([]byte, 32)) {
				t.Error("output fields are not zero")
			}
			name := utf16Bytes(tc.session)
			if !bytes.Equal(b[120:120+len(name)], name) {
				t.Errorf("session name at 120: % x, want % x", b[120:120+len(name)], name)
			}
			if tc.file != "" {
				f := utf16Bytes(tc.file)
				if !bytes.Equal(b[tc.wantFile:tc.wantFile+len(f)], f) {
					t.Errorf("file name at %d: % x", tc.wantFile, b[tc.wantFile:tc.wantFile+len(f)])
				}
			}
			p, err := decodeProperties(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.SessionName != tc.session || p.LogFile != tc.file || p.SessionGUID != guid || p.LogFileMode != 0x02000101 {
				t.Errorf("decoded %+v", p)
			}
		})
	}
}

func TestEncodePropertiesErrors(t *testing.T) {
	for _, c := range []propertiesConfig{
		{SessionName: ""},
		{SessionName: "a\x00b"},
		{SessionName: "ok", LogFile: "x\x00.etl"},
	} {
		if _, err := encodeProperties(c); !errors.Is(err, errBadName) {
			t.Errorf("%q/%q: err %v, want ErrBadName", c.SessionName, c.LogFile, err)
		}
	}
}

func TestDecodePropertiesOutputs(t *testing.T) {
	b := controlBuffer()
	if u32(b, 0) != uint32(len(b)) || u32(b, 116) != 120 || u32(b, 112) <= 120 || u32(b, 44) != 0x20000 {
		t.Fatalf("ControlBuffer header: size %d, offsets %d/%d", u32(b, 0), u32(b, 116), u32(b, 112))
	}
	// Windows writes the counters back: check each lands in its field.
	for off, v := range map[int]uint32{80: 11, 84: 12, 88: 13, 92: 14, 96: 15, 100: 16} {
		binary.LittleEndian.PutUint32(b[off:], v)
	}
	copy(b[120:], utf16Bytes("ipctrace-7"))
	p, err := decodeProperties(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.NumberOfBuffers != 11 || p.FreeBuffers != 12 || p.EventsLost != 13 || p.BuffersWritten != 14 ||
		p.LogBuffersLost != 15 || p.RealTimeBuffersLost != 16 || p.SessionName != "ipctrace-7" || p.LogFile != "" {
		t.Errorf("decoded %+v", p)
	}
	// Hostile offsets: numbers still returned, error names the field.
	binary.LittleEndian.PutUint32(b[116:], 1<<30)
	p, err = decodeProperties(b)
	if !errors.Is(err, errNameOutside) || p.EventsLost != 13 {
		t.Errorf("bad name offset: err %v, EventsLost %d", err, p.EventsLost)
	}
	if _, err := decodeProperties(b[:100]); !errors.Is(err, errShortProperties) {
		t.Errorf("short buffer: %v", err)
	}
}

func TestConstants(t *testing.T) {
	if defaultEnableFlags != 0x06108207 {
		t.Errorf("DefaultEnableFlags = %#x, want 0x06108207", defaultEnableFlags)
	}
	flags := map[string][2]uint32{
		"PROCESS": {flagProcess, 0x1}, "THREAD": {flagThread, 0x2}, "IMAGE_LOAD": {flagImageLoad, 0x4},
		"DISK_FILE_IO": {flagDiskFileIO, 0x200}, "VAMAP": {flagVAMap, 0x8000}, "ALPC": {flagALPC, 0x100000},
		"FILE_IO": {flagFileIO, 0x02000000}, "FILE_IO_INIT": {flagFileIOInit, 0x04000000},
		"REAL_TIME": {modeRealTime, 0x100}, "SYSTEM_LOGGER_MODE": {modeSystemLogger, 0x02000000},
		"FILE_MODE_SEQUENTIAL": {modeFileSequential, 1}, "FILE_MODE_CIRCULAR": {ModeFileCircular, 2},
		"PROCESS_TRACE_MODE_EVENT_RECORD": {processTraceModeEventRecord, 0x10000000},
		"PROCESS_TRACE_MODE_REAL_TIME":    {processTraceModeRealTime, 0x100},
		"TraceSystemTraceEnableFlagsInfo": {traceSystemTraceEnableFlags, 4},
		"WNODE_FLAG_TRACED_GUID":          {wnodeFlagTracedGUID, 0x20000},
		"CONTROL_STOP":                    {controlTraceStop, 1}, "CONTROL_FLUSH": {controlTraceFlush, 3},
	}
	for name, v := range flags {
		if v[0] != v[1] {
			t.Errorf("%s = %#x, want %#x", name, v[0], v[1])
		}
	}
	guids := map[string]etw.GUID{
		"9e814aad-3204-11d2-9a82-006008a86939": systemTraceControlGUID,
		"3b9c9951-3480-4220-9377-9c8e5184f5cd": kernelRundownGUID,
		"edd08927-9cc4-4e65-b970-c2560fb5c289": kernelFileGUID,
		"22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716": kernelProcessGUID,
		"6ad52b32-d609-4be9-ae07-ce8dae937e39": rpcGUID,
		"45d8cccd-539f-4b72-a8b7-5c683142609a": kernelClassGUIDs[0x1A],
		"90cbdc39-4a3e-11d1-84f4-0000f80464e3": kernelClassGUIDs[0x04],
		"89497f50-effe-4440-8cf2-ce6b1cdcaca7": kernelClassGUIDs[0x11],
	}
	for want, g := range guids {
		if g.String() != want {
			t.Errorf("GUID %s, want %s", g, want)
		}
	}
	// Byte order handed to Windows for SystemTraceControlGuid.
	var b [16]byte
	putGUID(b[:], systemTraceControlGUID)
	want := []byte{0xad, 0x4a, 0x81, 0x9e, 0x04, 0x32, 0xd2, 0x11, 0x9a, 0x82, 0x00, 0x60, 0x08, 0xa8, 0x69, 0x39}
	if !bytes.Equal(b[:], want) {
		t.Errorf("SystemTraceControlGuid bytes % x", b)
	}
}

func TestGroupMask(t *testing.T) {
	var m GroupMask
	m.Set(perfObHandle)
	m.Set(perfMemory)
	m[0] = defaultEnableFlags
	b := m.Encode()
	if len(b) != 32 || u32(b, 0) != 0x06108207 || u32(b, 4) != 0x1 || u32(b, 16) != 0x40 {
		t.Errorf("mask bytes % x", b)
	}
	var raw GroupMask
	raw.SetRaw(perfObHandle)
	if raw[4] != 0x80000040 {
		t.Errorf("raw Masks[4] = %#x", raw[4])
	}
}

func TestEnableParameters(t *testing.T) {
	src := etw.MustParseGUID("00112233-4455-6677-8899-aabbccddeeff")
	b := enableParameters{EnableProperty: enablePropertySID, SourceID: src, FilterDesc: 0x1122334455667788, FilterDescCount: 3}.Encode()
	if len(b) != 48 || u32(b, 0) != 2 || u32(b, 4) != 1 || u32(b, 8) != 0 ||
		etw.GUIDFromBytes(b[12:]) != src || binary.LittleEndian.Uint64(b[32:]) != 0x1122334455667788 || u32(b, 40) != 3 {
		t.Errorf("ENABLE_TRACE_PARAMETERS % x", b)
	}
}

func TestMakePlan(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         Options
		flags     uint32
		mask4     uint32
		providers []string
	}{
		{"all (default)", Options{}, 0x06108207, 0, []string{kernelFileName, rpcName, kernelRundownName}},
		{"all explicit + handles", Options{Pipes: true, ALPC: true, Sections: true, RPC: true, Handles: true}, 0x06108207, 0x40,
			[]string{kernelFileName, rpcName, kernelRundownName}},
		{"raw handle mask", Options{HandlesRawMask: true}, 0x06108207, 0x80000040, []string{kernelFileName, rpcName, kernelRundownName}},
		{"pipes", Options{Pipes: true}, 0x06000207, 0, []string{kernelFileName, kernelRundownName}},
		{"alpc", Options{ALPC: true}, 0x00100007, 0, nil},
		{"sections", Options{Sections: true}, 0x00008207, 0, []string{kernelRundownName}},
		{"rpc", Options{RPC: true}, 0x00000007, 0, []string{rpcName}},
		{"pipes no rundown", Options{Pipes: true, NoStartRundown: true}, 0x06000207, 0, []string{kernelFileName}},
		{"classic", Options{Classic: true}, 0x06108207, 0, nil},
		{"messages and com", Options{Pipes: true, Messages: true, COM: true}, 0x06000207, 0, []string{kernelFileName, win32kName, comName, kernelRundownName}},
		{"classic drops messages", Options{Classic: true, Messages: true}, 0x06108207, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := makePlan(tc.o)
			if p.EnableFlags != tc.flags || p.Masks[0] != tc.flags || p.Masks[4] != tc.mask4 {
				t.Errorf("flags %#x masks[0] %#x masks[4] %#x; want %#x, %#x", p.EnableFlags, p.Masks[0], p.Masks[4], tc.flags, tc.mask4)
			}
			var names []string
			for _, pr := range p.Providers {
				names = append(names, pr.Name)
				switch pr.GUID {
				case kernelFileGUID:
					if pr.MatchAny != 0x3F0 || pr.Level != 4 {
						t.Errorf("Kernel-File kw %#x level %d", pr.MatchAny, pr.Level)
					}
				case decoders.Win32kGUID:
					if pr.MatchAny != 0x440000 || pr.Level != 4 {
						t.Errorf("Win32k kw %#x level %d", pr.MatchAny, pr.Level)
					}
				case decoders.COMRuntimeGUID:
					if pr.MatchAny != 0x3 || pr.Level != 4 {
						t.Errorf("COMRuntime kw %#x level %d", pr.MatchAny, pr.Level)
					}
				case rpcGUID:
					if pr.MatchAny != ^uint64(0) || pr.Level != 4 {
						t.Errorf("RPC kw %#x level %d", pr.MatchAny, pr.Level)
					}
				case kernelRundownGUID:
					if pr.MatchAny != 0x10 || !pr.Rundown {
						t.Errorf("rundown kw %#x", pr.MatchAny)
					}
				}
			}
			if len(names) != len(tc.providers) {
				t.Fatalf("providers %v, want %v", names, tc.providers)
			}
			for i := range names {
				if names[i] != tc.providers[i] {
					t.Errorf("providers %v, want %v", names, tc.providers)
				}
			}
		})
	}
}

func TestSessionConfig(t *testing.T) {
	g := etw.MustParseGUID("11111111-2222-4333-8444-555555555555")
	pc, err := sessionConfig{Name: "ipctrace-9", RealTime: true, NumCPU: 1, SessionGUID: g}.Properties()
	if err != nil {
		t.Fatal(err)
	}
	if pc.LogFileMode != 0x02000100 || pc.EnableFlags != 0 || pc.MinBuffers != 4 || pc.MaxBuffers != 68 ||
		pc.BufferSizeKB != 64 || pc.FlushTimer != 1 || pc.ClockType != 1 || pc.SessionName != "ipctrace-9" {
		t.Errorf("private real-time: %+v", pc)
	}
	pc, err = sessionConfig{Name: "x", LogFile: `C:\a.etl`, Ring: true, MaxFileMB: 50, NumCPU: 8, SessionGUID: g}.Properties()
	if err != nil || pc.LogFileMode != 0x02000002 || pc.MaxFileSizeMB != 50 || pc.MinBuffers != 16 {
		t.Errorf("ring: %+v %v", pc, err)
	}
	pc, err = sessionConfig{Name: "x", LogFile: `C:\a.etl`, RealTime: true, NumCPU: 2, SessionGUID: g}.Properties()
	if err != nil || pc.LogFileMode != 0x02000101 {
		t.Errorf("file+rt: %#x %v", pc.LogFileMode, err)
	}
	pc, err = sessionConfig{Classic: true, RealTime: true, NumCPU: 2, EnableFlags: 0x06108207}.Properties()
	if err != nil || pc.SessionName != "NT Kernel Logger" || pc.SessionGUID != systemTraceControlGUID ||
		pc.LogFileMode&modeSystemLogger != 0 || pc.EnableFlags != 0x06108207 {
		t.Errorf("classic: %+v %v", pc, err)
	}
	for _, bad := range []sessionConfig{
		{Name: "x", SessionGUID: g},                                      // no output
		{Name: "x", RealTime: true},                                      // no GUID
		{Name: "x", RealTime: true, SessionGUID: systemTraceControlGUID}, // kernel GUID on a private logger
		{Name: "x", Ring: true, RealTime: true, SessionGUID: g},          // ring without file
	} {
		if _, err := bad.Properties(); !errors.Is(err, errConfig) {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
}

func TestSessionNames(t *testing.T) {
	if SessionName(4242) != "ipctrace-4242" {
		t.Error(SessionName(4242))
	}
	for name, want := range map[string]int{"ipctrace-4242": 4242, "ipctrace-0": 0} {
		if pid, ok := SessionPID(name); !ok || pid != want {
			t.Errorf("SessionPID(%q) = %d, %v", name, pid, ok)
		}
	}
	for _, name := range []string{"ipctrace-", "ipctrace-12a", "NT Kernel Logger", "ipctrace-99999999999", "xipctrace-1"} {
		if _, ok := SessionPID(name); ok {
			t.Errorf("SessionPID(%q) accepted", name)
		}
	}
}

func TestEncodeLogfile(t *testing.T) {
	b := encodeLogfile(logfileConfig{LogFileName: 0x1111, LoggerName: 0x2222, ProcessTraceMode: 0x10000100,
		BufferCallback: 0x3333, EventCallback: 0x4444, Context: 7})
	le := binary.LittleEndian
	if len(b) != 448 || le.Uint64(b[0:]) != 0x1111 || le.Uint64(b[8:]) != 0x2222 || u32(b, 28) != 0x10000100 ||
		le.Uint64(b[400:]) != 0x3333 || le.Uint64(b[424:]) != 0x4444 || le.Uint64(b[440:]) != 7 {
		t.Errorf("EVENT_TRACE_LOGFILEW fields misplaced")
	}
	for _, r := range [][2]int{{16, 28}, {32, 400}, {408, 424}, {432, 440}} {
		for i := r[0]; i < r[1]; i++ {
			if b[i] != 0 {
				t.Fatalf("byte %d set", i)
			}
		}
	}
}

func TestEncodeEventAndDataDescriptors(t *testing.T) {
	d := encodeEventDescriptor(0x1234, 1, 11, 4, 2, 0x5678, 0x8000000000000001)
	want := []byte{0x34, 0x12, 1, 11, 4, 2, 0x78, 0x56, 1, 0, 0, 0, 0, 0, 0, 0x80}
	if !bytes.Equal(d, want) {
		t.Errorf("EVENT_DESCRIPTOR % x", d)
	}
	dd := appendDataDescriptor(nil, 0x0102030405060708, 9, dataDescProviderMetadata)
	want = []byte{8, 7, 6, 5, 4, 3, 2, 1, 9, 0, 0, 0, 2, 0, 0, 0}
	if !bytes.Equal(dd, want) {
		t.Errorf("EVENT_DATA_DESCRIPTOR % x", dd)
	}
}
