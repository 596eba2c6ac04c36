package correlate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// Named-pipe FSCTL codes, NTSTATUS values and the client create
// disposition the pipe rules look at (internal/ntdefs).
const (
	fsctlPipeDisconnect  = ntdefs.FsctlPipeDisconnect
	fsctlPipeListen      = ntdefs.FsctlPipeListen
	fsctlPipeTransceive  = ntdefs.FsctlPipeTransceive
	fsctlPipeWait        = ntdefs.FsctlPipeWait
	fsctlPipeImpersonate = ntdefs.FsctlPipeImpersonate

	statusPipeConnected = ntdefs.StatusPipeConnected
	statusBufOverflow   = ntdefs.StatusBufferOverflow

	dispOpen = ntdefs.FileOpen
)

// Rules naming how an end's role was decided (docs/rules.md P1–P3, in order).
const (
	ruleFSCTL       = "fsctl"       // 1: issued LISTEN, DISCONNECT or IMPERSONATE
	ruleDisposition = "disposition" // 2/3: Create disposition
	ruleFileKeyBit  = "filekey-bit" // 4: FileKey bit 0 (hypothesis)
)

// Pairing rules (docs/rules.md P4–P6).
const (
	pairFileKey  = "filekey"
	pairListen   = "listen-completion"
	pairUnpaired = "unpaired"
)

// irpKind is the kind of a pending pipe operation.
type irpKind uint8

const (
	irpCreate irpKind = iota + 1
	irpRead
	irpWrite
	irpListen
	irpTransceive
	irpFlush
	irpFSCTL
	irpOther
)

var irpStuckKind = [...]string{
	irpCreate:     "pipe-create",
	irpRead:       "pipe-read",
	irpWrite:      "pipe-write",
	irpListen:     "pipe-listen",
	irpTransceive: "pipe-transceive",
	irpFlush:      "pipe-flush",
	irpFSCTL:      "pipe-fsctl",
	irpOther:      "pipe-io",
}

// irpOp is a started operation waiting for its OperationEnd.
type irpOp struct {
	kind  irpKind
	end   *pipeEnd // nil for creates
	start int64
	pid   uint32
	tid   uint32
	size  uint32
	fsctl uint32
	// creates only
	fo   uint64
	disp uint8
	pn   *pipeName
}

// pipeName is the state shared by every end of one pipe name.
type pipeName struct {
	display   string // \\.\pipe\X as first seen
	instances int
	servers   []*pipeEnd // open server ends
	clients   []*pipeEnd // open, unpaired client ends
	ops       int64
	busyLast  int64 // last open refused with STATUS_PIPE_BUSY (docs/rules.md W5)
	// Failed opens by client PID, waiting for that client's next
	// conversation on the name; left over at the end, they become
	// unpaired rows.
	failed map[uint32]*failedOpens
}

type failedOpens struct {
	counts      map[string]int
	first, last int64
	order       int // creation order, for stable output
}

// maxWrites bounds the writes kept per end for matching: the peer may be
// outside the trace or its reads lost, and state must not grow with the
// trace. The oldest are dropped first.
const maxWrites = 256

// write is one write (or transceive request) not yet consumed by the peer.
type write struct {
	irp   uint64
	start int64
	end   int64  // 0 until its OperationEnd
	size  int64  // requested size until completion, then bytes written
	left  int64  // bytes not yet read by the peer
	sized bool   // false for a transceive request: its size is unknown
	flow  uint64 // timeline flow id
	fed   bool   // a read has ended its flow
}

// pipeEnd is one open FileObject on a pipe (docs/rules.md#conversations).
type pipeEnd struct {
	fo, key  uint64
	pn       *pipeName
	pid, tid uint32
	proc     *proc // process table entry of pid (cache)
	server   bool
	rule     string
	instance int

	created   int64 // Create start (0 when opened before the trace)
	seen      int64 // first event of an end opened before the trace
	createEnd int64
	listenEnd int64 // last successful LISTEN completion
	listenOK  bool
	listenDur int64

	peer   *pipeEnd
	conv   *pipeConv
	paired bool // took part in a conversation at least once
	closed bool
	last   int64

	writes   []write // this end's writes not yet read by the peer
	reqStart int64   // client: start of the unanswered request

	// Server: owes is set when a read returned a request and cleared
	// when the server writes (docs/rules.md W1, I2); readTID and readAt
	// are the thread and time of that read.
	owes    bool
	readTID uint32
	readAt  int64

	// Counters gathered while unpaired, moved into the conversation.
	pend pipeCounts
}

type pipeCounts struct {
	in       model.Flow // data read by this end
	failures map[string]int
	imp      bool
}

// pipeConv is one conversation under construction.
type pipeConv struct {
	m           model.Pipe
	server      *pipeEnd
	client      *pipeEnd
	first, last int64
	read        latency.Hist
	rtt         latency.Hist
	queue       latency.Hist
	flush       latency.Hist
	connect     latency.Hist
	done        bool // summarized: the histograms are gone
	// firstIn/lastIn: counted activity inside the --since window.
	firstIn, lastIn int64
}

