package synth

import (
	"fmt"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/model"
)

// Scenarios of stuck IPC as a real machine shows it (docs/rules.md W, I, D).

// alpcReentrant is the re-entrant deadlock: A's thread a1 calls B; B's
// thread b1, serving it, calls back into A; A's worker a2 receives that
// call and never replies (it waits on a lock a1 holds, which ETW does not
// show). The graph has a1 → b1 and b1 → a2, and a2 is not seen waiting:
// a process-level cycle, a probable deadlock (D2).
func alpcReentrant(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var a1, a2, b1 *Thread
	var portA, portB *Port
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			pa := id.proc(b, "reentra.exe", "reentra.exe", sidSystem)
			pb := id.proc(b, "reentrb.exe", "reentrb.exe", sidSystem)
			a1, a2 = id.thread(b, pa), id.thread(b, pa)
			b1 = id.thread(b, pb)
			portA, portB = b.Port("LRPC-ipctrace-reA", pa), b.Port("LRPC-ipctrace-reB", pb)
			b.AlpcWaitForNewMessage(t, a2, portA.Name)
			b.AlpcWaitForNewMessage(t+b.US(5), b1, portB.Name)
			return t + b.US(10)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			switch {
			case r < half:
				t = b.AlpcCall(t, a1, portB, b1, &RPCCall{Interface: ifaceB, ProcNum: 3}, b.US(20)) + b.US(10)
				return b.AlpcCall(t, b1, portA, a2, &RPCCall{Interface: ifaceB, ProcNum: 4}, b.US(20))
			case r == half:
				b.AlpcStuckCall(t, a1, portB, b1, &RPCCall{Interface: ifaceB, ProcNum: 3}, true)
				b.AlpcStuckCall(t+b.US(40), b1, portA, a2, &RPCCall{Interface: ifaceB, ProcNum: 4}, true)
				b.ProbableDeadlock(
					model.Waiter{PID: a1.Proc.PID, TID: a1.TID, Object: portB.Name},
					model.Waiter{PID: b1.Proc.PID, TID: b1.TID, Object: portA.Name})
				return t + b.US(80)
			}
			return t
		},
	}
}

// pipeALPCCycle is a cycle across mechanisms: A's only ALPC worker a1
// also talks to B over a pipe. a1 sends a request on B's pipe and waits
// for the answer; B's thread b1 reads it and, to answer, calls A over
// ALPC; no A thread takes that message, since a1, the one that would,
// waits on B (W1 + W3: a thread-level cycle, D1).
func pipeALPCCycle(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var srv, cli *PipeEnd
	var portA *Port
	return part{
		h1:     true,
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			pa := id.proc(b, "cyclea.exe", "cyclea.exe", sidSystem)
			pb := id.proc(b, "cycleb.exe", "cycleb.exe", sidSystem)
			a1, b1 := id.thread(b, pa), id.thread(b, pb)
			portA = b.Port("LRPC-ipctrace-cyA", pa)
			b.AlpcWaitForNewMessage(t, a1, portA.Name)
			s, e := b.CreatePipe(t+b.US(5), b1, "ipctrace-cycle", false)
			b.Listen(e+b.US(5), s)
			c, e := b.Connect(e+b.US(50), a1, "ipctrace-cycle")
			srv, cli = s, c
			return e
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			half := stuckRound(n)
			switch {
			case r < half:
				t = b.AlpcCall(t, srv.Thread, portA, cli.Thread, &RPCCall{Interface: ifaceB, ProcNum: 7}, b.US(20)) + b.US(10)
				return pingPong(b, t, srv, cli, r, 48, 96)
			case r == half:
				e := b.Write(t, cli.Thread, cli, 48)
				b.Read(e+b.US(5), srv.Thread, srv, 4096)
				b.Read(e+b.US(10), cli.Thread, cli, 4096)
				b.AlpcStuckCall(e+b.US(30), srv.Thread, portA, cli.Thread, &RPCCall{Interface: ifaceB, ProcNum: 7}, false)
				b.Deadlock(
					model.Waiter{PID: cli.Thread.Proc.PID, TID: cli.Thread.TID, Object: pipeDisplay("ipctrace-cycle")},
					model.Waiter{PID: srv.Thread.Proc.PID, TID: srv.Thread.TID, Object: portA.Name})
				return e + b.US(60)
			}
			return t
		},
	}
}

