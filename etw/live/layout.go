package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/ipctrace/ipctrace/etw"
)

// Structure sizes on amd64/arm64 (docs/recording.md#structures).
const (
	sizeWnodeHeader           = 48
	sizeEventTraceProperties  = 120
	sizeEventDescriptor       = 16
	sizeEventHeader           = 80
	sizeEventRecord           = 112
	sizeExtendedDataItem      = 16
	sizeTraceLogfileHeader    = 280
	sizeEventTraceLogfile     = 448
	sizeEnableTraceParameters = 48
	sizeFilterDescriptor      = 16
	sizeGroupMask             = 32
)

// Field offsets of EVENT_TRACE_PROPERTIES (WNODE_HEADER first) on x64 (docs/recording.md#structures).
const (
	offWnodeBufferSize        = 0
	offWnodeProviderID        = 4
	offWnodeHistoricalContext = 8
	offWnodeTimeStamp         = 16
	offWnodeGUID              = 24
	offWnodeClientContext     = 40
	offWnodeFlags             = 44

	offPropBufferSize          = 48
	offPropMinimumBuffers      = 52
	offPropMaximumBuffers      = 56
	offPropMaximumFileSize     = 60
	offPropLogFileMode         = 64
	offPropFlushTimer          = 68
	offPropEnableFlags         = 72
	offPropAgeLimit            = 76
	offPropNumberOfBuffers     = 80
	offPropFreeBuffers         = 84
	offPropEventsLost          = 88
	offPropBuffersWritten      = 92
	offPropLogBuffersLost      = 96
	offPropRealTimeBuffersLost = 100
	offPropLoggerThreadID      = 104
	offPropLogFileNameOffset   = 112
	offPropLoggerNameOffset    = 116
)

// Field offsets of EVENT_HEADER, EVENT_RECORD, EVENT_TRACE_LOGFILEW,
// TRACE_LOGFILE_HEADER and ENABLE_TRACE_PARAMETERS on x64 (docs/recording.md#structures).
const (
	offHdrSize            = 0
	offHdrHeaderType      = 2
	offHdrFlags           = 4
	offHdrEventProperty   = 6
	offHdrThreadID        = 8
	offHdrProcessID       = 12
	offHdrTimeStamp       = 16
	offHdrProviderID      = 24
	offHdrDescriptor      = 40 // EVENT_DESCRIPTOR: Id u16, Version u8, Channel u8, Level u8, Opcode u8, Task u16, Keyword u64
	offHdrKernelTime      = 56
	offHdrUserTime        = 60
	offHdrActivityID      = 64
	offRecProcessorNumber = 80
	offRecAlignment       = 81
	offRecLoggerID        = 82
	offRecExtDataCount    = 84
	offRecUserDataLength  = 86
	offRecExtendedData    = 88
	offRecUserData        = 96
	offRecUserContext     = 104

	offLogfileLogFileName      = 0
	offLogfileLoggerName       = 8
	offLogfileCurrentTime      = 16
	offLogfileBuffersRead      = 24
	offLogfileProcessTraceMode = 28
	offLogfileCurrentEvent     = 32
	offLogfileHeader           = 120
	offLogfileBufferCallback   = 400
	offLogfileBufferSize       = 408
	offLogfileFilled           = 412
	offLogfileEventsLost       = 416
	offLogfileEventCallback    = 424
	offLogfileIsKernelTrace    = 432
	offLogfileContext          = 440

	offTLHBufferSize    = 0
	offTLHVersion       = 4
	offTLHPointerSize   = 44
	offTLHEventsLost    = 48
	offTLHLoggerName    = 56
	offTLHLogFileName   = 64
	offTLHTimeZone      = 72
	offTLHBootTime      = 248
	offTLHPerfFreq      = 256
	offTLHStartTime     = 264
	offTLHReservedFlags = 272
	offTLHBuffersLost   = 276

	offEnableVersion          = 0
	offEnableProperty         = 4
	offEnableControlFlags     = 8
	offEnableSourceID         = 12
	offEnableFilterDesc       = 32
	offEnableFilterDescCount  = 40
	enableTraceParametersVer2 = 2
)

