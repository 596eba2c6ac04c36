package decoders

// EventTrace (docs/events.md#eventtrace), SystemConfig CPU (docs/events.md#systemconfig), Object manager
// (docs/events.md#object), PageFault/VirtualAlloc (docs/events.md#pagefault) and DiskIo (docs/events.md#diskio) layouts.

var eventTraceHeader = func() *layout[EventTraceHeader] {
	type H = EventTraceHeader
	return fields(
		u32("BufferSize", func(e *H) any { return &e.BufferSize }),
		u32("Version", func(e *H) any { return &e.Version }),
		u32("ProviderVersion", func(e *H) any { return &e.ProviderVersion }),
		u32("NumberOfProcessors", func(e *H) any { return &e.NumberOfProcessors }),
		u64("EndTime", func(e *H) any { return &e.EndTime }),
		u32("TimerResolution", func(e *H) any { return &e.TimerResolution }),
		u32("MaximumFileSize", func(e *H) any { return &e.MaximumFileSize }),
		u32("LogFileMode", func(e *H) any { return &e.LogFileMode }),
		u32("BuffersWritten", func(e *H) any { return &e.BuffersWritten }),
		u32("StartBuffers", func(e *H) any { return &e.StartBuffers }),
		u32("PointerSize", func(e *H) any { return &e.PointerSize }),
		u32("EventsLost", func(e *H) any { return &e.EventsLost }),
		u32("CPUSpeed", func(e *H) any { return &e.CPUSpeed }),
		pointer("LoggerName", func(e *H) any { return &e.LoggerNamePtr }),
		pointer("LogFileName", func(e *H) any { return &e.LogFileNamePtr }),
		u32("TimeZone.Bias", func(e *H) any { return &e.TimeZone.Bias }),
		fixedW("TimeZone.StandardName", 32, func(e *H) any { return &e.TimeZone.StandardName }),
		systime("TimeZone.StandardDate", func(e *H) any { return &e.TimeZone.StandardDate }),
		u32("TimeZone.StandardBias", func(e *H) any { return &e.TimeZone.StandardBias }),
		fixedW("TimeZone.DaylightName", 32, func(e *H) any { return &e.TimeZone.DaylightName }),
		systime("TimeZone.DaylightDate", func(e *H) any { return &e.TimeZone.DaylightDate }),
		u32("TimeZone.DaylightBias", func(e *H) any { return &e.TimeZone.DaylightBias }),
		u32("TimeZone padding", func(e *H) any { return &e.TimeZonePadding }),
		u64("BootTime", func(e *H) any { return &e.BootTime }),
		u64("PerfFreq", func(e *H) any { return &e.PerfFreq }),
		u64("StartTime", func(e *H) any { return &e.StartTime }),
		u32("ReservedFlags", func(e *H) any { return &e.ReservedFlags }),
		u32("BuffersLost", func(e *H) any { return &e.BuffersLost }),
		wstr("SessionName", func(e *H) any { return &e.SessionName }),
		wstr("LogFileName", func(e *H) any { return &e.LogFileName }),
	)
}()

var eventTraceExtension = func() *layout[EventTraceExtension] {
	type X = EventTraceExtension
	fs := make([]field[X], 0, 9)
	names := []string{"GroupMask1", "GroupMask2", "GroupMask3", "GroupMask4", "GroupMask5", "GroupMask6", "GroupMask7", "GroupMask8"}
	for i, n := range names {
		fs = append(fs, u32(n, func(e *X) any { return &e.GroupMasks[i] }))
	}
	fs = append(fs, u32("KernelEventVersion", func(e *X) any { return &e.KernelEventVersion }))
	return fields(fs...)
}()

