package ntdefs

// NTSTATUS values ipctrace refers to by name in code.
const (
	StatusSuccess              = 0x00000000
	StatusPending              = 0x00000103
	StatusMoreEntries          = 0x00000105
	StatusBufferOverflow       = 0x80000005
	StatusNoMoreFiles          = 0x80000006
	StatusNoMoreEntries        = 0x8000001A
	StatusInfoLengthMismatch   = 0xC0000004
	StatusBufferTooSmall       = 0xC0000023
	StatusAccessDenied         = 0xC0000022
	StatusObjectNameNotFound   = 0xC0000034
	StatusObjectPathNotFound   = 0xC000003A
	StatusInstanceNotAvailable = 0xC00000AB
	StatusPipeNotAvailable     = 0xC00000AC
	StatusInvalidPipeState     = 0xC00000AD
	StatusPipeBusy             = 0xC00000AE
	StatusPipeDisconnected     = 0xC00000B0
	StatusPipeClosing          = 0xC00000B1
	StatusPipeConnected        = 0xC00000B2
	StatusPipeListening        = 0xC00000B3
	StatusIOTimeout            = 0xC00000B5
	StatusPipeEmpty            = 0xC00000D9
	StatusCancelled            = 0xC0000120
	StatusPipeBroken           = 0xC000014B
)

// Status is one row of the NTSTATUS table.
type Status struct {
	Code uint32
	Name string // "STATUS_PIPE_BUSY"
	// Failure is the short name ipctrace's reports and synthetic truth give
	// a failed pipe operation ending with Code ("PIPE_BUSY", "NOT_FOUND"),
	// or "" when the status has none and FailureName falls back to hex.
	Failure string
}