// WNODE_HEADER.Flags and ClientContext values (docs/recording.md#structures).
const (
	wnodeFlagTracedGUID           uint32 = 0x00020000
	wnodeFlagVersionedProperties  uint32 = 0x00800000
	clockQPC                      uint32 = 1
	clockSystemTime               uint32 = 2
	clockCPUCycle                 uint32 = 3
	defaultBufferSizeKB           uint32 = 64
	maxSessionNameChars                  = 1024
	maxLogFileNameChars                  = 32767
	propertiesNameAlign                  = 8
	processTraceModeRealTime      uint32 = 0x00000100
	processTraceModeRawTimestamp  uint32 = 0x00001000
	processTraceModeEventRecord   uint32 = 0x10000000
	invalidProcessTraceHandle     uint64 = 0xFFFFFFFFFFFFFFFF
	controlTraceQuery             uint32 = 0
	controlTraceStop              uint32 = 1
	controlTraceUpdate            uint32 = 2
	controlTraceFlush             uint32 = 3
	enableDisableProvider         uint32 = 0
	enableEnableProvider          uint32 = 1
	enableCaptureState            uint32 = 2
	traceStackTracingInfo         uint32 = 3
	traceSystemTraceEnableFlags   uint32 = 4
	levelInformational            uint8  = 4
	eventHeaderFlagExtendedInfo   uint16 = 0x0001
	eventHeaderFlagPrivateSession uint16 = 0x0002
	eventHeaderFlagStringOnly     uint16 = 0x0004
	eventHeaderFlagTraceMessage   uint16 = 0x0008
	eventHeaderFlagNoCPUTime      uint16 = 0x0010
	eventHeaderFlag32BitHeader    uint16 = 0x0020
	eventHeaderFlag64BitHeader    uint16 = 0x0040
	eventHeaderFlagClassicHeader  uint16 = 0x0100
	eventHeaderFlagProcessorIndex uint16 = 0x0200
)

// EnableFlags (EVENT_TRACE_FLAG_*, docs/recording.md#constants).
const (
	flagProcess      uint32 = 0x00000001
	flagThread       uint32 = 0x00000002
	flagImageLoad    uint32 = 0x00000004
	flagDiskIO       uint32 = 0x00000100
	flagDiskFileIO   uint32 = 0x00000200
	flagVirtualAlloc uint32 = 0x00004000
	flagVAMap        uint32 = 0x00008000
	flagALPC         uint32 = 0x00100000
	flagFileIO       uint32 = 0x02000000
	flagFileIOInit   uint32 = 0x04000000
	flagNoSysConfig  uint32 = 0x10000000

	// defaultEnableFlags is ipctrace's full kernel flag set:
	// Process|Thread|Image|DiskFileIo|VaMap|ALPC|FileIo|FileIoInit.
	defaultEnableFlags = flagProcess | flagThread | flagImageLoad | flagDiskFileIO |
		flagVAMap | flagALPC | flagFileIO | flagFileIOInit
)

// LogFileMode values (docs/recording.md#constants).
const (
	modeFileSequential   uint32 = 0x00000001
	ModeFileCircular     uint32 = 0x00000002
	modeFileAppend       uint32 = 0x00000004
	modeFileNewFile      uint32 = 0x00000008
	modeRealTime         uint32 = 0x00000100
	modeBuffering        uint32 = 0x00000400
	modeUseKBytesForSize uint32 = 0x00002000
	modeUsePagedMemory   uint32 = 0x01000000
	modeSystemLogger     uint32 = 0x02000000
)

// Group-mask constants (ntwmi.h; docs/recording.md#group-masks). The top 3 bits give the Masks index.
const (
	perfObHandle uint32 = 0x80000040
	perfObObject uint32 = 0x80000080
	perfDLLInfo  uint32 = 0x80000008
	perfMemory   uint32 = 0x20000001
)

// Win32 error codes that the session code interprets (docs/recording.md#constants).
const (
	ErrnoAccessDenied      = 5
	ErrnoInvalidHandle     = 6
	ErrnoInvalidParameter  = 87
	ErrnoAlreadyExists     = 183
	ErrnoMoreData          = 234
	ErrnoCancelled         = 1223
	ErrnoNoSystemResources = 1450
	ErrnoWMIInstanceAbsent = 4201
	ErrnoCtxClosePending   = 7007
)

// Session, provider and kernel class GUIDs (docs/events.md#kernel-classes, docs/events.md#manifest-providers, docs/recording.md#sessions).
var (
	systemTraceControlGUID = etw.MustParseGUID("9e814aad-3204-11d2-9a82-006008a86939")
	kernelRundownGUID      = etw.MustParseGUID("3b9c9951-3480-4220-9377-9c8e5184f5cd")
	kernelFileGUID         = etw.MustParseGUID("edd08927-9cc4-4e65-b970-c2560fb5c289")
	kernelProcessGUID      = etw.MustParseGUID("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716")
	rpcGUID                = etw.MustParseGUID("6ad52b32-d609-4be9-ae07-ce8dae937e39")
)

