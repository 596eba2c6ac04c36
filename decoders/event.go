package decoders

import (
	"github.com/ipctrace/ipctrace/etw"
)

// Key identifies a decoder: the provider or kernel class GUID, the event id
// (manifest/TraceLogging) or opcode (kernel classic events), and the version.
// docs/events.md#conventions.
type Key struct {
	Provider etw.GUID
	// Manifest is true for EVENT_HEADER events keyed by event id; false for
	// kernel and classic events keyed by opcode.
	Manifest bool
	ID       uint16 // event id when Manifest, opcode otherwise
	Version  uint16
}

// Decoded is one typed event together with the record facts correlation needs.
type Decoded struct {
	Key       Key
	Time      int64  // FILETIME (100 ns since 1601-01-01 UTC)
	PID, TID  uint32 // record header; 0xFFFFFFFF when logged in arbitrary context
	Processor uint16
	// Layout is the Index plus one of the Entry that decoded Event, 0 when
	// not known (no Parser, no Event, or an Event without a layout, as
	// TraceLogging ones). Whoever replaces Event with one of another type
	// sets Layout to 0. It lets a consumer tell the type from a table
	// instead of a type switch.
	Layout     uint16
	ActivityID etw.GUID
	Event      Event
}

// Event is a typed event. Every concrete type below is a pointer-receiver
// struct; the Parser returns pointers into storage it reuses (zero
// allocations for fixed layouts), so callers that keep an event copy the
// struct they need.
type Event interface {
	// EventName is a stable, human name such as "FileIo/Create".
	EventName() string
}

// Op values name the operation of the shared-layout FileIo, MapFile, ALPC,
// Process, Thread and Image events. They equal the classic kernel opcodes
// (docs/events.md#process to docs/events.md#alpc), so Kernel-File manifest events are mapped onto the
// classic opcode of the same operation.
type Op uint8

// FileIo opcodes (docs/events.md#fileio-opcodes).
const (
	OpFileName        Op = 0
	OpFileCreateName  Op = 32
	OpFileDeleteName  Op = 35
	OpFileRundown     Op = 36
	OpMapFile         Op = 37
	OpUnmapFile       Op = 38
	OpMapFileDCStart  Op = 39
	OpMapFileDCEnd    Op = 40
	OpCreate          Op = 64
	OpCleanup         Op = 65
	OpClose           Op = 66
	OpRead            Op = 67
	OpWrite           Op = 68
	OpSetInfo         Op = 69
	OpDelete          Op = 70
	OpRename          Op = 71
	OpDirEnum         Op = 72
	OpFlush           Op = 73
	OpQueryInfo       Op = 74
	OpFSControl       Op = 75
	OpOperationEnd    Op = 76
	OpDirNotify       Op = 77
	OpDeletePath      Op = 79
	OpRenamePath      Op = 80
	OpSetLinkPath     Op = 81
	OpSetSecurity     Op = 200 // Kernel-File 31 (no classic opcode)
	OpQuerySecurity   Op = 201 // Kernel-File 32
	OpSetEA           Op = 202 // Kernel-File 33
	OpQueryEA         Op = 203 // Kernel-File 34
	OpRename29        Op = 204 // Kernel-File 29
	OpCreateNewFile   Op = 205 // Kernel-File 30 (Create layout)
	OpProcessStart    Op = 1   // Process/Thread/Image share 1..4
	OpProcessEnd      Op = 2
	OpProcessDCStart  Op = 3
	OpProcessDCEnd    Op = 4
	OpImageLoad       Op = 10
	OpProcessDefunct  Op = 39
	OpAlpcSend        Op = 33
	OpAlpcReceive     Op = 34
	OpAlpcWaitReply   Op = 35
	OpAlpcWaitNewMsg  Op = 36
	OpAlpcUnwait      Op = 37
	OpAlpcConnectReq  Op = 38
	OpAlpcConnectOK   Op = 39
	OpAlpcConnectFail Op = 40
	OpAlpcClosePort   Op = 41
)

// FileCreate is FileIo Create (64) and Kernel-File Create (12) / CreateNewFile (30).
// docs/events.md#fileio-v3, docs/events.md#kernel-file.
type FileCreate struct {
	Op             Op     `json:"op"`
	IrpPtr         uint64 `json:"irp"`
	FileObject     uint64 `json:"file_object"`
	TTID           uint32 `json:"ttid"`
	CreateOptions  uint32 `json:"create_options"`
	FileAttributes uint32 `json:"file_attributes"`
	ShareAccess    uint32 `json:"share_access"`
	OpenPath       string `json:"open_path"`
}

