package correlate

import (
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// The unit tests feed hand-built event sequences (no .etl involved).

const t0 = int64(134117856000000000) // 2026-01-01T00:00:00Z
const us = int64(10)                 // ticks per microsecond

type feeder struct {
	t *testing.T
	e *Engine
}

func newFeeder(t *testing.T, opt Options) *feeder {
	f := &feeder{t: t, e: New(opt)}
	return f
}

// add feeds ev at t0+at µs with the header PID/TID given.
func (f *feeder) add(at int64, pid, tid uint32, ev decoders.Event) {
	f.e.Add(&decoders.Decoded{Time: t0 + at*us, PID: pid, TID: tid, Event: ev})
}

func (f *feeder) proc(pid uint32, image string, tids ...uint32) {
	f.add(0, pid, 0, &decoders.Process{Op: decoders.OpProcessDCStart, ProcessID: pid, ImageFileName: image, UserSID: "S-1-5-18"})
	for _, tid := range tids {
		f.add(0, pid, tid, &decoders.Thread{Op: decoders.OpProcessDCStart, ProcessID: pid, ThreadID: tid})
	}
}

const arb = anyPID // FileIo logged in arbitrary context

// create opens path on fo by thread tid and completes it with status.
func (f *feeder) create(at, end int64, tid uint32, irp, fo uint64, disp uint8, path string, status uint32) {
	f.add(at, arb, arb, &decoders.FileCreate{Op: decoders.OpCreate, IrpPtr: irp, FileObject: fo, TTID: tid,
		CreateOptions: uint32(disp) << 24, OpenPath: path})
	f.add(end, arb, arb, &decoders.FileOpEnd{IrpPtr: irp, Status: status, ExtraInfo: 1})
}

func (f *feeder) fsctl(at int64, tid uint32, irp, fo, key uint64, code uint32) {
	f.add(at, arb, arb, &decoders.FileInfo{Op: decoders.OpFSControl, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid, InfoClass: code})
}

func (f *feeder) rw(at int64, op decoders.Op, tid uint32, irp, fo, key uint64, size uint32) {
	f.add(at, arb, arb, &decoders.FileReadWrite{Op: op, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid, IoSize: size})
}

func (f *feeder) end(at int64, irp uint64, n uint64, status uint32) {
	f.add(at, arb, arb, &decoders.FileOpEnd{IrpPtr: irp, ExtraInfo: n, Status: status})
}

func (f *feeder) simple(at int64, op decoders.Op, tid uint32, irp, fo, key uint64) {
	f.add(at, arb, arb, &decoders.FileSimpleOp{Op: op, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid})
}

const pipePath = `\Device\NamedPipe\demo`

// pingPong builds: server 100/101 listens on FO 0xS, client 200/201
// connects, sends 100 bytes, the pending server read returns them, the
// server answers 40 bytes, the client reads them.
func pingPong(f *feeder, clientKey uint64) {
	const sFO, cFO, sKey = 0x1000, 0x2000, 0xA001
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, sKey, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(54, 0x12, 0, 0)                                      // LISTEN completes as the client connects
	f.rw(60, decoders.OpRead, 101, 0x13, sFO, sKey, 4096)      // pending read
	f.rw(70, decoders.OpWrite, 201, 0x22, cFO, clientKey, 100) // request
	f.end(75, 0x13, 100, 0)                                    // read done: latency 75-70 = 5 µs
	f.end(76, 0x22, 100, 0)
	f.rw(80, decoders.OpRead, 201, 0x23, cFO, clientKey, 4096) // pending client read
	f.rw(90, decoders.OpWrite, 101, 0x14, sFO, sKey, 40)       // response
	f.end(93, 0x23, 40, 0)                                     // latency 3 µs, round trip 93-70 = 23 µs
	f.end(94, 0x14, 40, 0)
	f.simple(100, decoders.OpCleanup, 201, 0x24, cFO, clientKey)
	f.simple(101, decoders.OpClose, 201, 0x25, cFO, clientKey)
}

func TestPipePingPongH1(t *testing.T) {
	f := newFeeder(t, Options{})
	pingPong(f, 0xA000)
	m := f.e.Finish()
	if len(m.Pipes) != 1 {
		t.Fatalf("pipes = %+v, want 1", m.Pipes)
	}
	p := m.Pipes[0]
	if p.Name != `\\.\pipe\demo` || p.ServerPID != 100 || p.ClientPID != 200 || p.Instance != 1 {
		t.Errorf("pipe identity = %+v", p)
	}
	if p.Pairing != pairFileKey || p.Confidence != 1 || !p.Inferred {
		t.Errorf("pairing = %q %v inferred=%v, want filekey 1 true", p.Pairing, p.Confidence, p.Inferred)
	}
	if p.ToServer != (model.Flow{Ops: 1, Bytes: 100}) || p.ToClient != (model.Flow{Ops: 1, Bytes: 40}) {
		t.Errorf("flows = %+v / %+v", p.ToServer, p.ToClient)
	}
	if p.Latency.Count != 2 || p.Latency.Max != 5 || p.Latency.P50 != 3 {
		t.Errorf("latency = %+v, want 2 samples, max 5, p50 3", p.Latency)
	}
	if p.RoundTrip.Count != 1 || p.RoundTrip.Max != 23 {
		t.Errorf("round trip = %+v, want 23 µs", p.RoundTrip)
	}
	if p.ConnectWait.Max != 34 {
		t.Errorf("connect wait = %+v, want 34 µs", p.ConnectWait)
	}
	if p.ServerRule != ruleFSCTL || p.ClientRule != ruleDisposition {
		t.Errorf("rules = %q / %q", p.ServerRule, p.ClientRule)
	}
	if len(m.Stuck) != 0 {
		t.Errorf("stuck = %+v, want none (the server LISTEN completed)", m.Stuck)
	}
	if p.ServerImage != "server.exe" || p.ClientImage != "client.exe" {
		t.Errorf("images = %q %q", p.ServerImage, p.ClientImage)
	}
}

func TestPipePingPongH2(t *testing.T) {
	f := newFeeder(t, Options{})
	pingPong(f, 0x7770) // unrelated client FileKey: H1 does not hold
	m := f.e.Finish()
	if len(m.Pipes) != 1 {
		t.Fatalf("pipes = %+v", m.Pipes)
	}
	p := m.Pipes[0]
	if p.Pairing != pairListen || p.Confidence != 1 || p.ClientPID != 200 {
		t.Errorf("pairing = %q %v client %d, want listen-completion", p.Pairing, p.Confidence, p.ClientPID)
	}
	if p.Latency.Count != 2 || p.ToServer.Bytes != 100 {
		t.Errorf("latency/bytes = %+v %+v", p.Latency, p.ToServer)
	}
}

func TestPipeStuckRead(t *testing.T) {
	f := newFeeder(t, Options{})
	const sFO, cFO = 0x1000, 0x2000
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, 0xB001, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(54, 0x12, 0, 0)
	f.rw(60, decoders.OpRead, 101, 0x13, sFO, 0xB001, 4096) // never answered
	f.rw(70, decoders.OpRead, 201, 0x23, cFO, 0xB000, 10)   // client also reads
	f.add(1000, 1, 1, &decoders.AlpcWaitNewMessage{})       // trace goes on to 1000 µs
	m := f.e.Finish()
	// Nobody asked anything: both reads wait for work (docs/rules.md I2).
	var reads int
	for _, s := range m.Idle {
		if s.Kind == "pipe-read" {
			reads++
			if s.Rule != "I2" || s.WaitedUS == 0 || !s.Inferred {
				t.Errorf("idle = %+v", s)
			}
		}
	}
	if len(m.Stuck) != 0 || reads != 2 || len(m.Deadlocks) != 0 {
		t.Fatalf("stuck = %+v idle = %+v deadlocks = %+v, want 2 idle reads", m.Stuck, m.Idle, m.Deadlocks)
	}

	// The client writes a request, the server reads it and never answers:
	// the client's read is owed (W1) and waits on the reading thread.
	f = newFeeder(t, Options{})
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, 0xB001, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(54, 0x12, 0, 0)
	f.rw(60, decoders.OpWrite, 201, 0x22, cFO, 0xB000, 10)
	f.end(61, 0x22, 10, 0)
	f.rw(62, decoders.OpRead, 103, 0x13, sFO, 0xB001, 4096)
	f.end(63, 0x13, 10, 0)
	f.rw(70, decoders.OpRead, 201, 0x23, cFO, 0xB000, 10)
	f.rw(71, decoders.OpRead, 101, 0x14, sFO, 0xB001, 4096) // the server reads on, owing
	f.add(1000, 1, 1, &decoders.AlpcWaitNewMessage{})
	m = f.e.Finish()
	if len(m.Stuck) != 2 {
		t.Fatalf("stuck = %+v, want the client's and the owing server's reads", m.Stuck)
	}
	s := m.Stuck[0]
	if s.Kind != "pipe-read" || s.PID != 200 || s.TID != 201 || s.PeerPID != 100 || s.PeerTID != 103 ||
		s.Rule != "W1" || s.WaitedUS != 930 || !s.Inferred || s.PeerLastActivity.IsZero() {
		t.Errorf("stuck[0] = %+v", s)
	}
	if !strings.Contains(s.Evidence, "tid 103") {
		t.Errorf("evidence %q does not name the reading thread", s.Evidence)
	}

	// With --stuck-after above the wait, nothing is reported.
	f2 := newFeeder(t, Options{StuckAfter: 2 * 1e6 * 1000}) // 2000 s
	f2.proc(100, "server.exe", 101)
	f2.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f2.fsctl(20, 101, 0x12, sFO, 0xB001, fsctlPipeListen)
	if m := f2.e.Finish(); len(m.Stuck) != 0 {
		t.Errorf("stuck with threshold = %+v, want none", m.Stuck)
	}
}

func TestPipeListenStuckAndBusy(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, 0x1000, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, 0x1000, 0xB001, fsctlPipeListen)
	f.create(30, 31, 201, 0x21, 0x2000, 1, pipePath, 0xC00000AE)
	f.create(40, 41, 201, 0x22, 0x2001, 1, `\Device\NamedPipe\absent`, 0xC0000034)
	m := f.e.Finish()
	var busy, absent, server *model.Pipe
	for i := range m.Pipes {
		p := &m.Pipes[i]
		switch {
		case p.Failures["PIPE_BUSY"] == 1:
			busy = p
		case p.Failures["NOT_FOUND"] == 1:
			absent = p
		case p.ServerPID == 100 && p.ClientPID == 0:
			server = p
		}
	}
	if busy == nil || busy.ClientPID != 200 || busy.ServerPID != 0 || busy.Pairing != pairUnpaired {
		t.Errorf("busy row = %+v (pipes %+v)", busy, m.Pipes)
	}
	if absent == nil || absent.Name != `\\.\pipe\absent` || absent.ServerPID != 0 {
		t.Errorf("not-found row = %+v", absent)
	}
	if server == nil || server.Instance != 1 {
		t.Errorf("unpaired server row = %+v", server)
	}
	if len(m.Stuck) != 1 || m.Stuck[0].Kind != "pipe-listen" || m.Stuck[0].PID != 100 {
		t.Errorf("stuck = %+v, want the pending LISTEN", m.Stuck)
	}
}

