package synth

import (
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// Named-pipe constants (docs/events.md#pipe-constants).
const (
	FsctlPipeDisconnect  = ntdefs.FsctlPipeDisconnect
	FsctlPipeListen      = ntdefs.FsctlPipeListen
	FsctlPipeWait        = ntdefs.FsctlPipeWait
	FsctlPipeImpersonate = ntdefs.FsctlPipeImpersonate
	FsctlPipeTransceive  = ntdefs.FsctlPipeTransceive

	StatusSuccess          = ntdefs.StatusSuccess
	StatusPipeBusy         = ntdefs.StatusPipeBusy
	StatusPipeConnected    = ntdefs.StatusPipeConnected
	StatusObjectNameNotFnd = ntdefs.StatusObjectNameNotFound
	StatusAccessDenied     = ntdefs.StatusAccessDenied
	StatusPipeBroken       = ntdefs.StatusPipeBroken

	dispOpen   = ntdefs.FileOpen
	dispCreate = ntdefs.FileCreate
	dispOpenIf = ntdefs.FileOpenIf

	fileSyncIONonAlert = 0x20
	pipeIoFlags        = 0x00060A00
	npfsPrefix         = ntdefs.NamedPipeDevice
)

// FailureName names the NTSTATUS of a failed client open as the truth
// does, with the short names the correlator gives (ntdefs.FailureName).
func FailureName(status uint32) string { return ntdefs.FailureName(status) }

// pipeName is the state of one pipe name.
type pipeName struct {
	name      string // X of \\.\pipe\X
	instances int
	h1        bool
	listening []*PipeEnd // instances with a pending LISTEN, FIFO
	busyLast  int64      // last open refused with PIPE_BUSY
}

// PipeEnd is one open of a pipe: a server instance or a client end.
type PipeEnd struct {
	Name     string // X of \\.\pipe\X
	Server   bool
	Thread   *Thread
	FO, Key  uint64
	Instance int
	Message  bool // message-mode pipe: one read takes one write

	b        *Builder
	pn       *pipeName
	ccb      uint64
	peer     *PipeEnd
	conv     *pipeConv
	queue    []chunk // data written by the peer and not yet read
	reads    []*pendingRead
	listen   *pendingOp
	reqStart int64 // client: start of the unanswered request (RoundTrip)
	// Server: owes is set by a read that returned a request and cleared
	// by the next write; readTID/readAt are that read's thread and time.
	owes    bool
	readTID uint32
	readAt  int64
	lastOp  int64
	lastTID uint32
	closed  bool
	created int64
}

type chunk struct {
	n            int64
	tStart, tEnd int64
}

type pendingRead struct {
	irp        uint64
	th         *Thread
	t          int64
	size       int64
	transceive bool
}

type pendingOp struct {
	irp uint64
	th  *Thread
	t   int64
}

// pipeConv accumulates the truth of one conversation.
type pipeConv struct {
	name         string
	instance     int
	serverPID    uint32
	clientPID    uint32
	pairing      string
	toServer     flow
	toClient     flow
	lat          latency.Hist
	queueDelay   latency.Hist
	roundTrip    latency.Hist
	flushDrain   latency.Hist
	connectWait  latency.Hist
	serverTID    uint32
	clientTID    uint32
	serverImage  string
	clientImage  string
	failures     map[string]int
	impersonated bool
	first, last  int64
	clientOpen   int64
	counted      bool // false while loss is simulated at creation
	preOpened    bool // opened before the trace (PreOpenedPipe)
}

type flow struct{ ops, bytes int64 }

type pipeFailure struct {
	name      string
	clientPID uint32
	t, end    int64
	what      string
}

func (c *pipeConv) touch(t int64) {
	if c.first == 0 || t < c.first {
		c.first = t
	}
	if t > c.last {
		c.last = t
	}
}

func (b *Builder) fileio(t int64, th *Thread, op decoders.Op, ev decoders.Event) {
	b.act(t, th)
	b.emitKernel(t, decoders.FileIoGUID, 0x04, op, FileIoVersion, 0xFFFFFFFF, 0xFFFFFFFF, th.Processor(), ev)
}

func (b *Builder) opEnd(t int64, th *Thread, irp, extra uint64, status uint32) {
	b.fileio(t, th, decoders.OpOperationEnd, &decoders.FileOpEnd{IrpPtr: irp, ExtraInfo: extra, Status: status})
	b.freeIRP(irp, t)
}

func (b *Builder) create(t int64, th *Thread, fo uint64, path string, disp uint32, attrs, share uint32) uint64 {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpCreate, &decoders.FileCreate{Op: decoders.OpCreate, IrpPtr: irp, FileObject: fo,
		TTID: th.TID, CreateOptions: disp<<24 | fileSyncIONonAlert, FileAttributes: attrs, ShareAccess: share, OpenPath: path})
	return irp
}