// touch notes counted activity of the conversation at t.
func (c *pipeConv) touch(t int64) {
	if c.firstIn == 0 {
		c.firstIn = t
	}
	c.lastIn = t
}

// notEndSlot is an entry of pipeState.notEnd: FileObject fo, with FileKey
// key, was no pipe end when the names had generation gen.
type notEndSlot struct {
	fo, key uint64
	gen     uint64
	ok      bool
}

// maxPathCache bounds the OpenPath → pipe name cache.
const maxPathCache = 4096

type pipeState struct {
	byPath map[string]*pipeName // Create.OpenPath → pipe (nil: not a pipe)
	ends   map[uint64]*pipeEnd  // FileObject → open end
	byKey  map[uint64]*pipeEnd  // FileKey → open end
	irps   irpTable
	// endCache is a direct-mapped cache in front of ends (entries mirror it).
	endCache [64]*pipeEnd
	// notEnd is a direct-mapped cache of the FileObjects endOf found to be
	// no pipe end: the I/O of ordinary files, nearly all of a busy
	// machine's trace, then costs no map lookup. An entry holds while ends
	// has no entry for its FileObject (setEnd clears it) and no FileKey has
	// been named otherwise since it was made (Engine.namesGen).
	notEnd  [256]notEndSlot
	names   map[string]*pipeName // lower-case name → state
	convs   []*pipeConv
	h1      bool // a client FileKey|1 matched a server FileKey
	stuck   []model.Stuck
	idle    []model.Idle
	failSeq int
}

func (p *pipeState) init() {
	p.ends = make(map[uint64]*pipeEnd)
	p.byPath = make(map[string]*pipeName)
	p.byKey = make(map[uint64]*pipeEnd)
	p.names = make(map[string]*pipeName)
}

// anonymousPipe names anonymous pipes created with an empty name [I].
const anonymousPipe = `\\.\pipe\(anonymous)`

// pipeNameOf maps an NT path to the Win32 pipe name with
// decoders.ClassifyPath: \Device\NamedPipe\X → \\.\pipe\X,
// \Device\Mup\srv\PIPE\X → \\srv\pipe\X (docs/events.md#pipe-names). It returns
// ok=false for other paths, mailslots and the NPFS root.
func pipeNameOf(nt string) (string, bool) {
	info := decoders.ClassifyPath(nt)
	if !info.Kind.IsPipe() {
		return "", false
	}
	if info.Win32 == "" {
		return anonymousPipe, true
	}
	return info.Win32, true
}

func (e *Engine) pipeName(name string) *pipeName {
	k := strings.ToLower(name)
	pn := e.p.names[k]
	if pn == nil {
		pn = &pipeName{display: name}
		e.p.names[k] = pn
	}
	return pn
}

// endOf returns the open end of a FileObject, creating one for pipes opened
// before the trace when the FileKey's name says it is a pipe.
func (e *Engine) endOf(fo, key uint64, ttid, hdrPID uint32, t int64) *pipeEnd {
	slot := &e.p.endCache[(fo>>4)%uint64(len(e.p.endCache))]
	ne := &e.p.notEnd[(fo>>4)%uint64(len(e.p.notEnd))]
	en := *slot
	if en == nil || en.fo != fo {
		if ne.ok && ne.fo == fo && ne.key == key && ne.gen == e.namesGen {
			return nil
		}
		en = e.p.ends[fo]
		if en != nil {
			*slot = en
		}
	}
	if en == nil {
		pn := e.pipeOfKey(key)
		if pn == nil {
			// An ordinary file, or one not named.
			*ne = notEndSlot{fo: fo, key: key, gen: e.namesGen, ok: true}
			return nil
		}
		en = &pipeEnd{fo: fo, pn: pn, server: key&1 == 1, rule: ruleFileKeyBit, seen: t}
		en.pid = e.pidOf(ttid, hdrPID)
		en.tid = ttid
		e.setEnd(en)
		if en.server {
			e.addServer(en)
		} else {
			en.pn.clients = append(en.pn.clients, en)
		}
	}
	if key != 0 && en.key != key {
		if en.key != 0 && e.p.byKey[en.key] == en {
			delete(e.p.byKey, en.key)
		}
		en.key = key
		e.p.byKey[key] = en
	}
	if ttid != 0 && (ttid != en.tid || en.proc == nil) {
		en.tid = ttid
		if pid := e.pidOf(ttid, hdrPID); pid != 0 {
			en.pid = pid
		}
		en.proc = nil
	}
	en.last = t
	en.pn.ops++
	if en.proc == nil || en.proc.pid != en.pid {
		en.proc = e.procOf(en.pid)
	}
	if en.proc != nil {
		en.proc.last, en.proc.lastTID = t, en.tid
	}
	if en.conv != nil {
		en.conv.last = t
	}
	return en
}