func systemConfigCPU(v uint16) *layout[SystemConfigCPU] {
	type C = SystemConfigCPU
	domain := 134
	if v < 2 {
		domain = 132
	}
	has := func(e *C) *bool { return &e.HasV3 }
	fs := []field[C]{
		u32("MHz", func(e *C) any { return &e.MHz }),
		u32("NumberOfProcessors", func(e *C) any { return &e.NumberOfProcessors }),
		u32("MemSize", func(e *C) any { return &e.MemSize }),
		u32("PageSize", func(e *C) any { return &e.PageSize }),
		u32("AllocationGranularity", func(e *C) any { return &e.AllocationGranularity }),
		fixedW("ComputerName", 256, func(e *C) any { return &e.ComputerName }),
		fixedW("DomainName", domain, func(e *C) any { return &e.DomainName }),
		pointer("HyperThreadingFlag", func(e *C) any { return &e.HyperThreadingFlag }),
	}
	if v >= 3 {
		fs = append(fs,
			optional(pointer("HighestUserAddress", func(e *C) any { return &e.HighestUserAddress }), has),
			optional(u16("ProcessorArchitecture", func(e *C) any { return &e.ProcessorArchitecture }), has),
			optional(u16("ProcessorLevel", func(e *C) any { return &e.ProcessorLevel }), has),
			optional(u16("ProcessorRevision", func(e *C) any { return &e.ProcessorRevision }), has),
			optional(u8("PaeEnabled", func(e *C) any { return &e.PaeEnabled }), has),
			optional(u8("NxEnabled", func(e *C) any { return &e.NxEnabled }), has),
			optional(u32("MemorySpeed", func(e *C) any { return &e.MemorySpeed }), has),
		)
	}
	return fields(fs...)
}

var (
	obHandle = fields(
		pointer("Object", func(e *ObjectHandle) any { return &e.Object }),
		u32("Handle", func(e *ObjectHandle) any { return &e.Handle }),
		u16("ObjectType", func(e *ObjectHandle) any { return &e.ObjectType }),
		wstr("ObjectName", func(e *ObjectHandle) any { return &e.ObjectName }),
	)
	obDuplicate   = duplicateLayout(3)
	obDuplicateV2 = duplicateLayout(2)
	obTypeDC      = fields(
		u16("ObjectType", func(e *ObjectTypeDC) any { return &e.ObjectType }),
		u16("Reserved", func(e *ObjectTypeDC) any { return &e.Reserved }),
		wstr("TypeName", func(e *ObjectTypeDC) any { return &e.TypeName }),
	)
	obHandleDC = fields(
		pointer("Object", func(e *ObjectHandleDC) any { return &e.Object }),
		u32("ProcessId", func(e *ObjectHandleDC) any { return &e.ProcessID }),
		u32("Handle", func(e *ObjectHandleDC) any { return &e.Handle }),
		u16("ObjectType", func(e *ObjectHandleDC) any { return &e.ObjectType }),
		wstr("ObjectName", func(e *ObjectHandleDC) any { return &e.ObjectName }),
	)
	obLifetime = fields(
		pointer("Object", func(e *ObjectLifetime) any { return &e.Object }),
		u16("ObjectType", func(e *ObjectLifetime) any { return &e.ObjectType }),
		alignP[ObjectLifetime]("padding"),
	)
	obReference = fields(
		pointer("Object", func(e *ObjectReference) any { return &e.Object }),
		u32("Tag", func(e *ObjectReference) any { return &e.Tag }),
		u32("Count", func(e *ObjectReference) any { return &e.Count }),
	)
)

// duplicateLayout is DuplicateHandle, pack(1); SourceProcessId sits at the
// unaligned offset 18/22. It is required in v3 (the observed version) and
// read when present in v2.
func duplicateLayout(v uint16) *layout[ObjectDuplicateHandle] {
	type D = ObjectDuplicateHandle
	src := u32("SourceProcessId", func(e *D) any { return &e.SourceProcessID })
	if v < 3 {
		src = optional(src, func(e *D) *bool { return &e.HasSourceProcessID })
	}
	return fields(
		pointer("Object", func(e *D) any { return &e.Object }),
		u32("SourceHandle", func(e *D) any { return &e.SourceHandle }),
		u32("TargetHandle", func(e *D) any { return &e.TargetHandle }),
		u32("TargetProcessId", func(e *D) any { return &e.TargetProcessID }),
		u16("ObjectType", func(e *D) any { return &e.ObjectType }),
		src,
	)
}

func virtualAllocLayout(dc bool) *layout[VirtualAlloc] {
	type V = VirtualAlloc
	fs := []field[V]{
		pointer("BaseAddress", func(e *V) any { return &e.BaseAddress }),
		pointer("RegionSize", func(e *V) any { return &e.RegionSize }),
		u32("ProcessId", func(e *V) any { return &e.ProcessID }),
		u32("Flags", func(e *V) any { return &e.Flags }),
	}
	if dc {
		fs = append(fs, pointer("CommitSizeInBytes", func(e *V) any { return &e.CommitSize }))
	}
	return fields(fs...)
}