// Disposition is the NtCreateFile CreateDisposition: the high byte of CreateOptions.
func (e *FileCreate) Disposition() uint8 { return uint8(e.CreateOptions >> 24) }

// FileSimpleOp is FileIo Cleanup (65), Close (66), Flush (73) and their Kernel-File twins.
type FileSimpleOp struct {
	Op         Op     `json:"op"`
	IrpPtr     uint64 `json:"irp"`
	FileObject uint64 `json:"file_object"`
	FileKey    uint64 `json:"file_key"`
	TTID       uint32 `json:"ttid"`
}

// FileReadWrite is FileIo Read (67) / Write (68) and Kernel-File Read (15) / Write (16).
type FileReadWrite struct {
	Op            Op     `json:"op"`
	Offset        uint64 `json:"offset"`
	IrpPtr        uint64 `json:"irp"`
	FileObject    uint64 `json:"file_object"`
	FileKey       uint64 `json:"file_key"`
	TTID          uint32 `json:"ttid"`
	IoSize        uint32 `json:"io_size"`
	IoFlags       uint32 `json:"io_flags"`
	ExtraFlags    uint32 `json:"extra_flags"`
	HasExtraFlags bool   `json:"has_extra_flags"`
}

// FileInfo is the Info layout: SetInfo, Delete, Rename, QueryInfo, FSControl
// (InfoClass = FSCTL code, docs/events.md#fsctl-code) and the Kernel-File events that share it.
type FileInfo struct {
	Op         Op     `json:"op"`
	IrpPtr     uint64 `json:"irp"`
	FileObject uint64 `json:"file_object"`
	FileKey    uint64 `json:"file_key"`
	ExtraInfo  uint64 `json:"extra_info"`
	TTID       uint32 `json:"ttid"`
	InfoClass  uint32 `json:"info_class"`
}

// FileDirEnum is DirEnum (72) / DirNotify (77).
type FileDirEnum struct {
	Op         Op     `json:"op"`
	IrpPtr     uint64 `json:"irp"`
	FileObject uint64 `json:"file_object"`
	FileKey    uint64 `json:"file_key"`
	TTID       uint32 `json:"ttid"`
	Length     uint32 `json:"length"`
	InfoClass  uint32 `json:"info_class"`
	FileIndex  uint32 `json:"file_index"`
	FileName   string `json:"file_name"`
}

// FilePathOp is DeletePath (79), RenamePath (80), SetLinkPath (81).
type FilePathOp struct {
	Op         Op     `json:"op"`
	IrpPtr     uint64 `json:"irp"`
	FileObject uint64 `json:"file_object"`
	FileKey    uint64 `json:"file_key"`
	ExtraInfo  uint64 `json:"extra_info"`
	TTID       uint32 `json:"ttid"`
	InfoClass  uint32 `json:"info_class"`
	FileName   string `json:"file_name"`
}

// FileOpEnd is OperationEnd (76) / Kernel-File 24.
type FileOpEnd struct {
	IrpPtr    uint64 `json:"irp"`
	ExtraInfo uint64 `json:"extra_info"` // bytes transferred for Read/Write
	Status    uint32 `json:"status"`
}

// FileName is the Name layout: Name (0), FileCreate (32), FileDelete (35),
// FileRundown (36), Kernel-File NameCreate (10) / NameDelete (11).
type FileName struct {
	Op       Op     `json:"op"`
	FileKey  uint64 `json:"file_key"`
	FileName string `json:"file_name"`
}

// MapFile is MapFile (37), UnmapFile (38), MapFileDCStart (39), MapFileDCEnd (40).
// docs/events.md#mapfile.
type MapFile struct {
	Op         Op     `json:"op"`
	ViewBase   uint64 `json:"view_base"`
	FileKey    uint64 `json:"file_key"`
	MiscInfo   uint64 `json:"misc_info"`
	ViewSize   uint64 `json:"view_size"`
	ByteOffset uint64 `json:"byte_offset"` // V3 only
	ProcessID  uint32 `json:"process_id"`
}

// AlpcMessage is ALPC Send (33), Receive (34), WaitForReply (35). docs/events.md#alpc.
type AlpcMessage struct {
	Op        Op     `json:"op"`
	MessageID uint32 `json:"message_id"`
}

// AlpcWaitNewMessage is ALPC WaitForNewMessage (36).
type AlpcWaitNewMessage struct {
	IsServerPort bool   `json:"is_server_port"`
	PortName     string `json:"port_name"`
}

// AlpcUnwait is ALPC Unwait (37).
type AlpcUnwait struct {
	Status uint32 `json:"status"`
}