// busyMachine looks like a real machine: many pipe servers idle in a
// LISTEN, servers idle in a read after answering, ALPC workers idle in
// WaitForNewMessage, disk I/O on ordinary files as background noise, and
// (with hang) exactly one real hang: a client whose request the server
// read and never answered. The trace runs 2 s past the hang, beyond the
// default --stuck-after of 1 s.
func busyMachine(hang bool) func(base uint32) part {
	return func(base uint32) part {
		id := ids{pid: base, tid: 10 * base}
		type conn struct{ srv, cli *PipeEnd }
		var conns []conn
		var disk []*Thread // background disk I/O, one thread per processor
		var hangSrv, hangCli *PipeEnd
		var alpcClient, alpcWorker *Thread
		var pre []conn // connected before the trace, named only by the rundown
		var np conn    // RPC over named pipes (ncacn_np)
		var port *Port
		const rounds = 40
		return part{
			h1:     true,
			rounds: rounds,
			tail:   2 * Second,
			setup: func(b *Builder, t int64) int64 {
				// 32 services, each with one instance listening.
				for i := range 32 {
					p := id.proc(b, fmt.Sprintf("svc%02d.exe", i), fmt.Sprintf(`svc%02d.exe -k netsvcs`, i), sidSystem)
					s, e := b.CreatePipe(t, id.thread(b, p), fmt.Sprintf("svc%02d-control", i), false)
					b.Listen(e+b.US(3), s)
					t = e + b.US(5)
				}
				// Four request/response services with a client each.
				for i := range 4 {
					sp := id.proc(b, fmt.Sprintf("rrsvc%d.exe", i), fmt.Sprintf("rrsvc%d.exe", i), sidLocal)
					cp := id.proc(b, fmt.Sprintf("rrcli%d.exe", i), fmt.Sprintf("rrcli%d.exe", i), sidUser)
					name := fmt.Sprintf("rrsvc%d", i)
					s, e := b.CreatePipe(t, id.thread(b, sp), name, false)
					b.Listen(e+b.US(5), s)
					c, e := b.Connect(e+b.US(40), id.thread(b, cp), name)
					conns = append(conns, conn{s, c})
					t = e + b.US(10)
				}
				if hang {
					sp := id.proc(b, "hungsvc.exe", "hungsvc.exe", sidSystem)
					cp := id.proc(b, "waiter.exe", "waiter.exe", sidUser)
					s, e := b.CreatePipe(t, id.thread(b, sp), "hungsvc", false)
					b.Listen(e+b.US(5), s)
					c, e := b.Connect(e+b.US(40), id.thread(b, cp), "hungsvc")
					hangSrv, hangCli = s, c
					t = e + b.US(10)
				}
				for i := range 3 {
					sp := id.proc(b, fmt.Sprintf("oldsvc%d.exe", i), fmt.Sprintf("oldsvc%d.exe", i), sidSystem)
					cp := id.proc(b, fmt.Sprintf("oldcli%d.exe", i), fmt.Sprintf("oldcli%d.exe", i), sidUser)
					s, c := b.PreOpenedPipe(id.thread(b, sp), id.thread(b, cp), fmt.Sprintf("oldsvc%d", i))
					pre = append(pre, conn{s, c})
				}
				{
					sp := id.proc(b, "spoolsv.exe", "spoolsv.exe", sidSystem)
					cp := id.proc(b, "printui.exe", "printui.exe", sidUser)
					s, e := b.CreatePipe(t, id.thread(b, sp), "ipctrace-spoolss", true)
					b.Listen(e+b.US(5), s)
					c, e := b.Connect(e+b.US(40), id.thread(b, cp), "ipctrace-spoolss")
					np = conn{s, c}
					t = e + b.US(10)
				}
				rp := id.proc(b, "rpcss.exe", "rpcss.exe", sidSystem)
				alpcWorker = id.thread(b, rp)
				port = b.Port("LRPC-ipctrace-busy", rp)
				b.AlpcWaitForNewMessage(t, alpcWorker, port.Name)
				alpcClient = id.thread(b, id.proc(b, "app.exe", "app.exe", sidUser))
				// Consecutive threads run on consecutive processors, so the
				// noise fills every processor's buffers, as on a real machine.
				for _, img := range []string{"indexer.exe", "MsMpEng.exe", "SearchProtocolHost.exe", "backup.exe"} {
					disk = append(disk, id.thread(b, id.proc(b, img, img, sidSystem)))
				}
				return t + b.US(10)
			},
			round: func(b *Builder, t int64, r, n int) int64 {
				end := t
				// Background: disk reads on ordinary files.
				for k := range 6 {
					end = max(end, b.DiskRead(t+int64(k)*b.US(20), disk[(r*6+k)%len(disk)], fmt.Sprintf(`\Device\HarddiskVolume3\Windows\Temp\f%d.dat`, (r*6+k)%50), 4096))
				}
				// Request/response traffic early on; then the servers sit
				// in a read, idle, having answered every request.
				if r < 6 {
					for i, c := range conns {
						end = max(end, pingPong(b, t+int64(i)*b.US(40), c.srv, c.cli, r, 64, 128))
					}
				}
				if r < 8 {
					end = max(end, b.RPCOverPipe(t+b.US(400), np.cli, np.srv, &RPCCall{Interface: ifaceB, ProcNum: 9}, 120, 64))
				}
				if r < 10 {
					for i, c := range pre {
						end = max(end, pingPong(b, t+b.US(200)+int64(i)*b.US(40), c.srv, c.cli, r, 24, 48))
					}
				}
				if r == 6 {
					for _, c := range conns {
						b.Read(t, c.srv.Thread, c.srv, 4096)
					}
				}
				if r < 8 {
					end = max(end, b.AlpcCall(t, alpcClient, port, alpcWorker, &RPCCall{Interface: ifaceB, ProcNum: 1}, b.US(30)))
				}
				if hang && r < 3 {
					end = max(end, pingPong(b, t, hangSrv, hangCli, r, 32, 32))
				}
				if hang && r == 3 {
					e := b.Write(t, hangCli.Thread, hangCli, 32)
					b.Read(e+b.US(5), hangSrv.Thread, hangSrv, 4096)
					b.Read(e+b.US(15), hangCli.Thread, hangCli, 4096)
					end = max(end, e+b.US(20))
				}
				return end
			},
		}
	}
}

// DiskRead is a read of size bytes from an ordinary file at path by th at
// t: open, read, close. ipctrace ignores such I/O; it is background noise.
func (b *Builder) DiskRead(t int64, th *Thread, path string, size int64) int64 {
	fo, key := b.addr(), b.addr()
	irp := b.create(t, th, fo, path, dispOpen, 0x80, 1)
	t += b.US(4)
	b.opEnd(t, th, irp, 1, StatusSuccess)
	irp = b.irp(t)
	b.fileio(t, th, decoders.OpRead, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: irp, FileObject: fo,
		FileKey: key, TTID: th.TID, IoSize: uint32(size)})
	t += b.US(6)
	b.opEnd(t, th, irp, uint64(size), StatusSuccess)
	return b.closeFO(t+b.US(2), th, fo, key)
}