// pipeOfKey is the pipe FileKey key names, nil when it names none.
func (e *Engine) pipeOfKey(key uint64) *pipeName {
	if key == 0 {
		return nil
	}
	name, ok := e.names[key]
	if !ok {
		return nil
	}
	pn, ok := e.p.byPath[name]
	if !ok {
		if pname, isPipe := pipeNameOf(name); isPipe {
			pn = e.pipeName(pname)
		}
		if len(e.p.byPath) >= maxPathCache {
			clear(e.p.byPath)
		}
		e.p.byPath[name] = pn
	}
	return pn
}

// setEnd makes en the open end of its FileObject.
func (e *Engine) setEnd(en *pipeEnd) {
	e.p.ends[en.fo] = en
	e.p.endCache[(en.fo>>4)%uint64(len(e.p.endCache))] = en
	if ne := &e.p.notEnd[(en.fo>>4)%uint64(len(e.p.notEnd))]; ne.fo == en.fo {
		ne.ok = false
	}
}

func (e *Engine) addServer(en *pipeEnd) {
	en.pn.instances++
	en.instance = en.pn.instances
	en.pn.servers = append(en.pn.servers, en)
}

func (e *Engine) fileCreate(d *decoders.Decoded, ev *decoders.FileCreate) {
	pn, ok := e.p.byPath[ev.OpenPath]
	if !ok {
		name, isPipe := pipeNameOf(ev.OpenPath)
		if isPipe {
			pn = e.pipeName(name)
		}
		if len(e.p.byPath) >= maxPathCache {
			clear(e.p.byPath)
		}
		e.p.byPath[ev.OpenPath] = pn // nil: not a pipe
	}
	if pn == nil {
		return
	}
	pn.ops++
	pid := e.pidOf(ev.TTID, d.PID)
	e.p.irps.put(ev.IrpPtr, irpOp{kind: irpCreate, start: d.Time, pid: pid, tid: ev.TTID,
		fo: ev.FileObject, disp: ev.Disposition(), pn: pn})
}

func (e *Engine) createEnd(op irpOp, t int64, status uint32) {
	if !ntSuccess(status) {
		e.createFailed(op, t, status)
		return
	}
	if old := e.p.ends[op.fo]; old != nil {
		e.closeEnd(old, t) // the FileObject address was reused
	}
	en := &pipeEnd{fo: op.fo, pn: op.pn, pid: op.pid, tid: op.tid, created: op.start,
		createEnd: t, last: t, rule: ruleDisposition, server: op.disp != dispOpen}
	e.setEnd(en)
	if en.server {
		e.addServer(en)
	} else {
		op.pn.clients = append(op.pn.clients, en)
	}
}

// createFailed records a failed open of a pipe name: a client that found
// the pipe busy, absent or denied (docs/events.md#pipe-operations). The failure belongs to
// the client's next conversation on the name (a retry that succeeds), or
// to an unpaired row when there is none.
func (e *Engine) createFailed(op irpOp, t int64, status uint32) {
	pn := op.pn
	if pn.failed == nil {
		pn.failed = make(map[uint32]*failedOpens)
	}
	f := pn.failed[op.pid]
	if f == nil {
		e.p.failSeq++
		f = &failedOpens{counts: map[string]int{}, first: op.start, order: e.p.failSeq}
		pn.failed[op.pid] = f
	}
	f.counts[failureName(status)]++
	f.last = t
	if status == ntdefs.StatusPipeBusy {
		pn.busyLast = t
	}
}

func (e *Engine) fileSimple(d *decoders.Decoded, ev *decoders.FileSimpleOp) {
	en := e.endOf(ev.FileObject, ev.FileKey, ev.TTID, d.PID, d.Time)
	if en == nil {
		return
	}
	if !en.server {
		e.pairClient(en)
	}
	switch ev.Op {
	case decoders.OpFlush:
		e.startIRP(ev.IrpPtr, irpFlush, en, d.Time, ev.TTID, 0, 0)
	case decoders.OpClose:
		e.closeEnd(en, d.Time)
	}
}

func (e *Engine) fileReadWrite(d *decoders.Decoded, ev *decoders.FileReadWrite) {
	en := e.endOf(ev.FileObject, ev.FileKey, ev.TTID, d.PID, d.Time)
	if en == nil {
		return
	}
	if !en.server {
		e.pairClient(en)
	}
	if ev.Op == decoders.OpWrite {
		e.startIRP(ev.IrpPtr, irpWrite, en, d.Time, ev.TTID, ev.IoSize, 0)
		en.pushWrite(write{irp: ev.IrpPtr, start: d.Time,
			size: int64(ev.IoSize), left: int64(ev.IoSize), sized: true, flow: e.newFlow()})
		if !en.server && en.reqStart == 0 {
			en.reqStart = d.Time
		}
		if en.server {
			en.owes = false // answering
		}
		return
	}
	e.startIRP(ev.IrpPtr, irpRead, en, d.Time, ev.TTID, ev.IoSize, 0)
}