var (
	pfMappedSection = fields(
		pointer("RangeBase", func(e *PFMappedSection) any { return &e.RangeBase }),
		pointer("RangeEnd", func(e *PFMappedSection) any { return &e.RangeEnd }),
		u32("CreatingProcessId", func(e *PFMappedSection) any { return &e.CreatingProcessID }),
	)
	pfSectionObject = fields(
		pointer("SectionObject", func(e *PFSectionObject) any { return &e.SectionObject }),
		pointer("RangeBase", func(e *PFSectionObject) any { return &e.RangeBase }),
	)
)

func diskIoLayout(v uint16) *layout[DiskIo] {
	type D = DiskIo
	fs := []field[D]{
		u32("DiskNumber", func(e *D) any { return &e.DiskNumber }),
		u32("IrpFlags", func(e *D) any { return &e.IrpFlags }),
		u32("TransferSize", func(e *D) any { return &e.TransferSize }),
		u32("Reserved", func(e *D) any { return &e.Reserved }),
		u64("ByteOffset", func(e *D) any { return &e.ByteOffset }),
		pointer("FileObject", func(e *D) any { return &e.FileKey }),
		pointer("Irp", func(e *D) any { return &e.Irp }),
		u64("HighResResponseTime", func(e *D) any { return &e.HighResResponseTime }),
	}
	if v >= 3 {
		fs = append(fs, u32("IssuingThreadId", func(e *D) any { return &e.IssuingThreadID }))
	}
	return fields(fs...)
}

func diskIoInitLayout(v uint16) *layout[DiskIoInit] {
	fs := []field[DiskIoInit]{pointer("Irp", func(e *DiskIoInit) any { return &e.Irp })}
	if v >= 3 {
		fs = append(fs, u32("IssuingThreadId", func(e *DiskIoInit) any { return &e.IssuingThreadID }))
	}
	return fields(fs...)
}

func diskIoFlushLayout(v uint16) *layout[DiskIoFlush] {
	type F = DiskIoFlush
	fs := []field[F]{
		u32("DiskNumber", func(e *F) any { return &e.DiskNumber }),
		u32("IrpFlags", func(e *F) any { return &e.IrpFlags }),
		u64("HighResResponseTime", func(e *F) any { return &e.HighResResponseTime }),
		pointer("Irp", func(e *F) any { return &e.Irp }),
	}
	if v >= 3 {
		fs = append(fs, u32("IssuingThreadId", func(e *F) any { return &e.IssuingThreadID }))
	}
	return fields(fs...)
}

