package decoders

import (
	"fmt"
	"strings"
)

// NTSTATUS names (EVENTS.md §1.9, §3.2, §3.3, §6.8 and the common file statuses).
var statusNames = map[uint32]string{
	0x00000000: "STATUS_SUCCESS",
	0x00000080: "STATUS_ABANDONED",
	0x000000C0: "STATUS_USER_APC",
	0x00000101: "STATUS_ALERTED",
	0x00000102: "STATUS_TIMEOUT",
	0x00000103: "STATUS_PENDING",
	0x00000104: "STATUS_REPARSE",
	0x00000105: "STATUS_MORE_ENTRIES",
	0x0000010B: "STATUS_NOTIFY_CLEANUP",
	0x0000010C: "STATUS_NOTIFY_ENUM_DIR",
	0x80000005: "STATUS_BUFFER_OVERFLOW",
	0x80000006: "STATUS_NO_MORE_FILES",
	0xC0000002: "STATUS_NOT_IMPLEMENTED",
	0xC0000003: "STATUS_INVALID_INFO_CLASS",
	0xC0000004: "STATUS_INFO_LENGTH_MISMATCH",
	0xC0000008: "STATUS_INVALID_HANDLE",
	0xC000000D: "STATUS_INVALID_PARAMETER",
	0xC000000F: "STATUS_NO_SUCH_FILE",
	0xC0000010: "STATUS_INVALID_DEVICE_REQUEST",
	0xC0000011: "STATUS_END_OF_FILE",
	0xC0000022: "STATUS_ACCESS_DENIED",
	0xC0000023: "STATUS_BUFFER_TOO_SMALL",
	0xC0000024: "STATUS_OBJECT_TYPE_MISMATCH",
	0xC0000033: "STATUS_OBJECT_NAME_INVALID",
	0xC0000034: "STATUS_OBJECT_NAME_NOT_FOUND",
	0xC0000035: "STATUS_OBJECT_NAME_COLLISION",
	0xC0000037: "STATUS_PORT_DISCONNECTED",
	0xC000003A: "STATUS_OBJECT_PATH_NOT_FOUND",
	0xC0000041: "STATUS_PORT_CONNECTION_REFUSED",
	0xC0000043: "STATUS_SHARING_VIOLATION",
	0xC0000056: "STATUS_DELETE_PENDING",
	0xC0000061: "STATUS_PRIVILEGE_NOT_HELD",
	0xC000009A: "STATUS_INSUFFICIENT_RESOURCES",
	0xC00000AB: "STATUS_INSTANCE_NOT_AVAILABLE",
	0xC00000AC: "STATUS_PIPE_NOT_AVAILABLE",
	0xC00000AD: "STATUS_INVALID_PIPE_STATE",
	0xC00000AE: "STATUS_PIPE_BUSY",
	0xC00000AF: "STATUS_ILLEGAL_FUNCTION",
	0xC00000B0: "STATUS_PIPE_DISCONNECTED",
	0xC00000B1: "STATUS_PIPE_CLOSING",
	0xC00000B2: "STATUS_PIPE_CONNECTED",
	0xC00000B3: "STATUS_PIPE_LISTENING",
	0xC00000B4: "STATUS_INVALID_READ_MODE",
	0xC00000B5: "STATUS_IO_TIMEOUT",
	0xC00000BA: "STATUS_FILE_IS_A_DIRECTORY",
	0xC00000BB: "STATUS_NOT_SUPPORTED",
	0xC00000BE: "STATUS_BAD_NETWORK_PATH",
	0xC00000CC: "STATUS_BAD_NETWORK_NAME",
	0xC00000D9: "STATUS_PIPE_EMPTY",
	0xC0000103: "STATUS_NOT_A_DIRECTORY",
	0xC000010A: "STATUS_PROCESS_IS_TERMINATING",
	0xC000010D: "STATUS_CANNOT_IMPERSONATE",
	0xC0000120: "STATUS_CANCELLED",
	0xC0000128: "STATUS_FILE_CLOSED",
	0xC000014B: "STATUS_PIPE_BROKEN",
	0xC0000225: "STATUS_NOT_FOUND",
}