func (e *Engine) fileInfo(d *decoders.Decoded, ev *decoders.FileInfo) {
	if ev.Op != decoders.OpFSControl {
		if en := e.endOf(ev.FileObject, ev.FileKey, ev.TTID, d.PID, d.Time); en != nil {
			if !en.server {
				e.pairClient(en)
			}
			e.startIRP(ev.IrpPtr, irpOther, en, d.Time, ev.TTID, 0, 0)
		}
		return
	}
	en := e.endOf(ev.FileObject, ev.FileKey, ev.TTID, d.PID, d.Time)
	if en == nil {
		return
	}
	switch ev.InfoClass {
	case fsctlPipeListen, fsctlPipeDisconnect, fsctlPipeImpersonate:
		e.makeServer(en)
	}
	if !en.server {
		e.pairClient(en)
	}
	switch ev.InfoClass {
	case fsctlPipeListen:
		if en.conv != nil {
			e.detach(en) // listening again: the previous client is gone
		}
		en.listenOK = false
		e.startIRP(ev.IrpPtr, irpListen, en, d.Time, ev.TTID, 0, ev.InfoClass)
	case fsctlPipeDisconnect:
		e.detach(en)
		e.startIRP(ev.IrpPtr, irpFSCTL, en, d.Time, ev.TTID, 0, ev.InfoClass)
	case fsctlPipeImpersonate:
		if en.conv != nil {
			en.conv.m.Impersonated = true
		} else {
			en.pend.imp = true
		}
		e.startIRP(ev.IrpPtr, irpFSCTL, en, d.Time, ev.TTID, 0, ev.InfoClass)
	case fsctlPipeTransceive:
		e.startIRP(ev.IrpPtr, irpTransceive, en, d.Time, ev.TTID, 0, ev.InfoClass)
		// The request is delivered at once; its size is learnt when read.
		en.pushWrite(write{irp: ev.IrpPtr, start: d.Time, end: d.Time, left: 1 << 62, flow: e.newFlow()})
		if e.opt.Timeline {
			// The request half: a zero-length span that starts the flow.
			e.span(en.pid, ev.TTID, "pipe", "transceive request ", en.pn.display, d.Time, d.Time, en.writes[len(en.writes)-1].flow, 0)
		}
		if en.reqStart == 0 {
			en.reqStart = d.Time
		}
	default:
		e.startIRP(ev.IrpPtr, irpFSCTL, en, d.Time, ev.TTID, 0, ev.InfoClass)
	}
}

// pushWrite queues a write of en for the peer's reads.
func (en *pipeEnd) pushWrite(w write) {
	if len(en.writes) >= maxWrites {
		n := copy(en.writes, en.writes[len(en.writes)-maxWrites/2:])
		en.writes = en.writes[:n]
	}
	en.writes = append(en.writes, w)
}

// makeServer applies rule P1 (docs/rules.md P1).
func (e *Engine) makeServer(en *pipeEnd) {
	if en.server {
		en.rule = ruleFSCTL
		return
	}
	en.server = true
	en.rule = ruleFSCTL
	en.pn.clients = removeEnd(en.pn.clients, en)
	e.addServer(en)
}

func removeEnd(s []*pipeEnd, en *pipeEnd) []*pipeEnd {
	for i, x := range s {
		if x == en {
			copy(s[i:], s[i+1:])
			s[len(s)-1] = nil
			return s[:len(s)-1]
		}
	}
	return s
}

func (e *Engine) startIRP(irp uint64, k irpKind, en *pipeEnd, t int64, tid, size, fsctl uint32) {
	e.p.irps.put(irp, irpOp{kind: k, end: en, start: t, pid: en.pid, tid: tid, size: size, fsctl: fsctl})
}

func (e *Engine) fileOpEnd(d *decoders.Decoded, ev *decoders.FileOpEnd) {
	op, ok := e.p.irps.take(ev.IrpPtr)
	if !ok {
		return
	}
	t := d.Time
	if op.kind == irpCreate {
		op.pn.ops++
		if ntSuccess(ev.Status) {
			e.touch(op.pid, op.tid, t)
		}
		e.createEnd(op, t, ev.Status)
		return
	}
	en := op.end
	en.last = t
	en.pn.ops++
	if en.conv != nil {
		en.conv.last = t
	}
	e.touch(en.pid, op.tid, t)
	okStatus := ntSuccess(ev.Status)
	if !okStatus && !(op.kind == irpListen && ev.Status == statusPipeConnected) {
		e.failure(en, ev.Status)
	}
	switch op.kind {
	case irpWrite:
		e.writeEnd(en, op, ev.IrpPtr, t, int64(ev.ExtraInfo), okStatus)
	case irpRead:
		if okStatus || ev.Status == statusBufOverflow {
			e.readEnd(en, op, t, int64(ev.ExtraInfo), false)
		}
	case irpTransceive:
		// The request's size is learnt when the server reads it.
		if !okStatus && ev.Status != statusBufOverflow {
			e.dropWrite(en, ev.IrpPtr)
		} else {
			e.readEnd(en, op, t, int64(ev.ExtraInfo), true)
		}
	case irpListen:
		e.span(op.pid, op.tid, "pipe", "listen ", en.pn.display, op.start, t, 0, 0)
		if okStatus || ev.Status == statusPipeConnected {
			en.listenOK = true
			en.listenEnd = t
			en.listenDur = t - op.start
			e.pairServer(en)
		}
	case irpFlush:
		e.span(op.pid, op.tid, "pipe", "flush ", en.pn.display, op.start, t, 0, 0)
		if c := en.conv; c != nil && !e.out {
			c.flush.Record(t - op.start)
		}
	}
	if e.stuckAfter > 0 && t-op.start > e.stuckAfter && op.kind != irpListen && !e.out {
		// A slow operation: stuck when someone waited for it. A slow
		// LISTEN or idle read is a server waiting for work.
		if w := e.classifyPipe(op, t, true); w.owed {
			e.p.stuck = append(e.p.stuck, e.pipeStuck(op, w, t, t-op.start))
		}
	}
}