// AlpcRaw is an ALPC event whose layout is unknown (38–41): counted and kept raw.
type AlpcRaw struct {
	Op      Op     `json:"op"`
	Payload []byte `json:"payload"`
}

// Process is Process Start/End/DCStart/DCEnd/Defunct. docs/events.md#process.
type Process struct {
	Op                 Op     `json:"op"`
	UniqueProcessKey   uint64 `json:"unique_process_key"`
	ProcessID          uint32 `json:"process_id"`
	ParentID           uint32 `json:"parent_id"`
	SessionID          uint32 `json:"session_id"`
	ExitStatus         int32  `json:"exit_status"`
	DirectoryTableBase uint64 `json:"directory_table_base"`
	Flags              uint32 `json:"flags"`
	UserSID            string `json:"user_sid"` // S-1-… form, "" when absent
	ImageFileName      string `json:"image_file_name"`
	CommandLine        string `json:"command_line"`
	PackageFullName    string `json:"package_full_name"`
	ApplicationID      string `json:"application_id"`

	// Added: the raw UserSID field (TOKEN_USER pointer, attributes, SID
	// bytes aliasing the payload) so that encoding reproduces it.
	SID SIDField `json:"-"`
	// ExitTime follows ApplicationId in v5 (Defunct 39 v5 carries it; on
	// other v5 events the 8 trailing bytes are read the same way [I]).
	ExitTime    uint64 `json:"exit_time,omitempty"`
	HasExitTime bool   `json:"-"`
}

// Thread is Thread Start/End/DCStart/DCEnd. docs/events.md#thread.
type Thread struct {
	Op             Op     `json:"op"`
	ProcessID      uint32 `json:"process_id"`
	ThreadID       uint32 `json:"thread_id"`
	StackBase      uint64 `json:"stack_base"`
	StackLimit     uint64 `json:"stack_limit"`
	UserStackBase  uint64 `json:"user_stack_base"`
	UserStackLimit uint64 `json:"user_stack_limit"`
	StartAddr      uint64 `json:"start_addr"` // Affinity from v3
	Win32StartAddr uint64 `json:"win32_start_addr"`
	TebBase        uint64 `json:"teb_base"`
	SubProcessTag  uint32 `json:"sub_process_tag"`
	BasePriority   uint8  `json:"base_priority"`
	PagePriority   uint8  `json:"page_priority"`
	IoPriority     uint8  `json:"io_priority"`
	ThreadFlags    uint8  `json:"thread_flags"`
	ThreadName     string `json:"thread_name"`

	// Added: WaitMode of the v1 layout (signed char); HasThreadName tells
	// whether a v3 payload carried the (optional) ThreadName.
	WaitMode      int8 `json:"wait_mode,omitempty"`
	HasThreadName bool `json:"-"`
}

// Image is Image Load/Unload/DCStart/DCEnd. docs/events.md#image.
type Image struct {
	Op            Op     `json:"op"`
	ImageBase     uint64 `json:"image_base"`
	ImageSize     uint64 `json:"image_size"`
	ProcessID     uint32 `json:"process_id"`
	ImageChecksum uint32 `json:"image_checksum"`
	TimeDateStamp uint32 `json:"time_date_stamp"`
	DefaultBase   uint64 `json:"default_base"`
	FileName      string `json:"file_name"`

	// Added: v3 signature fields and the reserved words (kept for exact re-encoding).
	SignatureLevel uint8     `json:"signature_level"`
	SignatureType  uint8     `json:"signature_type"`
	Reserved0      uint32    `json:"reserved0"` // u32 in v2, u16 in v3
	Reserved       [4]uint32 `json:"reserved"`  // Reserved1..Reserved4
}

// RPCCallStart is Microsoft-Windows-RPC 5 (client) / 6 (server). docs/events.md#rpc.
type RPCCallStart struct {
	Server                bool     `json:"server"`
	InterfaceUUID         etw.GUID `json:"interface_uuid"`
	ProcNum               uint32   `json:"procnum"`
	Protocol              uint32   `json:"protocol"`
	NetworkAddress        string   `json:"network_address"`
	Endpoint              string   `json:"endpoint"`
	Options               string   `json:"options"`
	AuthenticationLevel   uint32   `json:"authentication_level"`
	AuthenticationService uint32   `json:"authentication_service"`
	ImpersonationLevel    uint32   `json:"impersonation_level"`
}

// RPCCallStop is Microsoft-Windows-RPC 7 (client) / 8 (server).
type RPCCallStop struct {
	Server bool   `json:"server"`
	Status uint32 `json:"status"`
}