// kernelClassGUIDs maps a kernel hook group to its class GUID (corpus
// README table; docs/events.md#kernel-classes). Real-time kernel events arrive with the
// class GUID as ProviderId; groupOf inverts this table.
var kernelClassGUIDs = [...]etw.GUID{
	0x00: etw.MustParseGUID("68fdd900-4a3e-11d1-84f4-0000f80464e3"), // EventTrace
	0x01: etw.MustParseGUID("3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c"), // DiskIo
	0x02: etw.MustParseGUID("3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c"), // PageFault
	0x03: etw.MustParseGUID("3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c"), // Process
	0x04: etw.MustParseGUID("90cbdc39-4a3e-11d1-84f4-0000f80464e3"), // FileIo
	0x05: etw.MustParseGUID("3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c"), // Thread
	0x06: etw.MustParseGUID("9a280ac0-c8e0-11d1-84e2-00c04fb998a2"), // TcpIp
	0x07: etw.MustParseGUID("3282fc76-feed-498e-8aa7-e70f459d430e"), // Job
	0x08: etw.MustParseGUID("bf3a50c5-a9c9-4988-a005-2df0b7c80f80"), // UdpIp
	0x09: etw.MustParseGUID("ae53722e-c863-11d2-8659-00c04fa321a1"), // Registry
	0x0A: etw.MustParseGUID("13976d09-a327-438c-950b-7f03192815c7"), // DbgPrint
	0x0B: etw.MustParseGUID("01853a65-418f-4f36-aefc-dc0f1d2fd235"), // EventTraceConfig (SystemConfig)
	0x0C: etw.MustParseGUID("99134383-5248-43fc-834b-529454e75df3"), // Spare1
	0x0D: etw.MustParseGUID("42695762-ea50-497a-9068-5cbbb35e0b95"), // Wnf
	0x0E: etw.MustParseGUID("0268a8b6-74fd-4302-9dd0-6e8f1795c0cf"), // Pool
	0x0F: etw.MustParseGUID("ce1dbfb4-137e-4da6-87b0-3f59aa102cbc"), // PerfInfo
	0x10: etw.MustParseGUID("222962ab-6180-4b88-a825-346b75f2a24a"), // Heap
	0x11: etw.MustParseGUID("89497f50-effe-4440-8cf2-ce6b1cdcaca7"), // Object
	0x12: etw.MustParseGUID("e43445e0-0903-48c3-b878-ff0fccebdd04"), // Power
	0x13: etw.MustParseGUID("a9152f00-3f58-4bee-92a1-70c7d079d5dd"), // ModBound
	0x14: etw.MustParseGUID("2cb15d1d-5fc1-11d2-abe1-00a0c911f518"), // Image
	0x15: etw.MustParseGUID("b2d14872-7c5b-463d-8419-ee9bf7d23e04"), // Dpc
	0x16: etw.MustParseGUID("7687a439-f752-45b8-b741-321aec0f8df9"), // Cc
	0x17: etw.MustParseGUID("3ac66736-cc59-4cff-8115-8df50e39816b"), // CritSec
	0x18: etw.MustParseGUID("def2fe46-7bd6-4b80-bd94-f57fe20d0ce3"), // StackWalk
	0x19: etw.MustParseGUID("9aec974b-5b8e-4118-9b92-3186d8002ce5"), // Ums
	0x1A: etw.MustParseGUID("45d8cccd-539f-4b72-a8b7-5c683142609a"), // ALPC
	0x1B: etw.MustParseGUID("d837ca92-12b9-44a5-ad6a-3a65b3578aa8"), // SplitIo
	0x1C: etw.MustParseGUID("c861d0e2-a2c1-4d36-9f9c-970bab943a12"), // ThreadPool
	0x1D: etw.MustParseGUID("7f2a405c-69b5-4bf9-a1f5-30e8f1afab5e"), // Hypervisor
	0x1E: etw.MustParseGUID("2ce9a149-effe-42f0-a635-a1d39e26c8f2"), // HypervisorX
}

// groupOf returns the kernel hook group of a class GUID. Image loads
// (Image class, opcode 10) keep group 0x03 as in files (corpus README).
func groupOf(g etw.GUID, opcode uint8) (uint8, bool) {
	for i, c := range kernelClassGUIDs {
		if c == g {
			if i == 0x14 && opcode == 10 {
				return 0x03, true
			}
			return uint8(i), true
		}
	}
	return 0, false
}