// writeEnd completes a write: its byte count is OpEnd ExtraInfo.
func (e *Engine) writeEnd(en *pipeEnd, op irpOp, irp uint64, t, n int64, ok bool) {
	for i := range en.writes {
		w := &en.writes[i]
		if w.irp != irp || w.end != 0 {
			continue
		}
		w.end = t
		e.span(op.pid, op.tid, "pipe", "write ", en.pn.display, op.start, t, w.flow, 0)
		if !ok {
			n = 0
		}
		consumed := w.size - w.left
		w.size = n
		w.left = max(n-consumed, 0)
		break
	}
	e.popWrites(en)
}

func (e *Engine) dropWrite(en *pipeEnd, irp uint64) {
	for i := range en.writes {
		if en.writes[i].irp == irp && !en.writes[i].sized {
			en.writes[i].left = 0
			en.writes[i].end = 1
		}
	}
	e.popWrites(en)
}

// popWrites removes fully read, completed writes from the head.
func (e *Engine) popWrites(en *pipeEnd) {
	i := 0
	for i < len(en.writes) && en.writes[i].left == 0 && en.writes[i].end != 0 {
		i++
	}
	if i > 0 {
		n := copy(en.writes, en.writes[i:])
		en.writes = en.writes[:n]
	}
}

// inFlow is the flow counter of data read by en: flows are counted on
// the reading side, where OperationEnd gives the bytes transferred.
func (e *Engine) inFlow(en *pipeEnd) *model.Flow {
	if c := en.conv; c != nil {
		if en.server {
			return &c.m.ToServer
		}
		return &c.m.ToClient
	}
	return &en.pend.in
}

// readEnd matches a completed read of n bytes on en with the peer's writes
// (docs/rules.md P7–P9). transceive marks the reply half of a TRANSCEIVE.
func (e *Engine) readEnd(en *pipeEnd, op irpOp, t, n int64, transceive bool) {
	start := op.start
	var flowIn uint64
	if e.opt.Timeline {
		defer func() {
			name := "read "
			if transceive {
				name = "transceive "
			}
			e.span(op.pid, op.tid, "pipe", name, en.pn.display, start, t, 0, flowIn)
		}()
	}
	if en.peer == nil && !en.server {
		e.pairClient(en)
	}
	c := en.conv
	if e.out {
		// Before the window: match the bytes, count nothing.
		c = nil
	} else {
		f := e.inFlow(en)
		f.Ops++
		f.Bytes += n
		if en.conv != nil {
			en.conv.touch(t)
		}
	}
	if en.server && n > 0 {
		en.owes, en.readTID, en.readAt = true, op.tid, t
	}
	if transceive && c != nil {
		c.rtt.Record(t - start)
		en.reqStart = 0
	}
	if !en.server && !transceive && en.reqStart != 0 && n > 0 && c != nil {
		c.rtt.Record(t - en.reqStart)
		en.reqStart = 0
	}
	peer := en.peer
	if peer == nil || n <= 0 {
		return
	}
	firstByte := true
	for i := 0; i < len(peer.writes) && n > 0; i++ {
		w := &peer.writes[i]
		if w.left == 0 {
			continue
		}
		if !w.sized {
			// A TRANSCEIVE request: one message, read whole (docs/rules.md P9).
			w.sized = true
			w.size, w.left = n, n
		}
		if firstByte && !w.fed {
			flowIn, w.fed = w.flow, true // a write's flow ends at the first read it feeds
		}
		if firstByte && c != nil {
			switch {
			case start < w.start: // pending read: read end − write start
				c.read.Record(t - w.start)
			case w.end != 0: // data was queued: read start − write end
				c.read.Record(start - w.end)
				c.queue.Record(start - w.end)
			default: // read while the write is still in progress
				c.read.Record(0)
				c.queue.Record(0)
			}
		}
		firstByte = false
		take := min(n, w.left)
		w.left -= take
		n -= take
	}
	e.popWrites(peer)
}

