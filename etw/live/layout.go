package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/ipctrace/ipctrace/etw"
)

// Structure sizes on amd64/arm64 (EVENTS.md §5.1).
const (
	SizeWnodeHeader           = 48
	SizeEventTraceProperties  = 120
	SizeEventDescriptor       = 16
	SizeEventHeader           = 80
	SizeEventRecord           = 112
	SizeExtendedDataItem      = 16
	SizeTraceLogfileHeader    = 280
	SizeEventTraceLogfile     = 448
	SizeEnableTraceParameters = 48
	SizeFilterDescriptor      = 16
	SizeGroupMask             = 32
)

// Field offsets of EVENT_TRACE_PROPERTIES (WNODE_HEADER first) on x64 (EVENTS.md §5.1).
const (
	OffWnodeBufferSize        = 0
	OffWnodeProviderID        = 4
	OffWnodeHistoricalContext = 8
	OffWnodeTimeStamp         = 16
	OffWnodeGUID              = 24
	OffWnodeClientContext     = 40
	OffWnodeFlags             = 44

	OffPropBufferSize          = 48
	OffPropMinimumBuffers      = 52
	OffPropMaximumBuffers      = 56
	OffPropMaximumFileSize     = 60
	OffPropLogFileMode         = 64
	OffPropFlushTimer          = 68
	OffPropEnableFlags         = 72
	OffPropAgeLimit            = 76
	OffPropNumberOfBuffers     = 80
	OffPropFreeBuffers         = 84
	OffPropEventsLost          = 88
	OffPropBuffersWritten      = 92
	OffPropLogBuffersLost      = 96
	OffPropRealTimeBuffersLost = 100
	OffPropLoggerThreadID      = 104
	OffPropLogFileNameOffset   = 112
	OffPropLoggerNameOffset    = 116
)

// Field offsets of EVENT_HEADER, EVENT_RECORD, EVENT_TRACE_LOGFILEW,
// TRACE_LOGFILE_HEADER and ENABLE_TRACE_PARAMETERS on x64 (EVENTS.md §5.1).
const (
	OffHdrSize            = 0
	OffHdrHeaderType      = 2
	OffHdrFlags           = 4
	OffHdrEventProperty   = 6
	OffHdrThreadID        = 8
	OffHdrProcessID       = 12
	OffHdrTimeStamp       = 16
	OffHdrProviderID      = 24
	OffHdrDescriptor      = 40 // EVENT_DESCRIPTOR: Id u16, Version u8, Channel u8, Level u8, Opcode u8, Task u16, Keyword u64
	OffHdrKernelTime      = 56
	OffHdrUserTime        = 60
	OffHdrActivityID      = 64
	OffRecProcessorNumber = 80
	OffRecAlignment       = 81
	OffRecLoggerID        = 82
	OffRecExtDataCount    = 84
	OffRecUserDataLength  = 86
	OffRecExtendedData    = 88
	OffRecUserData        = 96
	OffRecUserContext     = 104

	OffLogfileLogFileName      = 0
	OffLogfileLoggerName       = 8
	OffLogfileCurrentTime      = 16
	OffLogfileBuffersRead      = 24
	OffLogfileProcessTraceMode = 28
	OffLogfileCurrentEvent     = 32
	OffLogfileHeader           = 120
	OffLogfileBufferCallback   = 400
	OffLogfileBufferSize       = 408
	OffLogfileFilled           = 412
	OffLogfileEventsLost       = 416
	OffLogfileEventCallback    = 424
	OffLogfileIsKernelTrace    = 432
	OffLogfileContext          = 440

	OffTLHBufferSize    = 0
	OffTLHVersion       = 4
	OffTLHPointerSize   = 44
	OffTLHEventsLost    = 48
	OffTLHLoggerName    = 56
	OffTLHLogFileName   = 64
	OffTLHTimeZone      = 72
	OffTLHBootTime      = 248
	OffTLHPerfFreq      = 256
	OffTLHStartTime     = 264
	OffTLHReservedFlags = 272
	OffTLHBuffersLost   = 276

	OffEnableVersion          = 0
	OffEnableProperty         = 4
	OffEnableControlFlags     = 8
	OffEnableSourceID         = 12
	OffEnableFilterDesc       = 32
	OffEnableFilterDescCount  = 40
	EnableTraceParametersVer2 = 2
)