func (b *Builder) fsctl(t int64, th *Thread, fo, key uint64, code uint32) uint64 {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpFSControl, &decoders.FileInfo{Op: decoders.OpFSControl, IrpPtr: irp, FileObject: fo,
		FileKey: key, TTID: th.TID, InfoClass: code})
	return irp
}

func (b *Builder) pipeName(name string) *pipeName {
	pn := b.pipeNames[strings.ToLower(name)]
	if pn == nil {
		pn = &pipeName{name: name, h1: !b.noH1}
		b.pipeNames[strings.ToLower(name)] = pn
	}
	return pn
}

// SetH1 sets whether the pipes of the trace follow hypothesis H1
// (docs/rules.md P4: server FileKey = client FileKey | 1); the default is
// true. With false the two ends of an instance get unrelated even
// FileKeys and only the LISTEN-completion rule (H2) can pair them. Whether
// H1 holds is a property of the OS, so a trace follows it for all its
// pipes or for none; call SetH1 before creating the first pipe.
func (b *Builder) SetH1(h1 bool) { b.noH1 = !h1 }

// CreatePipe creates a server instance of \\.\pipe\name at t
// (CreateNamedPipe: FileIo Create with disposition FILE_CREATE for the
// first instance, FILE_OPEN_IF otherwise, then OperationEnd FILE_CREATED).
// It returns the end and the time the call returned.
func (b *Builder) CreatePipe(t int64, th *Thread, name string, message bool) (*PipeEnd, int64) {
	pn := b.pipeName(name)
	pn.instances++
	disp := uint32(dispOpenIf)
	if pn.instances == 1 {
		disp = dispCreate
	}
	e := &PipeEnd{Name: name, Server: true, Thread: th, FO: b.addr(), Instance: pn.instances, Message: message, b: b, pn: pn, created: t}
	if pn.h1 {
		e.ccb = b.addr()
		e.Key = e.ccb | 1
	} else {
		e.Key = b.addr()
	}
	b.openEnds = append(b.openEnds, e)
	irp := b.create(t, th, e.FO, npfsPrefix+name, disp, 0, 3)
	end := t + b.US(12)
	b.opEnd(end, th, irp, 2, StatusSuccess)
	e.touch(end, th)
	return e, end
}

func (e *PipeEnd) touch(t int64, th *Thread) {
	if e.b.suppress {
		return
	}
	e.lastOp, e.lastTID = t, th.TID
	if e.conv != nil {
		e.conv.touch(t)
	}
}

// PreOpenedPipe is a connected instance of name whose two ends were opened
// before the trace started: no Create, no LISTEN, no connection events.
// The ends are named only by the file-name rundown at the end of the
// trace (FileIo FileRundown), and their roles only by the FileKey bit
// (docs/rules.md N3, P3). The trace must follow H1.
func (b *Builder) PreOpenedPipe(srvTh, cliTh *Thread, name string) (srv, cli *PipeEnd) {
	pn := b.pipeName(name)
	pn.instances++ // the engine numbers instances as it meets them
	srv = &PipeEnd{Name: name, Server: true, Thread: srvTh, FO: b.addr(), Instance: pn.instances, b: b, pn: pn}
	srv.ccb = b.addr()
	srv.Key = srv.ccb | 1
	cli = &PipeEnd{Name: name, Thread: cliTh, FO: b.addr(), Key: srv.ccb, b: b, pn: pn}
	srv.peer, cli.peer = cli, srv
	conv := &pipeConv{name: name, instance: srv.Instance, serverPID: srvTh.Proc.PID, clientPID: cliTh.Proc.PID, pairing: "filekey",
		counted: !b.suppress, serverTID: srvTh.TID, clientTID: cliTh.TID,
		serverImage: srvTh.Proc.Image, clientImage: cliTh.Proc.Image, preOpened: true}
	if conv.counted {
		b.pipeConvs = append(b.pipeConvs, conv)
	}
	srv.conv, cli.conv = conv, conv
	b.openEnds = append(b.openEnds, srv, cli)
	b.rundownNames = append(b.rundownNames, srv, cli)
	return srv, cli
}