func (e *Engine) failure(en *pipeEnd, status uint32) {
	if e.out {
		return
	}
	name := failureName(status)
	if en.conv != nil {
		en.conv.touch(e.last)
	}
	if c := en.conv; c != nil {
		c.m.Failures[name]++
		return
	}
	if en.pend.failures == nil {
		en.pend.failures = make(map[string]int)
	}
	en.pend.failures[name]++
}

// pairClient pairs a client end with a server end: by FileKey (H1) when its
// key is known and matches, else by LISTEN completion (H2, docs/rules.md P5).
func (e *Engine) pairClient(c *pipeEnd) {
	if c.peer != nil || c.closed || c.server {
		return
	}
	if c.key != 0 {
		if s := e.p.byKey[c.key|1]; s != nil && s != c && s.server && s.pn == c.pn && s.peer == nil {
			e.p.h1 = true
			e.pair(s, c, pairFileKey, 1)
			return
		}
		if e.p.h1 && c.createEnd == 0 {
			return
		}
	}
	var best *pipeEnd
	var bestD int64
	n := 0
	for _, s := range c.pn.servers {
		if s.peer != nil || !s.listenOK || s.closed {
			continue
		}
		if e.p.h1 && s.key != 0 && c.key != 0 && s.key != c.key|1 {
			continue // H1 holds in this trace and says they are not one instance
		}
		n++
		ref := c.createEnd
		if ref == 0 {
			ref = c.last
		}
		d := s.listenEnd - ref
		if d < 0 {
			d = -d
		}
		if best == nil || d < bestD {
			best, bestD = s, d
		}
	}
	if best != nil {
		e.pair(best, c, pairListen, 1/float64(n))
	}
}

// pairServer tries to pair a server whose LISTEN just completed with a
// client that connected before the completion was logged.
func (e *Engine) pairServer(s *pipeEnd) {
	if s.peer != nil {
		return
	}
	var best *pipeEnd
	var bestD int64
	for _, c := range s.pn.clients {
		// Clients whose FileKey is still unknown pair at their first
		// operation, when H1 can be tried.
		if c.peer != nil || c.closed || c.createEnd == 0 || c.key == 0 {
			continue
		}
		if e.p.h1 && c.key != 0 && s.key != 0 && c.key|1 != s.key {
			continue
		}
		if c.key != 0 && s.key != 0 && c.key|1 == s.key {
			e.p.h1 = true
			e.pair(s, c, pairFileKey, 1)
			return
		}
		d := s.listenEnd - c.createEnd
		if d < 0 {
			d = -d
		}
		if best == nil || d < bestD {
			best, bestD = c, d
		}
	}
	if best != nil {
		e.pairClient(best)
	}
}

func (e *Engine) pair(s, c *pipeEnd, rule string, conf float64) {
	conv := &pipeConv{server: s, client: c, first: c.created, last: max(s.last, c.last)}
	if conv.first == 0 {
		conv.first = c.createEnd
	}
	if conv.first == 0 {
		conv.first = s.listenEnd
	}
	if conv.first == 0 {
		// Both ends opened before the trace: the first event seen on either.
		conv.first = c.seen
		if s.seen != 0 && (conv.first == 0 || s.seen < conv.first) {
			conv.first = s.seen
		}
	}
	conv.m = model.Pipe{
		Name: s.pn.display, Instance: s.instance, ServerPID: s.pid, ClientPID: c.pid,
		Pairing: rule, Confidence: conf, Inferred: true, Failures: map[string]int{},
		ServerTID: s.tid, ClientTID: c.tid, ServerRule: s.rule, ClientRule: c.rule,
	}
	if s.listenOK && s.listenDur > 0 {
		conv.connect.Record(s.listenDur)
	}
	for _, en := range [2]*pipeEnd{s, c} {
		conv.m.Impersonated = conv.m.Impersonated || en.pend.imp
		for k, v := range en.pend.failures {
			conv.m.Failures[k] += v
		}
	}
	if f := c.pn.failed[c.pid]; f != nil && f.first < c.created {
		for k, v := range f.counts {
			conv.m.Failures[k] += v
		}
		delete(c.pn.failed, c.pid)
	}
	conv.m.ToServer = s.pend.in
	conv.m.ToClient = c.pend.in
	s.pend, c.pend = pipeCounts{}, pipeCounts{}
	s.peer, c.peer = c, s
	s.conv, c.conv = conv, conv
	s.paired, c.paired = true, true
	c.pn.clients = removeEnd(c.pn.clients, c)
	e.p.convs = append(e.p.convs, conv)
}

// detach ends the conversation of a server end (DISCONNECT or a new LISTEN).
func (e *Engine) detach(s *pipeEnd) {
	if s.conv != nil {
		s.conv.summarize()
	}
	if c := s.peer; c != nil {
		c.peer = nil
		c.conv = nil
	}
	s.peer = nil
	s.conv = nil
	s.writes = s.writes[:0]
}

