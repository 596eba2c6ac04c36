package decoders

// Thread scheduling events (MOF Thread_V2/V3 classes beyond docs/events.md#thread's
// Start/End/DCStart/DCEnd): CSwitch, SpinLock, priority changes,
// ReadyThread and AutoBoost.

// CSwitch is Thread CSwitch (36), 24 bytes on x86 and x64.
type CSwitch struct {
	NewThreadID                 uint32 `json:"new_thread_id"`
	OldThreadID                 uint32 `json:"old_thread_id"`
	NewThreadPriority           int8   `json:"new_thread_priority"`
	OldThreadPriority           int8   `json:"old_thread_priority"`
	PreviousCState              uint8  `json:"previous_cstate"`
	SpareByte                   int8   `json:"spare_byte"`
	OldThreadWaitReason         int8   `json:"old_thread_wait_reason"`
	OldThreadWaitMode           int8   `json:"old_thread_wait_mode"`
	OldThreadState              int8   `json:"old_thread_state"`
	OldThreadWaitIdealProcessor int8   `json:"old_thread_wait_ideal_processor"`
	NewThreadWaitTime           uint32 `json:"new_thread_wait_time"`
	Reserved                    uint32 `json:"reserved"`
}

// SpinLock is Thread SpinLock (41).
type SpinLock struct {
	SpinLockAddress  uint64   `json:"spin_lock_address"`
	CallerAddress    uint64   `json:"caller_address"`
	AcquireTime      uint64   `json:"acquire_time"`
	ReleaseTime      uint64   `json:"release_time"`
	WaitTimeInCycles uint32   `json:"wait_time_in_cycles"`
	SpinCount        uint32   `json:"spin_count"`
	ThreadID         uint32   `json:"thread_id"`
	InterruptCount   uint32   `json:"interrupt_count"`
	Irql             uint8    `json:"irql"`
	AcquireDepth     uint8    `json:"acquire_depth"`
	Flag             uint8    `json:"flag"`
	Reserved         [5]uint8 `json:"reserved"`
}

// ThreadPriority is SetPriority (48), SetBasePriority (49),
// SetPagePriority (51) and SetIoPriority (52).
type ThreadPriority struct {
	Op          Op     `json:"op"`
	ThreadID    uint32 `json:"thread_id"`
	OldPriority uint8  `json:"old_priority"`
	NewPriority uint8  `json:"new_priority"`
	Reserved    uint16 `json:"reserved"`
}

// ReadyThread is Thread ReadyThread (50).
type ReadyThread struct {
	ThreadID        uint32 `json:"thread_id"`
	AdjustReason    int8   `json:"adjust_reason"`
	AdjustIncrement int8   `json:"adjust_increment"`
	Flag            int8   `json:"flag"`
	Reserved        int8   `json:"reserved"`
}

// AutoBoostSetFloor is Thread AutoBoostSetFloor (66).
type AutoBoostSetFloor struct {
	Lock                uint64 `json:"lock"`
	ThreadID            uint32 `json:"thread_id"`
	NewCPUPriorityFloor uint8  `json:"new_cpu_priority_floor"`
	OldCPUPriority      uint8  `json:"old_cpu_priority"`
	IoPriorities        uint8  `json:"io_priorities"`
	BoostFlags          uint8  `json:"boost_flags"`
}

// AutoBoostClearFloor is Thread AutoBoostClearFloor (67).
type AutoBoostClearFloor struct {
	LockAddress uint64 `json:"lock_address"`
	ThreadID    uint32 `json:"thread_id"`
	BoostBitmap uint16 `json:"boost_bitmap"`
	Reserved    uint16 `json:"reserved"`
}

// AutoBoostEntryExhaustion is Thread AutoBoostEntryExhaustion (68). On x64
// the payload carries 4 bytes of struct padding after ThreadId; they are
// not a field and are ignored like any trailing bytes (docs/events.md#conventions).
type AutoBoostEntryExhaustion struct {
	LockAddress uint64 `json:"lock_address"`
	ThreadID    uint32 `json:"thread_id"`
}

func (*CSwitch) EventName() string                  { return "Thread/CSwitch" }
func (*SpinLock) EventName() string                 { return "Thread/SpinLock" }
func (*ThreadPriority) EventName() string           { return "Thread/Priority" }
func (*ReadyThread) EventName() string              { return "Thread/ReadyThread" }
func (*AutoBoostSetFloor) EventName() string        { return "Thread/AutoBoostSetFloor" }
func (*AutoBoostClearFloor) EventName() string      { return "Thread/AutoBoostClearFloor" }
func (*AutoBoostEntryExhaustion) EventName() string { return "Thread/AutoBoostEntryExhaustion" }

