package synth

import (
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/model"
)

// Scenarios of window messages and COM calls (docs/rules.md WM1–WM4,
// COM1–COM2). Every one is inferred: no real trace with Win32k or
// COMRuntime events has been seen.

// Window message numbers the scenarios send.
const (
	wmSetText  = 0x000C
	wmCopyData = 0x004A
	wmTimer    = 0x0113
	wmUser5    = 0x0405 // WM_USER+5
	wmApp1     = 0x8001 // WM_APP+1
	wmRegister = 0xC0DE // a registered message
)

var (
	// iidWbemLogin is IWbemLevel1Login ([MS-WMI] 3.1.4.1), a well-known
	// DCOM interface; iidPrivate is an interface no table names.
	iidWbemLogin = etw.MustParseGUID("f309ad18-d86a-11d0-a075-00c04fb68820")
	iidPrivate   = etw.MustParseGUID("7a3b9c1d-44e2-4f60-8b1a-2c3d4e5f6a7b")
	ifaceGUI     = etw.MustParseGUID("1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5")
)

// winmsgSend: a sender thread SendMessages to another process's window
// every round (WM_COPYDATA, WM_USER+5 every other round, a registered
// message every fourth); every send returns.
func winmsgSend(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var s1 *Thread
	var w *Window
	return part{
		rounds: 8,
		setup: func(b *Builder, t int64) int64 {
			ps := id.proc(b, "winsend.exe", "winsend.exe", sidUser)
			pr := id.proc(b, "winrecv.exe", "winrecv.exe", sidUser)
			s1 = id.thread(b, ps)
			w = b.Window(id.thread(b, pr), "IpcTraceReceiver")
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			t = b.SendMessage(t, s1, w, wmCopyData, b.US(20), b.US(80)) + b.US(10)
			if r%2 == 0 {
				t = b.SendMessage(t, s1, w, wmUser5, b.US(15), b.US(30)) + b.US(10)
			}
			if r%4 == 0 {
				t = b.SendMessage(t, s1, w, wmRegister, b.US(15), b.US(40)) + b.US(10)
			}
			return t
		},
	}
}

// winmsgStuckHandler: sends that return, then one the receiving thread
// retrieves and never returns from its handler (WM1).
func winmsgStuckHandler(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var s1 *Thread
	var w *Window
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			ps := id.proc(b, "hsend.exe", "hsend.exe", sidUser)
			pr := id.proc(b, "hhandler.exe", "hhandler.exe", sidUser)
			s1 = id.thread(b, ps)
			w = b.Window(id.thread(b, pr), "IpcTraceSlowHandler")
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			switch half := stuckRound(n); {
			case r < half:
				return b.SendMessage(t, s1, w, wmSetText, b.US(20), b.US(60))
			case r == half:
				b.SendMessageStuck(t, s1, w, wmCopyData, true, b.US(25))
				return t + b.US(40)
			}
			return t
		},
	}
}

// winmsgNotPumping: sends that return, then one the receiving thread never
// retrieves (WM2); Windows reports the thread's pump as late
// (MessageCheckDelay twice, InputProcessDelay once: WM4).
func winmsgNotPumping(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var s1, r1 *Thread
	var w *Window
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			ps := id.proc(b, "nsend.exe", "nsend.exe", sidUser)
			pr := id.proc(b, "frozen.exe", "frozen.exe", sidUser)
			s1, r1 = id.thread(b, ps), id.thread(b, pr)
			w = b.Window(r1, "IpcTraceFrozen")
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			switch half := stuckRound(n); {
			case r < half:
				return b.SendMessage(t, s1, w, wmUser5, b.US(20), b.US(50))
			case r == half:
				b.SendMessageStuck(t, s1, w, wmCopyData, false, 0)
				b.HungPump(t+b.US(30), r1, w, true, 5200)
				b.HungPump(t+b.US(60), r1, w, false, 5300)
				return t + b.US(80)
			case r == half+1:
				b.HungPump(t, r1, w, true, 7400)
				return t + b.US(10)
			}
			return t
		},
	}
}

