package decoders

// Process (docs/events.md#process), Thread (docs/events.md#thread) and Image (docs/events.md#image) layouts.

func processLayout(v uint16) *layout[Process] {
	type P = Process
	sid := field[P]{name: "UserSID", kind: kTokenSID,
		sid: func(e *P) *SIDField { return &e.SID }, str: func(e *P) *string { return &e.UserSID }}
	image := astr("ImageFileName", func(e *P) any { return &e.ImageFileName })
	if v == 0 {
		// v0 (Process_V0_TypeGroup1): pointer-sized ids, no session or status.
		return fields(
			pointer("ProcessId", func(e *P) any { return &e.ProcessID }),
			pointer("ParentId", func(e *P) any { return &e.ParentID }),
			sid, image)
	}
	id := u32[P]
	if v == 1 {
		id = pointer[P] // v1: pointer-sized ProcessId/ParentId (docs/events.md#process)
	}
	fs := []field[P]{
		pointer("UniqueProcessKey", func(e *P) any { return &e.UniqueProcessKey }), // PageDirectoryBase in v1
		id("ProcessId", func(e *P) any { return &e.ProcessID }),
		id("ParentId", func(e *P) any { return &e.ParentID }),
		u32("SessionId", func(e *P) any { return &e.SessionID }),
		u32("ExitStatus", func(e *P) any { return &e.ExitStatus }),
	}
	if v >= 3 {
		fs = append(fs, pointer("DirectoryTableBase", func(e *P) any { return &e.DirectoryTableBase }))
	}
	if v >= 4 {
		fs = append(fs, u32("Flags", func(e *P) any { return &e.Flags }))
	}
	fs = append(fs, sid, image)
	if v >= 2 {
		fs = append(fs, wstr("CommandLine", func(e *P) any { return &e.CommandLine }))
	}
	if v >= 4 {
		fs = append(fs,
			wstr("PackageFullName", func(e *P) any { return &e.PackageFullName }),
			wstr("ApplicationId", func(e *P) any { return &e.ApplicationID }))
	}
	if v >= 5 {
		fs = append(fs, optional(u64("ExitTime", func(e *P) any { return &e.ExitTime }),
			func(e *P) *bool { return &e.HasExitTime }))
	}
	return fields(fs...)
}

var processTerminate = fields(u32("ProcessId", func(e *ProcessTerminate) any { return &e.ProcessID }))

func threadLayout(v uint16, end bool) *layout[Thread] {
	type T = Thread
	if v == 0 {
		// v0 (Thread_V0_TypeGroup1): TThreadId then ProcessId.
		return fields(
			u32("TThreadId", func(e *T) any { return &e.ThreadID }),
			u32("ProcessId", func(e *T) any { return &e.ProcessID }))
	}
	fs := []field[T]{
		u32("ProcessId", func(e *T) any { return &e.ProcessID }),
		u32("TThreadId", func(e *T) any { return &e.ThreadID }),
	}
	if v == 1 && end {
		return fields(fs...) // Thread End v1 is {ProcessId, TThreadId}
	}
	fs = append(fs,
		pointer("StackBase", func(e *T) any { return &e.StackBase }),
		pointer("StackLimit", func(e *T) any { return &e.StackLimit }),
		pointer("UserStackBase", func(e *T) any { return &e.UserStackBase }),
		pointer("UserStackLimit", func(e *T) any { return &e.UserStackLimit }),
		pointer("StartAddr", func(e *T) any { return &e.StartAddr }), // Affinity from v3
		pointer("Win32StartAddr", func(e *T) any { return &e.Win32StartAddr }),
	)
	if v == 1 {
		return fields(append(fs, u8("WaitMode", func(e *T) any { return &e.WaitMode }))...)
	}
	fs = append(fs,
		pointer("TebBase", func(e *T) any { return &e.TebBase }),
		u32("SubProcessTag", func(e *T) any { return &e.SubProcessTag }),
	)
	if v >= 3 {
		fs = append(fs,
			u8("BasePriority", func(e *T) any { return &e.BasePriority }),
			u8("PagePriority", func(e *T) any { return &e.PagePriority }),
			u8("IoPriority", func(e *T) any { return &e.IoPriority }),
			u8("ThreadFlags", func(e *T) any { return &e.ThreadFlags }),
		)
	}
	switch {
	case v == 3: // v3 payloads of Windows 10+ carry the name too (PerfView reads it when present)
		fs = append(fs, optional(wstr("ThreadName", func(e *T) any { return &e.ThreadName }),
			func(e *T) *bool { return &e.HasThreadName }))
	case v >= 4:
		fs = append(fs, wstr("ThreadName", func(e *T) any { return &e.ThreadName }))
	}
	return fields(fs...)
}