// LostEvent is the LostEvent class (RTLostEvent 32, RTLostBuffer 33, RTLostFile 34). docs/events.md#lost-events.
type LostEvent struct {
	Op Op `json:"op"`
}

// SecuritySnapshot is ipctrace's own event: one IPC object and its security
// descriptor, written by `record --security` at session start and stop.
// Its provider, event name and fields are defined once in this package
// (secsnap.go) for the writer and the decoder.
type SecuritySnapshot struct {
	Phase        string `json:"phase"`       // "start" or "stop"
	ObjectType   string `json:"object_type"` // "pipe", "section", "alpc"
	Name         string `json:"name"`        // NT path, e.g. \Device\NamedPipe\X
	OwnerPID     uint32 `json:"owner_pid"`   // 0 when unknown
	Instances    uint32 `json:"instances"`   // pipes: current instances
	MaxInstances uint32 `json:"max_instances"`
	SD           []byte `json:"sd"`    // self-relative SECURITY_DESCRIPTOR, nil if unreadable
	Error        string `json:"error"` // why SD is nil
}

func (*FileCreate) EventName() string         { return "FileIo/Create" }
func (*FileSimpleOp) EventName() string       { return "FileIo/SimpleOp" }
func (*FileReadWrite) EventName() string      { return "FileIo/ReadWrite" }
func (*FileInfo) EventName() string           { return "FileIo/Info" }
func (*FileDirEnum) EventName() string        { return "FileIo/DirEnum" }
func (*FilePathOp) EventName() string         { return "FileIo/PathOp" }
func (*FileOpEnd) EventName() string          { return "FileIo/OperationEnd" }
func (*FileName) EventName() string           { return "FileIo/Name" }
func (*MapFile) EventName() string            { return "FileIo/MapFile" }
func (*AlpcMessage) EventName() string        { return "ALPC/Message" }
func (*AlpcWaitNewMessage) EventName() string { return "ALPC/WaitForNewMessage" }
func (*AlpcUnwait) EventName() string         { return "ALPC/Unwait" }
func (*AlpcRaw) EventName() string            { return "ALPC/Raw" }
func (*Process) EventName() string            { return "Process" }
func (*Thread) EventName() string             { return "Thread" }
func (*Image) EventName() string              { return "Image" }
func (*RPCCallStart) EventName() string       { return "RPC/CallStart" }
func (*RPCCallStop) EventName() string        { return "RPC/CallStop" }
func (*LostEvent) EventName() string          { return "LostEvent" }
func (*SecuritySnapshot) EventName() string   { return "IpcTrace/SecuritySnapshot" }

// ---- Types added for the remaining layouts (docs/events.md#catalog). ----

// SIDField is a SID as carried in a payload: the classic TOKEN_USER wrapper
// (docs/events.md#process) or an inline manifest win:SID (docs/events.md#manifest-providers). Raw aliases the payload.
type SIDField struct {
	HasToken   bool   `json:"-"` // the TOKEN_USER form was present (classic UserSID)
	TokenPtr   uint64 `json:"-"` // TOKEN_USER.User.Sid (a kernel pointer; meaningless)
	Attributes uint32 `json:"-"` // TOKEN_USER.User.Attributes
	TokenPad   uint32 `json:"-"` // the 4 padding bytes of TOKEN_USER on x64 (not zeroed by the kernel)
	Raw        []byte `json:"-"` // binary SID; nil when absent
	String     string `json:"sid"`
}

// SystemTime is a Windows SYSTEMTIME: Year, Month, DayOfWeek, Day, Hour,
// Minute, Second, Milliseconds.
type SystemTime [8]uint16

// TimeZoneInformation is TIME_ZONE_INFORMATION (172 bytes).
type TimeZoneInformation struct {
	Bias         int32      `json:"bias"`
	StandardName string     `json:"standard_name"`
	StandardDate SystemTime `json:"standard_date"`
	StandardBias int32      `json:"standard_bias"`
	DaylightName string     `json:"daylight_name"`
	DaylightDate SystemTime `json:"daylight_date"`
	DaylightBias int32      `json:"daylight_bias"`
}