// Listen starts FSCTL_PIPE_LISTEN (ConnectNamedPipe) on server instance
// srv at t. It completes when a client connects (Connect); if none does,
// it is a stuck listen.
func (b *Builder) Listen(t int64, srv *PipeEnd) {
	irp := b.fsctl(t, srv.Thread, srv.FO, srv.Key, FsctlPipeListen)
	srv.listen = &pendingOp{irp: irp, th: srv.Thread, t: t}
	srv.pn.listening = append(srv.pn.listening, srv)
	srv.touch(t, srv.Thread)
}

// Connect opens the client end of name at t (CreateFile, disposition
// FILE_OPEN). The first listening instance accepts it: the client's Create
// completes (FILE_OPENED), then the server's LISTEN completes with status 0.
// It returns nil if no instance is listening (use ConnectFail for that).
func (b *Builder) Connect(t int64, th *Thread, name string) (*PipeEnd, int64) {
	pn := b.pipeName(name)
	if len(pn.listening) == 0 {
		return nil, t
	}
	srv := pn.listening[0]
	pn.listening = pn.listening[1:]
	c := &PipeEnd{Name: name, Thread: th, FO: b.addr(), Instance: srv.Instance, Message: srv.Message, b: b, pn: pn}
	if pn.h1 {
		c.Key = srv.ccb
	} else {
		c.Key = b.addr()
	}
	b.openEnds = append(b.openEnds, c)
	irp := b.create(t, th, c.FO, npfsPrefix+name, dispOpen, 0x80, 3)
	end := t + b.US(20)
	b.opEnd(end, th, irp, 1, StatusSuccess)
	lend := end + b.US(6)
	b.opEnd(lend, srv.Thread, srv.listen.irp, 0, StatusSuccess)
	srv.peer, c.peer = c, srv
	conv := &pipeConv{name: name, instance: srv.Instance, serverPID: srv.Thread.Proc.PID, clientPID: th.Proc.PID,
		pairing: "listen-completion", clientOpen: t, counted: !b.suppress}
	if pn.h1 {
		conv.pairing = "filekey"
	}
	conv.serverTID, conv.clientTID = srv.Thread.TID, th.TID
	conv.serverImage, conv.clientImage = srv.Thread.Proc.Image, th.Proc.Image
	conv.connectWait.Record(lend - srv.listen.t)
	if conv.counted {
		b.pipeConvs = append(b.pipeConvs, conv)
	}
	srv.listen = nil
	srv.conv, c.conv = conv, conv
	conv.touch(t)
	conv.touch(lend)
	c.touch(end, th)
	srv.touch(lend, srv.Thread)
	return c, lend
}

// ConnectFail is a client open of name at t that fails with status
// (StatusPipeBusy, StatusObjectNameNotFnd, StatusAccessDenied).
func (b *Builder) ConnectFail(t int64, th *Thread, name string, status uint32) int64 {
	irp := b.create(t, th, b.addr(), npfsPrefix+name, dispOpen, 0x80, 3)
	end := t + b.US(15)
	b.opEnd(end, th, irp, 0, status)
	if !b.suppress {
		b.failures = append(b.failures, &pipeFailure{name: name, clientPID: th.Proc.PID, t: t, end: end, what: FailureName(status)})
	}
	if status == StatusPipeBusy {
		b.pipeName(name).busyLast = end
	}
	return end
}

// WaitPipe is WaitNamedPipe at t: the NPFS root is opened, FSCTL_PIPE_WAIT
// is issued on it and completes at until, then the root handle is closed.
// It returns the time the call returned.
func (b *Builder) WaitPipe(t int64, th *Thread, until int64) int64 {
	fo, key := b.addr(), b.addr()
	irp := b.create(t, th, fo, npfsPrefix, dispOpen, 0, 3)
	t1 := t + b.US(8)
	b.opEnd(t1, th, irp, 1, StatusSuccess)
	irp = b.fsctl(t1+b.US(2), th, fo, key, FsctlPipeWait)
	b.opEnd(until, th, irp, 0, StatusSuccess)
	return b.closeFO(until+b.US(3), th, fo, key)
}