func (e *Engine) closeEnd(en *pipeEnd, t int64) {
	en.closed = true
	en.last = t
	if e.p.ends[en.fo] == en {
		delete(e.p.ends, en.fo)
	}
	if slot := &e.p.endCache[(en.fo>>4)%uint64(len(e.p.endCache))]; *slot == en {
		*slot = nil
	}
	if en.key != 0 && e.p.byKey[en.key] == en {
		delete(e.p.byKey, en.key)
	}
	if en.server {
		en.pn.servers = removeEnd(en.pn.servers, en)
	} else {
		en.pn.clients = removeEnd(en.pn.clients, en)
	}
	if !en.paired && !en.server && en.created != 0 {
		e.unpairedRow(en)
	}
	if c := en.conv; c != nil && (en.peer == nil || en.peer.closed) {
		c.summarize() // both ends are gone: nothing more can happen
	}
}

// summarize turns the conversation's histograms into summaries and drops
// them, so that finished conversations cost a few hundred bytes, not the
// histograms' kilobytes.
func (c *pipeConv) summarize() {
	if c.done {
		return
	}
	c.done = true
	c.m.Latency = c.read.Summary()
	c.m.RoundTrip = c.rtt.Summary()
	c.m.QueueDelay = c.queue.Summary()
	c.m.FlushDrain = c.flush.Summary()
	c.m.ConnectWait = c.connect.Summary()
	c.read, c.rtt, c.queue, c.flush, c.connect = latency.Hist{}, latency.Hist{}, latency.Hist{}, latency.Hist{}, latency.Hist{}
}

// unpairedRow records an end that never took part in a conversation.
func (e *Engine) unpairedRow(en *pipeEnd) {
	c := &pipeConv{first: en.created, last: en.last}
	if c.first == 0 {
		c.first = en.createEnd
	}
	c.m = model.Pipe{Name: en.pn.display, Pairing: pairUnpaired, Failures: map[string]int{}, Inferred: true}
	for k, v := range en.pend.failures {
		c.m.Failures[k] += v
	}
	if en.server {
		c.m.ServerPID, c.m.ServerTID, c.m.ServerRule, c.m.Instance = en.pid, en.tid, en.rule, en.instance
		c.m.ToServer = en.pend.in
		c.m.Impersonated = en.pend.imp
		if en.listenOK && en.listenDur > 0 {
			c.connect.Record(en.listenDur)
		}
	} else {
		c.m.ClientPID, c.m.ClientTID, c.m.ClientRule = en.pid, en.tid, en.rule
		c.m.ToClient = en.pend.in
	}
	en.pend = pipeCounts{}
	e.p.convs = append(e.p.convs, c)
}

// pipeWait is the verdict on one pipe operation that is open at the end
// or was slow: owed (someone waits for an answer the peer owes) or idle
// (a server waiting for work), with the rule and what it saw.
type pipeWait struct {
	owed     bool
	rule     string
	evidence string
}

// classifyPipe applies docs/rules.md W1, W2, W5, W6 and I1, I2 to op at
// time now. done is true for an operation that completed (a slow one).
func (e *Engine) classifyPipe(op irpOp, now int64, done bool) pipeWait {
	en := op.end
	switch op.kind {
	case irpTransceive:
		return pipeWait{true, "W2", "TRANSCEIVE: the client waits for the reply to the request it sent"}
	case irpWrite, irpFlush:
		return pipeWait{true, "W6", "the write waits for the peer to read (the pipe's buffer is full)"}
	case irpListen:
		if b := en.pn.busyLast; b != 0 && b >= op.start-busyWindow {
			return pipeWait{true, "W5", fmt.Sprintf("clients were refused with PIPE_BUSY on this name at %s, while or just before the server listened", ft(b))}
		}
		return pipeWait{false, "I1", "a server instance waiting for a client; no client was refused (no PIPE_BUSY) while it listened"}
	case irpRead:
		if en.server {
			if en.owes {
				return pipeWait{true, "W1", fmt.Sprintf("the server read a request at %s that it has not answered, and waits for more data", ft(en.readAt))}
			}
			if en.readAt == 0 {
				return pipeWait{false, "I2", "a server read waiting for a request; nothing was received on this end in the trace"}
			}
			return pipeWait{false, "I2", "a server read waiting for the next request; every request it received was answered"}
		}
		if en.reqStart != 0 && en.reqStart <= op.start {
			if p := en.peer; p != nil && p.server && p.owes {
				return pipeWait{true, "W1", fmt.Sprintf("the server (tid %d) read this client's request at %s and has not answered", p.readTID, ft(p.readAt))}
			}
			return pipeWait{true, "W1", fmt.Sprintf("the client sent a request at %s and waits for the answer", ft(en.reqStart))}
		}
		return pipeWait{false, "I2", "a client read with no request outstanding: it waits for data the server may send"}
	}
	return pipeWait{true, "W6", "a pipe operation the peer has not completed"}
}

// busyWindow is how long before a LISTEN a PIPE_BUSY refusal still counts
// as demand for it (docs/rules.md W5): one second.
const busyWindow = 10_000_000