func TestPipeTransceiveAndImpersonate(t *testing.T) {
	f := newFeeder(t, Options{})
	const sFO, cFO, sKey, cKey = 0x1000, 0x2000, 0xC001, 0xC000
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, sKey, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(53, 0x12, 0, 0)
	f.rw(60, decoders.OpRead, 101, 0x13, sFO, sKey, 512)
	f.fsctl(70, 201, 0x22, cFO, cKey, fsctlPipeTransceive) // request + wait for reply
	f.end(72, 0x13, 64, 0)                                 // server got 64 bytes: 2 µs
	f.fsctl(73, 101, 0x15, sFO, sKey, fsctlPipeImpersonate)
	f.end(74, 0x15, 0, 0)
	f.rw(80, decoders.OpWrite, 101, 0x14, sFO, sKey, 16)
	f.end(85, 0x22, 16, 0) // transceive returns the 16-byte reply: 5 µs, round trip 15 µs
	f.end(86, 0x14, 16, 0)
	m := f.e.Finish()
	if len(m.Pipes) != 1 {
		t.Fatalf("pipes = %+v", m.Pipes)
	}
	p := m.Pipes[0]
	if p.ToServer != (model.Flow{Ops: 1, Bytes: 64}) || p.ToClient != (model.Flow{Ops: 1, Bytes: 16}) {
		t.Errorf("flows = %+v %+v", p.ToServer, p.ToClient)
	}
	if p.Latency.Count != 2 || p.Latency.Max != 5 || p.Latency.P50 != 2 {
		t.Errorf("latency = %+v", p.Latency)
	}
	if p.RoundTrip.Count != 1 || p.RoundTrip.Max != 15 {
		t.Errorf("round trip = %+v", p.RoundTrip)
	}
	if !p.Impersonated {
		t.Error("impersonation not seen")
	}
}

