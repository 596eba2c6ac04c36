package decoders

import (
	"fmt"
	"strings"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// StatusName returns the symbolic name of an NTSTATUS ("STATUS_PIPE_BUSY"),
// or its hexadecimal form ("0xC0001234") when it is not in the table
// (ntdefs.Statuses).
func StatusName(s uint32) string { return ntdefs.StatusName(s) }

// KnownStatus reports whether StatusName has a symbolic name for s.
func KnownStatus(s uint32) bool { _, ok := ntdefs.LookupStatus(s); return ok }

// FSCTL is a decoded file-system control code (docs/events.md#pipe-constants, docs/events.md#fsctl-code):
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
	FileDeviceFileSystem        = ntdefs.FileDeviceFileSystem
	FileDeviceMailslot          = ntdefs.FileDeviceMailslot
	FileDeviceNamedPipe         = ntdefs.FileDeviceNamedPipe
	FileDeviceNetworkFileSystem = ntdefs.FileDeviceNetworkFileSystem
)

// IsPipe reports whether the code is a named-pipe FSCTL (device type 0x11).
func (f FSCTL) IsPipe() bool { return f.DeviceType == FileDeviceNamedPipe }

// DecodeFSCTL splits an FSCTL code (the InfoClass of FSControl events, docs/events.md#fsctl-code)
// and names it from ntdefs.FSCTLs.
func DecodeFSCTL(code uint32) FSCTL {
	dev, fn, method, access := ntdefs.SplitCtlCode(code)
	return FSCTL{Code: code, DeviceType: dev, Function: fn, Method: method, Access: access,
		Name: ntdefs.FSCTLNameOf(code)}
}

// FSCTLCode builds CTL_CODE(deviceType, function, method, access).
func FSCTLCode(deviceType uint16, function uint16, method, access uint8) uint32 {
	return ntdefs.CtlCode(deviceType, function, method, access)
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

// DispositionName names a CreateDisposition value ("FILE_OPEN", …), the
// high byte of FileIo Create CreateOptions (docs/events.md#fileio-v3).
func DispositionName(d uint8) string {
	if int(d) < len(ntdefs.Dispositions) {
		return ntdefs.Dispositions[d]
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

// FILE_INFORMATION_CLASS names (the pipe classes 23–25 are the ones docs/events.md#pipe-operations uses).
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
