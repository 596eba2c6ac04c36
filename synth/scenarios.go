package synth

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/etw"
)

// Scenario names accepted by Generate, in the order `ipctrace synth` lists them.
var Scenarios = []string{
	"pipe-pingpong", "pipe-transceive", "pipe-busy", "pipe-stuck-read", "pipe-stuck-listen", "pipe-impersonate",
	"alpc-rpc", "alpc-stuck", "alpc-no-receiver", "alpc-deadlock",
	"section-shared", "security", "lossy", "alpc-reentrant", "pipe-alpc-cycle",
	"busy-machine", "busy-machine-healthy",
	"winmsg-send", "winmsg-stuck-handler", "winmsg-not-pumping", "winmsg-posted", "winmsg-alpc-cycle", "com-rpc",
	"mailslot", "mixed",
}

// notInMixed are the scenarios mixed leaves out: lossy is mixed's own loss
// window; the busy machines are a trace of their own.
var notInMixed = map[string]bool{"mixed": true, "lossy": true, "busy-machine": true, "busy-machine-healthy": true}

// Options configure Generate.
type Options struct {
	Seed  uint64
	Scale int // multiplies the traffic rounds; 0 means 1
	// Writer options (Compress, PointerSize, BufferSize, …). StartTime and
	// NumberOfProcessors are set by the builder.
	Writer etw.WriterOptions
	// Keep keeps every emitted event (Builder.Emitted) for tests.
	Keep bool
}

// part is one self-contained piece of a scenario: its processes, a setup
// phase, traffic rounds and a stuck/deadlock step.
type part struct {
	h1     bool // the scenario's traces follow H1 (see Builder.SetH1)
	rounds int  // base rounds, multiplied by the scale
	setup  func(b *Builder, t int64) int64
	round  func(b *Builder, t int64, r, n int) int64 // r-th of n rounds
	// tail is how long the trace goes on after the last round, quiet.
	tail int64
}

// ids hands out PIDs and TIDs for one part: PIDs from base, TIDs from 10*base.
type ids struct{ pid, tid uint32 }

func (i *ids) proc(b *Builder, image, cmd, sid string) *Proc {
	i.pid += 4
	return b.Process(i.pid, 700, image, cmd, sid)
}

func (i *ids) thread(b *Builder, p *Proc) *Thread {
	i.tid += 4
	return p.Thread(b, i.tid)
}

const (
	sidSystem = "S-1-5-18"
	sidLocal  = "S-1-5-19"
	sidUser   = "S-1-5-21-3623811015-3361044348-30300820-1013"
)

// roundLen is the nominal length of one traffic round.
const roundLen = 2 * Millisecond

// Generate builds scenario name and streams it to w. It returns the truth.
func Generate(name string, w io.Writer, o Options) (*model.Model, *Builder, error) {
	parts, err := scenarioParts(name)
	if err != nil {
		return nil, nil, err
	}
	b := NewBuilder(o.Seed)
	b.Keep = o.Keep
	// A trace follows H1 or not as a whole (it is a property of the OS);
	// mixed follows it.
	b.SetH1(len(parts) > 1 || parts[0].h1)
	if err := b.Stream(w, o.Writer); err != nil {
		return nil, nil, err
	}
	run(b, parts, max(o.Scale, 1), name == "lossy" || name == "mixed")
	if err := b.Finish(); err != nil {
		return nil, b, err
	}
	return b.Truth(), b, nil
}

