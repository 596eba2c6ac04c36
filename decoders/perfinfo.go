package decoders

import "github.com/ipctrace/ipctrace/etw"

// PerfInfo classic kernel events (MOF PerfInfo_V2 classes): samples,
// interrupts, DPCs, system calls and sampling configuration.

// PerfInfoGUID is the PerfInfo event class.
var PerfInfoGUID = etw.MustParseGUID("ce1dbfb4-137e-4da6-87b0-3f59aa102cbc")

// PerfInfoSample is SampleProf (46): one profile sample.
type PerfInfoSample struct {
	InstructionPointer uint64 `json:"instruction_pointer"`
	ThreadID           uint32 `json:"thread_id"`
	Count              uint16 `json:"count"`
	Reserved           uint16 `json:"reserved"`
}

// PerfInfoISR is ISR (67) and ISR-MSI (50, which adds MessageNumber). The
// payload is packed: Vector is an unaligned u16 at 8+P+1.
type PerfInfoISR struct {
	Op            Op     `json:"op"`
	InitialTime   uint64 `json:"initial_time"`
	Routine       uint64 `json:"routine"`
	ReturnValue   uint8  `json:"return_value"`
	Vector        uint16 `json:"vector"`
	Reserved      uint8  `json:"reserved"`
	MessageNumber uint32 `json:"message_number"` // ISR-MSI only
}

// PerfInfoDPC is ThreadedDPC (66), DPC (68) and TimerDPC (69).
type PerfInfoDPC struct {
	Op          Op     `json:"op"`
	InitialTime uint64 `json:"initial_time"`
	Routine     uint64 `json:"routine"`
}

// PerfInfoSysCallEnter is SysClEnter (51).
type PerfInfoSysCallEnter struct {
	SysCallAddress uint64 `json:"sys_call_address"`
}

// PerfInfoSysCallExit is SysClExit (52).
type PerfInfoSysCallExit struct {
	SysCallNtStatus uint32 `json:"sys_call_nt_status"`
}

// PerfInfoDebuggerEnabled is DebuggerEnabled (58): no payload.
type PerfInfoDebuggerEnabled struct{}

// PerfInfoCollection is CollectionStart (73) / CollectionEnd (74): a
// profile source's interval; version 3 adds the source name.
type PerfInfoCollection struct {
	Op          Op     `json:"op"`
	Source      uint32 `json:"source"`
	NewInterval uint32 `json:"new_interval"`
	OldInterval uint32 `json:"old_interval"`
	SourceName  string `json:"source_name"` // v3
}

// PerfInfoSpinLockConfig is opcodes 75/76 (spin lock sampling
// configuration, named CollectionStart/CollectionEnd like 73/74).
type PerfInfoSpinLockConfig struct {
	Op                           Op     `json:"op"`
	SpinLockSpinThreshold        uint32 `json:"spin_lock_spin_threshold"`
	SpinLockContentionSampleRate uint32 `json:"spin_lock_contention_sample_rate"`
	SpinLockAcquireSampleRate    uint32 `json:"spin_lock_acquire_sample_rate"`
	SpinLockHoldThreshold        uint32 `json:"spin_lock_hold_threshold"`
}

func (*PerfInfoSample) EventName() string          { return "PerfInfo/SampleProf" }
func (*PerfInfoISR) EventName() string             { return "PerfInfo/ISR" }
func (*PerfInfoDPC) EventName() string             { return "PerfInfo/DPC" }
func (*PerfInfoSysCallEnter) EventName() string    { return "PerfInfo/SysClEnter" }
func (*PerfInfoSysCallExit) EventName() string     { return "PerfInfo/SysClExit" }
func (*PerfInfoDebuggerEnabled) EventName() string { return "PerfInfo/DebuggerEnabled" }
func (*PerfInfoCollection) EventName() string      { return "PerfInfo/Collection" }
func (*PerfInfoSpinLockConfig) EventName() string  { return "PerfInfo/SpinLockConfig" }

var (
	perfSample = fields(
		pointer("InstructionPointer", func(e *PerfInfoSample) any { return &e.InstructionPointer }),
		u32("ThreadId", func(e *PerfInfoSample) any { return &e.ThreadID }),
		u16("Count", func(e *PerfInfoSample) any { return &e.Count }),
		u16("Reserved", func(e *PerfInfoSample) any { return &e.Reserved }))
	perfDPC = fields(
		u64("InitialTime", func(e *PerfInfoDPC) any { return &e.InitialTime }),
		pointer("Routine", func(e *PerfInfoDPC) any { return &e.Routine }))
	perfSysEnter = fields(pointer("SysCallAddress", func(e *PerfInfoSysCallEnter) any { return &e.SysCallAddress }))
	perfSysExit  = fields(u32("SysCallNtStatus", func(e *PerfInfoSysCallExit) any { return &e.SysCallNtStatus }))
	perfDebugger = fields[PerfInfoDebuggerEnabled]()
	perfSpinCfg  = fields(
		u32("SpinLockSpinThreshold", func(e *PerfInfoSpinLockConfig) any { return &e.SpinLockSpinThreshold }),
		u32("SpinLockContentionSampleRate", func(e *PerfInfoSpinLockConfig) any { return &e.SpinLockContentionSampleRate }),
		u32("SpinLockAcquireSampleRate", func(e *PerfInfoSpinLockConfig) any { return &e.SpinLockAcquireSampleRate }),
		u32("SpinLockHoldThreshold", func(e *PerfInfoSpinLockConfig) any { return &e.SpinLockHoldThreshold }))
)