func init() {
	for v := uint16(0); v <= 2; v++ {
		def[EventTraceHeader, *EventTraceHeader]{name: "EventTrace/Header", l: eventTraceHeader,
			slot: func(p *Parser) *EventTraceHeader { return &p.etHeader }}.add(KernelKey(EventTraceGUID, 0, v))
	}
	for _, op := range []Op{5, 32} {
		name := map[Op]string{5: "EventTrace/Extension", 32: "EventTrace/EndExtension"}[op]
		def[EventTraceExtension, *EventTraceExtension]{name: name, l: eventTraceExtension,
			slot: func(p *Parser) *EventTraceExtension { return &p.etExt },
			init: setOp(op, func(e *EventTraceExtension) *Op { return &e.Op })}.add(KernelKey(EventTraceGUID, uint8(op), 2))
	}
	for v := uint16(0); v <= 3; v++ {
		def[SystemConfigCPU, *SystemConfigCPU]{name: "SystemConfig/CPU", l: systemConfigCPU(v),
			slot: func(p *Parser) *SystemConfigCPU { return &p.sysCPU }}.add(KernelKey(SystemConfigGUID, 10, v))
	}

	obNames := map[Op]string{32: "CreateHandle", 33: "CloseHandle", 34: "DuplicateHandle", 36: "TypeDCStart",
		37: "TypeDCEnd", 38: "HandleDCStart", 39: "HandleDCEnd", 48: "CreateObject", 49: "DeleteObject",
		50: "ReferenceObject", 51: "DereferenceObject"}
	for v := uint16(2); v <= 3; v++ {
		k := func(op Op) Key { return KernelKey(ObjectGUID, uint8(op), v) }
		for _, op := range []Op{32, 33} {
			def[ObjectHandle, *ObjectHandle]{name: "Object/" + obNames[op], l: obHandle,
				slot: func(p *Parser) *ObjectHandle { return &p.obHandle },
				init: setOp(op, func(e *ObjectHandle) *Op { return &e.Op })}.add(k(op))
		}
		dup := obDuplicate
		if v == 2 {
			dup = obDuplicateV2
		}
		def[ObjectDuplicateHandle, *ObjectDuplicateHandle]{name: "Object/DuplicateHandle", l: dup,
			slot: func(p *Parser) *ObjectDuplicateHandle { return &p.obDup }}.add(k(34))
		for _, op := range []Op{36, 37} {
			def[ObjectTypeDC, *ObjectTypeDC]{name: "Object/" + obNames[op], l: obTypeDC,
				slot: func(p *Parser) *ObjectTypeDC { return &p.obType },
				init: setOp(op, func(e *ObjectTypeDC) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{38, 39} {
			def[ObjectHandleDC, *ObjectHandleDC]{name: "Object/" + obNames[op], l: obHandleDC,
				slot: func(p *Parser) *ObjectHandleDC { return &p.obHandleDC },
				init: setOp(op, func(e *ObjectHandleDC) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{48, 49} {
			def[ObjectLifetime, *ObjectLifetime]{name: "Object/" + obNames[op], l: obLifetime,
				slot: func(p *Parser) *ObjectLifetime { return &p.obLife },
				init: setOp(op, func(e *ObjectLifetime) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{50, 51} {
			def[ObjectReference, *ObjectReference]{name: "Object/" + obNames[op], l: obReference,
				slot: func(p *Parser) *ObjectReference { return &p.obRef },
				init: setOp(op, func(e *ObjectReference) *Op { return &e.Op })}.add(k(op))
		}
	}

	pfNames := map[Op]string{98: "VirtualAlloc", 99: "VirtualFree", 128: "VirtualAllocDCStart", 129: "VirtualAllocDCEnd",
		73: "PFMappedSectionCreate", 79: "PFMappedSectionDelete", 135: "SectionObjectCreate", 136: "SectionObjectDelete"}
	for v := uint16(2); v <= 3; v++ {
		k := func(op Op) Key { return KernelKey(PageFaultGUID, uint8(op), v) }
		for _, op := range []Op{98, 99, 128, 129} {
			def[VirtualAlloc, *VirtualAlloc]{name: "PageFault/" + pfNames[op], l: virtualAllocLayout(op >= 128),
				slot: func(p *Parser) *VirtualAlloc { return &p.vAlloc },
				init: setOp(op, func(e *VirtualAlloc) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{73, 79} {
			def[PFMappedSection, *PFMappedSection]{name: "PageFault/" + pfNames[op], l: pfMappedSection,
				slot: func(p *Parser) *PFMappedSection { return &p.pfSection },
				init: setOp(op, func(e *PFMappedSection) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{135, 136} {
			def[PFSectionObject, *PFSectionObject]{name: "PageFault/" + pfNames[op], l: pfSectionObject,
				slot: func(p *Parser) *PFSectionObject { return &p.pfSecObj },
				init: setOp(op, func(e *PFSectionObject) *Op { return &e.Op })}.add(k(op))
		}
	}

	diskNames := map[Op]string{10: "Read", 11: "Write", 12: "ReadInit", 13: "WriteInit", 14: "FlushBuffers", 15: "FlushInit"}
	for v := uint16(2); v <= 3; v++ {
		k := func(op Op) Key { return KernelKey(DiskIoGUID, uint8(op), v) }
		for _, op := range []Op{10, 11} {
			def[DiskIo, *DiskIo]{name: "DiskIo/" + diskNames[op], l: diskIoLayout(v),
				slot: func(p *Parser) *DiskIo { return &p.diskIo },
				init: setOp(op, func(e *DiskIo) *Op { return &e.Op })}.add(k(op))
		}
		for _, op := range []Op{12, 13, 15} {
			def[DiskIoInit, *DiskIoInit]{name: "DiskIo/" + diskNames[op], l: diskIoInitLayout(v),
				slot: func(p *Parser) *DiskIoInit { return &p.diskInit },
				init: setOp(op, func(e *DiskIoInit) *Op { return &e.Op })}.add(k(op))
		}
		def[DiskIoFlush, *DiskIoFlush]{name: "DiskIo/FlushBuffers", l: diskIoFlushLayout(v),
			slot: func(p *Parser) *DiskIoFlush { return &p.diskFlush }}.add(k(14))
	}
}