// EventTraceHeader is the EventTrace Header event (opcode 0). docs/events.md#eventtrace.
type EventTraceHeader struct {
	BufferSize         uint32              `json:"buffer_size"`
	Version            uint32              `json:"version"`
	ProviderVersion    uint32              `json:"provider_version"`
	NumberOfProcessors uint32              `json:"number_of_processors"`
	EndTime            int64               `json:"end_time"`
	TimerResolution    uint32              `json:"timer_resolution"`
	MaximumFileSize    uint32              `json:"maximum_file_size"`
	LogFileMode        uint32              `json:"log_file_mode"`
	BuffersWritten     uint32              `json:"buffers_written"`
	StartBuffers       uint32              `json:"start_buffers"`
	PointerSize        uint32              `json:"pointer_size"`
	EventsLost         uint32              `json:"events_lost"`
	CPUSpeed           uint32              `json:"cpu_speed"`
	LoggerNamePtr      uint64              `json:"logger_name_ptr"`
	LogFileNamePtr     uint64              `json:"log_file_name_ptr"`
	TimeZone           TimeZoneInformation `json:"time_zone"`
	TimeZonePadding    uint32              `json:"padding"`
	BootTime           int64               `json:"boot_time"`
	PerfFreq           int64               `json:"perf_freq"`
	StartTime          int64               `json:"start_time"`
	ReservedFlags      uint32              `json:"reserved_flags"` // clock type
	BuffersLost        uint32              `json:"buffers_lost"`
	SessionName        string              `json:"session_name"`
	LogFileName        string              `json:"log_file_name"`
}

// EventTraceExtension is EventTrace Extension (5) / EndExtension (32).
type EventTraceExtension struct {
	Op                 Op        `json:"op"`
	GroupMasks         [8]uint32 `json:"group_masks"`
	KernelEventVersion uint32    `json:"kernel_event_version"`
}

// SystemConfigCPU is SystemConfig CPU (opcode 10). docs/events.md#systemconfig.
type SystemConfigCPU struct {
	MHz                   uint32 `json:"mhz"`
	NumberOfProcessors    uint32 `json:"number_of_processors"`
	MemSize               uint32 `json:"mem_size"`
	PageSize              uint32 `json:"page_size"`
	AllocationGranularity uint32 `json:"allocation_granularity"`
	ComputerName          string `json:"computer_name"`
	DomainName            string `json:"domain_name"`
	HyperThreadingFlag    uint64 `json:"hyper_threading_flag"`
	// v3 additions ([S], read only when present).
	HasV3                 bool   `json:"-"`
	HighestUserAddress    uint64 `json:"highest_user_address,omitempty"`
	ProcessorArchitecture uint16 `json:"processor_architecture,omitempty"`
	ProcessorLevel        uint16 `json:"processor_level,omitempty"`
	ProcessorRevision     uint16 `json:"processor_revision,omitempty"`
	PaeEnabled            uint8  `json:"pae_enabled,omitempty"`
	NxEnabled             uint8  `json:"nx_enabled,omitempty"`
	MemorySpeed           uint32 `json:"memory_speed,omitempty"`
}

// ProcessTerminate is Process Terminate (11).
type ProcessTerminate struct {
	ProcessID uint32 `json:"process_id"`
}

// ThreadSetName is Thread SetName (72).
type ThreadSetName struct {
	ProcessID  uint32 `json:"process_id"`
	ThreadID   uint32 `json:"thread_id"`
	ThreadName string `json:"thread_name"`
}

// ObjectHandle is Object CreateHandle (32) / CloseHandle (33). docs/events.md#object.
type ObjectHandle struct {
	Op         Op     `json:"op"`
	Object     uint64 `json:"object"`
	Handle     uint32 `json:"handle"`
	ObjectType uint16 `json:"object_type"`
	ObjectName string `json:"object_name"`
}

// ObjectDuplicateHandle is Object DuplicateHandle (34), pack(1).
type ObjectDuplicateHandle struct {
	Object          uint64 `json:"object"`
	SourceHandle    uint32 `json:"source_handle"`
	TargetHandle    uint32 `json:"target_handle"`
	TargetProcessID uint32 `json:"target_process_id"`
	ObjectType      uint16 `json:"object_type"`
	SourceProcessID uint32 `json:"source_process_id"`
	// HasSourceProcessID: version 2 payloads may end before SourceProcessId
	// (only v3 was observed); it is read when present.
	HasSourceProcessID bool `json:"-"`
}

// ObjectTypeDC is Object TypeDCStart (36) / TypeDCEnd (37): the type index → name map.
type ObjectTypeDC struct {
	Op         Op     `json:"op"`
	ObjectType uint16 `json:"object_type"`
	Reserved   uint16 `json:"reserved"`
	TypeName   string `json:"type_name"`
}