// scenarioParts returns the parts of a scenario; each part gets its own PID range.
func scenarioParts(name string) ([]part, error) {
	mk := map[string]func(base uint32) part{
		"pipe-pingpong":        pipePingPong,
		"pipe-transceive":      pipeTransceive,
		"pipe-busy":            pipeBusy,
		"pipe-stuck-read":      pipeStuckRead,
		"pipe-stuck-listen":    pipeStuckListen,
		"pipe-impersonate":     pipeImpersonate,
		"alpc-rpc":             alpcRPC,
		"alpc-stuck":           alpcStuck,
		"alpc-no-receiver":     alpcNoReceiver,
		"alpc-deadlock":        alpcDeadlock,
		"section-shared":       sectionShared,
		"security":             security,
		"lossy":                pipePingPong,
		"alpc-reentrant":       alpcReentrant,
		"pipe-alpc-cycle":      pipeALPCCycle,
		"busy-machine":         busyMachine(true),
		"busy-machine-healthy": busyMachine(false),
		"winmsg-send":          winmsgSend,
		"winmsg-stuck-handler": winmsgStuckHandler,
		"winmsg-not-pumping":   winmsgNotPumping,
		"winmsg-posted":        winmsgPosted,
		"winmsg-alpc-cycle":    winmsgALPCCycle,
		"com-rpc":              comRPC,
		"mailslot":             mailslotTwoWriters,
	}
	if name == "mixed" {
		var parts []part
		for i, n := range Scenarios {
			if notInMixed[n] {
				continue
			}
			parts = append(parts, mk[n](uint32(1000+200*i)))
		}
		// A quiet second and a half at the end, so the hangs outlast
		// report's default --stuck-after of 1 s.
		parts[len(parts)-1].tail = 1500 * Millisecond
		return parts, nil
	}
	f, ok := mk[name]
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(Scenarios, ", "))
	}
	return []part{f(1000)}, nil
}

// stuckRound is the round in which a part starts its operation that never
// completes: the middle round, but never inside the loss window.
func stuckRound(n int) int { return max(n/2, lossEnd) }

// lossFirst, lossEnd: the window of rounds whose events are dropped in the
// lossy and mixed scenarios.
const lossFirst, lossEnd = 2, 4

// run plays the parts: setups one after the other, then the rounds of all
// parts side by side (each part at its own offset in the round), then the
// end of the trace one round after the last.
func run(b *Builder, parts []part, scale int, lossy bool) {
	t := b.Start() + Millisecond
	for _, p := range parts {
		if p.setup != nil {
			t = max(t, p.setup(b, t)) + b.US(50)
		}
	}
	n := 0
	for _, p := range parts {
		n = max(n, p.rounds*scale)
	}
	if lossy && n < lossEnd+2 {
		n = lossEnd + 2
	}
	t += Millisecond
	for r := 0; r < n; r++ {
		b.Sync(t)
		if lossy && r == lossFirst {
			b.Lose(true, t)
		}
		if lossy && r == lossEnd {
			b.Lose(false, t)
		}
		end := t + roundLen
		for i, p := range parts {
			pn := max(p.rounds*scale, 1)
			if r >= pn || p.round == nil {
				continue
			}
			off := int64(i%8) * 30 * Microsecond
			end = max(end, p.round(b, t+off, r, pn))
		}
		t = end + b.US(200)
	}
	var tail int64
	for _, p := range parts {
		tail = max(tail, p.tail)
	}
	if tail > 0 {
		// Close the buffers before the quiet tail, so that no buffer (a
		// lossy one least of all) spans it.
		b.Sync(t)
		b.flushAll()
		t += tail
	}
	b.Sync(t)
	b.Advance(t)
}

// pingPong is one request/response exchange on a connected pair, starting
// at t: the server's read is pending when the client writes; the client
// reads the reply either before it is written (pending, when r%3 == 0) or
// after (data waiting); in byte mode every 4th reply is read in two halves.
func pingPong(b *Builder, t int64, srv, cli *PipeEnd, r int, req, reply int64) int64 {
	b.Read(t, srv.Thread, srv, 4096)
	w := t + b.US(30)
	wEnd := b.Write(w, cli.Thread, cli, req)
	pendingReply := r%3 == 0
	if pendingReply {
		b.Read(wEnd+b.US(5), cli.Thread, cli, 4096)
	}
	rep := wEnd + b.US(60)
	repEnd := b.Write(rep, srv.Thread, srv, reply)
	end := repEnd + b.US(20)
	if !pendingReply {
		if !cli.Message && r%4 == 1 {
			b.Read(end, cli.Thread, cli, reply/2)
			end += b.US(15)
			b.Read(end, cli.Thread, cli, 4096)
		} else {
			b.Read(end, cli.Thread, cli, 4096)
		}
		end += b.US(15)
	}
	return end
}