func TestPipeQueuedReadAndFlush(t *testing.T) {
	f := newFeeder(t, Options{})
	const sFO, cFO, sKey, cKey = 0x1000, 0x2000, 0xC001, 0xC000
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, sKey, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(53, 0x12, 0, 0)
	f.rw(60, decoders.OpWrite, 201, 0x22, cFO, cKey, 30)
	f.end(61, 0x22, 30, 0)
	f.simple(62, decoders.OpFlush, 201, 0x23, cFO, cKey)
	f.rw(70, decoders.OpRead, 101, 0x13, sFO, sKey, 10) // queued data, read in pieces
	f.end(71, 0x13, 10, 0)
	f.rw(72, decoders.OpRead, 101, 0x14, sFO, sKey, 100)
	f.end(73, 0x14, 20, 0)
	f.end(74, 0x23, 0, 0) // flush drained after 12 µs
	m := f.e.Finish()
	p := m.Pipes[0]
	if p.Latency.Count != 2 || p.Latency.Max != 11 || p.QueueDelay.Count != 2 || p.QueueDelay.P50 != 9 || p.QueueDelay.Max != 11 {
		t.Errorf("latency %+v queue %+v", p.Latency, p.QueueDelay)
	}
	if p.FlushDrain.Count != 1 || p.FlushDrain.Max != 12 {
		t.Errorf("flush = %+v", p.FlushDrain)
	}
}