var (
	cswitchLayout = func() *layout[CSwitch] {
		type C = CSwitch
		return fields(
			u32("NewThreadId", func(e *C) any { return &e.NewThreadID }),
			u32("OldThreadId", func(e *C) any { return &e.OldThreadID }),
			u8("NewThreadPriority", func(e *C) any { return &e.NewThreadPriority }),
			u8("OldThreadPriority", func(e *C) any { return &e.OldThreadPriority }),
			u8("PreviousCState", func(e *C) any { return &e.PreviousCState }),
			u8("SpareByte", func(e *C) any { return &e.SpareByte }),
			u8("OldThreadWaitReason", func(e *C) any { return &e.OldThreadWaitReason }),
			u8("OldThreadWaitMode", func(e *C) any { return &e.OldThreadWaitMode }),
			u8("OldThreadState", func(e *C) any { return &e.OldThreadState }),
			u8("OldThreadWaitIdealProcessor", func(e *C) any { return &e.OldThreadWaitIdealProcessor }),
			u32("NewThreadWaitTime", func(e *C) any { return &e.NewThreadWaitTime }),
			u32("Reserved", func(e *C) any { return &e.Reserved }))
	}()
	spinLockLayout = func() *layout[SpinLock] {
		type S = SpinLock
		fs := []field[S]{
			pointer("SpinLockAddress", func(e *S) any { return &e.SpinLockAddress }),
			pointer("CallerAddress", func(e *S) any { return &e.CallerAddress }),
			u64("AcquireTime", func(e *S) any { return &e.AcquireTime }),
			u64("ReleaseTime", func(e *S) any { return &e.ReleaseTime }),
			u32("WaitTimeInCycles", func(e *S) any { return &e.WaitTimeInCycles }),
			u32("SpinCount", func(e *S) any { return &e.SpinCount }),
			u32("ThreadId", func(e *S) any { return &e.ThreadID }),
			u32("InterruptCount", func(e *S) any { return &e.InterruptCount }),
			u8("Irql", func(e *S) any { return &e.Irql }),
			u8("AcquireDepth", func(e *S) any { return &e.AcquireDepth }),
			u8("Flag", func(e *S) any { return &e.Flag }),
		}
		for i := range 5 {
			fs = append(fs, u8("Reserved", func(e *S) any { return &e.Reserved[i] }))
		}
		return fields(fs...)
	}()
	threadPriorityLayout = fields(
		u32("ThreadId", func(e *ThreadPriority) any { return &e.ThreadID }),
		u8("OldPriority", func(e *ThreadPriority) any { return &e.OldPriority }),
		u8("NewPriority", func(e *ThreadPriority) any { return &e.NewPriority }),
		u16("Reserved", func(e *ThreadPriority) any { return &e.Reserved }))
	readyThreadLayout = fields(
		u32("TThreadId", func(e *ReadyThread) any { return &e.ThreadID }),
		u8("AdjustReason", func(e *ReadyThread) any { return &e.AdjustReason }),
		u8("AdjustIncrement", func(e *ReadyThread) any { return &e.AdjustIncrement }),
		u8("Flag", func(e *ReadyThread) any { return &e.Flag }),
		u8("Reserved", func(e *ReadyThread) any { return &e.Reserved }))
	autoBoostSetFloorLayout = fields(
		pointer("Lock", func(e *AutoBoostSetFloor) any { return &e.Lock }),
		u32("ThreadId", func(e *AutoBoostSetFloor) any { return &e.ThreadID }),
		u8("NewCpuPriorityFloor", func(e *AutoBoostSetFloor) any { return &e.NewCPUPriorityFloor }),
		u8("OldCpuPriority", func(e *AutoBoostSetFloor) any { return &e.OldCPUPriority }),
		u8("IoPriorities", func(e *AutoBoostSetFloor) any { return &e.IoPriorities }),
		u8("BoostFlags", func(e *AutoBoostSetFloor) any { return &e.BoostFlags }))
	autoBoostClearFloorLayout = fields(
		pointer("LockAddress", func(e *AutoBoostClearFloor) any { return &e.LockAddress }),
		u32("ThreadId", func(e *AutoBoostClearFloor) any { return &e.ThreadID }),
		u16("BoostBitmap", func(e *AutoBoostClearFloor) any { return &e.BoostBitmap }),
		u16("Reserved", func(e *AutoBoostClearFloor) any { return &e.Reserved }))
	autoBoostExhaustionLayout = fields(
		pointer("LockAddress", func(e *AutoBoostEntryExhaustion) any { return &e.LockAddress }),
		u32("ThreadId", func(e *AutoBoostEntryExhaustion) any { return &e.ThreadID }))
)

var threadPriorityNames = map[Op]string{48: "SetPriority", 49: "SetBasePriority", 51: "SetPagePriority", 52: "SetIoPriority"}

func init() {
	k := func(op uint8, v uint16) Key { return KernelKey(ThreadGUID, op, v) }
	def[CSwitch, *CSwitch]{name: "Thread/CSwitch", l: cswitchLayout,
		slot: func(p *Parser) *CSwitch { return &p.ext.cswitch }}.add(k(36, 2))
	def[SpinLock, *SpinLock]{name: "Thread/SpinLock", l: spinLockLayout,
		slot: func(p *Parser) *SpinLock { return &p.ext.spinLock }}.add(k(41, 2))
	for op, name := range threadPriorityNames {
		def[ThreadPriority, *ThreadPriority]{name: "Thread/" + name, l: threadPriorityLayout,
			slot: func(p *Parser) *ThreadPriority { return &p.ext.threadPrio },
			init: setOp(op, func(e *ThreadPriority) *Op { return &e.Op })}.add(k(uint8(op), 3))
	}
	def[ReadyThread, *ReadyThread]{name: "Thread/ReadyThread", l: readyThreadLayout,
		slot: func(p *Parser) *ReadyThread { return &p.ext.readyThread }}.add(k(50, 2))
	def[AutoBoostSetFloor, *AutoBoostSetFloor]{name: "Thread/AutoBoostSetFloor", l: autoBoostSetFloorLayout,
		slot: func(p *Parser) *AutoBoostSetFloor { return &p.ext.abSet }}.add(k(66, 2))
	def[AutoBoostClearFloor, *AutoBoostClearFloor]{name: "Thread/AutoBoostClearFloor", l: autoBoostClearFloorLayout,
		slot: func(p *Parser) *AutoBoostClearFloor { return &p.ext.abClear }}.add(k(67, 2))
	def[AutoBoostEntryExhaustion, *AutoBoostEntryExhaustion]{name: "Thread/AutoBoostEntryExhaustion",
		l:    autoBoostExhaustionLayout,
		slot: func(p *Parser) *AutoBoostEntryExhaustion { return &p.ext.abExhaust }}.add(k(68, 2))
}