func pipePingPong(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	type conn struct{ srv, cli *PipeEnd }
	var conns []conn
	return part{
		h1:     true,
		rounds: 8,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "pingsrv.exe", `C:\svc\pingsrv.exe --pipe ipctrace-pingpong`, sidLocal)
			type inst struct {
				name    string
				message bool
			}
			insts := []inst{{"ipctrace-pingpong", false}, {"ipctrace-pingpong", false}, {"ipctrace-pingpong", false},
				{"ipctrace-pingpong-msg", true}, {"ipctrace-pingpong-msg", true}}
			for i, in := range insts {
				th := id.thread(b, sp)
				srv, e := b.CreatePipe(t, th, in.name, in.message)
				b.Listen(e+b.US(10), srv)
				cp := id.proc(b, fmt.Sprintf("pingcli%d.exe", i+1), fmt.Sprintf(`pingcli%d.exe \\.\pipe\%s`, i+1, in.name), sidUser)
				cth := id.thread(b, cp)
				cli, ce := b.Connect(e+b.US(200), cth, in.name)
				conns = append(conns, conn{srv, cli})
				t = ce + b.US(40)
			}
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			end := t
			for i, c := range conns {
				end = max(end, pingPong(b, t+int64(i)*7*Microsecond, c.srv, c.cli, r+i, 64+int64(32*((r+i)%5)), 256+int64(64*(r%3))))
			}
			if r == n-1 {
				// The last round closes everything: client close, server disconnect and close.
				for _, c := range conns {
					e := b.ClosePipe(end+b.US(10), c.cli)
					e = b.Disconnect(e+b.US(10), c.srv)
					end = max(end, b.ClosePipe(e+b.US(5), c.srv))
				}
			}
			return end
		},
	}
}

func pipeTransceive(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var srv, cli *PipeEnd
	return part{
		h1:     false,
		rounds: 8,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "rpcpipe.exe", `rpcpipe.exe -server`, sidSystem)
			cp := id.proc(b, "rpcclient.exe", `rpcclient.exe \\.\pipe\ipctrace-transact`, sidUser)
			s, e := b.CreatePipe(t, id.thread(b, sp), "ipctrace-transact", true)
			b.Listen(e+b.US(5), s)
			c, e := b.Connect(e+b.US(100), id.thread(b, cp), "ipctrace-transact")
			srv, cli = s, c
			return e
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			b.Read(t, srv.Thread, srv, 4096)
			x := t + b.US(25)
			b.Transceive(x, cli.Thread, cli, 120+int64(r%4)*8, 4096)
			rep := x + b.US(80)
			end := b.Write(rep, srv.Thread, srv, 300+int64(r%3)*100) + b.US(20)
			if r%4 == 3 {
				end = b.Flush(end, cli.Thread, cli, b.US(30))
			}
			return end
		},
	}
}

func pipeBusy(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var s1, c1, s2, c2 *PipeEnd
	return part{
		h1:     false,
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "busysrv.exe", `busysrv.exe`, sidLocal)
			cp1 := id.proc(b, "busycli.exe", `busycli.exe 1`, sidUser)
			cp2 := id.proc(b, "busycli.exe", `busycli.exe 2`, sidUser)
			st1, st2 := id.thread(b, sp), id.thread(b, sp)
			ct1, ct2 := id.thread(b, cp1), id.thread(b, cp2)
			s, e := b.CreatePipe(t, st1, "ipctrace-busy", false)
			b.Listen(e+b.US(5), s)
			c, e := b.Connect(e+b.US(100), ct1, "ipctrace-busy")
			s1, c1 = s, c
			// The second client finds no free instance, waits, then connects.
			f := b.ConnectFail(e+b.US(50), ct2, "ipctrace-busy", StatusPipeBusy)
			inst := f + b.US(900)
			s, e = b.CreatePipe(inst, st2, "ipctrace-busy", false)
			b.Listen(e+b.US(5), s)
			wEnd := b.WaitPipe(f+b.US(10), ct2, e+b.US(20))
			c, e = b.Connect(wEnd+b.US(10), ct2, "ipctrace-busy")
			s2, c2 = s, c
			return e
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			e := pingPong(b, t, s1, c1, r, 100, 200)
			return max(e, pingPong(b, t+b.US(20), s2, c2, r+1, 150, 50))
		},
	}
}

