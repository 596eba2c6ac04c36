package ntdefs

// Device types of the FSCTL codes ipctrace meets (FILE_DEVICE_* in the
// WDK's devioctl.h).
const (
	FileDeviceFileSystem        = 0x09
	FileDeviceMailslot          = 0x0C
	FileDeviceNamedPipe         = 0x11
	FileDeviceNetworkFileSystem = 0x14
)

// CtlCode builds CTL_CODE(deviceType, function, method, access): device
// type in bits 16-31, required access in bits 14-15, function in bits 2-13
// and transfer method in bits 0-1.
func CtlCode(deviceType, function uint16, method, access uint8) uint32 {
	return uint32(deviceType)<<16 | uint32(access&3)<<14 | uint32(function&0xFFF)<<2 | uint32(method&3)
}

// SplitCtlCode is the inverse of CtlCode.
func SplitCtlCode(code uint32) (deviceType, function uint16, method, access uint8) {
	return uint16(code >> 16), uint16(code>>2) & 0xFFF, uint8(code & 3), uint8(code>>14) & 3
}

// Named-pipe FSCTL codes the correlator, the synthesiser and the probes
// act on; every code has its row in FSCTLs.
const (
	FsctlPipeDisconnect  = 0x00110004 // CTL_CODE(0x11, 1, BUFFERED, ANY)
	FsctlPipeListen      = 0x00110008 // CTL_CODE(0x11, 2, BUFFERED, ANY)
	FsctlPipePeek        = 0x0011400C // CTL_CODE(0x11, 3, BUFFERED, READ)
	FsctlPipeTransceive  = 0x0011C017 // CTL_CODE(0x11, 5, NEITHER, READ|WRITE)
	FsctlPipeWait        = 0x00110018 // CTL_CODE(0x11, 6, BUFFERED, ANY)
	FsctlPipeImpersonate = 0x0011001C // CTL_CODE(0x11, 7, BUFFERED, ANY)
	FsctlPipeFlush       = 0x00118040 // CTL_CODE(0x11, 16, BUFFERED, WRITE)
)

// FSCTLName is one named FSCTL code.
type FSCTLName struct {
	Code uint32
	Name string
}

// FSCTLs is every FSCTL code ipctrace names: the named-pipe controls
// (device type 0x11) and the file-system controls (device type 9) seen on
// files next to pipes. The file-system values are CTL_CODE(9, function,
// method, access) with the operands of the WDK's ntifs.h/winioctl.h.
var FSCTLs = []FSCTLName{
	{0x00110000, "FSCTL_PIPE_ASSIGN_EVENT"},
	{0x00110004, "FSCTL_PIPE_DISCONNECT"},
	{0x00110008, "FSCTL_PIPE_LISTEN"},
	{0x0011400C, "FSCTL_PIPE_PEEK"},
	{0x00110010, "FSCTL_PIPE_QUERY_EVENT"},
	{0x0011C017, "FSCTL_PIPE_TRANSCEIVE"},
	{0x00110018, "FSCTL_PIPE_WAIT"},
	{0x0011001C, "FSCTL_PIPE_IMPERSONATE"},
	{0x00110020, "FSCTL_PIPE_SET_CLIENT_PROCESS"},
	{0x00110024, "FSCTL_PIPE_QUERY_CLIENT_PROCESS"},
	{0x00110028, "FSCTL_PIPE_GET_PIPE_ATTRIBUTE"},
	{0x0011002C, "FSCTL_PIPE_SET_PIPE_ATTRIBUTE"},
	{0x00110030, "FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE"},
	{0x00110034, "FSCTL_PIPE_SET_CONNECTION_ATTRIBUTE"},
	{0x00110038, "FSCTL_PIPE_GET_HANDLE_ATTRIBUTE"},
	{0x0011003C, "FSCTL_PIPE_SET_HANDLE_ATTRIBUTE"},
	{0x00118040, "FSCTL_PIPE_FLUSH"},
	{0x00110044, "FSCTL_PIPE_DISABLE_IMPERSONATE"},
	{0x00118048, "FSCTL_PIPE_SILO_ARRIVAL"},
	{0x0011004C, "FSCTL_PIPE_CREATE_SYMLINK"},
	{0x00110050, "FSCTL_PIPE_DELETE_SYMLINK"},
	{0x00110054, "FSCTL_PIPE_QUERY_CLIENT_PROCESS_V2"},
	{0x00115FF4, "FSCTL_PIPE_INTERNAL_READ"},
	{0x00119FF8, "FSCTL_PIPE_INTERNAL_WRITE"},
	{0x0011DFFF, "FSCTL_PIPE_INTERNAL_TRANSCEIVE"},
	{0x00116000, "FSCTL_PIPE_INTERNAL_READ_OVFLOW"},
	{0x00090018, "FSCTL_LOCK_VOLUME"},
	{0x0009001C, "FSCTL_UNLOCK_VOLUME"},
	{0x00090020, "FSCTL_DISMOUNT_VOLUME"},
	{0x00090028, "FSCTL_IS_VOLUME_MOUNTED"},
	{0x00090060, "FSCTL_FILESYSTEM_GET_STATISTICS"},
	{0x00090073, "FSCTL_GET_RETRIEVAL_POINTERS"},
	{0x0009009C, "FSCTL_GET_OBJECT_ID"},
	{0x000900A4, "FSCTL_SET_REPARSE_POINT"},
	{0x000900A8, "FSCTL_GET_REPARSE_POINT"},
	{0x000900BB, "FSCTL_READ_USN_JOURNAL"},
	{0x000900C4, "FSCTL_SET_SPARSE"},
	{0x000940CF, "FSCTL_QUERY_ALLOCATED_RANGES"},
	{0x000900EB, "FSCTL_READ_FILE_USN_DATA"},
	{0x000900F4, "FSCTL_QUERY_USN_JOURNAL"},
	{0x00090240, "FSCTL_REQUEST_OPLOCK"},
}

var fsctlByCode = func() map[uint32]string {
	m := make(map[uint32]string, len(FSCTLs))
	for _, f := range FSCTLs {
		m[f.Code] = f.Name
	}
	return m
}()

// FSCTLNameOf returns the name of an FSCTL code ("FSCTL_PIPE_LISTEN"), or
// "" when FSCTLs does not hold it.
func FSCTLNameOf(code uint32) string { return fsctlByCode[code] }

// IsPipeFSCTL reports whether code is a named-pipe control (device type
// FILE_DEVICE_NAMED_PIPE).
func IsPipeFSCTL(code uint32) bool { return code>>16 == FileDeviceNamedPipe }
