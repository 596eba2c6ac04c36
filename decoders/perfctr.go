package decoders

// Process PerfCtr / PerfCtrRundown (MOF Process_V2_TypeGroup2) and the
// Image class's KernelBase / HypercallPage events (Image_V2).

// ProcessPerfCtr is Process PerfCtr (32) / PerfCtrRundown (33): a
// process's memory counters; the sizes are pointer-sized (SIZE_T).
type ProcessPerfCtr struct {
	Op                         Op     `json:"op"`
	ProcessID                  uint32 `json:"process_id"`
	PageFaultCount             uint32 `json:"page_fault_count"`
	HandleCount                uint32 `json:"handle_count"`
	Reserved                   uint32 `json:"reserved"`
	PeakVirtualSize            uint64 `json:"peak_virtual_size"`
	PeakWorkingSetSize         uint64 `json:"peak_working_set_size"`
	PeakPagefileUsage          uint64 `json:"peak_pagefile_usage"`
	QuotaPeakPagedPoolUsage    uint64 `json:"quota_peak_paged_pool_usage"`
	QuotaPeakNonPagedPoolUsage uint64 `json:"quota_peak_non_paged_pool_usage"`
	VirtualSize                uint64 `json:"virtual_size"`
	WorkingSetSize             uint64 `json:"working_set_size"`
	PagefileUsage              uint64 `json:"pagefile_usage"`
	QuotaPagedPoolUsage        uint64 `json:"quota_paged_pool_usage"`
	QuotaNonPagedPoolUsage     uint64 `json:"quota_non_paged_pool_usage"`
	PrivatePageCount           uint64 `json:"private_page_count"`
}

// ImageKernelBase is Image KernelBase (33): the kernel's load address.
type ImageKernelBase struct {
	ImageBase uint64 `json:"image_base"`
}

// ImageHypercallPage is Image HypercallPage (34): the hypercall page's
// virtual address.
type ImageHypercallPage struct {
	HypercallPageVa uint64 `json:"hypercall_page_va"`
}

func (*ProcessPerfCtr) EventName() string     { return "Process/PerfCtr" }
func (*ImageKernelBase) EventName() string    { return "Image/KernelBase" }
func (*ImageHypercallPage) EventName() string { return "Image/HypercallPage" }

var processPerfCtr = func() *layout[ProcessPerfCtr] {
	type P = ProcessPerfCtr
	return fields(
		u32("ProcessId", func(e *P) any { return &e.ProcessID }),
		u32("PageFaultCount", func(e *P) any { return &e.PageFaultCount }),
		u32("HandleCount", func(e *P) any { return &e.HandleCount }),
		u32("Reserved", func(e *P) any { return &e.Reserved }),
		pointer("PeakVirtualSize", func(e *P) any { return &e.PeakVirtualSize }),
		pointer("PeakWorkingSetSize", func(e *P) any { return &e.PeakWorkingSetSize }),
		pointer("PeakPagefileUsage", func(e *P) any { return &e.PeakPagefileUsage }),
		pointer("QuotaPeakPagedPoolUsage", func(e *P) any { return &e.QuotaPeakPagedPoolUsage }),
		pointer("QuotaPeakNonPagedPoolUsage", func(e *P) any { return &e.QuotaPeakNonPagedPoolUsage }),
		pointer("VirtualSize", func(e *P) any { return &e.VirtualSize }),
		pointer("WorkingSetSize", func(e *P) any { return &e.WorkingSetSize }),
		pointer("PagefileUsage", func(e *P) any { return &e.PagefileUsage }),
		pointer("QuotaPagedPoolUsage", func(e *P) any { return &e.QuotaPagedPoolUsage }),
		pointer("QuotaNonPagedPoolUsage", func(e *P) any { return &e.QuotaNonPagedPoolUsage }),
		pointer("PrivatePageCount", func(e *P) any { return &e.PrivatePageCount }))
}()

var (
	imageKernelBase    = fields(pointer("BaseAddress", func(e *ImageKernelBase) any { return &e.ImageBase }))
	imageHypercallPage = fields(pointer("HypercallPageVa", func(e *ImageHypercallPage) any { return &e.HypercallPageVa }))
)

func init() {
	for op, name := range map[Op]string{32: "PerfCtr", 33: "PerfCtrRundown"} {
		def[ProcessPerfCtr, *ProcessPerfCtr]{name: "Process/" + name, l: processPerfCtr,
			slot: func(p *Parser) *ProcessPerfCtr { return &p.ext.perfCtr },
			init: setOp(op, func(e *ProcessPerfCtr) *Op { return &e.Op })}.add(KernelKey(ProcessGUID, uint8(op), 2))
	}
	def[ImageKernelBase, *ImageKernelBase]{name: "Image/KernelBase", l: imageKernelBase,
		slot: func(p *Parser) *ImageKernelBase { return &p.ext.kernelBase }}.add(KernelKey(ImageGUID, 33, 2))
	def[ImageHypercallPage, *ImageHypercallPage]{name: "Image/HypercallPage", l: imageHypercallPage,
		slot: func(p *Parser) *ImageHypercallPage { return &p.ext.hypercall }}.add(KernelKey(ImageGUID, 34, 2))
}
