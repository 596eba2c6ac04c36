package decoders

import (
	"github.com/ipctrace/ipctrace/etw"
)

// Key identifies a decoder: the provider or kernel class GUID, the event id
// (manifest/TraceLogging) or opcode (kernel classic events), and the version.
// EVENTS.md "Decoder dispatch keys".
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
	Key        Key
	Time       int64  // FILETIME (100 ns since 1601-01-01 UTC)
	PID, TID   uint32 // record header; 0xFFFFFFFF when logged in arbitrary context
	Processor  uint16
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
// (EVENTS.md §1.4–§1.9), so Kernel-File manifest events are mapped onto the
// classic opcode of the same operation.
type Op uint8

// FileIo opcodes (EVENTS.md §1.7.1).
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
// EVENTS.md §1.7.2, §2.1.
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
// (InfoClass = FSCTL code, EVENTS.md §3.4) and the Kernel-File events that share it.
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
// EVENTS.md §1.7.5.
type MapFile struct {
	Op         Op     `json:"op"`
	ViewBase   uint64 `json:"view_base"`
	FileKey    uint64 `json:"file_key"`
	MiscInfo   uint64 `json:"misc_info"`
	ViewSize   uint64 `json:"view_size"`
	ByteOffset uint64 `json:"byte_offset"` // V3 only
	ProcessID  uint32 `json:"process_id"`
}

// AlpcMessage is ALPC Send (33), Receive (34), WaitForReply (35). EVENTS.md §1.9.
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

// Process is Process Start/End/DCStart/DCEnd/Defunct. EVENTS.md §1.4.
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
}

// Thread is Thread Start/End/DCStart/DCEnd. EVENTS.md §1.5.
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
}

// Image is Image Load/Unload/DCStart/DCEnd. EVENTS.md §1.6.
type Image struct {
	Op            Op     `json:"op"`
	ImageBase     uint64 `json:"image_base"`
	ImageSize     uint64 `json:"image_size"`
	ProcessID     uint32 `json:"process_id"`
	ImageChecksum uint32 `json:"image_checksum"`
	TimeDateStamp uint32 `json:"time_date_stamp"`
	DefaultBase   uint64 `json:"default_base"`
	FileName      string `json:"file_name"`
}

// RPCCallStart is Microsoft-Windows-RPC 5 (client) / 6 (server). EVENTS.md §2.3.
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

// LostEvent is the LostEvent class (RTLostEvent 32, RTLostBuffer 33, RTLostFile 34). EVENTS.md §1.12.
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