// pipeStuck describes a pending (or too slow) owed pipe operation.
func (e *Engine) pipeStuck(op irpOp, w pipeWait, now, waited int64) model.Stuck {
	en := op.end
	s := model.Stuck{Kind: irpStuckKind[op.kind], PID: op.pid, TID: op.tid, Object: en.pn.display,
		Since: ft(op.start), WaitedUS: usOf(waited), Inferred: true, Rule: w.rule, Evidence: w.evidence}
	if p := en.peer; p != nil {
		s.PeerPID, s.PeerTID = p.pid, p.tid
		if p.server && p.readTID != 0 {
			s.PeerTID = p.readTID
		}
		last, _ := e.procLast(p.pid)
		s.PeerLastActivity = ft(last)
	}
	return s
}

// pipeIdle describes an idle pipe operation open at the end.
func (e *Engine) pipeIdle(op irpOp, w pipeWait, waited int64) model.Idle {
	return model.Idle{Kind: irpStuckKind[op.kind], PID: op.pid, TID: op.tid, Object: op.end.pn.display,
		Since: ft(op.start), WaitedUS: usOf(waited), Rule: w.rule, Evidence: w.evidence, Inferred: true,
		Image: e.image(op.pid)}
}

// finishPipes turns open state into model rows: stuck operations, ends
// that never paired, and the conversations' summaries.
func (e *Engine) finishPipes(m *model.Model, end int64) {
	for op := range e.p.irps.all() {
		if op.kind == irpCreate || op.end == nil {
			continue
		}
		switch op.kind {
		case irpRead, irpListen, irpTransceive, irpFlush, irpWrite:
		default:
			continue
		}
		w := e.classifyPipe(op, end, false)
		if !w.owed {
			e.p.idle = append(e.p.idle, e.pipeIdle(op, w, end-op.start))
			continue
		}
		if end-op.start < e.stuckAfter {
			continue
		}
		e.p.stuck = append(e.p.stuck, e.pipeStuck(op, w, end, end-op.start))
	}
	// Ends still open that never paired.
	for _, en := range e.p.ends {
		if en.peer == nil && !en.server {
			e.pairClient(en)
		}
	}
	// Unpaired rows: instances still listening, clients never paired,
	// failed opens that no later conversation took.
	var rows []*pipeEnd
	for op := range e.p.irps.all() {
		if op.kind == irpListen && op.end != nil && op.end.peer == nil {
			rows = append(rows, op.end)
		}
	}
	for _, en := range e.p.ends {
		if !en.paired && !en.server {
			rows = append(rows, en)
		}
	}
	slices.SortFunc(rows, func(a, b *pipeEnd) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.pn.display), strings.ToLower(b.pn.display)),
			cmp.Compare(a.instance, b.instance), cmp.Compare(a.created, b.created), cmp.Compare(a.fo, b.fo))
	})
	var fails []*pipeConv
	for _, pn := range e.p.names {
		for pid, f := range pn.failed {
			c := &pipeConv{first: f.first, last: f.last}
			c.m = model.Pipe{Name: pn.display, ClientPID: pid, Pairing: pairUnpaired, Failures: f.counts,
				Inferred: true, Instance: -f.order}
			fails = append(fails, c)
		}
	}
	slices.SortFunc(fails, func(a, b *pipeConv) int { return cmp.Compare(-a.m.Instance, -b.m.Instance) })
	for _, c := range fails {
		c.m.Instance = 0
		e.p.convs = append(e.p.convs, c)
	}
	for _, en := range rows {
		e.unpairedRow(en)
	}
	for _, c := range e.p.convs {
		c.summarize()
		if e.since != 0 {
			if c.first >= e.since {
				// opened inside the window: as without one
			} else if c.firstIn == 0 {
				continue // no activity inside the window
			} else {
				c.first, c.last = c.firstIn, max(c.lastIn, c.firstIn)
			}
		}
		c.m.First, c.m.Last = ft(c.first), ft(c.last)
		c.m.ServerImage, c.m.ClientImage = e.image(c.m.ServerPID), e.image(c.m.ClientPID)
		if c.m.Pairing == pairUnpaired {
			c.m.Confidence = 0
		}
		c.m.Lossy = e.l.overlaps(c.first, c.last)
		if !e.keepPipe(c.m.Name) || !e.keepPIDs(c.m.ServerPID, c.m.ClientPID) {
			continue
		}
		m.Pipes = append(m.Pipes, c.m)
	}
	for _, s := range e.p.stuck {
		if !e.keepPipe(s.Object) || !e.keepPIDs(s.PID, s.PeerPID) {
			continue
		}
		m.Stuck = append(m.Stuck, s)
	}
	for _, s := range e.p.idle {
		if !e.keepPipe(s.Object) || !e.keepPIDs(s.PID) {
			continue
		}
		m.Idle = append(m.Idle, s)
	}
}

// ntSuccess reports NT_SUCCESS(status) (informational and success codes).
func ntSuccess(status uint32) bool { return ntdefs.Success(status) }

// failureName is the short name of a failure status ("PIPE_BUSY",
// "STATUS_C0000043"), as ntdefs.FailureName gives it.
func failureName(status uint32) string { return ntdefs.FailureName(status) }