func TestPipeTwoInstancesH2Confidence(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "server.exe", 101, 102)
	f.proc(200, "a.exe", 201)
	f.proc(300, "b.exe", 301)
	f.create(10, 11, 101, 0x11, 0x1000, 2, pipePath, 0)
	f.create(12, 13, 102, 0x12, 0x1100, 3, pipePath, 0)
	f.fsctl(20, 101, 0x13, 0x1000, 0xD001, fsctlPipeListen)
	f.fsctl(21, 102, 0x14, 0x1100, 0xE001, fsctlPipeListen)
	f.create(50, 55, 201, 0x21, 0x2000, 1, pipePath, 0)
	f.end(55, 0x13, 0, 0)
	f.create(60, 66, 301, 0x31, 0x3000, 1, pipePath, 0)
	f.end(65, 0x14, 0, 0)
	f.rw(70, decoders.OpWrite, 201, 0x22, 0x2000, 0x5550, 1)
	f.end(71, 0x22, 1, 0)
	f.rw(72, decoders.OpWrite, 301, 0x32, 0x3000, 0x6660, 2)
	f.end(73, 0x32, 2, 0)
	m := f.e.Finish()
	if len(m.Pipes) != 2 {
		t.Fatalf("pipes = %+v", m.Pipes)
	}
	for _, p := range m.Pipes {
		want := map[uint32]int{200: 1, 300: 2}[p.ClientPID]
		if p.Instance != want || p.Pairing != pairListen {
			t.Errorf("client %d paired with instance %d by %s, want %d", p.ClientPID, p.Instance, p.Pairing, want)
		}
	}
	if m.Pipes[0].Confidence != 0.5 || m.Pipes[1].Confidence != 1 {
		t.Errorf("confidences = %v %v, want 0.5 (two listening) then 1", m.Pipes[0].Confidence, m.Pipes[1].Confidence)
	}
}

// alpcCall emits one synchronous request/reply: client (cp, ct) → server (sp, st).
func alpcCall(f *feeder, at int64, cp, ct, sp, st, m uint32) {
	f.add(at, cp, ct, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: m})
	f.add(at+1, cp, ct, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: m})
	f.add(at+3, sp, st, &decoders.AlpcUnwait{})
	f.add(at+3, sp, st, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: m})
	f.add(at+10, sp, st, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: m})
	f.add(at+11, sp, st, &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: "demoport"})
	f.add(at+14, cp, ct, &decoders.AlpcUnwait{})
	f.add(at+14, cp, ct, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: m})
}

func TestALPCRequestReply(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.add(5, 100, 101, &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: "demoport"})
	alpcCall(f, 10, 200, 201, 100, 101, 7)
	alpcCall(f, 100, 200, 201, 100, 101, 7) // id reused
	m := f.e.Finish()
	if len(m.ALPC) != 1 {
		t.Fatalf("alpc = %+v", m.ALPC)
	}
	a := m.ALPC[0]
	if a.Port != "demoport" || a.ClientPID != 200 || a.ServerPID != 100 || a.Calls != 2 || a.Pending != 0 {
		t.Errorf("alpc = %+v", a)
	}
	if a.Latency.Max != 14 || a.ServerTime.Max != 7 || a.Latency.Count != 2 || !a.Inferred {
		t.Errorf("latency %+v server %+v", a.Latency, a.ServerTime)
	}
	if a.IdleWorkers != 1 {
		t.Errorf("idle workers = %d, want 1", a.IdleWorkers)
	}
	if len(m.Stuck) != 0 {
		t.Errorf("stuck = %+v", m.Stuck)
	}
}