// WNODE_HEADER.Flags and ClientContext values (EVENTS.md §5.1).
const (
	WnodeFlagTracedGUID           uint32 = 0x00020000
	WnodeFlagVersionedProperties  uint32 = 0x00800000
	ClockQPC                      uint32 = 1
	ClockSystemTime               uint32 = 2
	ClockCPUCycle                 uint32 = 3
	DefaultBufferSizeKB           uint32 = 64
	maxSessionNameChars                  = 1024
	maxLogFileNameChars                  = 32767
	propertiesNameAlign                  = 8
	ProcessTraceModeRealTime      uint32 = 0x00000100
	ProcessTraceModeRawTimestamp  uint32 = 0x00001000
	ProcessTraceModeEventRecord   uint32 = 0x10000000
	InvalidProcessTraceHandle     uint64 = 0xFFFFFFFFFFFFFFFF
	ControlTraceQuery             uint32 = 0
	ControlTraceStop              uint32 = 1
	ControlTraceUpdate            uint32 = 2
	ControlTraceFlush             uint32 = 3
	EnableDisableProvider         uint32 = 0
	EnableEnableProvider          uint32 = 1
	EnableCaptureState            uint32 = 2
	TraceStackTracingInfo         uint32 = 3
	TraceSystemTraceEnableFlags   uint32 = 4
	LevelInformational            uint8  = 4
	EventHeaderFlagExtendedInfo   uint16 = 0x0001
	EventHeaderFlagPrivateSession uint16 = 0x0002
	EventHeaderFlagStringOnly     uint16 = 0x0004
	EventHeaderFlagTraceMessage   uint16 = 0x0008
	EventHeaderFlagNoCPUTime      uint16 = 0x0010
	EventHeaderFlag32BitHeader    uint16 = 0x0020
	EventHeaderFlag64BitHeader    uint16 = 0x0040
	EventHeaderFlagClassicHeader  uint16 = 0x0100
	EventHeaderFlagProcessorIndex uint16 = 0x0200
)

// EnableFlags (EVENT_TRACE_FLAG_*, EVENTS.md §5.2).
const (
	FlagProcess      uint32 = 0x00000001
	FlagThread       uint32 = 0x00000002
	FlagImageLoad    uint32 = 0x00000004
	FlagDiskIO       uint32 = 0x00000100
	FlagDiskFileIO   uint32 = 0x00000200
	FlagVirtualAlloc uint32 = 0x00004000
	FlagVAMap        uint32 = 0x00008000
	FlagALPC         uint32 = 0x00100000
	FlagFileIO       uint32 = 0x02000000
	FlagFileIOInit   uint32 = 0x04000000
	FlagNoSysConfig  uint32 = 0x10000000

	// DefaultEnableFlags is ipctrace's full kernel flag set:
	// Process|Thread|Image|DiskFileIo|VaMap|ALPC|FileIo|FileIoInit.
	DefaultEnableFlags = FlagProcess | FlagThread | FlagImageLoad | FlagDiskFileIO |
		FlagVAMap | FlagALPC | FlagFileIO | FlagFileIOInit
)

// LogFileMode values (EVENTS.md §5.2).
const (
	ModeFileSequential   uint32 = 0x00000001
	ModeFileCircular     uint32 = 0x00000002
	ModeFileAppend       uint32 = 0x00000004
	ModeFileNewFile      uint32 = 0x00000008
	ModeRealTime         uint32 = 0x00000100
	ModeBuffering        uint32 = 0x00000400
	ModeUseKBytesForSize uint32 = 0x00002000
	ModeUsePagedMemory   uint32 = 0x01000000
	ModeSystemLogger     uint32 = 0x02000000
)

// Group-mask constants (ntwmi.h; EVENTS.md §5.3). The top 3 bits give the Masks index.
const (
	PerfObHandle uint32 = 0x80000040
	PerfObObject uint32 = 0x80000080
	PerfDLLInfo  uint32 = 0x80000008
	PerfMemory   uint32 = 0x20000001
)

// Win32 error codes that the session code interprets (EVENTS.md §5.2).
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

// Session, provider and kernel class GUIDs (EVENTS.md §1.1, §2, §5.4).
var (
	SystemTraceControlGUID = etw.MustParseGUID("9e814aad-3204-11d2-9a82-006008a86939")
	KernelRundownGUID      = etw.MustParseGUID("3b9c9951-3480-4220-9377-9c8e5184f5cd")
	KernelFileGUID         = etw.MustParseGUID("edd08927-9cc4-4e65-b970-c2560fb5c289")
	KernelProcessGUID      = etw.MustParseGUID("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716")
	RPCGUID                = etw.MustParseGUID("6ad52b32-d609-4be9-ae07-ce8dae937e39")
)

