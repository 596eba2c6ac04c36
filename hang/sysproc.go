package hang

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/ipctrace/ipctrace/etw"
)

// SystemProcessInformation is the NtQuerySystemInformation class that
// lists every process, each followed by its threads.
const SystemProcessInformation = 5

// Layout is the SYSTEM_PROCESS_INFORMATION / SYSTEM_THREAD_INFORMATION
// layout of one pointer size. Both structures hold LARGE_INTEGERs, so they
// are 8-aligned on every architecture; pointer-sized fields (the image
// name buffer, process and thread ids, sizes) make them differ.
type Layout struct {
	PtrSize    int
	ProcSize   int // sizeof(SYSTEM_PROCESS_INFORMATION)
	ThreadSize int // sizeof(SYSTEM_THREAD_INFORMATION)

	// SYSTEM_PROCESS_INFORMATION field offsets.
	NextEntry, NumberOfThreads, CreateTime, ImageName, BasePriority int
	UniqueProcessID, InheritedFromPID, HandleCount, SessionID       int

	// SYSTEM_THREAD_INFORMATION field offsets.
	ThCreateTime, ThWaitTime, ThStartAddress, ThClientID       int
	ThPriority, ThContextSwitches, ThThreadState, ThWaitReason int
}

// Sizes and offsets of the two layouts. Fields before ImageName and the
// thread times sit at the same offsets in both.
const (
	procSize64, procSize32     = 0x100, 0xB8
	threadSize64, threadSize32 = 0x50, 0x40

	pNextEntry, pNumberOfThreads, pCreateTime, pImageName = 0x00, 0x04, 0x20, 0x38

	p64BasePriority, p64UniqueProcessID, p64InheritedFromPID, p64HandleCount, p64SessionID = 0x48, 0x50, 0x58, 0x60, 0x64
	p32BasePriority, p32UniqueProcessID, p32InheritedFromPID, p32HandleCount, p32SessionID = 0x40, 0x44, 0x48, 0x4C, 0x50

	tCreateTime, tWaitTime = 0x10, 0x18

	t64StartAddress, t64ClientID, t64Priority, t64ContextSwitches, t64ThreadState, t64WaitReason = 0x20, 0x28, 0x38, 0x40, 0x44, 0x48
	t32StartAddress, t32ClientID, t32Priority, t32ContextSwitches, t32ThreadState, t32WaitReason = 0x1C, 0x20, 0x28, 0x30, 0x34, 0x38
)

// Layout64 is the layout of 64-bit Windows (amd64 and arm64).
var Layout64 = Layout{
	PtrSize: 8, ProcSize: procSize64, ThreadSize: threadSize64,
	NextEntry: pNextEntry, NumberOfThreads: pNumberOfThreads, CreateTime: pCreateTime, ImageName: pImageName,
	BasePriority: p64BasePriority, UniqueProcessID: p64UniqueProcessID, InheritedFromPID: p64InheritedFromPID,
	HandleCount: p64HandleCount, SessionID: p64SessionID,
	ThCreateTime: tCreateTime, ThWaitTime: tWaitTime, ThStartAddress: t64StartAddress, ThClientID: t64ClientID,
	ThPriority: t64Priority, ThContextSwitches: t64ContextSwitches, ThThreadState: t64ThreadState, ThWaitReason: t64WaitReason,
}

// Layout32 is the layout of 32-bit Windows and of 32-bit processes on
// 64-bit Windows (WOW64 converts the answer to it).
var Layout32 = Layout{
	PtrSize: 4, ProcSize: procSize32, ThreadSize: threadSize32,
	NextEntry: pNextEntry, NumberOfThreads: pNumberOfThreads, CreateTime: pCreateTime, ImageName: pImageName,
	BasePriority: p32BasePriority, UniqueProcessID: p32UniqueProcessID, InheritedFromPID: p32InheritedFromPID,
	HandleCount: p32HandleCount, SessionID: p32SessionID,
	ThCreateTime: tCreateTime, ThWaitTime: tWaitTime, ThStartAddress: t32StartAddress, ThClientID: t32ClientID,
	ThPriority: t32Priority, ThContextSwitches: t32ContextSwitches, ThThreadState: t32ThreadState, ThWaitReason: t32WaitReason,
}