// StatusName returns the symbolic name of an NTSTATUS ("STATUS_PIPE_BUSY"),
// or its hexadecimal form ("0xC0001234") when it is not in the table.
func StatusName(s uint32) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("0x%08X", s)
}

// KnownStatus reports whether StatusName has a symbolic name for s.
func KnownStatus(s uint32) bool { _, ok := statusNames[s]; return ok }

// FSCTL is a decoded file-system control code (EVENTS.md §3.3, §3.4):
// CTL_CODE(DeviceType, Function, Method, Access).
type FSCTL struct {
	Code       uint32 `json:"code"`
	DeviceType uint16 `json:"device_type"`
	Function   uint16 `json:"function"`
	Method     uint8  `json:"method"` // 0 BUFFERED, 1 IN_DIRECT, 2 OUT_DIRECT, 3 NEITHER
	Access     uint8  `json:"access"` // 0 ANY, 1 READ_DATA, 2 WRITE_DATA, 3 READ|WRITE
	Name       string `json:"name"`   // "FSCTL_PIPE_LISTEN", "" when unknown
}

// Device types used in FSCTL codes.
const (
	FileDeviceFileSystem        = 0x09
	FileDeviceMailslot          = 0x0C
	FileDeviceNamedPipe         = 0x11
	FileDeviceNetworkFileSystem = 0x14
)

// IsPipe reports whether the code is a named-pipe FSCTL (device type 0x11).
func (f FSCTL) IsPipe() bool { return f.DeviceType == FileDeviceNamedPipe }

var fsctlNames = map[uint32]string{
	// Named pipes (EVENTS.md §3.3).
	0x00110000: "FSCTL_PIPE_ASSIGN_EVENT",
	0x00110004: "FSCTL_PIPE_DISCONNECT",
	0x00110008: "FSCTL_PIPE_LISTEN",
	0x0011400C: "FSCTL_PIPE_PEEK",
	0x00110010: "FSCTL_PIPE_QUERY_EVENT",
	0x0011C017: "FSCTL_PIPE_TRANSCEIVE",
	0x00110018: "FSCTL_PIPE_WAIT",
	0x0011001C: "FSCTL_PIPE_IMPERSONATE",
	0x00110020: "FSCTL_PIPE_SET_CLIENT_PROCESS",
	0x00110024: "FSCTL_PIPE_QUERY_CLIENT_PROCESS",
	0x00110028: "FSCTL_PIPE_GET_PIPE_ATTRIBUTE",
	0x0011002C: "FSCTL_PIPE_SET_PIPE_ATTRIBUTE",
	0x00110030: "FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE",
	0x00110034: "FSCTL_PIPE_SET_CONNECTION_ATTRIBUTE",
	0x00110038: "FSCTL_PIPE_GET_HANDLE_ATTRIBUTE",
	0x0011003C: "FSCTL_PIPE_SET_HANDLE_ATTRIBUTE",
	0x00118040: "FSCTL_PIPE_FLUSH",
	0x00110044: "FSCTL_PIPE_DISABLE_IMPERSONATE",
	0x00118048: "FSCTL_PIPE_SILO_ARRIVAL",
	0x0011004C: "FSCTL_PIPE_CREATE_SYMLINK",
	0x00110050: "FSCTL_PIPE_DELETE_SYMLINK",
	0x00110054: "FSCTL_PIPE_QUERY_CLIENT_PROCESS_V2",
	0x00115FF4: "FSCTL_PIPE_INTERNAL_READ",
	0x00119FF8: "FSCTL_PIPE_INTERNAL_WRITE",
	0x0011DFFF: "FSCTL_PIPE_INTERNAL_TRANSCEIVE",
	0x00116000: "FSCTL_PIPE_INTERNAL_READ_OVFLOW",
	// File systems (values computed with CTL_CODE(9, fn, method, access)).
	0x00090018: "FSCTL_LOCK_VOLUME",
	0x0009001C: "FSCTL_UNLOCK_VOLUME",
	0x00090020: "FSCTL_DISMOUNT_VOLUME",
	0x00090028: "FSCTL_IS_VOLUME_MOUNTED",
	0x00090060: "FSCTL_FILESYSTEM_GET_STATISTICS",
	0x00090073: "FSCTL_GET_RETRIEVAL_POINTERS",
	0x0009009C: "FSCTL_GET_OBJECT_ID",
	0x000900A4: "FSCTL_SET_REPARSE_POINT",
	0x000900A8: "FSCTL_GET_REPARSE_POINT",
	0x000900BB: "FSCTL_READ_USN_JOURNAL",
	0x000900C4: "FSCTL_SET_SPARSE",
	0x000940CF: "FSCTL_QUERY_ALLOCATED_RANGES",
	0x000900EB: "FSCTL_READ_FILE_USN_DATA",
	0x000900F4: "FSCTL_QUERY_USN_JOURNAL",
	0x00090240: "FSCTL_REQUEST_OPLOCK",
}

