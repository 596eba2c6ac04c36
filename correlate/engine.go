package correlate

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/decoders/rpcif"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/model"
)

// notIPC are the providers whose events describe the system, not IPC:
// trace header, configuration, and the process, thread and image tables.
var notIPC = [...]etw.GUID{
	decoders.EventTraceGUID, decoders.SystemConfigGUID, decoders.ProcessGUID,
	decoders.ThreadGUID, decoders.ImageGUID, decoders.KernelProcessGUID, {},
}

func isIPCProvider(g etw.GUID) bool {
	for i := range notIPC {
		if g == notIPC[i] {
			return false
		}
	}
	return true
}

// class sorts events for Add and for splitting a namespace (split.go).
// An event's class follows from its kind (classes; kindOf is the one type
// switch an event goes through before its handler, and the one list of the
// event types the engine reads, which pipeline batches must keep).
type class uint8

const (
	classNone    class = iota // no event, or one no handler reads: counted only
	classTable                // builds the process and thread tables
	classState                // names, loss, security snapshots: kept whatever the window
	classFileIO               // a file I/O operation (not a name event): the events both FileIo sources report for the same operation
	classMessage              // the message family: ALPC, RPC and COM
	classOther                // the other mechanism events: sections, window messages
)

// kind is the handler of an event type: kindOf is the one type switch an
// event goes through (dispatch then switches on the kind, a jump table),
// and its class follows from it.
type kind uint8

const (
	kNone kind = iota
	kProcess
	kThread
	kKernelProcessStart
	kKernelThread
	kFileName
	kLostEvent
	kSecuritySnapshot
	kFileCreate
	kFileSimpleOp
	kFileReadWrite
	kFileInfo
	kFileOpEnd
	kAlpcMessage
	kAlpcWaitNew
	kAlpcUnwait
	kAlpcRaw
	kRPCCallStart
	kRPCCallStop
	kCOMCallDelay
	kCOMModalLoop
	kMapFile
	kWin32kMessage
	kWin32kStop
	kWin32kUIDelay
	numKinds
)

// classes is the class of each kind.
var classes = [numKinds]class{
	kNone:    classNone,
	kProcess: classTable, kThread: classTable, kKernelProcessStart: classTable, kKernelThread: classTable,
	kFileName: classState, kLostEvent: classState, kSecuritySnapshot: classState,
	kFileCreate: classFileIO, kFileSimpleOp: classFileIO, kFileReadWrite: classFileIO, kFileInfo: classFileIO,
	kFileOpEnd:   classFileIO,
	kAlpcMessage: classMessage, kAlpcWaitNew: classMessage, kAlpcUnwait: classMessage, kAlpcRaw: classMessage,
	kRPCCallStart: classMessage, kRPCCallStop: classMessage,
	kCOMCallDelay: classMessage, kCOMModalLoop: classMessage,
	kMapFile: classOther, kWin32kMessage: classOther, kWin32kStop: classOther, kWin32kUIDelay: classOther,
}

func kindOf(ev decoders.Event) kind {
	switch ev.(type) {
	case *decoders.Process:
		return kProcess
	case *decoders.Thread:
		return kThread
	case *decoders.KernelProcessStart:
		return kKernelProcessStart
	case *decoders.KernelThread:
		return kKernelThread
	case *decoders.FileName:
		return kFileName
	case *decoders.LostEvent:
		return kLostEvent
	case *decoders.SecuritySnapshot:
		return kSecuritySnapshot
	case *decoders.FileCreate:
		return kFileCreate
	case *decoders.FileSimpleOp:
		return kFileSimpleOp
	case *decoders.FileReadWrite:
		return kFileReadWrite
	case *decoders.FileInfo:
		return kFileInfo
	case *decoders.FileOpEnd:
		return kFileOpEnd
	case *decoders.AlpcMessage:
		return kAlpcMessage
	case *decoders.AlpcWaitNewMessage:
		return kAlpcWaitNew
	case *decoders.AlpcUnwait:
		return kAlpcUnwait
	case *decoders.AlpcRaw:
		return kAlpcRaw
	case *decoders.RPCCallStart:
		return kRPCCallStart
	case *decoders.RPCCallStop:
		return kRPCCallStop
	case *decoders.COMCallDelay:
		return kCOMCallDelay
	case *decoders.COMCliModalLoopDelay:
		return kCOMModalLoop
	case *decoders.MapFile:
		return kMapFile
	case *decoders.Win32kMessage:
		return kWin32kMessage
	case *decoders.Win32kMessageStop:
		return kWin32kStop
	case *decoders.Win32kUIDelay:
		return kWin32kUIDelay
	}
	return kNone
}