func TestALPCStuck(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201, 202)
	f.add(5, 100, 101, &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: "demoport"})
	alpcCall(f, 10, 200, 201, 100, 101, 7)
	// (a) received, never answered.
	f.add(100, 200, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 9})
	f.add(101, 200, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: 9})
	f.add(103, 100, 101, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: 9})
	// (b) never received.
	f.add(200, 200, 202, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 11})
	f.add(201, 200, 202, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: 11})
	f.add(500, 100, 101, &decoders.AlpcUnwait{})
	m := f.e.Finish()
	if len(m.Stuck) != 2 {
		t.Fatalf("stuck = %+v", m.Stuck)
	}
	a, b := m.Stuck[0], m.Stuck[1]
	if a.Kind != "alpc-reply" || a.PID != 200 || a.TID != 201 || a.PeerPID != 100 || a.PeerTID != 101 || a.WaitedUS != 400 {
		t.Errorf("stuck a = %+v", a)
	}
	if b.Kind != "alpc-reply" || b.TID != 202 || b.PeerPID != 100 || b.PeerTID != 101 || b.Object != "demoport" {
		t.Errorf("stuck b = %+v", b)
	}
	if m.ALPC[0].Pending != 2 || m.ALPC[0].Calls != 1 {
		t.Errorf("alpc = %+v", m.ALPC[0])
	}
	if len(m.Deadlocks) != 0 {
		t.Errorf("deadlocks = %+v", m.Deadlocks)
	}
}

// The call history that names the server of a call never received
// (docs/rules.md A6 b) is a thread's within its process: a TID that
// another process reuses starts with none.
func TestALPCHistoryIsPerThreadOfProcess(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		f := newFeeder(t, Options{})
		f.proc(100, "server.exe", 101)
		f.proc(200, "client.exe", 201)
		alpcCall(f, 10, 200, 201, 100, 101, 7)
		pid := uint32(200)
		if reuse {
			pid = 300 // process 200 is gone; 300 reuses TID 201
			f.proc(pid, "other.exe", 201)
		}
		f.add(100, pid, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 11})
		f.add(101, pid, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: 11})
		m := f.e.Finish()
		if len(m.Stuck) != 1 {
			t.Fatalf("reuse %v: stuck = %+v", reuse, m.Stuck)
		}
		want := uint32(100)
		if reuse {
			want = 0
		}
		if s := m.Stuck[0]; s.PID != pid || s.TID != 201 || s.PeerPID != want {
			t.Errorf("reuse %v: stuck = %+v, want peer %d", reuse, s, want)
		}
	}
}

func TestALPCDeadlock(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "a.exe", 101)
	f.proc(200, "b.exe", 201)
	// A → B: received by B's worker 201, which calls back A before answering.
	f.add(10, 100, 101, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 1})
	f.add(11, 100, 101, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: 1})
	f.add(12, 200, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: 1})
	f.add(13, 200, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: 2})
	f.add(14, 200, 201, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: 2})
	f.add(90, 100, 105, &decoders.AlpcWaitNewMessage{})
	m := f.e.Finish()
	if len(m.Deadlocks) != 1 {
		t.Fatalf("deadlocks = %+v (stuck %+v)", m.Deadlocks, m.Stuck)
	}
	c := m.Deadlocks[0].Cycle
	if len(c) != 2 || c[0].PID != 100 || c[0].TID != 101 || c[1].PID != 200 || c[1].TID != 201 {
		t.Errorf("cycle = %+v", c)
	}
}

func TestSections(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(100, "a.exe", 101)
	f.proc(200, "b.exe", 201)
	f.add(1, 0, 0, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: 0x99, FileName: `\BaseNamedObjects\shm`})
	misc := uint64(0xC4) << 48
	f.add(10, 100, 101, &decoders.MapFile{Op: decoders.OpMapFile, ViewBase: 0x10000, FileKey: 0x99, MiscInfo: misc, ViewSize: 4096, ProcessID: 100})
	f.add(20, 200, 201, &decoders.MapFile{Op: decoders.OpMapFile, ViewBase: 0x20000, FileKey: 0x99, MiscInfo: misc, ViewSize: 8192, ProcessID: 200})
	f.add(50, 100, 101, &decoders.MapFile{Op: decoders.OpUnmapFile, ViewBase: 0x10000, FileKey: 0x99, MiscInfo: misc, ViewSize: 4096, ProcessID: 100})
	// An image mapped by both is not a shared section.
	f.add(60, 100, 101, &decoders.MapFile{Op: decoders.OpMapFile, ViewBase: 0x30000, FileKey: 0x77, MiscInfo: 4 << 52, ViewSize: 4096, ProcessID: 100})
	f.add(61, 200, 201, &decoders.MapFile{Op: decoders.OpMapFile, ViewBase: 0x30000, FileKey: 0x77, MiscInfo: 4 << 52, ViewSize: 4096, ProcessID: 200})
	f.add(70, 200, 201, &decoders.MapFile{Op: decoders.OpMapFileDCEnd, ViewBase: 0x20000, FileKey: 0x99, MiscInfo: misc, ViewSize: 8192, ProcessID: 200})
	m := f.e.Finish()
	if len(m.Sections) != 1 {
		t.Fatalf("sections = %+v", m.Sections)
	}
	s := m.Sections[0]
	if s.Key != "0x99" || s.Name != `\BaseNamedObjects\shm` || s.Kind != "pagefile" || s.Views != 2 || s.Bytes != 12288 {
		t.Errorf("section = %+v", s)
	}
	if len(s.PIDs) != 2 || s.PIDs[0] != 100 || s.PIDs[1] != 200 || s.OverlapUS != 30 || s.Open != 1 {
		t.Errorf("section pids/overlap = %+v", s)
	}
}