func (b *Builder) closeFO(t int64, th *Thread, fo, key uint64) int64 {
	_, end := b.closeFOAt(t, th, fo, key)
	return end
}

// closeFOAt is closeFO that also returns the time of the Close event.
func (b *Builder) closeFOAt(t int64, th *Thread, fo, key uint64) (closeAt, end int64) {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpCleanup, &decoders.FileSimpleOp{Op: decoders.OpCleanup, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: th.TID})
	t += b.US(3)
	b.opEnd(t, th, irp, 0, StatusSuccess)
	t += b.US(2)
	closeAt = t
	irp = b.irp(t)
	b.fileio(t, th, decoders.OpClose, &decoders.FileSimpleOp{Op: decoders.OpClose, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: th.TID})
	t += b.US(3)
	b.opEnd(t, th, irp, 0, StatusSuccess)
	return closeAt, t
}

// Write writes n bytes on end e at t by thread th (WriteFile). The data
// satisfies the peer's pending reads at once (their OperationEnd follows
// the write start) or waits in the pipe for a later Read. It returns the
// time the write completed.
func (b *Builder) Write(t int64, th *Thread, e *PipeEnd, n int64) int64 {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpWrite, &decoders.FileReadWrite{Op: decoders.OpWrite, IrpPtr: irp, FileObject: e.FO,
		FileKey: e.Key, TTID: th.TID, IoSize: uint32(n), IoFlags: pipeIoFlags, HasExtraFlags: true})
	end := t + b.US(6)
	b.opEnd(end, th, irp, uint64(n), StatusSuccess)
	e.touch(end, th)
	if !e.Server && e.reqStart == 0 {
		e.reqStart = t
	}
	if e.Server {
		e.owes = false
	}
	if e.peer != nil {
		e.peer.queue = append(e.peer.queue, chunk{n: n, tStart: t, tEnd: end})
		e.peer.satisfy(t)
	}
	return end
}

// satisfy completes pending reads of e from its queue; t is the time the
// data arrived.
func (e *PipeEnd) satisfy(t int64) {
	b := e.b
	for len(e.reads) > 0 && len(e.queue) > 0 {
		r := e.reads[0]
		e.reads = e.reads[1:]
		done := t + b.US(9)
		e.complete(r, done)
	}
}

// complete finishes read r at time done, taking bytes from e.queue, and
// records it in the truth (docs/rules.md P7).
func (e *PipeEnd) complete(r *pendingRead, done int64) {
	b := e.b
	head := e.queue[0]
	var sample int64
	pending := r.t < head.tStart
	if pending {
		sample = done - head.tStart // pending read: read end − write start
	} else {
		sample = r.t - head.tEnd // data was waiting: read start − write end
	}
	got := e.take(r.size)
	b.opEnd(done, r.th, r.irp, uint64(got), StatusSuccess)
	e.touch(done, r.th)
	if e.Server && got > 0 {
		e.owes, e.readTID, e.readAt = true, r.th.TID, done
	}
	rtt := int64(-1)
	if r.transceive {
		rtt = done - r.t
		e.reqStart = 0
	} else if !e.Server && e.reqStart != 0 && got > 0 {
		rtt = done - e.reqStart
		e.reqStart = 0
	}
	if c := e.conv; c != nil && c.counted && !b.suppress {
		f := &c.toClient
		if e.Server {
			f = &c.toServer
		}
		f.ops++
		f.bytes += got
		c.lat.Record(sample)
		if !pending {
			c.queueDelay.Record(sample)
		}
		if rtt >= 0 {
			c.roundTrip.Record(rtt)
		}
	}
}

// take removes up to size bytes from the queue (one message in message mode).
func (e *PipeEnd) take(size int64) int64 {
	if e.Message {
		c := e.queue[0]
		e.queue = e.queue[1:]
		return c.n
	}
	var got int64
	for size > 0 && len(e.queue) > 0 {
		c := &e.queue[0]
		k := min(size, c.n)
		got += k
		size -= k
		c.n -= k
		if c.n == 0 {
			e.queue = e.queue[1:]
		}
		if got > 0 {
			break // a byte-mode read returns what the first write supplied
		}
	}
	return got
}

