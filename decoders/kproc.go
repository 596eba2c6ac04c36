package decoders

// Microsoft-Windows-Kernel-Process (docs/events.md#kernel-process). The v3+ ProcessStart,
// v2 ProcessStop and the thread/image templates are from the manifest; the
// v0/v1 ProcessStart and ProcessStop prefixes are inferred [I] from the
// event messages of older manifests (fields a layout does not list are
// ignored as trailing bytes).

func kpStartLayout(v uint16) *layout[KernelProcessStart] {
	type S = KernelProcessStart
	pid := u32("ProcessID", func(e *S) any { return &e.ProcessID })
	if v <= 2 {
		fs := []field[S]{
			pid,
			u64("CreateTime", func(e *S) any { return &e.CreateTime }),
			u32("ParentProcessID", func(e *S) any { return &e.ParentProcessID }),
			u32("SessionID", func(e *S) any { return &e.SessionID }),
		}
		if v >= 1 {
			fs = append(fs, u32("Flags", func(e *S) any { return &e.Flags }))
		}
		fs = append(fs, wstr("ImageName", func(e *S) any { return &e.ImageName }))
		if v == 2 {
			fs = append(fs,
				u32("ImageChecksum", func(e *S) any { return &e.ImageChecksum }),
				u32("TimeDateStamp", func(e *S) any { return &e.TimeDateStamp }),
				wstr("PackageFullName", func(e *S) any { return &e.PackageFullName }),
				wstr("PackageRelativeAppId", func(e *S) any { return &e.PackageRelativeAppID }))
		}
		return fields(fs...)
	}
	fs := []field[S]{
		pid,
		u64("ProcessSequenceNumber", func(e *S) any { return &e.ProcessSequenceNumber }),
		u64("CreateTime", func(e *S) any { return &e.CreateTime }),
		u32("ParentProcessID", func(e *S) any { return &e.ParentProcessID }),
		u64("ParentProcessSequenceNumber", func(e *S) any { return &e.ParentProcessSequenceNumber }),
		u32("SessionID", func(e *S) any { return &e.SessionID }),
		u32("Flags", func(e *S) any { return &e.Flags }),
		u32("ProcessTokenElevationType", func(e *S) any { return &e.ProcessTokenElevationType }),
		u32("ProcessTokenIsElevated", func(e *S) any { return &e.ProcessTokenIsElevated }),
		{name: "MandatoryLabel", kind: kSID, sid: func(e *S) *SIDField { return &e.MandatoryLabel },
			str: func(e *S) *string { return &e.MandatoryLabelSID }},
		wstr("ImageName", func(e *S) any { return &e.ImageName }),
		u32("ImageChecksum", func(e *S) any { return &e.ImageChecksum }),
		u32("TimeDateStamp", func(e *S) any { return &e.TimeDateStamp }),
		wstr("PackageFullName", func(e *S) any { return &e.PackageFullName }),
		wstr("PackageRelativeAppId", func(e *S) any { return &e.PackageRelativeAppID }),
	}
	if v >= 4 {
		fs = append(fs, u32("SecurityMitigations", func(e *S) any { return &e.SecurityMitigations }))
	}
	if v >= 5 {
		fs = append(fs,
			u32("PartitionID", func(e *S) any { return &e.PartitionID }),
			u16("ProcessMachine", func(e *S) any { return &e.ProcessMachine }))
	}
	return fields(fs...)
}

func kpStopLayout(v uint16) *layout[KernelProcessStop] {
	type S = KernelProcessStop
	fs := []field[S]{u32("ProcessID", func(e *S) any { return &e.ProcessID })}
	if v >= 2 {
		fs = append(fs, u64("ProcessSequenceNumber", func(e *S) any { return &e.ProcessSequenceNumber }))
	}
	fs = append(fs,
		u64("CreateTime", func(e *S) any { return &e.CreateTime }),
		u64("ExitTime", func(e *S) any { return &e.ExitTime }),
		u32("ExitCode", func(e *S) any { return &e.ExitCode }))
	if v == 0 {
		return fields(fs...)
	}
	fs = append(fs,
		u32("TokenElevationType", func(e *S) any { return &e.TokenElevationType }),
		u32("HandleCount", func(e *S) any { return &e.HandleCount }),
		u64("CommitCharge", func(e *S) any { return &e.CommitCharge }),
		u64("CommitPeak", func(e *S) any { return &e.CommitPeak }),
		u64("CPUCycleCount", func(e *S) any { return &e.CPUCycleCount }),
		u32("ReadOperationCount", func(e *S) any { return &e.ReadOperationCount }),
		u32("WriteOperationCount", func(e *S) any { return &e.WriteOperationCount }),
		u32("ReadTransferKiloBytes", func(e *S) any { return &e.ReadTransferKiloBytes }),
		u32("WriteTransferKiloBytes", func(e *S) any { return &e.WriteTransferKiloBytes }),
		u32("HardFaultCount", func(e *S) any { return &e.HardFaultCount }),
		astr("ImageName", func(e *S) any { return &e.ImageName }))
	return fields(fs...)
}