func TestLossWindowsAndLossy(t *testing.T) {
	f := newFeeder(t, Options{})
	f.e.SetLoss(5, 1)
	b := etw.BufferInfo{Flags: etw.BufferFlagEventsLost, FirstTime: t0 + 60*us, LastTime: t0 + 80*us}
	f.e.AddBuffer(b)
	f.e.AddBuffer(etw.BufferInfo{FirstTime: t0, LastTime: t0 + 10*us}) // not lossy
	pingPong(f, 0xA000)
	f.add(200, 1, 1, &decoders.LostEvent{Op: 32})
	m := f.e.Finish()
	tr := m.Trace
	if tr.EventsLost != 5 || tr.BuffersLost != 1 || tr.LostEventRecords != 1 || len(tr.LossyWindows) != 2 {
		t.Fatalf("trace loss = %+v", tr)
	}
	if tr.LossyWindows[0].Reason != "EVENTS_LOST" {
		t.Errorf("window reason = %q", tr.LossyWindows[0].Reason)
	}
	if !m.Pipes[0].Lossy {
		t.Error("conversation overlapping the lossy window not marked")
	}
}

func TestThreadFixupAndFilters(t *testing.T) {
	// FileIo events with header PID -1 are attributed through the TTID.
	f := newFeeder(t, Options{PIDs: []uint32{300}})
	pingPong(f, 0xA000)
	if m := f.e.Finish(); len(m.Pipes) != 0 {
		t.Errorf("--pid 300 kept %+v", m.Pipes)
	}
	f = newFeeder(t, Options{Process: "CLIENT"})
	pingPong(f, 0xA000)
	if m := f.e.Finish(); len(m.Pipes) != 1 || m.Pipes[0].ClientPID != 200 {
		t.Errorf("--process client: %+v", m.Pipes)
	}
	f = newFeeder(t, Options{PipeGlob: "de*"})
	pingPong(f, 0xA000)
	if m := f.e.Finish(); len(m.Pipes) != 1 {
		t.Errorf("--pipe de*: %+v", m.Pipes)
	}
	f = newFeeder(t, Options{PipeGlob: "other"})
	pingPong(f, 0xA000)
	if m := f.e.Finish(); len(m.Pipes) != 0 {
		t.Errorf("--pipe other: %+v", m.Pipes)
	}
}

func TestStuckAfterCompleted(t *testing.T) {
	// A read that completed after 2 ms counts as stuck with --stuck-after 1ms;
	// the LISTEN that waited as long does not (servers wait for clients).
	f := newFeeder(t, Options{StuckAfter: 1000 * 1000})
	const sFO, cFO, sKey, cKey = 0x1000, 0x2000, 0xC001, 0xC000
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	f.create(10, 12, 101, 0x11, sFO, 2, pipePath, 0)
	f.fsctl(20, 101, 0x12, sFO, sKey, fsctlPipeListen)
	f.create(3000, 3005, 201, 0x21, cFO, 1, pipePath, 0)
	f.end(3004, 0x12, 0, 0)
	f.rw(3010, decoders.OpRead, 101, 0x13, sFO, sKey, 512)
	f.rw(5500, decoders.OpWrite, 201, 0x22, cFO, cKey, 10)
	f.end(5502, 0x13, 10, 0)
	f.end(5503, 0x22, 10, 0)
	m := f.e.Finish()
	if len(m.Stuck) != 1 || m.Stuck[0].Kind != "pipe-read" || m.Stuck[0].WaitedUS != 2492 || m.Stuck[0].PeerPID != 200 {
		t.Errorf("stuck = %+v, want the 2492 µs read", m.Stuck)
	}
}