// DecodeFSCTL splits an FSCTL code (the InfoClass of FSControl events, §3.4).
func DecodeFSCTL(code uint32) FSCTL {
	return FSCTL{
		Code:       code,
		DeviceType: uint16(code >> 16),
		Access:     uint8(code>>14) & 3,
		Function:   uint16(code>>2) & 0xFFF,
		Method:     uint8(code & 3),
		Name:       fsctlNames[code],
	}
}

// FSCTLCode builds CTL_CODE(deviceType, function, method, access).
func FSCTLCode(deviceType uint16, function uint16, method, access uint8) uint32 {
	return uint32(deviceType)<<16 | uint32(access&3)<<14 | uint32(function&0xFFF)<<2 | uint32(method&3)
}

var methodNames = [4]string{"METHOD_BUFFERED", "METHOD_IN_DIRECT", "METHOD_OUT_DIRECT", "METHOD_NEITHER"}
var accessNames = [4]string{"FILE_ANY_ACCESS", "FILE_READ_DATA", "FILE_WRITE_DATA", "FILE_READ_DATA|FILE_WRITE_DATA"}

// MethodName names the transfer method.
func (f FSCTL) MethodName() string { return methodNames[f.Method&3] }

// AccessName names the required access.
func (f FSCTL) AccessName() string { return accessNames[f.Access&3] }

// String gives the name, or CTL_CODE(dev, fn, method, access) for unknown codes.
func (f FSCTL) String() string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("CTL_CODE(0x%X, %d, %s, %s)", f.DeviceType, f.Function, f.MethodName(), f.AccessName())
}

// Create dispositions: the high byte of FileIo Create CreateOptions (§1.7.2).
var dispositionNames = [...]string{"FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE", "FILE_OPEN_IF", "FILE_OVERWRITE", "FILE_OVERWRITE_IF"}

// DispositionName names a CreateDisposition value ("FILE_OPEN", …).
func DispositionName(d uint8) string {
	if int(d) < len(dispositionNames) {
		return dispositionNames[d]
	}
	return fmt.Sprintf("disposition(%d)", d)
}