// KernelClassGUIDs maps a kernel hook group to its class GUID (corpus
// README table; EVENTS.md §1.1). Real-time kernel events arrive with the
// class GUID as ProviderId; GroupOf inverts this table.
var KernelClassGUIDs = [...]etw.GUID{
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

// LostEventGUID is the class of the RTLostEvent records (EVENTS.md §1.12).
var LostEventGUID = etw.MustParseGUID("6a399ae0-4bc6-4de9-870b-3657f8947e7e")

// GroupOf returns the kernel hook group of a class GUID. Image loads
// (Image class, opcode 10) keep group 0x03 as in files (corpus README).
func GroupOf(g etw.GUID, opcode uint8) (uint8, bool) {
	for i, c := range KernelClassGUIDs {
		if c == g {
			if i == 0x14 && opcode == 10 {
				return 0x03, true
			}
			return uint8(i), true
		}
	}
	return 0, false
}

// PropertiesConfig is what a caller sets in EVENT_TRACE_PROPERTIES (EVENTS.md §5.5 step 2).
type PropertiesConfig struct {
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

// ErrBadName is returned for a session or file name that cannot be encoded.
var ErrBadName = errors.New("live: invalid session or log file name")

// utf16z encodes s as NUL-terminated UTF-16LE.
func utf16z(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return nil, fmt.Errorf("%w: %q contains NUL", ErrBadName, s)
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

// EncodeProperties builds the EVENT_TRACE_PROPERTIES buffer of c: the
// 120-byte structure with Wnode.BufferSize = the total length, the session
// name at LoggerNameOffset (120) and, when c.LogFile is set, the file name
// at LogFileNameOffset (EVENTS.md §5.1 "Buffer recipe"). The result's
// length is a multiple of 8.
func EncodeProperties(c PropertiesConfig) ([]byte, error) {
	if c.SessionName == "" || len(c.SessionName) > maxSessionNameChars {
		return nil, fmt.Errorf("%w: session name %q", ErrBadName, c.SessionName)
	}
	if len(c.LogFile) > maxLogFileNameChars {
		return nil, fmt.Errorf("%w: log file name is %d bytes long", ErrBadName, len(c.LogFile))
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
	total := SizeEventTraceProperties + align8(len(name))
	fileOff := 0
	if file != nil {
		fileOff = total
		total += align8(len(file))
	}
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[OffWnodeBufferSize:], uint32(total))
	putGUID(b[OffWnodeGUID:], c.SessionGUID)
	le.PutUint32(b[OffWnodeClientContext:], c.ClockType)
	le.PutUint32(b[OffWnodeFlags:], WnodeFlagTracedGUID)
	le.PutUint32(b[OffPropBufferSize:], c.BufferSizeKB)
	le.PutUint32(b[OffPropMinimumBuffers:], c.MinBuffers)
	le.PutUint32(b[OffPropMaximumBuffers:], c.MaxBuffers)
	le.PutUint32(b[OffPropMaximumFileSize:], c.MaxFileSizeMB)
	le.PutUint32(b[OffPropLogFileMode:], c.LogFileMode)
	le.PutUint32(b[OffPropFlushTimer:], c.FlushTimer)
	le.PutUint32(b[OffPropEnableFlags:], c.EnableFlags)
	le.PutUint32(b[OffPropLoggerNameOffset:], SizeEventTraceProperties)
	copy(b[SizeEventTraceProperties:], name)
	if file != nil {
		le.PutUint32(b[OffPropLogFileNameOffset:], uint32(fileOff))
		copy(b[fileOff:], file)
	}
	return b, nil
}

// ControlBuffer returns an empty properties buffer for ControlTrace with
// room for names of up to 1024 characters each, so that ControlTrace can
// write the session's properties and names back without ERROR_MORE_DATA
// (EVENTS.md §5.7 pitfall 3). Only BufferSize and the two name offsets are set.
func ControlBuffer() []byte {
	const nameRoom = 2 * (maxSessionNameChars + 1)
	total := SizeEventTraceProperties + 2*align8(nameRoom)
	b := make([]byte, total)
	le := binary.LittleEndian
	le.PutUint32(b[OffWnodeBufferSize:], uint32(total))
	le.PutUint32(b[OffWnodeFlags:], WnodeFlagTracedGUID)
	le.PutUint32(b[OffPropLoggerNameOffset:], SizeEventTraceProperties)
	le.PutUint32(b[OffPropLogFileNameOffset:], uint32(SizeEventTraceProperties+align8(nameRoom)))
	return b
}

// Properties is what ControlTrace (QUERY, STOP, FLUSH) and QueryAllTraces
// return about a session (EVENTS.md §5.1 output fields).
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

// ErrShortProperties is returned by DecodeProperties for a buffer shorter than 120 bytes.
var ErrShortProperties = errors.New("live: EVENT_TRACE_PROPERTIES buffer too short")

// DecodeProperties reads an EVENT_TRACE_PROPERTIES buffer as Windows filled
// it. Names are read at their offsets when they lie inside b; a name offset
// outside b is reported as an error naming it, with the numeric fields
// still returned.
func DecodeProperties(b []byte) (Properties, error) {
	var p Properties
	if len(b) < SizeEventTraceProperties {
		return p, fmt.Errorf("%w: %d bytes", ErrShortProperties, len(b))
	}
	le := binary.LittleEndian
	p.BufferSize = le.Uint32(b[OffWnodeBufferSize:])
	p.SessionGUID = etw.GUIDFromBytes(b[OffWnodeGUID:])
	p.ClockType = le.Uint32(b[OffWnodeClientContext:])
	p.BufferSizeKB = le.Uint32(b[OffPropBufferSize:])
	p.MinimumBuffers = le.Uint32(b[OffPropMinimumBuffers:])
	p.MaximumBuffers = le.Uint32(b[OffPropMaximumBuffers:])
	p.MaximumFileSize = le.Uint32(b[OffPropMaximumFileSize:])
	p.LogFileMode = le.Uint32(b[OffPropLogFileMode:])
	p.FlushTimer = le.Uint32(b[OffPropFlushTimer:])
	p.EnableFlags = le.Uint32(b[OffPropEnableFlags:])
	p.NumberOfBuffers = le.Uint32(b[OffPropNumberOfBuffers:])
	p.FreeBuffers = le.Uint32(b[OffPropFreeBuffers:])
	p.EventsLost = le.Uint32(b[OffPropEventsLost:])
	p.BuffersWritten = le.Uint32(b[OffPropBuffersWritten:])
	p.LogBuffersLost = le.Uint32(b[OffPropLogBuffersLost:])
	p.RealTimeBuffersLost = le.Uint32(b[OffPropRealTimeBuffersLost:])
	p.LoggerThreadID = le.Uint64(b[OffPropLoggerThreadID:])
	var errs []error
	var err error
	if off := le.Uint32(b[OffPropLoggerNameOffset:]); off != 0 {
		if p.SessionName, err = utf16At(b, off); err != nil {
			errs = append(errs, fmt.Errorf("LoggerNameOffset %#x: %w", off, err))
		}
	}
	if off := le.Uint32(b[OffPropLogFileNameOffset:]); off != 0 {
		if p.LogFile, err = utf16At(b, off); err != nil {
			errs = append(errs, fmt.Errorf("LogFileNameOffset %#x: %w", off, err))
		}
	}
	return p, errors.Join(errs...)
}

// ErrNameOutside reports a name offset that points outside the buffer.
var ErrNameOutside = errors.New("live: name offset outside the properties buffer")

// utf16At reads a NUL-terminated UTF-16LE string at off; an unterminated
// string ends at the end of b.
func utf16At(b []byte, off uint32) (string, error) {
	if off < SizeEventTraceProperties || uint64(off) >= uint64(len(b)) {
		return "", ErrNameOutside
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

// GroupMask is PERFINFO_GROUPMASK: ULONG Masks[8] (EVENTS.md §5.3).
type GroupMask [8]uint32

// Set ORs a group-mask constant into m: the top 3 bits select the index,
// the low 29 bits are stored (PERF_MASK_INDEX / PERF_GET_MASK_*).
func (m *GroupMask) Set(constant uint32) {
	m[(constant&0xE0000000)>>29] |= constant & 0x1FFFFFFF
}

// SetRaw stores a constant as is, index bits included (fibratus's
// variant; EVENTS.md §8.1 D6 and checklist C8).
func (m *GroupMask) SetRaw(constant uint32) {
	m[(constant&0xE0000000)>>29] |= constant
}

// Encode returns the 32 bytes handed to TraceSetInformation(TraceSystemTraceEnableFlagsInfo).
func (m GroupMask) Encode() []byte {
	b := make([]byte, SizeGroupMask)
	for i, v := range m {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// EnableParameters is ENABLE_TRACE_PARAMETERS (version 2, EVENTS.md §5.1).
type EnableParameters struct {
	EnableProperty  uint32
	ControlFlags    uint32
	SourceID        etw.GUID
	FilterDesc      uint64 // address of EVENT_FILTER_DESCRIPTOR[] (set by the Windows code)
	FilterDescCount uint32
}

// Enable properties (EVENT_ENABLE_PROPERTY_*).
const (
	EnablePropertySID        uint32 = 0x1
	EnablePropertyTSID       uint32 = 0x2
	EnablePropertyStackTrace uint32 = 0x4
)

// Encode returns the 48 bytes of ENABLE_TRACE_PARAMETERS with Version = 2.
func (p EnableParameters) Encode() []byte {
	b := make([]byte, SizeEnableTraceParameters)
	le := binary.LittleEndian
	le.PutUint32(b[OffEnableVersion:], EnableTraceParametersVer2)
	le.PutUint32(b[OffEnableProperty:], p.EnableProperty)
	le.PutUint32(b[OffEnableControlFlags:], p.ControlFlags)
	putGUID(b[OffEnableSourceID:], p.SourceID)
	le.PutUint64(b[OffEnableFilterDesc:], p.FilterDesc)
	le.PutUint32(b[OffEnableFilterDescCount:], p.FilterDescCount)
	return b
}

// LogfileConfig is what a consumer sets in EVENT_TRACE_LOGFILEW (EVENTS.md
// §5.5 step 6). Pointers are addresses the Windows code keeps alive.
type LogfileConfig struct {
	LogFileName      uint64 // *uint16, file mode; 0 for real time
	LoggerName       uint64 // *uint16, real time: the session name
	ProcessTraceMode uint32
	BufferCallback   uint64
	EventCallback    uint64 // EventRecordCallback
	Context          uint64 // comes back as EVENT_RECORD.UserContext
}

// EncodeLogfile returns the 448-byte EVENT_TRACE_LOGFILEW handed to OpenTraceW.
func EncodeLogfile(c LogfileConfig) []byte {
	b := make([]byte, SizeEventTraceLogfile)
	le := binary.LittleEndian
	le.PutUint64(b[OffLogfileLogFileName:], c.LogFileName)
	le.PutUint64(b[OffLogfileLoggerName:], c.LoggerName)
	le.PutUint32(b[OffLogfileProcessTraceMode:], c.ProcessTraceMode)
	le.PutUint64(b[OffLogfileBufferCallback:], c.BufferCallback)
	le.PutUint64(b[OffLogfileEventCallback:], c.EventCallback)
	le.PutUint64(b[OffLogfileContext:], c.Context)
	return b
}

// EncodeEventDescriptor returns the 16-byte EVENT_DESCRIPTOR.
func EncodeEventDescriptor(id uint16, version, channel, level, opcode uint8, task uint16, keyword uint64) []byte {
	b := make([]byte, SizeEventDescriptor)
	binary.LittleEndian.PutUint16(b[0:], id)
	b[2], b[3], b[4], b[5] = version, channel, level, opcode
	binary.LittleEndian.PutUint16(b[6:], task)
	binary.LittleEndian.PutUint64(b[8:], keyword)
	return b
}

// EVENT_DATA_DESCRIPTOR types (evntprov.h).
const (
	DataDescUserData         uint32 = 0
	DataDescEventMetadata    uint32 = 1
	DataDescProviderMetadata uint32 = 2
	TraceLoggingChannel      uint8  = 11
)

// AppendDataDescriptor appends one 16-byte EVENT_DATA_DESCRIPTOR {Ptr u64, Size u32, Type u32}.
func AppendDataDescriptor(b []byte, ptr uint64, size, typ uint32) []byte {
	b = binary.LittleEndian.AppendUint64(b, ptr)
	b = binary.LittleEndian.AppendUint32(b, size)
	return binary.LittleEndian.AppendUint32(b, typ)
}