// pipeOpenedBefore feeds a pipe whose ends were opened before the trace:
// server 100/101 on FO 0x1000, client 200/201 on FO 0x2000, their FileKeys
// 0xE001 and 0xE000 named by the rundown at 6 µs, then a 7-byte write the
// server's pending read takes (10–23 µs). early, when not nil, feeds more
// between the processes and the names.
func pipeOpenedBefore(f *feeder, early func()) {
	f.proc(100, "server.exe", 101)
	f.proc(200, "client.exe", 201)
	if early != nil {
		early()
	}
	f.add(6, 0, 0, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: 0xE001, FileName: pipePath})
	f.add(6, 0, 0, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: 0xE000, FileName: pipePath})
	f.rw(10, decoders.OpRead, 101, 0x13, 0x1000, 0xE001, 100)
	f.rw(20, decoders.OpWrite, 201, 0x22, 0x2000, 0xE000, 7)
	f.end(22, 0x13, 7, 0)
	f.end(23, 0x22, 7, 0)
}

func TestPipeOpenedBeforeTrace(t *testing.T) {
	// No Create: the ends are known from a rundown name of their FileKey,
	// the roles from FileKey bit 0 (docs/rules.md P3), the pairing by H1.
	f := newFeeder(t, Options{})
	pipeOpenedBefore(f, nil)
	m := f.e.Finish()
	if len(m.Pipes) != 1 {
		t.Fatalf("pipes = %+v", m.Pipes)
	}
	p := m.Pipes[0]
	if p.ServerPID != 100 || p.ClientPID != 200 || p.Pairing != pairFileKey || p.ServerRule != ruleFileKeyBit ||
		p.ToServer != (model.Flow{Ops: 1, Bytes: 7}) || p.Latency.Max != 2 {
		t.Errorf("pipe = %+v", p)
	}
}

// A FileObject endOf found to be no pipe end (pipeState.notEnd) becomes
// one when a Create opens a pipe on it, or when its FileKey is named a
// pipe afterwards.
func TestOrdinaryFileBecomesPipe(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		f := newFeeder(t, Options{})
		// Ordinary I/O on the FileObject the client opens the pipe on later.
		f.rw(1, decoders.OpWrite, 201, 0x31, 0x2000, 0xA000, 5)
		f.end(2, 0x31, 5, 0)
		pingPong(f, 0xA000)
		m := f.e.Finish()
		if len(m.Pipes) != 1 || m.Pipes[0].ToServer != (model.Flow{Ops: 1, Bytes: 100}) || m.Pipes[0].ToClient != (model.Flow{Ops: 1, Bytes: 40}) {
			t.Fatalf("pipes = %+v, want one with 1 op of 100 bytes each way and 1 of 40 back", m.Pipes)
		}
	})
	t.Run("named", func(t *testing.T) {
		f := newFeeder(t, Options{})
		pipeOpenedBefore(f, func() {
			// Traffic before the FileKeys are named: not yet known as a pipe.
			f.rw(2, decoders.OpRead, 101, 0x11, 0x1000, 0xE001, 100)
			f.end(3, 0x11, 1, 0)
			f.rw(4, decoders.OpWrite, 201, 0x12, 0x2000, 0xE000, 1)
			f.end(5, 0x12, 1, 0)
		})
		m := f.e.Finish()
		if len(m.Pipes) != 1 || m.Pipes[0].ToServer != (model.Flow{Ops: 1, Bytes: 7}) {
			t.Fatalf("pipes = %+v, want one with the 7-byte write after the names", m.Pipes)
		}
	})
}

// endOf's cache of FileObjects that are no pipe end, checked with the
// cache of ends emptied before each look-up, so that no hit there hides a
// stale entry.
func TestNotEndCache(t *testing.T) {
	e := New(Options{})
	lookup := func(fo, key uint64) *pipeEnd {
		e.p.endCache = [len(e.p.endCache)]*pipeEnd{}
		return e.endOf(fo, key, 0, 0, t0)
	}
	const fo, pipeKey, fileKey = 0x7000, 0xB000, 0xC000
	e.fileName(&decoders.FileName{Op: decoders.OpFileRundown, FileKey: pipeKey, FileName: pipePath})
	e.fileName(&decoders.FileName{Op: decoders.OpFileRundown, FileKey: fileKey, FileName: `\Device\HarddiskVolume3\data.bin`})
	if lookup(fo, 0) != nil || lookup(fo, fileKey) != nil {
		t.Fatal("an ordinary file is a pipe end")
	}
	// Seen first without a key (or with an ordinary file's), then with one
	// that names a pipe: the entry is for the other key.
	if en := lookup(fo, pipeKey); en == nil || en.pn == nil {
		t.Fatalf("FileObject %#x with a pipe's FileKey: no end", fo)
	}
	// A FileObject found to be no end, then made one (a Create).
	const fo2 = 0x9000
	if lookup(fo2, fileKey) != nil {
		t.Fatal("an ordinary file is a pipe end")
	}
	made := &pipeEnd{fo: fo2, pn: e.pipeName(`\.\pipe\demo`)}
	e.setEnd(made)
	if en := lookup(fo2, fileKey); en != made {
		t.Fatalf("FileObject %#x after setEnd: end %p, want %p", fo2, en, made)
	}
	// Renaming a FileKey to a pipe clears the entries made before.
	const fo3 = 0xA000
	if lookup(fo3, fileKey) != nil {
		t.Fatal("an ordinary file is a pipe end")
	}
	e.fileName(&decoders.FileName{Op: decoders.OpFileCreateName, FileKey: fileKey, FileName: pipePath})
	if lookup(fo3, fileKey) == nil {
		t.Fatalf("FileObject %#x after its FileKey was named a pipe: no end", fo3)
	}
}

