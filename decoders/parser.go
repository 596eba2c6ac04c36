package decoders

import (
	"github.com/ipctrace/ipctrace/etw"
)

// Parser decodes records into typed events. It owns one value of each event
// type and decodes into it: the Event in a returned Decoded points into the
// Parser and is valid only until the next call to Decode (byte slices in it,
// such as SIDField.Raw or RPCInterface.SD, alias the record's payload and
// live only as long as that payload). Callers that keep an event copy the
// struct (and clone the slices they need). A Parser is not safe for
// concurrent use; use one per goroutine.
//
// Fixed layouts decode without allocating; strings are interned per Parser,
// so names that recur cost nothing after their first sighting.
type Parser struct {
	// PointerSize, when 4 or 8, overrides the pointer size taken from each
	// record's header kind (docs/events.md#conventions).
	PointerSize int

	// Want, when set, chooses the registered layouts to decode: a record
	// whose layout it refuses gets its header fields and Key, and a nil
	// Event, without its payload being read (so without decoder errors).
	// It is asked once per layout; TraceLogging events are always decoded.
	Want func(*Entry) bool

	// Reserve, when set, gives the storage to decode events of e's layout
	// into, in place of the Parser's own: it appends to dst values of the
	// type e.New returns, at least one, each zero or stale (decoding
	// overwrites all of a value), which DecodeInto then fills one event at
	// a time, in order, asking again once it has used them all; or it
	// returns dst empty, and e's events are decoded in the Parser's
	// storage, without asking again. A caller that keeps events (the
	// pipeline's batches) so decodes each straight into its place, without
	// a copy and with one call per run of values, not per event. Release
	// forgets what is left of the runs. Layouts decoded by other means
	// (TraceLogging) do not ask.
	Reserve func(e *Entry, dst []Event) []Event

	// states holds, by Entry.index, Want's answer and the storage Reserve
	// gave; held lists the indexes whose run is not empty (Release).
	states []entryState
	held   []int32
	// last is the entry index of the last event DecodeInto decoded (-1:
	// none), stored whether it went into reserved storage (Placed).
	last   int32
	stored bool

	in interner

	// cache is a small direct-mapped cache of registry lookups (hits and
	// misses), which spares hashing the key for every record.
	cache [256]cacheSlot
	// kt is the direct table of kernel and classic layouts.
	kt *kernelTable

	fileCreate  FileCreate
	fileSimple  FileSimpleOp
	fileRW      FileReadWrite
	fileInfo    FileInfo
	fileDir     FileDirEnum
	filePath    FilePathOp
	fileOpEnd   FileOpEnd
	fileName    FileName
	mapFile     MapFile
	alpcMsg     AlpcMessage
	alpcWaitNew AlpcWaitNewMessage
	alpcUnwait  AlpcUnwait
	alpcRaw     AlpcRaw
	lost        LostEvent
	process     Process
	processTerm ProcessTerminate
	thread      Thread
	threadName  ThreadSetName
	image       Image

	etHeader     EventTraceHeader
	etExt        EventTraceExtension
	sysCPU       SystemConfigCPU
	obHandle     ObjectHandle
	obDup        ObjectDuplicateHandle
	obType       ObjectTypeDC
	obHandleDC   ObjectHandleDC
	obLife       ObjectLifetime
	obRef        ObjectReference
	vAlloc       VirtualAlloc
	pfSection    PFMappedSection
	pfSecObj     PFSectionObject
	diskIo       DiskIo
	diskInit     DiskIoInit
	diskFlush    DiskIoFlush
	kpStart      KernelProcessStart
	kpStop       KernelProcessStop
	kpThread     KernelThread
	kpImage      KernelImage
	kpWob        KernelWorkOnBehalf
	rpcStart     RPCCallStart
	rpcStop      RPCCallStop
	rpcClientErr RPCClientCallError
	rpcFiltered  RPCServerCallFiltered
	rpcErr       RPCError
	rpcStatus    RPCStatus
	rpcIf        RPCInterface
	rpcEp        RPCEndpoint
	secSnap      SecuritySnapshot
	probe        ProbeMarker
	tlEvent      TraceLoggingEvent

	ext  extSlots
	w32k win32kSlots // win32k.go, comruntime.go
}