func classOf(ev decoders.Event) class { return classes[kindOf(ev)] }

// kindOfDecoded is kindOf(d.Event), learnt once per layout (d.Layout) in
// e.kinds: a type switch over every kind costs mispredicted branches on
// every event, a table one load.
func (e *Engine) kindOfDecoded(d *decoders.Decoded) kind {
	if k := e.kinds[d.Layout]; k != 0 {
		return k - 1
	}
	return e.learnKind(d)
}

// learnKind is kindOfDecoded for a layout not learnt yet.
func (e *Engine) learnKind(d *decoders.Decoded) kind {
	k := kindOf(d.Event)
	if d.Layout != 0 && d.Event != nil {
		e.kinds[d.Layout] = k + 1
	}
	return k
}

// anyPID is the header PID/TID of events logged in arbitrary context (docs/events.md#conventions).
const anyPID = 0xFFFFFFFF

// Options selects what the engine keeps and how it judges waits.
type Options struct {
	// StuckAfter reports completed operations that lasted longer than this
	// as stuck, and hides outstanding operations younger than this at the
	// end of the trace. Zero reports every outstanding operation.
	StuckAfter time.Duration
	// AlpcExpiry drops unmatched ALPC sends and requests older than this
	// (message ids are reused, docs/rules.md A1). Zero means 60 s.
	AlpcExpiry time.Duration

	// Filters applied to the model: conversations, stuck operations and
	// sections that involve none of PIDs, no process whose image matches
	// Process (case-insensitive, base name) or no pipe matching PipeGlob
	// (path.Match on the \\.\pipe\ name or its last element) are left out.
	PIDs     []uint32
	Process  string
	PipeGlob string
	// Since and Until (when non-zero) ignore IPC events outside the window.
	// Process, thread and name events are always used.
	Since, Until time.Time

	// Timeline fills Model.Timeline with one span per operation, at most
	// MaxSpans (0: 200000).
	Timeline bool
	MaxSpans int

	// Interfaces names RPC and COM interfaces (report --interfaces); nil
	// means the built-in table of rpcif.New.
	Interfaces *rpcif.Table
}

// Engine correlates a time-ordered stream of decoded events.
// It is not safe for concurrent use.
type Engine struct {
	opt Options
	// part, when not partAll, is the share of the work this engine does
	// when Analyze splits a namespace between two engines (split.go).
	part         part
	since, until int64 // FILETIME bounds, 0 = open
	stuckAfter   int64 // ticks
	alpcExpiry   int64

	first, last int64
	events      int64
	// out is true while the current event lies before the --since window;
	// excluded counts the IPC events outside the window.
	out         bool
	excluded    int64
	ipcEvents   int64
	lostRecords int64

	procs   map[uint32]*proc
	threads map[uint32]uint32 // TID → PID

	// Direct-mapped caches in front of procs and threads, which are
	// consulted for nearly every event; entries always mirror the maps.
	pcache [procCacheSize]*proc
	tcache [threadCacheSize]threadSlot

	// provs caches what isIPCProvider says of the providers
	// seen (a trace interleaves a few, whose events alternate), for the
	// events whose kind does not tell.
	provs [provCacheSize]provSlot
	// kinds holds, by decoders.Decoded.Layout, the kind of that layout's
	// events plus one, 0 when not learnt yet (kindOfDecoded).
	kinds *[1 << 16]kind

	// classicFileIo is set once a classic FileIo I/O event was seen; from
	// then on Microsoft-Windows-Kernel-File I/O events, which report the
	// same operations when both are enabled in one session (as record
	// does), are ignored and counted in kernelFileDropped.
	classicFileIo     bool
	kernelFileDropped int64

	names map[uint64]string // FileKey → last known name
	// namesGen counts the changes to names (pipeState.notEnd).
	namesGen uint64

	p   pipeState
	a   alpcState
	r   rpcState
	s   sectionState
	w   wmState
	c   comState
	ms  mailslotState
	l   lossState
	sec []snapshot

	spans        []rawSpan
	maxSpans     int
	spansDropped int64
	flows        uint64
}