// Read issues a read of up to size bytes on e at t by thread th
// (ReadFile). If data is waiting it completes at once; otherwise it stays
// pending until the peer writes (or for ever: a stuck read).
func (b *Builder) Read(t int64, th *Thread, e *PipeEnd, size int64) {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpRead, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: irp, FileObject: e.FO,
		FileKey: e.Key, TTID: th.TID, IoSize: uint32(size), IoFlags: pipeIoFlags, HasExtraFlags: true})
	e.touch(t, th)
	r := &pendingRead{irp: irp, th: th, t: t, size: size}
	if len(e.queue) > 0 && len(e.reads) == 0 {
		e.complete(r, t+b.US(4))
		return
	}
	e.reads = append(e.reads, r)
}

// Transceive is TransactNamedPipe on client end c at t: FSCTL_PIPE_TRANSCEIVE
// writes req bytes to the server (satisfying a pending server read) and
// stays pending as a read of up to replyMax bytes until the server writes
// the reply.
func (b *Builder) Transceive(t int64, th *Thread, c *PipeEnd, req, replyMax int64) {
	irp := b.fsctl(t, th, c.FO, c.Key, FsctlPipeTransceive)
	c.touch(t, th)
	c.reads = append(c.reads, &pendingRead{irp: irp, th: th, t: t, size: replyMax, transceive: true})
	if c.peer != nil {
		c.peer.queue = append(c.peer.queue, chunk{n: req, tStart: t, tEnd: t})
		c.peer.satisfy(t)
	}
}

// Flush is FlushFileBuffers on e at t, returning at t+d.
func (b *Builder) Flush(t int64, th *Thread, e *PipeEnd, d int64) int64 {
	irp := b.irp(t)
	b.fileio(t, th, decoders.OpFlush, &decoders.FileSimpleOp{Op: decoders.OpFlush, IrpPtr: irp, FileObject: e.FO, FileKey: e.Key, TTID: th.TID})
	b.opEnd(t+d, th, irp, 0, StatusSuccess)
	e.touch(t+d, th)
	if e.conv != nil && e.conv.counted && !b.suppress {
		e.conv.flushDrain.Record(d)
	}
	return t + d
}

// Impersonate is ImpersonateNamedPipeClient on server end srv at t.
func (b *Builder) Impersonate(t int64, srv *PipeEnd) int64 {
	irp := b.fsctl(t, srv.Thread, srv.FO, srv.Key, FsctlPipeImpersonate)
	end := t + b.US(5)
	b.opEnd(end, srv.Thread, irp, 0, StatusSuccess)
	srv.touch(end, srv.Thread)
	if srv.conv != nil && !b.suppress {
		srv.conv.impersonated = true
	}
	return end
}

// Disconnect is DisconnectNamedPipe on server end srv at t: the
// conversation ends; the instance can listen again.
func (b *Builder) Disconnect(t int64, srv *PipeEnd) int64 {
	irp := b.fsctl(t, srv.Thread, srv.FO, srv.Key, FsctlPipeDisconnect)
	end := t + b.US(5)
	b.opEnd(end, srv.Thread, irp, 0, StatusSuccess)
	// The conversation's last event is the disconnect's start: its
	// completion comes after the ends are apart.
	srv.touch(t, srv.Thread)
	if !b.suppress {
		srv.lastOp = end
	}
	if srv.peer != nil {
		srv.peer.peer = nil
		srv.peer.conv = nil
	}
	srv.peer, srv.conv, srv.queue = nil, nil, nil
	return end
}

// ClosePipe closes end e at t (Cleanup and Close with their OperationEnds).
func (b *Builder) ClosePipe(t int64, e *PipeEnd) int64 {
	closeAt, end := b.closeFOAt(t, e.Thread, e.FO, e.Key)
	// The conversation's last event on this end is the Close's start:
	// the Cleanup and Close completions are not operations of it.
	e.touch(closeAt, e.Thread)
	if !b.suppress {
		e.lastOp = end
	}
	e.closed = true
	if e.peer != nil {
		e.peer.peer = nil
	}
	if e.listen != nil {
		if i := slices.Index(e.pn.listening, e); i >= 0 {
			e.pn.listening = slices.Delete(e.pn.listening, i, i+1)
		}
	}
	e.reads, e.listen = nil, nil
	if i := slices.Index(b.openEnds, e); i >= 0 {
		b.openEnds = slices.Delete(b.openEnds, i, i+1)
	}
	return end
}
