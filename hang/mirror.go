package hang

// Go mirrors of the structures NtQuerySystemInformation(
// SystemProcessInformation) returns, with pointer-sized fields of type P.
// The parsers read bytes at the offsets of Layout64 and Layout32; these
// mirrors let the compiler check those offsets: the tests compare them
// with unsafe.Offsetof for P = uint64 and uint32 (on a 64-bit host, whose
// 8-byte alignment of int64 is Windows'), and the Windows build asserts
// the native ones (P = uintptr) at compile time (sizes_windows.go).

type unicodeString[P uint32 | uint64 | uintptr] struct {
	Length, MaximumLength uint16
	Buffer                P
}

type sysProcess[P uint32 | uint64 | uintptr] struct {
	NextEntryOffset              uint32
	NumberOfThreads              uint32
	WorkingSetPrivateSize        int64
	HardFaultCount               uint32
	NumberOfThreadsHighWatermark uint32
	CycleTime                    uint64
	CreateTime                   int64
	UserTime                     int64
	KernelTime                   int64
	ImageName                    unicodeString[P]
	BasePriority                 int32
	UniqueProcessID              P
	InheritedFromUniqueProcessID P
	HandleCount                  uint32
	SessionID                    uint32
	UniqueProcessKey             P
	PeakVirtualSize              P
	VirtualSize                  P
	PageFaultCount               uint32
	PeakWorkingSetSize           P
	WorkingSetSize               P
	QuotaPeakPagedPoolUsage      P
	QuotaPagedPoolUsage          P
	QuotaPeakNonPagedPoolUsage   P
	QuotaNonPagedPoolUsage       P
	PagefileUsage                P
	PeakPagefileUsage            P
	PrivatePageCount             P
	ReadOperationCount           int64
	WriteOperationCount          int64
	OtherOperationCount          int64
	ReadTransferCount            int64
	WriteTransferCount           int64
	OtherTransferCount           int64
}

type clientID[P uint32 | uint64 | uintptr] struct{ UniqueProcess, UniqueThread P }

type sysThread[P uint32 | uint64 | uintptr] struct {
	KernelTime      int64
	UserTime        int64
	CreateTime      int64
	WaitTime        uint32
	StartAddress    P
	ClientID        clientID[P]
	Priority        int32
	BasePriority    int32
	ContextSwitches uint32
	ThreadState     uint32
	WaitReason      uint32
}

// waitchainNodeInfo mirrors WAITCHAIN_NODE_INFO: the union is kept as
// 8-byte words, its alignment being that of LockObject.Timeout.
type waitchainNodeInfo struct {
	ObjectType   uint32
	ObjectStatus uint32
	Union        [(NodeSize - 8) / 8]uint64
}