// ObjectHandleDC is Object HandleDCStart (38) / HandleDCEnd (39), pack(1).
type ObjectHandleDC struct {
	Op         Op     `json:"op"`
	Object     uint64 `json:"object"`
	ProcessID  uint32 `json:"process_id"`
	Handle     uint32 `json:"handle"`
	ObjectType uint16 `json:"object_type"`
	ObjectName string `json:"object_name"`
}

// ObjectLifetime is Object CreateObject (48) / DeleteObject (49).
type ObjectLifetime struct {
	Op         Op     `json:"op"`
	Object     uint64 `json:"object"`
	ObjectType uint16 `json:"object_type"`
}

// ObjectReference is Object ReferenceObject (50) / DereferenceObject (51).
type ObjectReference struct {
	Op     Op     `json:"op"`
	Object uint64 `json:"object"`
	Tag    uint32 `json:"tag"`
	Count  uint32 `json:"count"`
}

// VirtualAlloc is PageFault VirtualAlloc (98) / VirtualFree (99) and their
// DCStart/DCEnd (128/129, with CommitSize). docs/events.md#pagefault.
type VirtualAlloc struct {
	Op          Op     `json:"op"`
	BaseAddress uint64 `json:"base_address"`
	RegionSize  uint64 `json:"region_size"`
	ProcessID   uint32 `json:"process_id"`
	Flags       uint32 `json:"flags"`
	CommitSize  uint64 `json:"commit_size,omitempty"` // 128/129 only
}

// PFMappedSection is PageFault PFMappedSection create/delete (73/79, private). [S]
type PFMappedSection struct {
	Op                Op     `json:"op"`
	RangeBase         uint64 `json:"range_base"`
	RangeEnd          uint64 `json:"range_end"`
	CreatingProcessID uint32 `json:"creating_process_id"`
}

// PFSectionObject is PageFault section object create/delete (135/136, private). [S]
type PFSectionObject struct {
	Op            Op     `json:"op"`
	SectionObject uint64 `json:"section_object"`
	RangeBase     uint64 `json:"range_base"`
}

// DiskIo is DiskIo Read (10) / Write (11). docs/events.md#diskio.
type DiskIo struct {
	Op                  Op     `json:"op"`
	DiskNumber          uint32 `json:"disk_number"`
	IrpFlags            uint32 `json:"irp_flags"`
	TransferSize        uint32 `json:"transfer_size"`
	Reserved            uint32 `json:"reserved"`
	ByteOffset          uint64 `json:"byte_offset"`
	FileKey             uint64 `json:"file_key"` // "FileObject" in the schema
	Irp                 uint64 `json:"irp"`
	HighResResponseTime uint64 `json:"high_res_response_time"`
	IssuingThreadID     uint32 `json:"issuing_thread_id"` // v3
}

// DiskIoInit is DiskIo ReadInit (12), WriteInit (13), FlushInit (15).
type DiskIoInit struct {
	Op              Op     `json:"op"`
	Irp             uint64 `json:"irp"`
	IssuingThreadID uint32 `json:"issuing_thread_id"` // v3
}

// DiskIoFlush is DiskIo FlushBuffers (14).
type DiskIoFlush struct {
	DiskNumber          uint32 `json:"disk_number"`
	IrpFlags            uint32 `json:"irp_flags"`
	HighResResponseTime uint64 `json:"high_res_response_time"`
	Irp                 uint64 `json:"irp"`
	IssuingThreadID     uint32 `json:"issuing_thread_id"` // v3
}

// KernelProcessStart is Microsoft-Windows-Kernel-Process ProcessStart (1)
// and ProcessRundown (15). docs/events.md#kernel-process. Fields a version lacks are zero.
type KernelProcessStart struct {
	Rundown                     bool     `json:"rundown"`
	ProcessID                   uint32   `json:"process_id"`
	ProcessSequenceNumber       uint64   `json:"process_sequence_number"`
	CreateTime                  uint64   `json:"create_time"`
	ParentProcessID             uint32   `json:"parent_process_id"`
	ParentProcessSequenceNumber uint64   `json:"parent_process_sequence_number"`
	SessionID                   uint32   `json:"session_id"`
	Flags                       uint32   `json:"flags"`
	ProcessTokenElevationType   uint32   `json:"process_token_elevation_type"`
	ProcessTokenIsElevated      uint32   `json:"process_token_is_elevated"`
	MandatoryLabel              SIDField `json:"-"`
	MandatoryLabelSID           string   `json:"mandatory_label"`
	ImageName                   string   `json:"image_name"`
	ImageChecksum               uint32   `json:"image_checksum"`
	TimeDateStamp               uint32   `json:"time_date_stamp"`
	PackageFullName             string   `json:"package_full_name"`
	PackageRelativeAppID        string   `json:"package_relative_app_id"`
	SecurityMitigations         uint32   `json:"security_mitigations,omitempty"` // v4+
	PartitionID                 uint32   `json:"partition_id,omitempty"`         // v5+
	ProcessMachine              uint16   `json:"process_machine,omitempty"`      // v5+
}