// ThreadState is KTHREAD_STATE.
type ThreadState uint32

// KTHREAD_STATE values.
const (
	StateInitialized ThreadState = 0
	StateReady       ThreadState = 1
	StateRunning     ThreadState = 2
	StateStandby     ThreadState = 3
	StateTerminated  ThreadState = 4
	StateWaiting     ThreadState = 5
	StateTransition  ThreadState = 6
	StateDeferred    ThreadState = 7 // DeferredReady
	StateGateWait    ThreadState = 8 // GateWaitObsolete
	StateSwapWait    ThreadState = 9 // WaitingForProcessInSwap
)

var stateNames = [...]string{"Initialized", "Ready", "Running", "Standby", "Terminated", "Waiting",
	"Transition", "DeferredReady", "GateWaitObsolete", "WaitingForProcessInSwap"}

// String returns the KTHREAD_STATE name or "state-N".
func (s ThreadState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state-" + strconv.FormatUint(uint64(s), 10)
}

// WaitReason is KWAIT_REASON: why a thread in state Waiting waits.
type WaitReason uint32

// The KWAIT_REASON values hang interprets.
const (
	WaitExecutive      WaitReason = 0
	WaitDelayExecution WaitReason = 4
	WaitSuspended      WaitReason = 5
	WaitUserRequest    WaitReason = 6
	WaitWrExecutive    WaitReason = 7
	WaitWrUserRequest  WaitReason = 13
	WaitWrQueue        WaitReason = 15
	WaitWrLpcReceive   WaitReason = 16
	WaitWrLpcReply     WaitReason = 17
)

// waitReasonNames are the KWAIT_REASON names in value order. Value 14 was
// WrEventPair and is WrSpare0 in current kernels; 39 on (WrPhysicalFault,
// WrIoRing, WrMdlCache, WrRcu) exist only in newer kernels.
var waitReasonNames = [...]string{
	"Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended", "UserRequest",
	"WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation", "WrDelayExecution", "WrSuspended",
	"WrUserRequest", "WrSpare0", "WrQueue", "WrLpcReceive", "WrLpcReply", "WrVirtualMemory", "WrPageOut",
	"WrRendezvous", "WrKeyedEvent", "WrTerminated", "WrProcessInSwap", "WrCpuRateControl",
	"WrCalloutStack", "WrKernel", "WrResource", "WrPushLock", "WrMutex", "WrQuantumEnd", "WrDispatchInt",
	"WrPreempted", "WrYieldExecution", "WrFastMutex", "WrGuardedMutex", "WrRundown", "WrAlertByThreadId",
	"WrDeferredPreempt", "WrPhysicalFault", "WrIoRing", "WrMdlCache", "WrRcu",
}

// String returns the KWAIT_REASON name or "reason-N".
func (r WaitReason) String() string {
	if int(r) < len(waitReasonNames) {
		return waitReasonNames[r]
	}
	return "reason-" + strconv.FormatUint(uint64(r), 10)
}

// ProcInfo is one SYSTEM_PROCESS_INFORMATION entry with its threads.
type ProcInfo struct {
	PID, ParentPID uint32
	Image          string // ImageName: the file name ("svc.exe"); "" for the idle process
	SessionID      uint32
	HandleCount    uint32
	BasePriority   int32
	CreateTime     int64 // FILETIME
	Threads        []ThreadInfo
}

// ThreadInfo is one SYSTEM_THREAD_INFORMATION entry.
type ThreadInfo struct {
	PID, TID        uint32
	State           ThreadState
	WaitReason      WaitReason // meaningful when State is StateWaiting
	WaitTime        uint32     // tick count when the wait began
	Priority        int32
	ContextSwitches uint32
	StartAddress    uint64
	CreateTime      int64
}

// Limits of the walk: far above any real system, low enough that a
// corrupt buffer cannot make it allocate without bound.
const (
	maxProcesses       = 1 << 16
	maxThreadsPerEntry = 1 << 16
)