const (
	procCacheSize   = 64
	threadCacheSize = 256
)

// threadSlot caches one entry of the thread table.
type threadSlot struct {
	tid, pid uint32
	ok       bool
}

func procSlot(pid uint32) uint32 { return (pid >> 2) % procCacheSize }
func tidSlot(tid uint32) uint32  { return (tid >> 2) % threadCacheSize }

// proc returns the process table entry of pid, nil when absent.
func (e *Engine) proc(pid uint32) *proc {
	i := procSlot(pid)
	if p := e.pcache[i]; p != nil && p.pid == pid {
		return p
	}
	p := e.procs[pid]
	if p != nil {
		e.pcache[i] = p
	}
	return p
}

// setProc sets the process table entry of pid.
func (e *Engine) setProc(p *proc) {
	e.procs[p.pid] = p
	e.pcache[procSlot(p.pid)] = p
}

// threadPID returns the process of thread tid from the thread table.
func (e *Engine) threadPID(tid uint32) (uint32, bool) {
	s := &e.tcache[tidSlot(tid)]
	if s.ok && s.tid == tid {
		return s.pid, true
	}
	pid, ok := e.threads[tid]
	if ok {
		*s = threadSlot{tid: tid, pid: pid, ok: true}
	}
	return pid, ok
}

// setThread sets the process of thread tid in the thread table.
func (e *Engine) setThread(tid, pid uint32) {
	e.threads[tid] = pid
	e.tcache[tidSlot(tid)] = threadSlot{tid: tid, pid: pid, ok: true}
}

// proc is one process of the process table.
type proc struct {
	pid, parent uint32
	image       string
	cmdline     string
	user        string
	last        int64 // time of its last IPC activity
	lastTID     uint32
}

// New returns an engine with the given options.
func New(opt Options) *Engine {
	e := &Engine{
		opt:     opt,
		procs:   make(map[uint32]*proc),
		threads: make(map[uint32]uint32),
		names:   make(map[uint64]string),
		kinds:   new([1 << 16]kind),
	}
	if !opt.Since.IsZero() {
		e.since = etw.TimeToFiletime(opt.Since)
	}
	if !opt.Until.IsZero() {
		e.until = etw.TimeToFiletime(opt.Until)
	}
	e.maxSpans = opt.MaxSpans
	if e.maxSpans <= 0 {
		e.maxSpans = defaultMaxSpans
	}
	e.stuckAfter = int64(opt.StuckAfter / 100)
	e.alpcExpiry = int64(opt.AlpcExpiry / 100)
	if e.alpcExpiry <= 0 {
		e.alpcExpiry = 60 * 10_000_000
	}
	e.p.init()
	e.a.init()
	e.r.init()
	e.s.init()
	e.w.init()
	e.c.init()
	e.ms.init()
	return e
}