var threadSetName = fields(
	u32("ProcessId", func(e *ThreadSetName) any { return &e.ProcessID }),
	u32("ThreadId", func(e *ThreadSetName) any { return &e.ThreadID }),
	wstr("ThreadName", func(e *ThreadSetName) any { return &e.ThreadName }),
)

func imageLayout(v uint16) *layout[Image] {
	type I = Image
	fs := []field[I]{pointer("BaseAddress", func(e *I) any { return &e.ImageBase })}
	switch v {
	case 0: // v0: ModuleSize is a u32 on x86 and x64 (S18 payloads)
		fs = append(fs, u32("ModuleSize", func(e *I) any { return &e.ImageSize }))
	default:
		fs = append(fs, pointer("ModuleSize", func(e *I) any { return &e.ImageSize }))
	}
	if v >= 1 {
		fs = append(fs, u32("ProcessId", func(e *I) any { return &e.ProcessID }))
	}
	if v >= 2 {
		fs = append(fs,
			u32("ImageCheckSum", func(e *I) any { return &e.ImageChecksum }),
			u32("TimeDateStamp", func(e *I) any { return &e.TimeDateStamp }))
		if v == 2 {
			fs = append(fs, u32("Reserved0", func(e *I) any { return &e.Reserved0 }))
		} else {
			fs = append(fs,
				u8("SignatureLevel", func(e *I) any { return &e.SignatureLevel }),
				u8("SignatureType", func(e *I) any { return &e.SignatureType }),
				u16("Reserved0", func(e *I) any { return &e.Reserved0 }))
		}
		fs = append(fs,
			pointer("DefaultBase", func(e *I) any { return &e.DefaultBase }),
			u32("Reserved1", func(e *I) any { return &e.Reserved[0] }),
			u32("Reserved2", func(e *I) any { return &e.Reserved[1] }),
			u32("Reserved3", func(e *I) any { return &e.Reserved[2] }),
			u32("Reserved4", func(e *I) any { return &e.Reserved[3] }))
	}
	fs = append(fs, wstr("ImageFileName", func(e *I) any { return &e.FileName }))
	return fields(fs...)
}

var processOpNames = map[Op]string{1: "Start", 2: "End", 3: "DCStart", 4: "DCEnd", 39: "Defunct"}
var imageOpNames = map[Op]string{10: "Load", 2: "Unload", 3: "DCStart", 4: "DCEnd"}

func init() {
	for v := uint16(0); v <= 5; v++ {
		l := processLayout(v)
		for _, op := range []Op{1, 2, 3, 4, 39} {
			def[Process, *Process]{name: "Process/" + processOpNames[op], l: l,
				slot: func(p *Parser) *Process { return &p.process },
				init: setOp(op, func(e *Process) *Op { return &e.Op })}.add(KernelKey(ProcessGUID, uint8(op), v))
		}
	}
	def[ProcessTerminate, *ProcessTerminate]{name: "Process/Terminate", l: processTerminate,
		slot: func(p *Parser) *ProcessTerminate { return &p.processTerm }}.add(KernelKey(ProcessGUID, 11, 2))

	for v := uint16(0); v <= 4; v++ {
		for _, op := range []Op{1, 2, 3, 4} {
			def[Thread, *Thread]{name: "Thread/" + processOpNames[op], l: threadLayout(v, op == 2),
				slot: func(p *Parser) *Thread { return &p.thread },
				init: setOp(op, func(e *Thread) *Op { return &e.Op })}.add(KernelKey(ThreadGUID, uint8(op), v))
		}
	}
	def[ThreadSetName, *ThreadSetName]{name: "Thread/SetName", l: threadSetName,
		slot: func(p *Parser) *ThreadSetName { return &p.threadName }}.add(KernelKey(ThreadGUID, 72, 2))

	for v := uint16(0); v <= 3; v++ {
		l := imageLayout(v)
		for _, op := range []Op{10, 2, 3, 4} {
			def[Image, *Image]{name: "Image/" + imageOpNames[op], l: l,
				slot: func(p *Parser) *Image { return &p.image },
				init: setOp(op, func(e *Image) *Op { return &e.Op })}.add(KernelKey(ImageGUID, uint8(op), v))
		}
	}
}