func pipeStuckRead(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var srv, cli *PipeEnd
	return part{
		h1:     true,
		rounds: 8,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "stucksrv.exe", `stucksrv.exe`, sidSystem)
			cp := id.proc(b, "stuckcli.exe", `stuckcli.exe`, sidUser)
			s, e := b.CreatePipe(t, id.thread(b, sp), "ipctrace-stuck", false)
			b.Listen(e+b.US(5), s)
			c, e := b.Connect(e+b.US(100), id.thread(b, cp), "ipctrace-stuck")
			srv, cli = s, c
			return e
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			switch {
			case r < half:
				return pingPong(b, t, srv, cli, r, 80, 80)
			case r == half:
				// The client sends a request, the server reads it and
				// never answers: the client's read is owed (docs/rules.md W1).
				e := b.Write(t, cli.Thread, cli, 64)
				b.Read(e+b.US(5), srv.Thread, srv, 4096)
				b.Read(e+b.US(20), cli.Thread, cli, 4096)
				return e + b.US(30)
			default:
				return t + b.US(200)
			}
		},
	}
}

func pipeStuckListen(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var srv *PipeEnd
	var poll *Thread
	return part{
		h1:     true,
		rounds: 4,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "lonely.exe", `lonely.exe`, sidLocal)
			s, e := b.CreatePipe(t, id.thread(b, sp), "ipctrace-lonely", false)
			b.Listen(e+b.US(5), s)
			srv = s
			poll = id.thread(b, sp)
			return e + b.US(5)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			// Another thread keeps looking for a pipe that does not exist.
			_ = srv
			if r%2 == 0 {
				return b.ConnectFail(t, poll, "ipctrace-absent", StatusObjectNameNotFnd)
			}
			return t
		},
	}
}

func pipeImpersonate(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var s1, c1, s2, c2 *PipeEnd
	var denied *Thread
	return part{
		h1:     false,
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "impsrv.exe", `impsrv.exe`, sidSystem)
			cp := id.proc(b, "impcli.exe", `impcli.exe`, sidUser)
			dp := id.proc(b, "intruder.exe", `intruder.exe`, sidUser)
			s, e := b.CreatePipe(t, id.thread(b, sp), "ipctrace-imp", true)
			b.Listen(e+b.US(5), s)
			c, e := b.Connect(e+b.US(80), id.thread(b, cp), "ipctrace-imp")
			s1, c1 = s, c
			s, e = b.CreatePipe(e+b.US(30), id.thread(b, sp), "ipctrace-imp", true)
			b.Listen(e+b.US(5), s)
			c, e = b.Connect(e+b.US(80), id.thread(b, cp), "ipctrace-imp")
			s2, c2 = s, c
			denied = id.thread(b, dp)
			return b.ConnectFail(e+b.US(40), denied, "ipctrace-imp", StatusAccessDenied)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			e := pingPong(b, t, s1, c1, r, 48, 96)
			if r == 0 {
				e = b.Impersonate(e+b.US(10), s1)
			}
			return max(e, pingPong(b, t+b.US(15), s2, c2, r, 24, 24))
		},
	}
}

var (
	ifaceA = etw.MustParseGUID("5f3d1e2a-7c41-4b8e-9a60-0b1c2d3e4f50")
	ifaceB = etw.MustParseGUID("0d8c1d4e-2b6f-4f1a-8e3c-6a7b8c9d0e1f")
)