func kpThreadLayout(v uint16, stop bool) *layout[KernelThread] {
	type T = KernelThread
	fs := []field[T]{
		u32("ProcessID", func(e *T) any { return &e.ProcessID }),
		u32("ThreadID", func(e *T) any { return &e.ThreadID }),
		pointer("StackBase", func(e *T) any { return &e.StackBase }),
		pointer("StackLimit", func(e *T) any { return &e.StackLimit }),
		pointer("UserStackBase", func(e *T) any { return &e.UserStackBase }),
		pointer("UserStackLimit", func(e *T) any { return &e.UserStackLimit }),
		pointer("StartAddr", func(e *T) any { return &e.StartAddr }),
		pointer("Win32StartAddr", func(e *T) any { return &e.Win32StartAddr }),
		pointer("TebBase", func(e *T) any { return &e.TebBase }),
	}
	if v >= 1 {
		fs = append(fs, u32("SubProcessTag", func(e *T) any { return &e.SubProcessTag }))
		if stop {
			fs = append(fs, u64("CycleTime", func(e *T) any { return &e.CycleTime }))
		}
	}
	return fields(fs...)
}

var kpImageLayout = fields(
	pointer("ImageBase", func(e *KernelImage) any { return &e.ImageBase }),
	pointer("ImageSize", func(e *KernelImage) any { return &e.ImageSize }),
	u32("ProcessID", func(e *KernelImage) any { return &e.ProcessID }),
	u32("ImageCheckSum", func(e *KernelImage) any { return &e.ImageCheckSum }),
	u32("TimeDateStamp", func(e *KernelImage) any { return &e.TimeDateStamp }),
	pointer("DefaultBase", func(e *KernelImage) any { return &e.DefaultBase }),
	wstr("ImageName", func(e *KernelImage) any { return &e.ImageName }),
)

var kpWorkOnBehalf = fields(
	u32("OldWorkOnBehalfThreadID", func(e *KernelWorkOnBehalf) any { return &e.OldWorkOnBehalfThreadID }),
	u32("NewWorkOnBehalfThreadID", func(e *KernelWorkOnBehalf) any { return &e.NewWorkOnBehalfThreadID }),
)

func init() {
	k := func(id, v uint16) Key { return ManifestKey(KernelProcessGUID, id, v) }
	for v := uint16(0); v <= 5; v++ {
		l := kpStartLayout(v)
		def[KernelProcessStart, *KernelProcessStart]{name: "Kernel-Process/ProcessStart", l: l,
			slot: func(p *Parser) *KernelProcessStart { return &p.kpStart }}.add(k(1, v))
		if v >= 3 {
			def[KernelProcessStart, *KernelProcessStart]{name: "Kernel-Process/ProcessRundown", l: l,
				slot: func(p *Parser) *KernelProcessStart { return &p.kpStart },
				init: func(e *KernelProcessStart) { e.Rundown = true }}.add(k(15, v))
		}
	}
	for v := uint16(0); v <= 2; v++ {
		def[KernelProcessStop, *KernelProcessStop]{name: "Kernel-Process/ProcessStop", l: kpStopLayout(v),
			slot: func(p *Parser) *KernelProcessStop { return &p.kpStop }}.add(k(2, v))
	}
	for v := uint16(0); v <= 1; v++ {
		def[KernelThread, *KernelThread]{name: "Kernel-Process/ThreadStart", l: kpThreadLayout(v, false),
			slot: func(p *Parser) *KernelThread { return &p.kpThread }}.add(k(3, v))
		def[KernelThread, *KernelThread]{name: "Kernel-Process/ThreadStop", l: kpThreadLayout(v, true),
			slot: func(p *Parser) *KernelThread { return &p.kpThread },
			init: func(e *KernelThread) { e.Stop = true }}.add(k(4, v))
		def[KernelImage, *KernelImage]{name: "Kernel-Process/ImageLoad", l: kpImageLayout,
			slot: func(p *Parser) *KernelImage { return &p.kpImage }}.add(k(5, v))
		def[KernelImage, *KernelImage]{name: "Kernel-Process/ImageUnload", l: kpImageLayout,
			slot: func(p *Parser) *KernelImage { return &p.kpImage },
			init: func(e *KernelImage) { e.Unload = true }}.add(k(6, v))
		def[KernelWorkOnBehalf, *KernelWorkOnBehalf]{name: "Kernel-Process/ThreadWorkOnBehalfUpdate", l: kpWorkOnBehalf,
			slot: func(p *Parser) *KernelWorkOnBehalf { return &p.kpWob }}.add(k(21, v))
	}
}