// propertiesConfig is what a caller sets in EVENT_TRACE_PROPERTIES (docs/recording.md#call-sequence, step 2).
type propertiesConfig struct {
	SessionName   string
	LogFile       string // empty: no file
	SessionGUID   etw.GUID
	ClockType     uint32 // WNODE_HEADER.ClientContext
	BufferSizeKB  uint32
	MinBuffers    uint32
	MaxBuffers    uint32
	MaxFileSizeMB uint32
	LogFileMode   uint32
	FlushTimer    uint32
	EnableFlags   uint32
}

// errBadName is returned for a session or file name that cannot be encoded.
var errBadName = errors.New("invalid session or log file name")

// utf16z encodes s as NUL-terminated UTF-16LE.
func utf16z(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, fmt.Errorf("%w: %q contains NUL", errBadName, s)
		}
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b, nil
}

// putGUID writes g in Windows byte order at the start of b.
func putGUID(b []byte, g etw.GUID) {
	binary.LittleEndian.PutUint32(b[0:], g.Data1)
	binary.LittleEndian.PutUint16(b[4:], g.Data2)
	binary.LittleEndian.PutUint16(b[6:], g.Data3)
	copy(b[8:16], g.Data4[:])
}

func align8(n int) int { return (n + 7) &^ 7 }

// encodeProperties builds the EVENT_TRACE_PROPERTIES buffer of c: the
// 120-byte structure with Wnode.BufferSize = the total length, the session
// name at LoggerNameOffset (120) and, when c.LogFile is set, the file name
// at LogFileNameOffset (docs/recording.md#structures). The result's
// length is a multiple of 8.
func encodeProperties(c propertiesConfig) ([]byte, error) {
	if c.SessionName == "" || len(c.SessionName) > maxSessionNameChars {
		return nil, fmt.Errorf("%w: session name %q", errBadName, c.SessionName)
	}
	if len(c.LogFile) > maxLogFileNameChars {
		return nil, fmt.Errorf("%w: log file name is %d bytes long", errBadName, len(c.LogFile))
	}
	name, err := utf16z(c.SessionName)
	if err != nil {
		return nil, err
	}
	var file []byte
	if c.LogFile != "" {
		if file, err = utf16z(c.LogFile); err != nil {
			return nil, err
		}
	}
	total := sizeEventTraceProperties + align8(len(name))
	fileOff := 0
	if file != nil {
		fileOff = total
		total += align8(len(file))
	}
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[offWnodeBufferSize:], uint32(total))
	putGUID(b[offWnodeGUID:], c.SessionGUID)
	le.PutUint32(b[offWnodeClientContext:], c.ClockType)
	le.PutUint32(b[offWnodeFlags:], wnodeFlagTracedGUID)
	le.PutUint32(b[offPropBufferSize:], c.BufferSizeKB)
	le.PutUint32(b[offPropMinimumBuffers:], c.MinBuffers)
	le.PutUint32(b[offPropMaximumBuffers:], c.MaxBuffers)
	le.PutUint32(b[offPropMaximumFileSize:], c.MaxFileSizeMB)
	le.PutUint32(b[offPropLogFileMode:], c.LogFileMode)
	le.PutUint32(b[offPropFlushTimer:], c.FlushTimer)
	le.PutUint32(b[offPropEnableFlags:], c.EnableFlags)
	le.PutUint32(b[offPropLoggerNameOffset:], sizeEventTraceProperties)
	copy(b[sizeEventTraceProperties:], name)
	if file != nil {
		le.PutUint32(b[offPropLogFileNameOffset:], uint32(fileOff))
		copy(b[fileOff:], file)
	}
	return b, nil
}

// controlBuffer returns an empty properties buffer for ControlTrace with
// room for names of up to 1024 characters each, so that ControlTrace can
// write the session's properties and names back without ERROR_MORE_DATA
// (docs/recording.md#pitfalls, pitfall 3). Only BufferSize and the two name offsets are set.
func controlBuffer() []byte {
	const nameRoom = 2 * (maxSessionNameChars + 1)
	total := sizeEventTraceProperties + 2*align8(nameRoom)
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[offWnodeBufferSize:], uint32(total))
	le.PutUint32(b[offWnodeFlags:], wnodeFlagTracedGUID)
	le.PutUint32(b[offPropLoggerNameOffset:], sizeEventTraceProperties)
	le.PutUint32(b[offPropLogFileNameOffset:], uint32(sizeEventTraceProperties+align8(nameRoom)))
	return b
}