type cacheSlot struct {
	key   Key
	entry *Entry
	valid bool
}

// lookup finds the entry of key through the cache.
func (p *Parser) lookup(key *Key) *Entry {
	h := key.Provider.Data1 ^ uint32(key.ID)*0x9E3779B1 ^ uint32(key.Version)<<20
	if key.Manifest {
		h ^= 0x5bd1e995
	}
	s := &p.cache[(h^h>>8)&255]
	// Field by field: key was just stored field by field, and a whole-Key
	// copy or comparison would stall on store forwarding (setRecordKey).
	if s.valid && s.key.Provider == key.Provider && s.key.ID == key.ID && s.key.Version == key.Version && s.key.Manifest == key.Manifest {
		return s.entry
	}
	e := registry[*key]
	*s = cacheSlot{key: *key, entry: e, valid: true}
	return e
}

// entryState is what a Parser knows of one layout.
type entryState struct {
	want uint8 // 0 not asked yet, wantYes, wantNo
	own  bool  // Reserve gave nothing: decode in the Parser's storage
	i    int   // run[i:] is not used yet
	run  []Event
}

const (
	wantYes = 1
	wantNo  = 2
)

// state returns e's state, asking p.Want about e the first time.
func (p *Parser) state(e *Entry) *entryState {
	if i := uint(e.index); i < uint(len(p.states)) {
		if st := &p.states[i]; st.want != 0 {
			return st
		}
	}
	return p.ask(e)
}

// ask asks p.Want about e and keeps the answer in p.states, where
// DecodeInto finds it for the entry's later events.
func (p *Parser) ask(e *Entry) *entryState {
	if e.index >= len(p.states) {
		p.states = append(p.states, make([]entryState, max(len(registry), e.index+1)-len(p.states))...)
	}
	st := &p.states[e.index]
	st.want = wantYes
	if p.Want != nil && !p.Want(e) {
		st.want = wantNo
	}
	return st
}

// place returns the reserved storage for the next event of e (nil: the
// Parser's own), asking Reserve for a new run when st's is used up.
func (p *Parser) place(e *Entry, st *entryState) Event {
	if st.i == len(st.run) {
		if p.Reserve == nil || st.own {
			return nil
		}
		if len(st.run) == 0 {
			// Empty after Release, or new: the run will be held.
			p.held = append(p.held, int32(e.index))
		}
		clear(st.run)
		st.run, st.i = p.Reserve(e, st.run[:0]), 0
		if len(st.run) == 0 {
			st.own = true
			return nil
		}
	}
	ev := st.run[st.i]
	st.i++
	return ev
}

// Release forgets the storage Reserve gave that is not used yet: the
// caller is about to hand on what it came from. The next events ask
// Reserve again.
func (p *Parser) Release() {
	for _, i := range p.held {
		st := &p.states[i]
		clear(st.run)
		st.run, st.i = st.run[:0], 0
	}
	p.held = p.held[:0]
}

// Placed reports where the last event DecodeInto decoded went: its
// layout's Entry index (-1 when it had none, as TraceLogging events, or
// when its payload was not read), and whether it went into storage that
// Reserve gave.
func (p *Parser) Placed() (index int, reserved bool) { return int(p.last), p.stored }

// NewParser returns a Parser.
func NewParser() *Parser { return &Parser{last: -1} }