// Add consumes one event. Events must arrive in time order. d.Event is
// only read during the call: what the engine keeps, it copies. d.Key must
// be the key the decoder gave the event (decoders.Parser, and so the
// pipeline, set it): whether an event counts as IPC, and which FileIo
// provider reported it, follow from its kind and key.
func (e *Engine) Add(d *decoders.Decoded) {
	if d == nil {
		return
	}
	if e.part == partMessages {
		e.addMessages(d)
		return
	}
	k := e.kindOfDecoded(d)
	e.count(d, k)
	switch classes[k] {
	case classNone:
		return
	case classTable:
		e.table(d)
		return
	case classState:
		switch k {
		case kFileName:
			e.fileName(d.Event.(*decoders.FileName))
		case kLostEvent:
			e.lostRecords++
			e.l.record(d.Time)
		case kSecuritySnapshot:
			e.snapshot(d.Event.(*decoders.SecuritySnapshot))
		}
		return
	case classFileIO:
		if !e.inWindow(d) {
			return
		}
		// Classic FileIo events are keyed by opcode, Kernel-File ones by
		// event id (TestFileIOSourceByKey).
		if !d.Key.Manifest {
			e.classicFileIo = true
		} else if e.classicFileIo {
			e.kernelFileDropped++
			return
		}
		e.dispatch(d, k)
		return
	}
	if e.inWindow(d) {
		e.dispatch(d, k)
	}
}

// count counts d, of kind k, for the trace: events, time range, IPC
// events. The events of the process and thread tables are not IPC, those
// of the other kinds are (TestKindsTellIPC holds the kinds to
// isIPCProvider); events of no kind are by their provider.
func (e *Engine) count(d *decoders.Decoded, k kind) {
	e.events++
	if d.Time != 0 {
		if e.first == 0 || d.Time < e.first {
			e.first = d.Time
		}
		if d.Time > e.last {
			e.last = d.Time
		}
	}
	switch classes[k] {
	case classTable:
	case classNone:
		if e.provider(&d.Key.Provider).ipc {
			e.ipcEvents++
		}
	default:
		e.ipcEvents++
	}
}

// provider is what g is, through e.provs.
func (e *Engine) provider(g *etw.GUID) *provSlot {
	ps := &e.provs[provSlotOf(g)]
	if !ps.ok || ps.g != *g {
		*ps = provSlot{g: *g, ok: true, ipc: isIPCProvider(*g)}
	}
	return ps
}

// provCacheSize is the number of slots of Engine.provs.
const provCacheSize = 32

// provSlot is what a provider is, for count.
type provSlot struct {
	g   etw.GUID
	ok  bool
	ipc bool
}

// provSlotOf is g's slot in Engine.provs: the top bits of a product of
// Data1, which spreads the providers of a usual trace over distinct slots
// (kernel classes such as Process and Thread differ only in Data1's low
// bits).
func provSlotOf(g *etw.GUID) uint32 { return g.Data1 * 0x165667B1 >> 27 }

// table handles the events that build the process and thread tables
// (classTable), always used, whatever the time window.
func (e *Engine) table(d *decoders.Decoded) {
	switch ev := d.Event.(type) {
	case *decoders.Process:
		e.process(d, ev)
	case *decoders.Thread:
		e.thread(ev)
	case *decoders.KernelProcessStart:
		e.kernelProcess(ev)
	case *decoders.KernelThread:
		if !ev.Stop {
			e.thread(&decoders.Thread{Op: decoders.OpProcessStart, ProcessID: ev.ProcessID, ThreadID: ev.ThreadID})
		}
	}
}

// inWindow applies the --since/--until window (docs/rules.md F2) to a
// mechanism event: events after it are left out (false); events before it
// still build state (names, ends, pairing, pending operations) but are not
// counted (e.out), so a conversation opened before the window is kept with
// its in-window traffic only.
func (e *Engine) inWindow(d *decoders.Decoded) bool {
	if e.until != 0 && d.Time > e.until {
		e.excluded++
		return false
	}
	e.out = e.since != 0 && d.Time < e.since
	if e.out {
		e.excluded++
	}
	return true
}