func alpcRPC(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var port *Port
	var w1, w2, c1, c2 *Thread
	return part{
		rounds: 10,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "svchost.exe", `C:\Windows\system32\svchost.exe -k ipctrace -s IpcSvc`, sidSystem)
			cp1 := id.proc(b, "app1.exe", `app1.exe`, sidUser)
			cp2 := id.proc(b, "app2.exe", `app2.exe`, sidUser)
			port = b.Port("LRPC-ipctrace-a1", sp)
			w1, w2 = id.thread(b, sp), id.thread(b, sp)
			c1, c2 = id.thread(b, cp1), id.thread(b, cp2)
			b.AlpcWaitForNewMessage(t, w1, port.Name)
			b.AlpcWaitForNewMessage(t+b.US(3), w2, port.Name)
			return t + b.US(10)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			// Two overlapping calls (different message ids), then a third that reuses an id.
			e1 := b.AlpcCall(t, c1, port, w1, &RPCCall{Interface: ifaceA, ProcNum: 0}, b.US(40))
			st := uint32(0)
			if r%7 == 6 {
				st = 5 // access denied
			}
			e2 := b.AlpcCall(t+b.US(10), c2, port, w2, &RPCCall{Interface: ifaceA, ProcNum: 3, Status: st}, b.US(70))
			e3 := b.AlpcCall(max(e1, e2)+b.US(20), c1, port, w1, &RPCCall{Interface: ifaceB, ProcNum: 1}, b.US(25))
			return e3
		},
	}
}

func alpcStuck(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var port *Port
	var ws, c *Thread
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "hung.exe", `hung.exe`, sidSystem)
			cp := id.proc(b, "waiter.exe", `waiter.exe`, sidUser)
			port = b.Port("LRPC-ipctrace-hung", sp)
			ws, c = id.thread(b, sp), id.thread(b, cp)
			b.AlpcWaitForNewMessage(t, ws, port.Name)
			return t + b.US(5)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			switch {
			case r < half:
				return b.AlpcCall(t, c, port, ws, &RPCCall{Interface: ifaceA, ProcNum: 7}, b.US(30))
			case r == half:
				b.AlpcStuckCall(t, c, port, ws, &RPCCall{Interface: ifaceA, ProcNum: 8}, true)
				return t + b.US(30)
			}
			return t
		},
	}
}

func alpcNoReceiver(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var port *Port
	var ws, c1, c2 *Thread
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			sp := id.proc(b, "deaf.exe", `deaf.exe`, sidSystem)
			cp1 := id.proc(b, "caller1.exe", `caller1.exe`, sidUser)
			cp2 := id.proc(b, "caller2.exe", `caller2.exe`, sidUser)
			port = b.Port("LRPC-ipctrace-deaf", sp)
			ws, c1, c2 = id.thread(b, sp), id.thread(b, cp1), id.thread(b, cp2)
			b.AlpcWaitForNewMessage(t, ws, port.Name)
			return t + b.US(5)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			switch {
			case r < half:
				return b.AlpcCall(t, c1, port, ws, nil, b.US(20))
			case r == half:
				b.AlpcStuckCall(t, c2, port, ws, &RPCCall{Interface: ifaceB, ProcNum: 2}, false)
				return t + b.US(10)
			}
			return t
		},
	}
}

func alpcDeadlock(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	type node struct {
		th   *Thread
		port *Port
	}
	var two, three []node
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			mk := func(label string) node {
				p := id.proc(b, "dl"+label+".exe", "dl"+label+".exe", sidSystem)
				th := id.thread(b, p)
				n := node{th, b.Port("LRPC-ipctrace-dl"+label, p)}
				b.AlpcWaitForNewMessage(t, th, n.port.Name)
				t += b.US(5)
				return n
			}
			two = []node{mk("a"), mk("b")}
			three = []node{mk("c"), mk("d"), mk("e")}
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			ring := func(t int64, ns []node) int64 {
				if r < half {
					// Healthy calls around the ring.
					for i := range ns {
						nx := ns[(i+1)%len(ns)]
						t = b.AlpcCall(t, ns[i].th, nx.port, nx.th, &RPCCall{Interface: ifaceB, ProcNum: uint32(10 + i)}, b.US(15)) + b.US(10)
					}
					return t
				}
				if r != half {
					return t
				}
				// Each node calls the next; every callee receives the request and,
				// while handling it, calls the next node. The last call is never
				// received: its server thread is the first caller, blocked.
				var ws []model.Waiter
				for i := range ns {
					nx := ns[(i+1)%len(ns)]
					last := i == len(ns)-1
					b.AlpcStuckCall(t, ns[i].th, nx.port, nx.th, &RPCCall{Interface: ifaceB, ProcNum: uint32(10 + i)}, !last)
					ws = append(ws, model.Waiter{PID: ns[i].th.Proc.PID, TID: ns[i].th.TID, Object: nx.port.Name})
					t += b.US(40)
				}
				b.Deadlock(ws...)
				return t
			}
			return max(ring(t, two), ring(t+b.US(20), three))
		},
	}
}