// Properties is what ControlTrace (QUERY, STOP, FLUSH) and QueryAllTraces
// return about a session (docs/recording.md#structures output fields).
type Properties struct {
	BufferSize          uint32 // total buffer size (Wnode.BufferSize)
	SessionGUID         etw.GUID
	ClockType           uint32
	BufferSizeKB        uint32
	MinimumBuffers      uint32
	MaximumBuffers      uint32
	MaximumFileSize     uint32
	LogFileMode         uint32
	FlushTimer          uint32
	EnableFlags         uint32
	NumberOfBuffers     uint32
	FreeBuffers         uint32
	EventsLost          uint32
	BuffersWritten      uint32
	LogBuffersLost      uint32
	RealTimeBuffersLost uint32
	LoggerThreadID      uint64
	SessionName         string
	LogFile             string
}

// errShortProperties is returned by decodeProperties for a buffer shorter than 120 bytes.
var errShortProperties = errors.New("EVENT_TRACE_PROPERTIES buffer too short")

// decodeProperties reads an EVENT_TRACE_PROPERTIES buffer as Windows filled
// it. Names are read at their offsets when they lie inside b; a name offset
// outside b is reported as an error naming it, with the numeric fields
// still returned.
func decodeProperties(b []byte) (Properties, error) {
	var p Properties
	if len(b) < sizeEventTraceProperties {
		return p, fmt.Errorf("%w: %d bytes", errShortProperties, len(b))
	}
	le := binary.LittleEndian
	p.BufferSize = le.Uint32(b[offWnodeBufferSize:])
	p.SessionGUID = etw.GUIDFromBytes(b[offWnodeGUID:])
	p.ClockType = le.Uint32(b[offWnodeClientContext:])
	p.BufferSizeKB = le.Uint32(b[offPropBufferSize:])
	p.MinimumBuffers = le.Uint32(b[offPropMinimumBuffers:])
	p.MaximumBuffers = le.Uint32(b[offPropMaximumBuffers:])
	p.MaximumFileSize = le.Uint32(b[offPropMaximumFileSize:])
	p.LogFileMode = le.Uint32(b[offPropLogFileMode:])
	p.FlushTimer = le.Uint32(b[offPropFlushTimer:])
	p.EnableFlags = le.Uint32(b[offPropEnableFlags:])
	p.NumberOfBuffers = le.Uint32(b[offPropNumberOfBuffers:])
	p.FreeBuffers = le.Uint32(b[offPropFreeBuffers:])
	p.EventsLost = le.Uint32(b[offPropEventsLost:])
	p.BuffersWritten = le.Uint32(b[offPropBuffersWritten:])
	p.LogBuffersLost = le.Uint32(b[offPropLogBuffersLost:])
	p.RealTimeBuffersLost = le.Uint32(b[offPropRealTimeBuffersLost:])
	p.LoggerThreadID = le.Uint64(b[offPropLoggerThreadID:])
	var errs []error
	var err error
	if off := le.Uint32(b[offPropLoggerNameOffset:]); off != 0 {
		if p.SessionName, err = utf16At(b, off); err != nil {
			errs = append(errs, fmt.Errorf("LoggerNameOffset %#x: %w", off, err))
		}
	}
	if off := le.Uint32(b[offPropLogFileNameOffset:]); off != 0 {
		if p.LogFile, err = utf16At(b, off); err != nil {
			errs = append(errs, fmt.Errorf("LogFileNameOffset %#x: %w", off, err))
		}
	}
	return p, errors.Join(errs...)
}

// errNameOutside reports a name offset that points outside the buffer.
var errNameOutside = errors.New("name offset outside the properties buffer")

// utf16At reads a NUL-terminated UTF-16LE string at off; an unterminated
// string ends at the end of b.
func utf16At(b []byte, off uint32) (string, error) {
	if off < sizeEventTraceProperties || uint64(off) >= uint64(len(b)) {
		return "", errNameOutside
	}
	var u []uint16
	for i := int(off); i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u)), nil
}

// GroupMask is PERFINFO_GROUPMASK: ULONG Masks[8] (docs/recording.md#group-masks).
type GroupMask [8]uint32

// Set ORs a group-mask constant into m: the top 3 bits select the index,
// the low 29 bits are stored (PERF_MASK_INDEX / PERF_GET_MASK_*).
func (m *GroupMask) Set(constant uint32) {
	m[(constant&0xE0000000)>>29] |= constant & 0x1FFFFFFF
}