func TestKernelProcessEvents(t *testing.T) {
	f := newFeeder(t, Options{})
	f.add(0, 4, 0, &decoders.KernelProcessStart{ProcessID: 300, ParentProcessID: 4, ImageName: `\Device\HarddiskVolume3\Windows\System32\svc.exe`})
	f.add(0, 300, 301, &decoders.KernelThread{ProcessID: 300, ThreadID: 301})
	f.create(10, 12, 301, 0x11, 0x1000, 2, pipePath, 0)
	m := f.e.Finish()
	if len(m.Processes) != 1 || m.Processes[0].Image != "svc.exe" || m.Processes[0].ParentPID != 4 {
		t.Errorf("processes = %+v", m.Processes)
	}
}

// An RPC stop pairs with the open start of the same activity on its
// thread (docs/rules.md R1), however many calls the thread has open, up to
// the bound; beyond it the oldest is forgotten.
func TestRPCOpenCallsPerThread(t *testing.T) {
	iface := etw.GUID{Data1: 0x12345678}
	act := func(i int) etw.GUID { return etw.GUID{Data1: uint32(i + 1), Data4: [8]byte{7}} }
	f := newFeeder(t, Options{})
	f.proc(200, "client.exe", 201)
	n := maxOpenPerThread + 10
	for i := range n {
		f.e.Add(&decoders.Decoded{Time: t0 + int64(i)*us, PID: 200, TID: 201, ActivityID: act(i),
			Event: &decoders.RPCCallStart{InterfaceUUID: iface, ProcNum: 1, Protocol: 3, Endpoint: "ep"}})
	}
	// Stops in reverse order: the 10 oldest were forgotten.
	for i := n - 1; i >= 0; i-- {
		f.e.Add(&decoders.Decoded{Time: t0 + int64(n+i)*us, PID: 200, TID: 201, ActivityID: act(i),
			Event: &decoders.RPCCallStop{}})
	}
	// A stop of another thread pairs with nothing.
	f.e.Add(&decoders.Decoded{Time: t0 + int64(3*n)*us, PID: 200, TID: 202, ActivityID: act(n - 1),
		Event: &decoders.RPCCallStop{}})
	m := f.e.Finish()
	calls := int64(0)
	for _, r := range m.RPC {
		calls += r.Calls
	}
	if calls != maxOpenPerThread {
		t.Errorf("%d calls paired, want %d: %+v", calls, maxOpenPerThread, m.RPC)
	}
}

// Only the events a handler reads are mechanism events (classOf): the
// others, however they reach the engine (the live view feeds every
// decoded type), count neither as outside the --since window nor as
// file I/O of a FileIo source.
func TestUnreadEventsAreOnlyCounted(t *testing.T) {
	e := New(Options{Since: time.Unix(0, 0).Add(1 << 62)}) // everything is before the window
	add := func(prov etw.GUID, ev decoders.Event) {
		e.Add(&decoders.Decoded{Time: t0, PID: 100, TID: 101, Key: decoders.Key{Provider: prov}, Event: ev})
	}
	add(decoders.SystemConfigGUID, &decoders.SystemConfigCPU{ComputerName: "x"})
	add(decoders.FileIoGUID, &decoders.FileDirEnum{FileName: "*"})
	add(decoders.FileIoGUID, &decoders.FilePathOp{})
	if e.excluded != 0 || e.classicFileIo || e.events != 3 {
		t.Fatalf("unread events: excluded %d, classic FileIo %v, events %d", e.excluded, e.classicFileIo, e.events)
	}
	add(decoders.FileIoGUID, &decoders.FileReadWrite{Op: decoders.OpRead, IoSize: 1})
	if e.excluded != 1 || !e.classicFileIo {
		t.Errorf("a read before the window: excluded %d, classic FileIo %v", e.excluded, e.classicFileIo)
	}
}