// dispatch hands a mechanism event to its handler.
func (e *Engine) dispatch(d *decoders.Decoded, k kind) {
	switch k {
	case kFileCreate:
		ev := d.Event.(*decoders.FileCreate)
		e.mailslotCreate(d, ev)
		e.fileCreate(d, ev)
	case kFileSimpleOp:
		e.fileSimple(d, d.Event.(*decoders.FileSimpleOp))
	case kFileReadWrite:
		ev := d.Event.(*decoders.FileReadWrite)
		e.mailslotReadWrite(d, ev)
		e.fileReadWrite(d, ev)
	case kFileInfo:
		e.fileInfo(d, d.Event.(*decoders.FileInfo))
	case kFileOpEnd:
		ev := d.Event.(*decoders.FileOpEnd)
		e.mailslotOpEnd(d, ev)
		e.fileOpEnd(d, ev)
	case kMapFile:
		e.mapFile(d, d.Event.(*decoders.MapFile))
	case kAlpcMessage:
		e.alpcMessage(d, d.Event.(*decoders.AlpcMessage))
	case kAlpcWaitNew:
		e.alpcWaitNew(d, d.Event.(*decoders.AlpcWaitNewMessage))
	case kAlpcUnwait:
		e.alpcUnwait(d, d.Event.(*decoders.AlpcUnwait))
	case kAlpcRaw:
		e.touch(d.PID, d.TID, d.Time)
	case kRPCCallStart:
		e.rpcStart(d, d.Event.(*decoders.RPCCallStart))
	case kRPCCallStop:
		ev := d.Event.(*decoders.RPCCallStop)
		e.comNoteRPC(d, ev)
		e.rpcStop(d, ev)
	case kWin32kMessage:
		e.win32kMessage(d, d.Event.(*decoders.Win32kMessage))
	case kWin32kStop:
		e.win32kStop(d, d.Event.(*decoders.Win32kMessageStop))
	case kWin32kUIDelay:
		e.win32kDelay(d, d.Event.(*decoders.Win32kUIDelay))
	case kCOMCallDelay:
		e.comCallDelay(d, d.Event.(*decoders.COMCallDelay))
	case kCOMModalLoop:
		e.comModalLoop(d, d.Event.(*decoders.COMCliModalLoopDelay))
	}
}

func (e *Engine) process(d *decoders.Decoded, ev *decoders.Process) {
	switch ev.Op {
	case decoders.OpProcessStart, decoders.OpProcessDCStart, decoders.OpProcessDCEnd,
		decoders.OpProcessEnd, decoders.OpProcessDefunct:
	default:
		return
	}
	p := e.proc(ev.ProcessID)
	if p == nil || (ev.Op == decoders.OpProcessStart && p.image != "" && p.image != ev.ImageFileName) {
		// A Start for a known PID with another image is PID reuse.
		p = &proc{pid: ev.ProcessID}
		e.setProc(p)
	}
	if ev.ParentID != 0 {
		p.parent = ev.ParentID
	}
	if ev.ImageFileName != "" {
		p.image = ev.ImageFileName
	}
	if ev.CommandLine != "" {
		p.cmdline = ev.CommandLine
	}
	if ev.UserSID != "" {
		p.user = ev.UserSID
	}
}

// kernelProcess fills the process table from Microsoft-Windows-Kernel-Process
// ProcessStart/rundown events (docs/events.md#kernel-process), which carry no command line
// or user: classic Process events, when present, complete them.
func (e *Engine) kernelProcess(ev *decoders.KernelProcessStart) {
	p := e.procOf(ev.ProcessID)
	if p == nil {
		return
	}
	if ev.ParentProcessID != 0 {
		p.parent = ev.ParentProcessID
	}
	if ev.ImageName != "" && p.image == "" {
		img := ev.ImageName
		if i := strings.LastIndexByte(img, '\\'); i >= 0 {
			img = img[i+1:]
		}
		p.image = img
	}
}

func (e *Engine) thread(ev *decoders.Thread) {
	if ev.Op == decoders.OpProcessEnd || ev.Op == decoders.OpProcessDCEnd {
		// Keep the mapping: FileIo completions may still name the thread.
		if _, ok := e.threadPID(ev.ThreadID); ok {
			return
		}
	}
	e.setThread(ev.ThreadID, ev.ProcessID)
	if e.proc(ev.ProcessID) == nil {
		e.setProc(&proc{pid: ev.ProcessID})
	}
}