// kernelClasses are the GUIDs whose EVENT_HEADER records (real-time or
// relogged classic kernel events) are keyed by opcode, not id (docs/events.md#conventions).
var kernelClasses = map[etw.GUID]bool{
	EventTraceGUID: true, SystemConfigGUID: true, ProcessGUID: true, ThreadGUID: true,
	PageFaultGUID: true, DiskIoGUID: true, ImageGUID: true, FileIoGUID: true, ALPCGUID: true,
	ObjectGUID: true, LostEventGUID: true, StackWalkGUID: true,
}

// eventHeaderClassic is EVENT_HEADER_FLAG_CLASSIC_HEADER.
const eventHeaderClassic = 0x0100

// RecordKey returns the decoder key of rec (docs/events.md#conventions):
// (class GUID, opcode, version) for kernel and classic records and for
// EVENT_HEADER records that carry classic kernel events; (provider, id,
// version) for manifest and TraceLogging records; (message GUID, message
// number) for WPP messages.
func RecordKey(rec *etw.Record) Key {
	var k Key
	setRecordKey(&k, rec)
	return k
}

// setRecordKey stores RecordKey(rec) into *k field by field. DecodeInto
// runs it once per event: a Key built whole and then copied into place
// costs a store-forwarding stall each time (its 16-byte load spans the
// smaller stores that built it).
func setRecordKey(k *Key, rec *etw.Record) {
	k.Provider, k.Version = rec.Provider, rec.Version
	if rec.Kind.IsKernel() || rec.Kind.IsClassic() ||
		(rec.Kind.IsEventHeader() && (rec.Flags&eventHeaderClassic != 0 || (rec.ID == 0 && kernelClasses[rec.Provider]))) {
		k.Manifest, k.ID = false, uint16(rec.Opcode)
		return
	}
	k.Manifest, k.ID = true, rec.ID
}

// Decode decodes rec. It reports whether a decoder exists for the record;
// when none does, the Decoded holds the key and header facts and a nil
// Event. A decode error is a *DecodeError; the Event then holds the fields
// read before the error. See Parser for how long the Event stays valid.
func (p *Parser) Decode(rec *etw.Record) (Decoded, bool, error) {
	var d Decoded
	ok, err := p.DecodeInto(rec, &d)
	return d, ok, err
}

// DecodeInto is Decode writing into *d (every field of *d is set), which
// spares copying the Decoded when the caller keeps it in place.
func (p *Parser) DecodeInto(rec *etw.Record, d *Decoded) (bool, error) {
	d.Time = rec.Time
	d.PID = rec.ProcessID
	d.TID = rec.ThreadID
	d.Processor = rec.Processor
	d.ActivityID = rec.ActivityID
	d.Layout = 0
	d.Event = nil
	ptr := p.PointerSize
	if ptr != 4 && ptr != 8 {
		ptr = rec.PointerSize()
	}
	var e *Entry
	if rec.Kind.IsKernel() || rec.Kind.IsClassic() {
		// Kernel and classic records: (class, opcode, version) through the
		// direct table, the keyed cache only for what it does not cover.
		d.Key.Provider, d.Key.Manifest, d.Key.ID, d.Key.Version = rec.Provider, false, uint16(rec.Opcode), rec.Version
		if p.kt == nil {
			p.kt = kernelTableOnce()
		}
		var ok bool
		if e, ok = p.kt.find(rec.Provider, rec.Opcode, rec.Version); !ok {
			e = p.lookup(&d.Key)
		}
	} else {
		setRecordKey(&d.Key, rec)
		e = p.lookup(&d.Key)
	}
	p.last, p.stored = -1, false
	if e != nil {
		st := p.state(e)
		if st.want != wantYes {
			return true, nil
		}
		dst := p.place(e, st)
		p.last, p.stored = int32(e.index), dst != nil
		ev, err := e.decodeTo(p, dst, rec.Payload, ptr)
		d.Event, d.Layout = ev, uint16(e.index+1)
		return true, err
	}
	if rec.Kind.IsEventHeader() {
		return p.decodeTraceLogging(rec, d)
	}
	return false, nil
}
