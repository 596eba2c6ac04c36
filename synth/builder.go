package synth

import (
	"container/heap"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// Tick is one FILETIME unit (100 ns); times and durations in this package
// are in ticks.
const (
	Tick        int64 = 1
	Microsecond int64 = 10
	Millisecond int64 = 10_000
	Second      int64 = 10_000_000
)

// Kernel event versions written by the builder (docs/events.md#process to docs/events.md#alpc, docs/events.md#rpc).
const (
	ProcessVersion = 4
	ThreadVersion  = 3
	ImageVersion   = 3
	FileIoVersion  = 3
	ALPCVersion    = 2
	RPCVersion     = 1
)

// NumProcessors is the processor count of synthetic traces. Each thread
// runs on processor TID/4 % NumProcessors; FileIo, ALPC and RPC events go to
// the buffer of their thread's processor.
const NumProcessors = 4

// Emitted is one event as the builder emitted it: the record facts and the
// typed event its payload was encoded from.
type Emitted struct {
	Key        decoders.Key
	Kind       etw.HeaderKind
	Time       int64
	PID, TID   uint32
	Processor  uint16
	ActivityID etw.GUID
	Event      decoders.Event
	// TL is set for TraceLogging events (security snapshots): the record
	// carries extended items and is not keyed by Key.
	TL bool
}

// item is one pending event in the time-ordered queue.
type item struct {
	t    int64
	seq  uint64
	rec  etw.Record
	buf  []byte  // payload storage, reused with the item
	ev   Emitted // kept only when Builder.Keep is set
	keep bool
}

// newItem returns a recycled queue item (its buf keeps its capacity).
func (b *Builder) newItem() *item {
	if n := len(b.free); n > 0 {
		it := b.free[n-1]
		b.free = b.free[:n-1]
		return it
	}
	return &item{}
}

func (b *Builder) recycle(it *item) {
	it.ev, it.keep, it.rec = Emitted{}, false, etw.Record{}
	b.free = append(b.free, it)
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int)  { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)    { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any      { old := *q; x := old[len(old)-1]; *q = old[:len(old)-1]; return x }
func (q queue) peek() *item    { return q[0] }
func (q *queue) push(it *item) { heap.Push(q, it) }
func (q *queue) pop() *item    { return heap.Pop(q).(*item) }

// Builder builds a synthetic trace from IPC primitives and knows the right
// answer (Truth) for what it built.
//
// Events may be emitted out of time order (a write completes a read that
// was posted earlier); the builder keeps them in a time-ordered queue and
// writes them when Sync declares that no earlier event will follow. With
// Stream, events go to the ETL writer as soon as they are synced, so memory
// stays bounded by the events of one round; without Stream, WriteETL writes
// everything at the end.
//
// Every primitive takes the time (FILETIME) at which it starts. Times given
// to primitives must not be before the last Sync.
type Builder struct {
	rnd   *rand.Rand
	start int64 // FILETIME of the header event (trace start)
	q     queue
	free  []*item
	seq   uint64
	mark  int64 // watermark: no event may be emitted before it
	w     *etw.Writer
	opts  etw.WriterOptions
	err   error

	// Keep makes the builder keep every emitted event (Emitted, in write
	// order) for tests.
	Keep    bool
	emitted []Emitted

	parser *decoders.Parser

	procs   []*Proc
	threads map[uint32]*Thread

	// IPC state and truth accumulators.
	pipeNames  map[string]*pipeName
	pipeConvs  []*pipeConv
	failures   []*pipeFailure
	ports      map[string]*Port
	alpcConvs  map[alpcKey]*alpcConv
	alpcOrder  []alpcKey
	rpcs       map[rpcKey]*rpcConv
	rpcOrder   []rpcKey
	sections   []*Section
	stuck      []stuckOp
	cycles     []model.Cycle
	security   []model.Exposed
	msgIDs     msgAlloc
	irps       []freeIRP
	nextAddr   uint64
	suppress   bool
	noH1       bool
	lostEvents uint32
	lostBufs   uint32
	lossMarks  []lossMark
	// rundownNames are pipe ends named by the end-of-trace FileRundown.
	rundownNames []*PipeEnd
	lostProcs    map[uint16]bool
	windows      []model.Window
	windowTimes  [][2]int64
	openEnds     []*PipeEnd
	events       int64 // records written, header event included
	ipcEvents    int64
	lastTime     int64
	finished     bool
	truth        *model.Model

	winmsgState // window messages and COM (winmsg.go)
}

// DefaultStart is the FILETIME of the header event of synthetic traces
// (2026-01-01T00:00:00Z); rundown events follow it.
const DefaultStart = etw.DefaultStartTime

// NewBuilder returns a builder whose jitter comes from seed.
func NewBuilder(seed uint64) *Builder {
	b := &Builder{
		rnd:       rand.New(rand.NewPCG(seed, 0x1970c2ace)),
		start:     DefaultStart,
		threads:   map[uint32]*Thread{},
		pipeNames: map[string]*pipeName{},
		ports:     map[string]*Port{},
		alpcConvs: map[alpcKey]*alpcConv{},
		rpcs:      map[rpcKey]*rpcConv{},
		nextAddr:  0xFFFF8A0A00100000,
		parser:    decoders.NewParser(),
	}
	b.mark = b.start
	b.lastTime = b.start
	return b
}

// Start returns the trace start (FILETIME of the header event).
func (b *Builder) Start() int64 { return b.start }

// Jitter returns a duration uniformly drawn from [lo, hi] ticks.
func (b *Builder) Jitter(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + b.rnd.Int64N(hi-lo+1)
}

// US returns a jittered duration of about us microseconds (±25%, at least 1 µs).
func (b *Builder) US(us int64) int64 {
	d := us * Microsecond
	return max(Microsecond, b.Jitter(d-d/4, d+d/4))
}

// Err returns the first error met while emitting or writing.
func (b *Builder) Err() error { return b.err }

// Emitted returns the events emitted so far in write order (Keep only).
func (b *Builder) Emitted() []Emitted { return b.emitted }

// addr returns a fresh kernel address aligned to 16 bytes.
func (b *Builder) addr() uint64 {
	b.nextAddr += 0x40 + uint64(b.rnd.IntN(64))*0x10
	return b.nextAddr
}

// irp returns an IRP address for an operation starting at t: a recycled
// one that was freed before t (IRPs come from lookaside lists, docs/events.md
// docs/events.md#fileio-identity), or a fresh one. An IRP is never shared by two operations in flight.
func (b *Builder) irp(t int64) uint64 {
	if n := len(b.irps); n > 0 && b.rnd.IntN(4) != 0 {
		i0 := b.rnd.IntN(n)
		for k := 0; k < n; k++ {
			i := (i0 + k) % n
			if b.irps[i].free < t {
				v := b.irps[i].v
				b.irps[i] = b.irps[n-1]
				b.irps = b.irps[:n-1]
				return v
			}
		}
	}
	return b.addr()
}

// freeIRP returns v to the pool; it may be reused after t.
func (b *Builder) freeIRP(v uint64, t int64) {
	if len(b.irps) < 64 {
		b.irps = append(b.irps, freeIRP{v, t})
	}
}

type freeIRP struct {
	v    uint64
	free int64
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// emitKernel encodes ev under the kernel key (class, op, version) as a
// SYSTEM record of the pointer width and queues it at time t.
func (b *Builder) emitKernel(t int64, class etw.GUID, group uint8, op decoders.Op, version uint16, pid, tid uint32, proc uint16, ev decoders.Event) {
	key := decoders.KernelKey(class, uint8(op), version)
	it, payload, ok := b.encode(key, ev)
	if !ok {
		return
	}
	kind := etw.KindSystem64
	if b.ptr() == 4 {
		kind = etw.KindSystem32
	}
	it.rec = etw.Record{Kind: kind, Group: group, Opcode: uint8(op), Version: version,
		ThreadID: tid, ProcessID: pid, Time: t, Payload: payload, Processor: proc, Provider: class}
	b.queue(t, it, Emitted{Key: key, Kind: kind, Time: t, PID: pid, TID: tid, Processor: proc, Event: ev})
}

// encode encodes ev under key into a recycled item's buffer.
func (b *Builder) encode(key decoders.Key, ev decoders.Event) (*item, []byte, bool) {
	ent, ok := decoders.Lookup(key)
	if !ok {
		b.fail(fmt.Errorf("no encoder for %s", key))
		return nil, nil, false
	}
	it := b.newItem()
	payload, err := ent.Encode(it.buf[:0], ev, b.ptr())
	if err != nil {
		b.fail(fmt.Errorf("encoding %s: %w", key, err))
		b.recycle(it)
		return nil, nil, false
	}
	it.buf = payload
	return it, payload, true
}

// emitManifest queues a manifest EVENT_HEADER event (id, version, level,
// opcode, task, keyword) encoded under ManifestKey(provider, id, version).
func (b *Builder) emitManifest(t int64, provider etw.GUID, id uint16, version uint8, level, opcode uint8, task uint16, keyword uint64, pid, tid uint32, proc uint16, activity etw.GUID, ev decoders.Event) {
	key := decoders.ManifestKey(provider, id, uint16(version))
	it, payload, ok := b.encode(key, ev)
	if !ok {
		return
	}
	kind := etw.KindEvent64
	if b.ptr() == 4 {
		kind = etw.KindEvent32
	}
	it.rec = etw.Record{Kind: kind, Provider: provider, ID: id, Version: uint16(version), Level: level,
		Opcode: opcode, Task: task, Keyword: keyword, Channel: 0x10,
		ThreadID: tid, ProcessID: pid, Time: t, Payload: payload, Processor: proc, ActivityID: activity}
	b.queue(t, it, Emitted{Key: key, Kind: kind, Time: t, PID: pid, TID: tid, Processor: proc, ActivityID: activity, Event: ev})
}

// pv fits a pointer value to the trace's pointer width.
func (b *Builder) pv(v uint64) uint64 {
	if b.ptr() == 4 {
		return v & 0xFFFFFFFF
	}
	return v
}

func (b *Builder) ptr() int {
	if b.opts.PointerSize == 4 {
		return 4
	}
	return 8
}

// queue adds a record at time t (dropped and counted as lost while loss is simulated).
func (b *Builder) queue(t int64, it *item, e Emitted) {
	if t < b.mark {
		b.fail(fmt.Errorf("event %s at %d before the synced time %d", e.Key, t, b.mark))
		b.recycle(it)
		return
	}
	if b.suppress {
		b.lostEvents++
		b.lostProcs[it.rec.Processor] = true
		b.recycle(it)
		return
	}
	if t > b.lastTime {
		b.lastTime = t
	}
	b.seq++
	it.t, it.seq = t, b.seq
	if b.Keep {
		it.ev, it.keep = e, true
	}
	b.q.push(it)
}

// Sync declares that no event before t will be emitted any more and writes
// the queued events before t when streaming.
func (b *Builder) Sync(t int64) {
	if t < b.mark {
		return
	}
	b.mark = t
	if b.w == nil {
		return
	}
	b.drain(t)
}

// drain writes queued events with time < t (all when t is maxInt64).
func (b *Builder) drain(t int64) {
	for b.q.Len() > 0 && b.q.peek().t < t {
		it := b.q.pop()
		for len(b.lossMarks) > 0 && b.lossMarks[0].t <= it.t {
			b.applyLossMark()
		}
		if b.err != nil {
			b.recycle(it)
			continue
		}
		if err := b.w.WriteRecord(&it.rec); err != nil {
			b.fail(err)
			b.recycle(it)
			continue
		}
		b.events++
		if g := it.rec.Provider; g != decoders.ProcessGUID && g != decoders.ThreadGUID && g != decoders.ImageGUID {
			b.ipcEvents++
		}
		if it.keep {
			b.emitted = append(b.emitted, it.ev)
		}
		b.recycle(it)
	}
}

type lossMark struct {
	t     int64
	procs []uint16
}

// applyLossMark flushes the buffers of the processors that lost events and
// flags their next buffer EVENTS_LOST|BUFFER_LOST.
func (b *Builder) applyLossMark() {
	lm := b.lossMarks[0]
	b.lossMarks = b.lossMarks[1:]
	for _, p := range lm.procs {
		if err := b.w.Flush(p); err != nil {
			b.fail(err)
		}
		if err := b.w.MarkLoss(p, etw.BufferFlagEventsLost|etw.BufferFlagBufferLost); err != nil {
			b.fail(err)
		}
	}
}

// flushAll writes out every processor's current buffer (when streaming).
func (b *Builder) flushAll() {
	if b.w == nil {
		return
	}
	for p := uint16(0); p < NumProcessors; p++ {
		if err := b.w.Flush(p); err != nil {
			b.fail(err)
		}
	}
}

// Lose simulates loss: events emitted between Lose(true) and Lose(false)
// are dropped and counted in EventsLost, and the primitives called in
// between do not count in the truth. Lose(false) at time t also makes
// each processor that lost events start a new buffer at t, flagged
// EVENTS_LOST|BUFFER_LOST, and counts one lost buffer (BuffersLost).
// Operations must not straddle the switches: an operation started before
// Lose(true) must not complete inside the window, and none started inside
// may complete after it.
func (b *Builder) Lose(on bool, t int64) {
	if on == b.suppress {
		return
	}
	b.suppress = on
	if on {
		b.lostProcs = map[uint16]bool{}
		return
	}
	lm := lossMark{t: t}
	for p := uint16(0); p < NumProcessors; p++ {
		if b.lostProcs[p] {
			lm.procs = append(lm.procs, p)
		}
	}
	if len(lm.procs) > 0 {
		b.lossMarks = append(b.lossMarks, lm)
		b.lostBufs++
	}
}

// Stream starts writing to w: synced events go to the ETL writer at once.
// Call Finish at the end. opts.NumberOfProcessors defaults to NumProcessors.
func (b *Builder) Stream(w io.Writer, opts etw.WriterOptions) error {
	if b.w != nil {
		return fmt.Errorf("already streaming")
	}
	if opts.NumberOfProcessors == 0 {
		opts.NumberOfProcessors = NumProcessors
	}
	opts.StartTime = b.start
	if opts.PointerSize != 0 && opts.PointerSize != 8 && b.seq > 0 {
		return fmt.Errorf("pointer size must be chosen before the first event")
	}
	b.opts = opts
	if b.ptr() == 4 && b.seq == 0 {
		b.nextAddr = 0x8A0A0000
	}
	wr, err := etw.NewWriter(w, opts)
	if err != nil {
		return err
	}
	b.events = 1 // the header event
	wr.OnFlush = func(fi etw.FlushInfo) {
		if fi.Flags&(etw.BufferFlagEventsLost|etw.BufferFlagBufferLost) != 0 && fi.Records > 0 {
			b.windows = append(b.windows, model.Window{
				Start:  model.Time(fi.First),
				End:    model.Time(fi.Last),
				Reason: lossReason(fi.Flags),
			})
			b.windowTimes = append(b.windowTimes, [2]int64{fi.First, fi.Last})
		}
	}
	b.w = wr
	return nil
}

func lossReason(f uint16) string {
	switch {
	case f&etw.BufferFlagEventsLost != 0 && f&etw.BufferFlagBufferLost != 0:
		return "EVENTS_LOST|BUFFER_LOST"
	case f&etw.BufferFlagBufferLost != 0:
		return "BUFFER_LOST"
	}
	return "EVENTS_LOST"
}

// WriteETL writes the whole trace to w (Stream + Finish).
func (b *Builder) WriteETL(w io.Writer, opts etw.WriterOptions) error {
	if err := b.Stream(w, opts); err != nil {
		return err
	}
	return b.Finish()
}

// Finish emits the end-of-trace rundown (Process/Thread DCEnd, MapFile
// DCEnd for views still mapped), writes every queued event, closes the
// writer and computes the truth.
func (b *Builder) Finish() error {
	if b.finished {
		return b.err
	}
	if b.w == nil {
		return fmt.Errorf("Finish without Stream")
	}
	b.finished = true
	end := b.lastTime + b.US(100)
	b.rundownEnd(end)
	b.drain(1<<63 - 1)
	for len(b.lossMarks) > 0 {
		b.applyLossMark()
	}
	b.w.SetLoss(b.lostEvents, b.lostBufs)
	if err := b.w.Close(); err != nil {
		b.fail(err)
	}
	b.truth = b.buildTruth()
	return b.err
}

// Advance moves the end of the trace to at least t: Finish emits the
// end-of-trace rundown after max(t, last event).
func (b *Builder) Advance(t int64) {
	if t > b.lastTime {
		b.lastTime = t
	}
}

// Truth returns the right answer for the trace (after Finish or WriteETL).
func (b *Builder) Truth() *model.Model { return b.truth }

// Proc is a process of the scenario.
type Proc struct {
	PID, ParentPID uint32
	Image          string
	CommandLine    string
	UserSID        string
	threads        []*Thread
	key            uint64
	last           int64 // time of the latest IPC activity
}

// act records IPC activity of th at t (Proc.last, for PeerLastActivity).
func (b *Builder) act(t int64, th *Thread) {
	if b.suppress {
		return
	}
	if t > th.last {
		th.last = t
	}
	if t > th.Proc.last {
		th.Proc.last = t
	}
}

// Thread is a thread of a process.
type Thread struct {
	TID      uint32
	Proc     *Proc
	last     int64
	lastALPC uint8 // opcode of the thread's latest ALPC event
	// lastALPCTime is the time of that event.
	lastALPCTime int64
	waitPort     string // port of its latest WaitForNewMessage that named one
}

// Processor returns the processor the thread runs on.
func (t *Thread) Processor() uint16 { return uint16(t.TID / 4 % NumProcessors) }

// Process adds a process that exists at trace start: Process DCStart,
// Image DCStart for its executable, emitted at Start.
func (b *Builder) Process(pid, ppid uint32, image, cmdline, userSID string) *Proc {
	p := &Proc{PID: pid, ParentPID: ppid, Image: image, CommandLine: cmdline, UserSID: userSID, key: b.addr()}
	b.procs = append(b.procs, p)
	t := b.start
	b.emitKernel(t, decoders.ProcessGUID, 0x03, decoders.OpProcessDCStart, ProcessVersion, pid, 0, 0, &decoders.Process{
		Op: decoders.OpProcessDCStart, UniqueProcessKey: p.key, ProcessID: pid, ParentID: ppid, SessionID: 1,
		DirectoryTableBase: b.addr() &^ 0xFFF, UserSID: userSID, ImageFileName: image, CommandLine: cmdline,
	})
	b.emitKernel(t, decoders.ImageGUID, 0x14, decoders.Op(3), ImageVersion, pid, 0, 0, &decoders.Image{
		Op: decoders.Op(3), ImageBase: b.pv(0x7FF600000000 + uint64(pid)<<16), ImageSize: 0x20000, ProcessID: pid,
		ImageChecksum: 0x1F2E3, TimeDateStamp: 0x5F000000, DefaultBase: b.pv(0x140000000),
		FileName: `\Device\HarddiskVolume3\Windows\System32\` + image,
	})
	return p
}

// Thread adds a thread to p (Thread DCStart at Start).
func (p *Proc) Thread(b *Builder, tid uint32) *Thread {
	th := &Thread{TID: tid, Proc: p}
	p.threads = append(p.threads, th)
	b.threads[tid] = th
	base := b.addr()
	b.emitKernel(b.start, decoders.ThreadGUID, 0x05, decoders.Op(3), ThreadVersion, p.PID, tid, th.Processor(), &decoders.Thread{
		Op: decoders.Op(3), ProcessID: p.PID, ThreadID: tid,
		StackBase: base + 0x6000, StackLimit: base, UserStackBase: b.pv(0x000000E000000000 + uint64(tid)<<20),
		UserStackLimit: b.pv(0x000000E000000000 + uint64(tid)<<20 - 0x10000), StartAddr: 0xFF, Win32StartAddr: b.pv(0x7FFA10001000),
		TebBase: b.pv(0x000000D000000000 + uint64(tid)<<12), BasePriority: 8, PagePriority: 5, IoPriority: 2,
	})
	return th
}

// rundownEnd emits MapFile DCEnd for mapped views, then Process and Thread DCEnd, at t.
func (b *Builder) rundownEnd(t int64) {
	b.sectionsEnd(t)
	for _, e := range b.rundownNames {
		if e.closed {
			continue
		}
		b.emitKernel(t, decoders.FileIoGUID, 0x04, decoders.OpFileRundown, FileIoVersion, 0xFFFFFFFF, 0xFFFFFFFF, 0,
			&decoders.FileName{Op: decoders.OpFileRundown, FileKey: e.Key, FileName: npfsPrefix + e.Name})
	}
	for _, p := range b.procs {
		for _, th := range p.threads {
			b.emitKernel(t, decoders.ThreadGUID, 0x05, decoders.Op(4), ThreadVersion, p.PID, th.TID, th.Processor(), &decoders.Thread{
				Op: decoders.Op(4), ProcessID: p.PID, ThreadID: th.TID,
			})
		}
		b.emitKernel(t, decoders.ProcessGUID, 0x03, decoders.OpProcessDCEnd, ProcessVersion, p.PID, 0, 0, &decoders.Process{
			Op: decoders.OpProcessDCEnd, UniqueProcessKey: p.key, ProcessID: p.PID, ParentID: p.ParentPID, SessionID: 1,
			UserSID: p.UserSID, ImageFileName: p.Image, CommandLine: p.CommandLine,
		})
	}
	b.lastTime = t
}

func sortedPIDs(m map[uint32]bool) []uint32 {
	out := make([]uint32, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