// ParseProcesses walks the list NtQuerySystemInformation(
// SystemProcessInformation) wrote into b, which starts at address base
// (ImageName.Buffer points into b). Entries are linked by NextEntryOffset
// (0 ends the list); each entry is followed by NumberOfThreads
// SYSTEM_THREAD_INFORMATION entries. On a malformed entry it returns the
// processes read so far and a *ParseError naming the offset.
func ParseProcesses(b []byte, base uint64, l *Layout) ([]ProcInfo, error) {
	var out []ProcInfo
	off := 0
	for {
		if len(out) >= maxProcesses {
			return out, perr(off, "more than %d processes", maxProcesses)
		}
		if off+l.ProcSize > len(b) {
			return out, perr(off, "entry needs %d bytes, %d left", l.ProcSize, len(b)-off)
		}
		e := b[off:]
		p, err := parseProc(b, off, base, l)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		next := int(binary.LittleEndian.Uint32(e[l.NextEntry:]))
		if next == 0 {
			return out, nil
		}
		// Entries need not be 8-aligned: Wine 8 packs them right after
		// the image name (NextEntryOffset 764 seen).
		if next < l.ProcSize || next > len(b)-off {
			return out, perr(off, "NextEntryOffset %d: below the entry size %d or past the end", next, l.ProcSize)
		}
		off += next
	}
}

func perr(off int, format string, args ...any) error {
	return &ParseError{"SYSTEM_PROCESS_INFORMATION", off, fmt.Sprintf(format, args...)}
}

func ptrAt(b []byte, off, size int) uint64 {
	if size == 4 {
		return uint64(binary.LittleEndian.Uint32(b[off:]))
	}
	return binary.LittleEndian.Uint64(b[off:])
}

func parseProc(b []byte, off int, base uint64, l *Layout) (ProcInfo, error) {
	le := binary.LittleEndian
	e := b[off:]
	p := ProcInfo{
		PID:          uint32(ptrAt(e, l.UniqueProcessID, l.PtrSize)),
		ParentPID:    uint32(ptrAt(e, l.InheritedFromPID, l.PtrSize)),
		SessionID:    le.Uint32(e[l.SessionID:]),
		HandleCount:  le.Uint32(e[l.HandleCount:]),
		BasePriority: int32(le.Uint32(e[l.BasePriority:])),
		CreateTime:   int64(le.Uint64(e[l.CreateTime:])),
	}
	// UNICODE_STRING: Length u16, MaximumLength u16, Buffer pointer
	// (after 4 bytes of padding on 64-bit).
	n := int(le.Uint16(e[l.ImageName:]))
	if ptr := ptrAt(e, l.ImageName+l.PtrSize, l.PtrSize); n > 0 {
		if n%2 != 0 || ptr < base || ptr-base > uint64(len(b)) || int(ptr-base)+n > len(b) {
			return p, perr(off+l.ImageName, "ImageName buffer %#x (+%d bytes) outside the returned data", ptr, n)
		}
		s := int(ptr - base)
		p.Image = etw.DecodeUTF16(b[s : s+n])
	}
	count := int(le.Uint32(e[l.NumberOfThreads:]))
	if count > maxThreadsPerEntry {
		return p, perr(off+l.NumberOfThreads, "NumberOfThreads %d above %d", count, maxThreadsPerEntry)
	}
	t0 := off + l.ProcSize
	if t0+count*l.ThreadSize > len(b) {
		return p, perr(t0, "%d threads need %d bytes, %d left", count, count*l.ThreadSize, len(b)-t0)
	}
	p.Threads = make([]ThreadInfo, count)
	for i := range p.Threads {
		t := b[t0+i*l.ThreadSize:]
		p.Threads[i] = ThreadInfo{
			PID:             uint32(ptrAt(t, l.ThClientID, l.PtrSize)),
			TID:             uint32(ptrAt(t, l.ThClientID+l.PtrSize, l.PtrSize)),
			State:           ThreadState(le.Uint32(t[l.ThThreadState:])),
			WaitReason:      WaitReason(le.Uint32(t[l.ThWaitReason:])),
			WaitTime:        le.Uint32(t[l.ThWaitTime:]),
			Priority:        int32(le.Uint32(t[l.ThPriority:])),
			ContextSwitches: le.Uint32(t[l.ThContextSwitches:]),
			StartAddress:    ptrAt(t, l.ThStartAddress, l.PtrSize),
			CreateTime:      int64(le.Uint64(t[l.ThCreateTime:])),
		}
	}
	return p, nil
}