// KernelProcessStop is Microsoft-Windows-Kernel-Process ProcessStop (2).
type KernelProcessStop struct {
	ProcessID              uint32 `json:"process_id"`
	ProcessSequenceNumber  uint64 `json:"process_sequence_number"` // v2+
	CreateTime             uint64 `json:"create_time"`
	ExitTime               uint64 `json:"exit_time"`
	ExitCode               uint32 `json:"exit_code"`
	TokenElevationType     uint32 `json:"token_elevation_type"`
	HandleCount            uint32 `json:"handle_count"`
	CommitCharge           uint64 `json:"commit_charge"`
	CommitPeak             uint64 `json:"commit_peak"`
	CPUCycleCount          uint64 `json:"cpu_cycle_count"`
	ReadOperationCount     uint32 `json:"read_operation_count"`
	WriteOperationCount    uint32 `json:"write_operation_count"`
	ReadTransferKiloBytes  uint32 `json:"read_transfer_kilobytes"`
	WriteTransferKiloBytes uint32 `json:"write_transfer_kilobytes"`
	HardFaultCount         uint32 `json:"hard_fault_count"`
	ImageName              string `json:"image_name"`
}

// KernelThread is Microsoft-Windows-Kernel-Process ThreadStart (3) / ThreadStop (4).
type KernelThread struct {
	Stop           bool   `json:"stop"`
	ProcessID      uint32 `json:"process_id"`
	ThreadID       uint32 `json:"thread_id"`
	StackBase      uint64 `json:"stack_base"`
	StackLimit     uint64 `json:"stack_limit"`
	UserStackBase  uint64 `json:"user_stack_base"`
	UserStackLimit uint64 `json:"user_stack_limit"`
	StartAddr      uint64 `json:"start_addr"`
	Win32StartAddr uint64 `json:"win32_start_addr"`
	TebBase        uint64 `json:"teb_base"`
	SubProcessTag  uint32 `json:"sub_process_tag"`
	CycleTime      uint64 `json:"cycle_time,omitempty"` // ThreadStop v1
}

// KernelImage is Microsoft-Windows-Kernel-Process ImageLoad (5) / ImageUnload (6).
type KernelImage struct {
	Unload        bool   `json:"unload"`
	ImageBase     uint64 `json:"image_base"`
	ImageSize     uint64 `json:"image_size"`
	ProcessID     uint32 `json:"process_id"`
	ImageCheckSum uint32 `json:"image_checksum"`
	TimeDateStamp uint32 `json:"time_date_stamp"`
	DefaultBase   uint64 `json:"default_base"`
	ImageName     string `json:"image_name"`
}

// KernelWorkOnBehalf is Microsoft-Windows-Kernel-Process ThreadWorkOnBehalfUpdate (21). [I]
type KernelWorkOnBehalf struct {
	OldWorkOnBehalfThreadID uint32 `json:"old_work_on_behalf_thread_id"`
	NewWorkOnBehalfThreadID uint32 `json:"new_work_on_behalf_thread_id"`
}

// RPCClientCallError is Microsoft-Windows-RPC 1 (extended error information). docs/events.md#rpc.
type RPCClientCallError struct {
	ImageName           string     `json:"image_name"`
	ComputerName        string     `json:"computer_name"`
	ProcessID           uint32     `json:"process_id"`
	TimeStamp           SystemTime `json:"timestamp"`
	GeneratingComponent uint32     `json:"generating_component"`
	Status              uint32     `json:"status"`
	DetectionLocation   uint16     `json:"detection_location"`
	Flags               uint16     `json:"flags"`
	NumberOfParameters  uint16     `json:"number_of_parameters"`
	Params              uint64     `json:"params"`
}

// RPCServerCallFiltered is Microsoft-Windows-RPC 2 (RPC filter hit [I]).
type RPCServerCallFiltered struct {
	ImageName     string   `json:"image_name"`
	InterfaceUUID etw.GUID `json:"interface_uuid"`
	FilterKey     etw.GUID `json:"filter_key"`
}

// RPCError is Microsoft-Windows-RPC 3.
type RPCError struct {
	ImageName         string `json:"image_name"`
	DetectionLocation uint16 `json:"detection_location"`
	Status            uint32 `json:"status"`
	AdditionalData1   uint32 `json:"additional_data1"`
	AdditionalData2   uint32 `json:"additional_data2"`
}