// SetRaw stores a constant as is, index bits included (fibratus's
// variant; docs/events.md#disagreements D6 and docs/rules.md C8).
func (m *GroupMask) SetRaw(constant uint32) {
	m[(constant&0xE0000000)>>29] |= constant
}

// Encode returns the 32 bytes handed to TraceSetInformation(TraceSystemTraceEnableFlagsInfo).
func (m GroupMask) Encode() []byte {
	b := make([]byte, sizeGroupMask)
	for i, v := range m {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// enableParameters is ENABLE_TRACE_PARAMETERS (version 2, docs/recording.md#structures).
type enableParameters struct {
	EnableProperty  uint32
	ControlFlags    uint32
	SourceID        etw.GUID
	FilterDesc      uint64 // address of EVENT_FILTER_DESCRIPTOR[] (set by the Windows code)
	FilterDescCount uint32
}

// Enable properties (EVENT_ENABLE_PROPERTY_*).
const (
	enablePropertySID        uint32 = 0x1
	enablePropertyTSID       uint32 = 0x2
	enablePropertyStackTrace uint32 = 0x4
)

// Encode returns the 48 bytes of ENABLE_TRACE_PARAMETERS with Version = 2.
func (p enableParameters) Encode() []byte {
	b := make([]byte, sizeEnableTraceParameters)
	le := binary.LittleEndian
	le.PutUint32(b[offEnableVersion:], enableTraceParametersVer2)
	le.PutUint32(b[offEnableProperty:], p.EnableProperty)
	le.PutUint32(b[offEnableControlFlags:], p.ControlFlags)
	putGUID(b[offEnableSourceID:], p.SourceID)
	le.PutUint64(b[offEnableFilterDesc:], p.FilterDesc)
	le.PutUint32(b[offEnableFilterDescCount:], p.FilterDescCount)
	return b
}

// logfileConfig is what a consumer sets in EVENT_TRACE_LOGFILEW (docs/events.md
// docs/recording.md#call-sequence, step 6). Pointers are addresses the Windows code keeps alive.
type logfileConfig struct {
	LogFileName      uint64 // *uint16, file mode; 0 for real time
	LoggerName       uint64 // *uint16, real time: the session name
	ProcessTraceMode uint32
	BufferCallback   uint64
	EventCallback    uint64 // EventRecordCallback
	Context          uint64 // comes back as EVENT_RECORD.UserContext
}

// encodeLogfile returns the 448-byte EVENT_TRACE_LOGFILEW handed to OpenTraceW.
func encodeLogfile(c logfileConfig) []byte {
	b := make([]byte, sizeEventTraceLogfile)
	le := binary.LittleEndian
	le.PutUint64(b[offLogfileLogFileName:], c.LogFileName)
	le.PutUint64(b[offLogfileLoggerName:], c.LoggerName)
	le.PutUint32(b[offLogfileProcessTraceMode:], c.ProcessTraceMode)
	le.PutUint64(b[offLogfileBufferCallback:], c.BufferCallback)
	le.PutUint64(b[offLogfileEventCallback:], c.EventCallback)
	le.PutUint64(b[offLogfileContext:], c.Context)
	return b
}

// encodeEventDescriptor returns the 16-byte EVENT_DESCRIPTOR.
func encodeEventDescriptor(id uint16, version, channel, level, opcode uint8, task uint16, keyword uint64) []byte {
	b := make([]byte, sizeEventDescriptor)
	binary.LittleEndian.PutUint16(b[0:], id)
	b[2], b[3], b[4], b[5] = version, channel, level, opcode
	binary.LittleEndian.PutUint16(b[6:], task)
	binary.LittleEndian.PutUint64(b[8:], keyword)
	return b
}

// EVENT_DATA_DESCRIPTOR types (evntprov.h).
const (
	dataDescUserData         uint32 = 0
	dataDescEventMetadata    uint32 = 1
	dataDescProviderMetadata uint32 = 2
	traceLoggingChannel      uint8  = 11
)

// appendDataDescriptor appends one 16-byte EVENT_DATA_DESCRIPTOR {Ptr u64, Size u32, Type u32}.
func appendDataDescriptor(b []byte, ptr uint64, size, typ uint32) []byte {
	b = binary.LittleEndian.AppendUint64(b, ptr)
	b = binary.LittleEndian.AppendUint32(b, size)
	return binary.LittleEndian.AppendUint32(b, typ)
}