// Statuses is every NTSTATUS ipctrace names, in code order: the statuses
// of pipe, ALPC and file operations and of waits, with values as in the
// Windows SDK's ntstatus.h.
var Statuses = []Status{
	{0x00000000, "STATUS_SUCCESS", ""},
	{0x00000080, "STATUS_ABANDONED", ""},
	{0x000000C0, "STATUS_USER_APC", ""},
	{0x00000101, "STATUS_ALERTED", ""},
	{0x00000102, "STATUS_TIMEOUT", ""},
	{0x00000103, "STATUS_PENDING", ""},
	{0x00000104, "STATUS_REPARSE", ""},
	{0x00000105, "STATUS_MORE_ENTRIES", ""},
	{0x0000010B, "STATUS_NOTIFY_CLEANUP", ""},
	{0x0000010C, "STATUS_NOTIFY_ENUM_DIR", ""},
	{0x80000005, "STATUS_BUFFER_OVERFLOW", "BUFFER_OVERFLOW"},
	{0x80000006, "STATUS_NO_MORE_FILES", ""},
	{0x8000001A, "STATUS_NO_MORE_ENTRIES", ""},
	{0xC0000002, "STATUS_NOT_IMPLEMENTED", ""},
	{0xC0000003, "STATUS_INVALID_INFO_CLASS", ""},
	{0xC0000004, "STATUS_INFO_LENGTH_MISMATCH", ""},
	{0xC0000008, "STATUS_INVALID_HANDLE", ""},
	{0xC000000D, "STATUS_INVALID_PARAMETER", ""},
	{0xC000000F, "STATUS_NO_SUCH_FILE", ""},
	{0xC0000010, "STATUS_INVALID_DEVICE_REQUEST", ""},
	{0xC0000011, "STATUS_END_OF_FILE", ""},
	{0xC0000022, "STATUS_ACCESS_DENIED", "ACCESS_DENIED"},
	{0xC0000023, "STATUS_BUFFER_TOO_SMALL", ""},
	{0xC0000024, "STATUS_OBJECT_TYPE_MISMATCH", ""},
	{0xC0000033, "STATUS_OBJECT_NAME_INVALID", ""},
	{0xC0000034, "STATUS_OBJECT_NAME_NOT_FOUND", "NOT_FOUND"},
	{0xC0000035, "STATUS_OBJECT_NAME_COLLISION", ""},
	{0xC0000037, "STATUS_PORT_DISCONNECTED", ""},
	{0xC000003A, "STATUS_OBJECT_PATH_NOT_FOUND", "PATH_NOT_FOUND"},
	{0xC0000041, "STATUS_PORT_CONNECTION_REFUSED", ""},
	{0xC0000043, "STATUS_SHARING_VIOLATION", ""},
	{0xC0000056, "STATUS_DELETE_PENDING", ""},
	{0xC0000061, "STATUS_PRIVILEGE_NOT_HELD", ""},
	{0xC000009A, "STATUS_INSUFFICIENT_RESOURCES", ""},
	{0xC00000AB, "STATUS_INSTANCE_NOT_AVAILABLE", "INSTANCE_NOT_AVAILABLE"},
	{0xC00000AC, "STATUS_PIPE_NOT_AVAILABLE", "PIPE_NOT_AVAILABLE"},
	{0xC00000AD, "STATUS_INVALID_PIPE_STATE", "INVALID_PIPE_STATE"},
	{0xC00000AE, "STATUS_PIPE_BUSY", "PIPE_BUSY"},
	{0xC00000AF, "STATUS_ILLEGAL_FUNCTION", ""},
	{0xC00000B0, "STATUS_PIPE_DISCONNECTED", "PIPE_DISCONNECTED"},
	{0xC00000B1, "STATUS_PIPE_CLOSING", "PIPE_CLOSING"},
	{0xC00000B2, "STATUS_PIPE_CONNECTED", ""},
	{0xC00000B3, "STATUS_PIPE_LISTENING", "PIPE_LISTENING"},
	{0xC00000B4, "STATUS_INVALID_READ_MODE", ""},
	{0xC00000B5, "STATUS_IO_TIMEOUT", "IO_TIMEOUT"},
	{0xC00000BA, "STATUS_FILE_IS_A_DIRECTORY", ""},
	{0xC00000BB, "STATUS_NOT_SUPPORTED", ""},
	{0xC00000BE, "STATUS_BAD_NETWORK_PATH", ""},
	{0xC00000CC, "STATUS_BAD_NETWORK_NAME", ""},
	{0xC00000D9, "STATUS_PIPE_EMPTY", "PIPE_EMPTY"},
	{0xC0000103, "STATUS_NOT_A_DIRECTORY", ""},
	{0xC000010A, "STATUS_PROCESS_IS_TERMINATING", ""},
	{0xC000010D, "STATUS_CANNOT_IMPERSONATE", ""},
	{0xC0000120, "STATUS_CANCELLED", "CANCELLED"},
	{0xC0000128, "STATUS_FILE_CLOSED", ""},
	{0xC000014B, "STATUS_PIPE_BROKEN", "PIPE_BROKEN"},
	{0xC0000225, "STATUS_NOT_FOUND", ""},
}

var statusByCode = func() map[uint32]int {
	m := make(map[uint32]int, len(Statuses))
	for i, s := range Statuses {
		m[s.Code] = i
	}
	return m
}()

// LookupStatus returns the table row of code.
func LookupStatus(code uint32) (Status, bool) {
	i, ok := statusByCode[code]
	if !ok {
		return Status{}, false
	}
	return Statuses[i], true
}

// StatusName returns the symbolic name of code ("STATUS_PIPE_BUSY"), or
// its hexadecimal form ("0xC0001234") when the table does not hold it.
func StatusName(code uint32) string {
	if s, ok := LookupStatus(code); ok {
		return s.Name
	}
	return "0x" + hex8(code)
}

// FailureName returns the short name of a failure status as reports and
// synthetic truth give it ("PIPE_BUSY"), or "STATUS_" and eight hex digits
// ("STATUS_C0000043") for a status without one.
func FailureName(code uint32) string {
	if s, ok := LookupStatus(code); ok && s.Failure != "" {
		return s.Failure
	}
	return "STATUS_" + hex8(code)
}

// Success reports NT_SUCCESS(code): success and informational statuses
// (severity bits 00 and 01), that is any code below 0x80000000.
func Success(code uint32) bool { return code < 0x80000000 }

// hex8 is code as eight upper-case hexadecimal digits.
func hex8(code uint32) string {
	const hexDigits = "0123456789ABCDEF"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hexDigits[code&0xF]
		code >>= 4
	}
	return string(b[:])
}
