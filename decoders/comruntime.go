package decoders

import "github.com/ipctrace/ipctrace/etw"

// Microsoft-Windows-COMRuntime: the COM call-delay events. The layouts are
// the provider manifest's templates CliModalLoopDelayArgs, ComCallDelayArgs
// and PrematureStubRundownArgs, all version 0 and made of fixed-size fields
// (the same on x86 and x64; docs/events.md#com). Windows writes them on its
// own threshold; no trace holding them has been seen, so what the values
// mean is inferred.

// COMRuntimeGUID is the Microsoft-Windows-COMRuntime provider.
var COMRuntimeGUID = etw.MustParseGUID("bf406804-6afa-46e7-8a48-6c357e1d6d61")

// COMRuntime keywords.
const (
	COMKeywordCliModalLoop         = 0x1
	COMKeywordComCallWaitAnalysis  = 0x2
	COMKeywordDropInputMessage     = 0x4
	COMKeywordPrematureStubRundown = 0x8
)

// COMRuntime event ids (manifest event values).
const (
	COMCliModalLoopDelayID    uint16 = 1
	COMCallDelayID            uint16 = 2
	COMPrematureStubRundownID uint16 = 7
)

// COMCliModalLoopDelay is CliModalLoopDelay (1): a client thread (an STA)
// sat in COM's modal loop while an outgoing call was pending.
type COMCliModalLoopDelay struct {
	Flags       uint32 `json:"flags"`
	BlockTimeMs uint32 `json:"block_time_ms"`
	TotalTimeMs uint32 `json:"total_time_ms"`
}

// COMCallDelay is ComCallDelay (2), written on the calling thread after a
// slow COM call: the target process and thread, the interface IID, the
// method number (vtable slot) and the call's HRESULT.
type COMCallDelay struct {
	Flags           uint32   `json:"flags"`
	CallTimeMs      uint32   `json:"call_time_ms"`
	CallResult      uint32   `json:"call_result"` // HRESULT
	TargetThreadID  uint32   `json:"target_thread_id"`
	TargetProcessID uint32   `json:"target_process_id"`
	TargetMethod    uint32   `json:"target_method"`
	TargetInterface etw.GUID `json:"target_interface"`
}

// COMPrematureStubRundown is PrematureStubRundown (7): a server stub was run
// down while a call on it was still in progress.
type COMPrematureStubRundown struct {
	IID      etw.GUID `json:"iid"`
	Method   uint32   `json:"method"`
	IPID     etw.GUID `json:"ipid"`
	CallType uint32   `json:"call_type"`
}

func (*COMCliModalLoopDelay) EventName() string    { return "COMRuntime/CliModalLoopDelay" }
func (*COMCallDelay) EventName() string            { return "COMRuntime/ComCallDelay" }
func (*COMPrematureStubRundown) EventName() string { return "COMRuntime/PrematureStubRundown" }

var (
	comModalLoop = fields(
		u32("Flags", func(e *COMCliModalLoopDelay) any { return &e.Flags }),
		u32("BlockTimeMs", func(e *COMCliModalLoopDelay) any { return &e.BlockTimeMs }),
		u32("TotalTimeMs", func(e *COMCliModalLoopDelay) any { return &e.TotalTimeMs }),
	)
	comCallDelay = fields(
		u32("Flags", func(e *COMCallDelay) any { return &e.Flags }),
		u32("CallTimeMs", func(e *COMCallDelay) any { return &e.CallTimeMs }),
		u32("CallResult", func(e *COMCallDelay) any { return &e.CallResult }),
		u32("TargetThreadId", func(e *COMCallDelay) any { return &e.TargetThreadID }),
		u32("TargetProcessId", func(e *COMCallDelay) any { return &e.TargetProcessID }),
		u32("TargetMethod", func(e *COMCallDelay) any { return &e.TargetMethod }),
		guid("TargetInterface", func(e *COMCallDelay) any { return &e.TargetInterface }),
	)
	comStubRundown = fields(
		guid("IID", func(e *COMPrematureStubRundown) any { return &e.IID }),
		u32("Method", func(e *COMPrematureStubRundown) any { return &e.Method }),
		guid("IPID", func(e *COMPrematureStubRundown) any { return &e.IPID }),
		u32("CallType", func(e *COMPrematureStubRundown) any { return &e.CallType }),
	)
)

func init() {
	providerNames[COMRuntimeGUID] = "Microsoft-Windows-COMRuntime"
	k := func(id uint16) Key { return ManifestKey(COMRuntimeGUID, id, 0) }
	def[COMCliModalLoopDelay, *COMCliModalLoopDelay]{name: "COMRuntime/CliModalLoopDelay", l: comModalLoop,
		slot: func(p *Parser) *COMCliModalLoopDelay { return &p.w32k.comModal }}.add(k(COMCliModalLoopDelayID))
	def[COMCallDelay, *COMCallDelay]{name: "COMRuntime/ComCallDelay", l: comCallDelay,
		slot: func(p *Parser) *COMCallDelay { return &p.w32k.comCall }}.add(k(COMCallDelayID))
	def[COMPrematureStubRundown, *COMPrematureStubRundown]{name: "COMRuntime/PrematureStubRundown", l: comStubRundown,
		slot: func(p *Parser) *COMPrematureStubRundown { return &p.w32k.comStub }}.add(k(COMPrematureStubRundownID))
}