// RPCStatus is Microsoft-Windows-RPC 9 and 17 (a bare status).
type RPCStatus struct {
	ID     uint16 `json:"id"`
	Status uint32 `json:"status"`
}

// RPCInterface is Microsoft-Windows-RPC 14 (interface registration, with its
// security descriptor [I]) and 15 (unregistration, no SD).
type RPCInterface struct {
	Unregister    bool     `json:"unregister"`
	InterfaceUUID etw.GUID `json:"interface_uuid"`
	TypeMgrUUID   etw.GUID `json:"type_mgr_uuid"`
	Flags         uint32   `json:"flags"`
	MaxCalls      uint32   `json:"max_calls"`
	SDSize        uint32   `json:"sd_size"`
	SD            []byte   `json:"sd"` // aliases the payload
}

// RPCEndpoint is Microsoft-Windows-RPC 16 (endpoint registration [I]).
type RPCEndpoint struct {
	Protocol         string `json:"protocol"`
	Endpoint         string `json:"endpoint"`
	NetworkAddress   string `json:"network_address"`
	PendingQueueSize uint32 `json:"pending_queue_size"`
	EndpointFlags    uint32 `json:"endpoint_flags"`
	NicFlags         uint32 `json:"nic_flags"`
}

// ProbeMarker is ipctrace's own marker event written by `probe` around the
// reference traffic it generates (secsnap.go defines its fields).
type ProbeMarker struct {
	ProbeID string `json:"probe_id"`
	Phase   string `json:"phase"` // "start", "stop" or "op"
	Kind    string `json:"kind"`
	Seq     uint32 `json:"seq"`
	Size    uint32 `json:"size"`
	QPC     uint64 `json:"qpc"`
}

// TraceLoggingEvent is a TraceLogging event without a typed decoder: its
// name and fields as decoded from the record's own metadata.
type TraceLoggingEvent struct {
	Name   string         `json:"name"`
	Fields map[string]any `json:"fields"`
}

func (*EventTraceHeader) EventName() string      { return "EventTrace/Header" }
func (*EventTraceExtension) EventName() string   { return "EventTrace/Extension" }
func (*SystemConfigCPU) EventName() string       { return "SystemConfig/CPU" }
func (*ProcessTerminate) EventName() string      { return "Process/Terminate" }
func (*ThreadSetName) EventName() string         { return "Thread/SetName" }
func (*ObjectHandle) EventName() string          { return "Object/Handle" }
func (*ObjectDuplicateHandle) EventName() string { return "Object/DuplicateHandle" }
func (*ObjectTypeDC) EventName() string          { return "Object/TypeDC" }
func (*ObjectHandleDC) EventName() string        { return "Object/HandleDC" }
func (*ObjectLifetime) EventName() string        { return "Object/Lifetime" }
func (*ObjectReference) EventName() string       { return "Object/Reference" }
func (*VirtualAlloc) EventName() string          { return "PageFault/VirtualAlloc" }
func (*PFMappedSection) EventName() string       { return "PageFault/MappedSection" }
func (*PFSectionObject) EventName() string       { return "PageFault/SectionObject" }
func (*DiskIo) EventName() string                { return "DiskIo/ReadWrite" }
func (*DiskIoInit) EventName() string            { return "DiskIo/Init" }
func (*DiskIoFlush) EventName() string           { return "DiskIo/FlushBuffers" }
func (*KernelProcessStart) EventName() string    { return "Kernel-Process/ProcessStart" }
func (*KernelProcessStop) EventName() string     { return "Kernel-Process/ProcessStop" }
func (*KernelThread) EventName() string          { return "Kernel-Process/Thread" }
func (*KernelImage) EventName() string           { return "Kernel-Process/Image" }
func (*KernelWorkOnBehalf) EventName() string    { return "Kernel-Process/WorkOnBehalf" }
func (*RPCClientCallError) EventName() string    { return "RPC/ClientCallError" }
func (*RPCServerCallFiltered) EventName() string { return "RPC/ServerCallFiltered" }
func (*RPCError) EventName() string              { return "RPC/Error" }
func (*RPCStatus) EventName() string             { return "RPC/Status" }
func (*RPCInterface) EventName() string          { return "RPC/Interface" }
func (*RPCEndpoint) EventName() string           { return "RPC/Endpoint" }
func (*ProbeMarker) EventName() string           { return "IpcTrace/ProbeMarker" }
func (e *TraceLoggingEvent) EventName() string   { return "TraceLogging/" + e.Name }