// NtCreateFile CreateOptions flags (the low 24 bits of FileIo CreateOptions).
var createOptionNames = []struct {
	bit  uint32
	name string
}{
	{0x00000001, "FILE_DIRECTORY_FILE"},
	{0x00000002, "FILE_WRITE_THROUGH"},
	{0x00000004, "FILE_SEQUENTIAL_ONLY"},
	{0x00000008, "FILE_NO_INTERMEDIATE_BUFFERING"},
	{0x00000010, "FILE_SYNCHRONOUS_IO_ALERT"},
	{0x00000020, "FILE_SYNCHRONOUS_IO_NONALERT"},
	{0x00000040, "FILE_NON_DIRECTORY_FILE"},
	{0x00000080, "FILE_CREATE_TREE_CONNECTION"},
	{0x00000100, "FILE_COMPLETE_IF_OPLOCKED"},
	{0x00000200, "FILE_NO_EA_KNOWLEDGE"},
	{0x00000400, "FILE_OPEN_REMOTE_INSTANCE"},
	{0x00000800, "FILE_RANDOM_ACCESS"},
	{0x00001000, "FILE_DELETE_ON_CLOSE"},
	{0x00002000, "FILE_OPEN_BY_FILE_ID"},
	{0x00004000, "FILE_OPEN_FOR_BACKUP_INTENT"},
	{0x00008000, "FILE_NO_COMPRESSION"},
	{0x00010000, "FILE_OPEN_REQUIRING_OPLOCK"},
	{0x00100000, "FILE_RESERVE_OPFILTER"},
	{0x00200000, "FILE_OPEN_REPARSE_POINT"},
	{0x00400000, "FILE_OPEN_NO_RECALL"},
	{0x00800000, "FILE_OPEN_FOR_FREE_SPACE_QUERY"},
}

// CreateOptionNames names the flags in the low 24 bits of CreateOptions;
// unknown bits are given in hex.
func CreateOptionNames(opts uint32) []string {
	opts &= 0x00FFFFFF
	var out []string
	for _, o := range createOptionNames {
		if opts&o.bit != 0 {
			out = append(out, o.name)
			opts &^= o.bit
		}
	}
	if opts != 0 {
		out = append(out, fmt.Sprintf("0x%X", opts))
	}
	return out
}

// ShareAccessNames names FILE_SHARE_* bits.
func ShareAccessNames(s uint32) string {
	var out []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{1, "FILE_SHARE_READ"}, {2, "FILE_SHARE_WRITE"}, {4, "FILE_SHARE_DELETE"}} {
		if s&b.bit != 0 {
			out = append(out, b.name)
			s &^= b.bit
		}
	}
	if s != 0 {
		out = append(out, fmt.Sprintf("0x%X", s))
	}
	return strings.Join(out, "|")
}

// FILE_INFORMATION_CLASS names (the pipe classes 23–25 are the ones §3.2 uses).
var infoClassNames = map[uint32]string{
	1: "FileDirectoryInformation", 2: "FileFullDirectoryInformation", 3: "FileBothDirectoryInformation",
	4: "FileBasicInformation", 5: "FileStandardInformation", 6: "FileInternalInformation",
	7: "FileEaInformation", 8: "FileAccessInformation", 9: "FileNameInformation",
	10: "FileRenameInformation", 11: "FileLinkInformation", 12: "FileNamesInformation",
	13: "FileDispositionInformation", 14: "FilePositionInformation", 15: "FileFullEaInformation",
	16: "FileModeInformation", 17: "FileAlignmentInformation", 18: "FileAllInformation",
	19: "FileAllocationInformation", 20: "FileEndOfFileInformation", 21: "FileAlternateNameInformation",
	22: "FileStreamInformation", 23: "FilePipeInformation", 24: "FilePipeLocalInformation",
	25: "FilePipeRemoteInformation", 26: "FileMailslotQueryInformation", 27: "FileMailslotSetInformation",
	28: "FileCompressionInformation", 29: "FileObjectIdInformation", 30: "FileCompletionInformation",
	31: "FileMoveClusterInformation", 32: "FileQuotaInformation", 33: "FileReparsePointInformation",
	34: "FileNetworkOpenInformation", 35: "FileAttributeTagInformation", 36: "FileTrackingInformation",
	37: "FileIdBothDirectoryInformation", 38: "FileIdFullDirectoryInformation",
	39: "FileValidDataLengthInformation", 40: "FileShortNameInformation",
	64: "FileDispositionInformationEx", 65: "FileRenameInformationEx",
}

// InfoClassName names a FILE_INFORMATION_CLASS value, or "" when unknown.
func InfoClassName(c uint32) string { return infoClassNames[c] }