func (e *Engine) fileName(ev *decoders.FileName) {
	switch ev.Op {
	case decoders.OpFileDeleteName:
		// The name is freed; keep it for late completions of open files.
		return
	}
	if old, ok := e.names[ev.FileKey]; ev.FileName != "" && (!ok || old != ev.FileName) {
		e.names[ev.FileKey] = ev.FileName
		e.namesGen++
	}
}

// pidOf resolves the process of a FileIo event: the issuing thread through
// the thread table, else the header PID (docs/rules.md T2).
func (e *Engine) pidOf(ttid, hdrPID uint32) uint32 {
	if pid, ok := e.threadPID(ttid); ok && ttid != 0 {
		return pid
	}
	if hdrPID != anyPID {
		return hdrPID
	}
	return 0
}

// touch records IPC activity of a thread.
func (e *Engine) touch(pid, tid uint32, t int64) {
	if p := e.procOf(pid); p != nil {
		p.last = t
		p.lastTID = tid
	}
}

// procOf returns the process table entry of pid, creating it; nil for the
// "no process" values 0 and 0xFFFFFFFF.
func (e *Engine) procOf(pid uint32) *proc {
	if pid == anyPID || pid == 0 {
		return nil
	}
	p := e.proc(pid)
	if p == nil {
		p = &proc{pid: pid}
		e.setProc(p)
	}
	return p
}

func (e *Engine) procLast(pid uint32) (int64, uint32) {
	if p := e.proc(pid); p != nil {
		return p.last, p.lastTID
	}
	return 0, 0
}

// image returns the short image name of pid, "" when unknown.
func (e *Engine) image(pid uint32) string {
	if p := e.proc(pid); p != nil {
		return p.image
	}
	return ""
}

// keepPIDs reports whether a result that involves the given processes
// passes the PID and process-name filters.
func (e *Engine) keepPIDs(pids ...uint32) bool {
	if len(e.opt.PIDs) == 0 && e.opt.Process == "" {
		return true
	}
	for _, pid := range pids {
		if pid == 0 {
			continue
		}
		for _, want := range e.opt.PIDs {
			if pid == want {
				return true
			}
		}
		if e.opt.Process != "" {
			img := e.image(pid)
			if i := strings.LastIndexAny(img, `\/`); i >= 0 {
				img = img[i+1:]
			}
			want := e.opt.Process
			if strings.EqualFold(img, want) || strings.EqualFold(strings.TrimSuffix(strings.ToLower(img), ".exe"), strings.TrimSuffix(strings.ToLower(want), ".exe")) {
				return true
			}
		}
	}
	return false
}

// keepPipe reports whether a pipe name passes the --pipe filter.
func (e *Engine) keepPipe(name string) bool {
	g := e.opt.PipeGlob
	if g == "" {
		return true
	}
	return MatchPipe(g, name)
}

// MatchPipe reports whether the --pipe pattern matches a pipe name as the
// report shows it (\\.\pipe\X) or its bare name X, case-insensitively.
// In the pattern, * and ? are wildcards and [...] a class; a backslash is
// a path separator, as in the name, never an escape.
func MatchPipe(pattern, name string) bool {
	p := strings.ToLower(strings.ReplaceAll(pattern, `\`, "/"))
	n := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	if ok, _ := path.Match(p, n); ok {
		return true
	}
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		ok, _ := path.Match(p, n[i+1:])
		return ok
	}
	return false
}

// CheckPipePattern validates a --pipe pattern: an error names the byte
// position of an unclosed or empty [class].
func CheckPipePattern(pattern string) error {
	p := strings.ReplaceAll(pattern, `\`, "/")
	if _, err := path.Match(p, ""); err == nil {
		return nil
	}
	open := strings.IndexByte(p, '[')
	if open < 0 {
		return fmt.Errorf("invalid pattern %q", pattern)
	}
	return fmt.Errorf("invalid pattern %q: the [ at position %d is not closed by a ]", pattern, open+1)
}

// ft converts a FILETIME to the model's Time (0 stays unknown).
func ft(t int64) model.Time { return model.Time(t) }

// usOf converts ticks (100 ns) to microseconds.
func usOf(ticks int64) float64 { return float64(ticks) / 10 }