func sectionShared(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var p1, p2, p3 *Thread
	var shared *Section
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			a := id.proc(b, "producer.exe", `producer.exe`, sidUser)
			c := id.proc(b, "consumer.exe", `consumer.exe`, sidUser)
			d := id.proc(b, "monitor.exe", `monitor.exe`, sidSystem)
			p1, p2, p3 = id.thread(b, a), id.thread(b, c), id.thread(b, d)
			shared = b.FileSection(`\Device\HarddiskVolume3\ProgramData\ipctrace\shared.dat`)
			b.MapViewAtStart(p1, shared, 0x100000, 0)
			b.MapView(t, p2, shared, 0x100000, 0)
			pf := b.PagefileSection()
			b.MapView(t+b.US(30), p1, pf, 0x10000, 0)
			b.MapView(t+b.US(60), p2, pf, 0x10000, 0)
			private := b.FileSection(`\Device\HarddiskVolume3\ProgramData\ipctrace\private.dat`)
			b.MapView(t+b.US(90), p3, private, 0x2000, 0)
			return t + b.US(100)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			// The monitor maps a window of the shared file and unmaps it.
			v := b.MapView(t, p3, shared, 0x10000, uint64(r%16)*0x10000)
			e := t + b.US(300)
			b.UnmapView(e, p3, v)
			return e
		},
	}
}

func security(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	type obj struct{ typ, name, sddl string }
	objs := []obj{
		{"pipe", `\Device\NamedPipe\ipctrace-open`, "O:BAG:SYD:(A;;FA;;;WD)"},
		{"pipe", `\Device\NamedPipe\ipctrace-private`, "O:SYG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)"},
		{"pipe", `\Device\NamedPipe\ipctrace-anon`, "O:BAG:SYD:(A;;FR;;;AN)(A;;FA;;;SY)"},
		{"section", `\BaseNamedObjects\ipctrace-shm`, "O:BAG:SYD:(A;;GA;;;AU)S:(ML;;NW;;;LW)"},
		{"section", `\BaseNamedObjects\ipctrace-admin-shm`, "O:BAG:SYD:(A;;GA;;;BA)(A;;GR;;;SY)"},
		{"alpc", `\RPC Control\LRPC-ipctrace-a1`, "O:SYG:SYD:(A;;0x1f0001;;;SY)(A;;0x1;;;WD)(A;;0x1;;;AC)"},
		{"alpc", `\RPC Control\LRPC-ipctrace-hung`, "O:SYG:SYD:(A;;0x1f0001;;;SY)(A;;0x1;;;AU)"},
	}
	return part{
		rounds: 1,
		setup: func(b *Builder, t int64) int64 {
			p := id.proc(b, "ipctrace.exe", `ipctrace.exe record --security -o trace.etl`, sidSystem)
			th := id.thread(b, p)
			for _, o := range objs {
				b.SecuritySnapshot(t, th, o.typ, o.name, o.sddl)
				t += b.US(20)
			}
			return t
		},
	}
}

// Records generates the named scenario and reads it back, returning its
// records in file order (copies that alias nothing, as a real-time consumer
// delivers them: not time-ordered across processors) and the trace bytes.
func Records(name string, opt Options) ([]etw.Record, []byte, error) {
	var buf bytes.Buffer
	if _, _, err := Generate(name, &buf, opt); err != nil {
		return nil, nil, err
	}
	f, err := etw.NewFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, nil, err
	}
	var recs []etw.Record
	for r, err := range f.Records() {
		if err != nil {
			return nil, nil, err
		}
		recs = append(recs, r.Clone())
	}
	return recs, buf.Bytes(), nil
}
