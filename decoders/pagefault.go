package decoders

// PageFault fault events (MOF PageFault_V2 classes; the allocation and
// section events of the same class are in kernel.go, docs/events.md#pagefault).

// PageFaultEvent is TransitionFault (10), DemandZeroFault (11), CopyOnWrite
// (12), GuardPageFault (13), HardPageFault (14) and AccessViolation (15):
// PageFault_TypeGroup1.
type PageFaultEvent struct {
	Op             Op     `json:"op"`
	VirtualAddress uint64 `json:"virtual_address"`
	ProgramCounter uint64 `json:"program_counter"`
}

// HardFault is PageFault HardFault (32): a page read from a file.
type HardFault struct {
	InitialTime    uint64 `json:"initial_time"`
	ReadOffset     uint64 `json:"read_offset"`
	VirtualAddress uint64 `json:"virtual_address"`
	FileObject     uint64 `json:"file_object"`
	ThreadID       uint32 `json:"thread_id"`
	ByteCount      uint32 `json:"byte_count"`
}

func (*PageFaultEvent) EventName() string { return "PageFault/Fault" }
func (*HardFault) EventName() string      { return "PageFault/HardFault" }

var (
	pageFaultLayout = fields(
		pointer("VirtualAddress", func(e *PageFaultEvent) any { return &e.VirtualAddress }),
		pointer("ProgramCounter", func(e *PageFaultEvent) any { return &e.ProgramCounter }))
	hardFaultLayout = fields(
		u64("InitialTime", func(e *HardFault) any { return &e.InitialTime }),
		u64("ReadOffset", func(e *HardFault) any { return &e.ReadOffset }),
		pointer("VirtualAddress", func(e *HardFault) any { return &e.VirtualAddress }),
		pointer("FileObject", func(e *HardFault) any { return &e.FileObject }),
		u32("TThreadId", func(e *HardFault) any { return &e.ThreadID }),
		u32("ByteCount", func(e *HardFault) any { return &e.ByteCount }))
)

var pageFaultNames = map[Op]string{10: "TransitionFault", 11: "DemandZeroFault", 12: "CopyOnWrite",
	13: "GuardPageFault", 14: "HardPageFault", 15: "AccessViolation"}

func init() {
	for op, name := range pageFaultNames {
		def[PageFaultEvent, *PageFaultEvent]{name: "PageFault/" + name, l: pageFaultLayout,
			slot: func(p *Parser) *PageFaultEvent { return &p.ext.pageFault },
			init: setOp(op, func(e *PageFaultEvent) *Op { return &e.Op })}.add(KernelKey(PageFaultGUID, uint8(op), 2))
	}
	def[HardFault, *HardFault]{name: "PageFault/HardFault", l: hardFaultLayout,
		slot: func(p *Parser) *HardFault { return &p.ext.hardFault }}.add(KernelKey(PageFaultGUID, 32, 2))
}