func perfISRLayout(msi bool) *layout[PerfInfoISR] {
	type I = PerfInfoISR
	fs := []field[I]{
		u64("InitialTime", func(e *I) any { return &e.InitialTime }),
		pointer("Routine", func(e *I) any { return &e.Routine }),
		u8("ReturnValue", func(e *I) any { return &e.ReturnValue }),
		u16("Vector", func(e *I) any { return &e.Vector }),
		u8("Reserved", func(e *I) any { return &e.Reserved }),
	}
	if msi {
		fs = append(fs, u32("MessageNumber", func(e *I) any { return &e.MessageNumber }))
	}
	return fields(fs...)
}

func perfCollectionLayout(v uint16) *layout[PerfInfoCollection] {
	type C = PerfInfoCollection
	fs := []field[C]{
		u32("Source", func(e *C) any { return &e.Source }),
		u32("NewInterval", func(e *C) any { return &e.NewInterval }),
		u32("OldInterval", func(e *C) any { return &e.OldInterval }),
	}
	if v >= 3 {
		fs = append(fs, wstr("SourceName", func(e *C) any { return &e.SourceName }))
	}
	return fields(fs...)
}

func init() {
	kernelClasses[PerfInfoGUID] = true
	k := func(op uint8) Key { return KernelKey(PerfInfoGUID, op, 2) }
	def[PerfInfoSample, *PerfInfoSample]{name: "PerfInfo/SampleProf", l: perfSample,
		slot: func(p *Parser) *PerfInfoSample { return &p.ext.perfSample }}.add(k(46))
	for op, msi := range map[Op]bool{50: true, 67: false} {
		name := map[bool]string{true: "PerfInfo/ISR-MSI", false: "PerfInfo/ISR"}[msi]
		def[PerfInfoISR, *PerfInfoISR]{name: name, l: perfISRLayout(msi),
			slot: func(p *Parser) *PerfInfoISR { return &p.ext.perfISR },
			init: setOp(op, func(e *PerfInfoISR) *Op { return &e.Op })}.add(k(uint8(op)))
	}
	for op, name := range map[Op]string{66: "ThreadedDPC", 68: "DPC", 69: "TimerDPC"} {
		def[PerfInfoDPC, *PerfInfoDPC]{name: "PerfInfo/" + name, l: perfDPC,
			slot: func(p *Parser) *PerfInfoDPC { return &p.ext.perfDPC },
			init: setOp(op, func(e *PerfInfoDPC) *Op { return &e.Op })}.add(k(uint8(op)))
	}
	def[PerfInfoSysCallEnter, *PerfInfoSysCallEnter]{name: "PerfInfo/SysClEnter", l: perfSysEnter,
		slot: func(p *Parser) *PerfInfoSysCallEnter { return &p.ext.perfSysEnter }}.add(k(51))
	def[PerfInfoSysCallExit, *PerfInfoSysCallExit]{name: "PerfInfo/SysClExit", l: perfSysExit,
		slot: func(p *Parser) *PerfInfoSysCallExit { return &p.ext.perfSysExit }}.add(k(52))
	def[PerfInfoDebuggerEnabled, *PerfInfoDebuggerEnabled]{name: "PerfInfo/DebuggerEnabled", l: perfDebugger,
		slot: func(p *Parser) *PerfInfoDebuggerEnabled { return &p.ext.perfDebugger }}.add(k(58))
	for v := uint16(2); v <= 3; v++ {
		l := perfCollectionLayout(v)
		for op, name := range map[Op]string{73: "CollectionStart", 74: "CollectionEnd"} {
			def[PerfInfoCollection, *PerfInfoCollection]{name: "PerfInfo/" + name, l: l,
				slot: func(p *Parser) *PerfInfoCollection { return &p.ext.perfColl },
				init: setOp(op, func(e *PerfInfoCollection) *Op { return &e.Op })}.add(KernelKey(PerfInfoGUID, uint8(op), v))
		}
	}
	for op, name := range map[Op]string{75: "CollectionStart", 76: "CollectionEnd"} {
		def[PerfInfoSpinLockConfig, *PerfInfoSpinLockConfig]{name: "PerfInfo/" + name, l: perfSpinCfg,
			slot: func(p *Parser) *PerfInfoSpinLockConfig { return &p.ext.perfSpinCfg },
			init: setOp(op, func(e *PerfInfoSpinLockConfig) *Op { return &e.Op })}.add(KernelKey(PerfInfoGUID, uint8(op), 3))
	}
}