// winmsgPosted: two posters post to one window; its thread retrieves
// the messages after a queue delay; in the middle round two messages are
// posted that it never retrieves (WM3).
func winmsgPosted(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var p1, p2 *Thread
	var w *Window
	return part{
		rounds: 8,
		setup: func(b *Builder, t int64) int64 {
			pa := id.proc(b, "poster.exe", "poster.exe", sidUser)
			pb := id.proc(b, "poster2.exe", "poster2.exe", sidUser)
			pu := id.proc(b, "pumpui.exe", "pumpui.exe", sidUser)
			p1, p2 = id.thread(b, pa), id.thread(b, pb)
			w = b.Window(id.thread(b, pu), "IpcTracePump")
			return t
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			m1 := b.PostMessage(t, p1, w, wmTimer)
			m2 := b.PostMessage(t+b.US(10), p2, w, wmApp1)
			m3 := b.PostMessage(t+b.US(20), p1, w, wmApp1)
			b.RetrievePost(t+b.US(60), m1)
			b.RetrievePost(t+b.US(300), m2)
			b.RetrievePost(t+b.US(1200), m3)
			end := t + b.US(1300)
			if r == stuckRound(n) {
				b.PostMessage(end, p2, w, wmApp1)
				b.PostMessage(end+b.US(10), p1, w, wmTimer)
				end += b.US(20)
			}
			return end
		},
	}
}

// winmsgALPCCycle is the GUI+ALPC deadlock: the GUI thread g1 of guiapp
// is also its only ALPC worker. g1 SendMessages to a window of helper's
// thread h1; h1, inside its handler, calls guiapp over ALPC; no guiapp
// thread takes that message, since g1, the one that would, waits in
// SendMessage for h1 (WM1 + W3: a thread-level cycle, D1).
func winmsgALPCCycle(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var g1, h1 *Thread
	var w *Window
	var port *Port
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			pg := id.proc(b, "guiapp.exe", "guiapp.exe", sidUser)
			ph := id.proc(b, "helper.exe", "helper.exe", sidUser)
			g1, h1 = id.thread(b, pg), id.thread(b, ph)
			w = b.Window(h1, "IpcTraceHelper")
			port = b.Port("LRPC-ipctrace-gui", pg)
			b.AlpcWaitForNewMessage(t, g1, port.Name)
			return t + b.US(10)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			switch half := stuckRound(n); {
			case r < half:
				t = b.SendMessage(t, g1, w, wmUser5, b.US(20), b.US(40)) + b.US(10)
				return b.AlpcCall(t, h1, port, g1, &RPCCall{Interface: ifaceGUI, ProcNum: 2}, b.US(30))
			case r == half:
				b.SendMessageStuck(t, g1, w, wmUser5, true, b.US(20))
				b.AlpcStuckCall(t+b.US(60), h1, port, g1, &RPCCall{Interface: ifaceGUI, ProcNum: 2}, false)
				b.Deadlock(
					model.Waiter{PID: g1.Proc.PID, TID: g1.TID, Object: WindowMessageObject(wmUser5, w)},
					model.Waiter{PID: h1.Proc.PID, TID: h1.TID, Object: port.Name})
				return t + b.US(100)
			}
			return t
		},
	}
}

// comRPC: a COM client calls a server on a well-known DCOM interface
// (IWbemLevel1Login, method 3) and on a private one (method 4), each an
// RPC call over ALPC followed by a ComCallDelay on the calling thread
// (COM1, joined with the RPC call by COM2); every third round a call on
// the private interface fails with RPC_E_DISCONNECTED without an RPC call
// in the trace, and the client thread reports a modal-loop delay.
func comRPC(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var c1, s1 *Thread
	var port *Port
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			pc := id.proc(b, "comclient.exe", "comclient.exe", sidUser)
			ps := id.proc(b, "comserver.exe", "comserver.exe -Embedding", sidSystem)
			c1, s1 = id.thread(b, pc), id.thread(b, ps)
			port = b.Port("OLE-ipctrace-com", ps)
			b.AlpcWaitForNewMessage(t, s1, port.Name)
			return t + b.US(10)
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			t = b.AlpcCall(t, c1, port, s1, &RPCCall{Interface: iidWbemLogin, ProcNum: 3}, 2*Millisecond)
			b.COMCallDelay(t+b.US(5), c1, s1, iidWbemLogin, 3, 2, 0, port.Name)
			t += b.US(20)
			t = b.AlpcCall(t, c1, port, s1, &RPCCall{Interface: iidPrivate, ProcNum: 4}, 3*Millisecond)
			b.COMCallDelay(t+b.US(5), c1, s1, iidPrivate, 4, 3, 0, port.Name)
			t += b.US(20)
			if r%3 == 0 {
				b.COMCallDelay(t, c1, s1, iidPrivate, 4, 5, 0x80010108, "")
				b.COMModalLoop(t+b.US(5), c1, 5)
				t += b.US(10)
			}
			return t
		},
	}
}
