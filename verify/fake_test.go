package verify

import (
	"fmt"
)

// The fake probes below write the expectation a probe run on Windows would
// have written, with native-like timing: a pending read completes 9–14 µs
// after the write that satisfies it starts (QPC at 10 MHz).

const fakeFreq = 10_000_000

type fakeClock struct{ q int64 }

func (c *fakeClock) us(n int64) int64 { c.q += n * 10; return c.q }

// fakePipe builds a pipe expectation: one server (pid 4000) and clients
// 5001.. each doing count exchanges of size bytes.
func fakePipe(clients, count, size int, mode string, transact bool) *Expectation {
	e := &Expectation{
		Version: FormatVersion, Kind: KindPipe, ID: "ipctrace-probe-4000-0123456789ab",
		Options: Options{Count: count, Size: size, Mode: mode, Clients: clients, Transact: transact},
		Started: "2026-01-01T00:00:00.0000000Z", Finished: "2026-01-01T00:00:01.0000000Z",
		Clock: Clock{Frequency: fakeFreq, BaseQPC: 1_000_000, BaseFileTime: 134114976000000000},
	}
	const server = 4000
	name := fmt.Sprintf(`\\.\pipe\ipctrace-probe-%d-0123456789ab`, server)
	e.Processes = append(e.Processes, Process{PID: server, Role: "server", Image: "ipctrace.exe"})
	c := &fakeClock{q: 2_000_000}
	var rtts []int64
	for k := 0; k < clients; k++ {
		cpid := uint32(5001 + k)
		ctid := uint32(6001 + k)
		stid := uint32(4100 + k)
		e.Processes[0].TIDs = append(e.Processes[0].TIDs, stid)
		e.Processes = append(e.Processes, Process{PID: cpid, Role: "client", Client: k + 1, TIDs: []uint32{ctid}, Image: "ipctrace.exe"})
		e.Pipes = append(e.Pipes, Pipe{Name: name, Mode: mode, Client: k + 1, ServerPID: server, ClientPID: cpid,
			ToServer: Flow{Ops: int64(count), Bytes: int64(count * size)},
			ToClient: Flow{Ops: int64(count), Bytes: int64(count * size)}})
		op := func(kind string, pid, tid uint32, dir string, seq int, start, end int64) Operation {
			return Operation{Kind: kind, Conv: k, PID: pid, TID: tid, Dir: dir, Size: int64(size), Bytes: int64(size), Start: start, End: end, Seq: seq}
		}
		c0 := c.us(50)
		e.Ops = append(e.Ops, Operation{Kind: OpConnect, Conv: k, PID: cpid, TID: ctid, Start: c0, End: c.us(30)})
		// The server's first read is posted right after the connection.
		srvRead := c.us(10)
		for seq := 0; seq < count; seq++ {
			w0 := c.us(20)
			sendKind := OpWrite
			if transact {
				sendKind = OpTransact
			}
			w1 := c.us(6)
			clientRead := c.us(1)
			sr1 := w0 + 120 // server read completes 12 µs after the write starts
			e.Ops = append(e.Ops, op(OpRead, server, stid, ToServer, seq, srvRead, sr1))
			sw0 := sr1 + 50
			sw1 := sw0 + 60
			cr1 := sw0 + 110
			if transact {
				e.Ops = append(e.Ops, op(sendKind, cpid, ctid, ToServer, seq, w0, cr1))
			} else {
				e.Ops = append(e.Ops, op(sendKind, cpid, ctid, ToServer, seq, w0, w1))
				e.Ops = append(e.Ops, op(OpRead, cpid, ctid, ToClient, seq, clientRead, cr1))
			}
			e.Ops = append(e.Ops, op(OpWrite, server, stid, ToClient, seq, sw0, sw1))
			rtts = append(rtts, cr1-w0)
			c.q = max(cr1, sw1)
			srvRead = c.us(3)
		}
		// The client hangs up; the server's next read fails (ERROR_BROKEN_PIPE).
		e.Ops = append(e.Ops, Operation{Kind: OpRead, Conv: k, PID: server, TID: stid, Dir: ToServer, Size: int64(size),
			Start: srvRead, End: c.us(40), Seq: count, Status: 109})
		c.us(100)
	}
	e.Latency = Summarize(e.Clock, rtts)
	return e
}

// fakeSection builds a section expectation: creator 4000, peer 5001.
func fakeSection(count, size int) *Expectation {
	e := &Expectation{
		Version: FormatVersion, Kind: KindSection, ID: "ipctrace-probe-4000-0123456789ab", Options: Options{Count: count, Size: size},
		Clock: Clock{Frequency: fakeFreq, BaseQPC: 1_000_000, BaseFileTime: 134114976000000000},
		Processes: []Process{
			{PID: 4000, Role: "creator", TIDs: []uint32{4100}},
			{PID: 5001, Role: "peer", TIDs: []uint32{6001}},
		},
		Sections: []Section{{Name: `Local\ipctrace-probe-4000-0123456789ab`, Size: int64(size), ViewSize: viewSizeOf(size),
			PIDs: []uint32{4000, 5001}, Views: 2, Messages: int64(count)}},
	}
	c := &fakeClock{q: 2_000_000}
	e.Ops = append(e.Ops, Operation{Kind: OpMap, PID: 4000, TID: 4100, Size: int64(size), Bytes: viewSizeOf(size), Start: c.us(10), End: c.us(20)})
	e.Ops = append(e.Ops, Operation{Kind: OpMap, PID: 5001, TID: 6001, Size: int64(size), Bytes: viewSizeOf(size), Start: c.us(300), End: c.us(20)})
	for seq := 0; seq < count; seq++ {
		e.Ops = append(e.Ops, Operation{Kind: OpWrite, PID: 4000, TID: 4100, Dir: ToClient, Size: int64(size), Bytes: int64(size), Start: c.us(5), End: c.us(1), Seq: seq})
		e.Ops = append(e.Ops, Operation{Kind: OpSignal, PID: 4000, TID: 4100, Start: c.us(1), End: c.us(2), Seq: seq})
		e.Ops = append(e.Ops, Operation{Kind: OpRead, PID: 5001, TID: 6001, Dir: ToClient, Size: int64(size), Bytes: int64(size), Start: c.us(10), End: c.us(1), Seq: seq})
		e.Ops = append(e.Ops, Operation{Kind: OpSignal, PID: 5001, TID: 6001, Start: c.us(1), End: c.us(2), Seq: seq})
	}
	return e
}

func viewSizeOf(size int) int64 { return int64((size + 4095) / 4096 * 4096) }

// Window messages of the fake window probe.
const (
	fakeTimedMsg = 0x0401 // WM_USER+1
	fakeHungMsg  = 0x0402 // WM_USER+2
	fakePostMsg  = 0x0403 // WM_USER+3
)

// fakeWindow builds a window expectation: sender 4000 (thread 4100) sends
// count timed messages whose handler takes handlerUS to the window of
// 5001 (thread 6001), posts posted messages, and with hang sends one more
// whose handler the probe holds 1.5 s.
func fakeWindow(count int, handlerUS int64, posted int, hang bool) *Expectation {
	const sender, stid, recv, rtid = 4000, 4100, 5001, 6001
	e := &Expectation{
		Version: FormatVersion, Kind: KindWindow, ID: "ipctrace-probe-4000-0123456789ab",
		Options: Options{Count: count, HandlerUS: handlerUS, Posted: posted, Hang: hang},
		Started: "2026-01-01T00:00:00.0000000Z", Finished: "2026-01-01T00:00:02.0000000Z",
		Clock: Clock{Frequency: fakeFreq, BaseQPC: 1_000_000, BaseFileTime: 134114976000000000},
		Processes: []Process{
			{PID: sender, Role: "sender", TIDs: []uint32{stid}, Image: "ipctrace.exe"},
			{PID: recv, Role: "window", TIDs: []uint32{rtid}, Image: "ipctrace.exe"},
		},
	}
	w := Window{Class: e.ID, Hwnd: 0x30052, SenderPID: sender, SenderTID: stid, ReceiverPID: recv, ReceiverTID: rtid,
		HandlerUS: float64(handlerUS)}
	c := &fakeClock{q: 2_000_000}
	var lat, hand []int64
	for seq := 0; seq < count; seq++ {
		s0 := c.us(20)
		h0 := c.us(15)
		h1 := c.us(handlerUS + int64(seq%3)) // the handler waits at least handlerUS
		s1 := c.us(8)
		e.Ops = append(e.Ops,
			Operation{Kind: OpSend, PID: sender, TID: stid, Start: s0, End: s1, Seq: seq, Message: fakeTimedMsg},
			Operation{Kind: OpHandle, PID: recv, TID: rtid, Start: h0, End: h1, Seq: seq, Message: fakeTimedMsg})
		lat = append(lat, s1-s0)
		hand = append(hand, h1-h0)
	}
	w.Sent = int64(count)
	w.Messages = append(w.Messages, MessageCount{Message: fakeTimedMsg, Name: "WM_USER+1", Count: int64(count)})
	base := c.us(30)
	for seq := 0; seq < posted; seq++ {
		p := base + int64(seq)*100
		e.Ops = append(e.Ops,
			Operation{Kind: OpPost, PID: sender, TID: stid, Start: p, End: p + 30, Seq: seq, Message: fakePostMsg},
			Operation{Kind: OpRetrieve, PID: recv, TID: rtid, Start: p + 400, End: p + 400, Seq: seq, Message: fakePostMsg})
	}
	w.Posted, w.Retrieved = int64(posted), int64(posted)
	c.q = base + int64(posted)*100 + 1000
	if hang {
		const held = 1_500_000 // µs
		s0 := c.us(50)
		h0 := c.us(20)
		h1 := s0 + held*10 + 40 // released held after the call, the handler returns 4 µs later
		s1 := h1 + 90
		c.q = s1
		e.Ops = append(e.Ops,
			Operation{Kind: OpSend, PID: sender, TID: stid, Start: s0, End: s1, Message: fakeHungMsg},
			Operation{Kind: OpHandle, PID: recv, TID: rtid, Start: h0, End: h1, Message: fakeHungMsg})
		w.Sent++
		w.Messages = append(w.Messages, MessageCount{Message: fakeHungMsg, Name: "WM_USER+2", Count: 1})
		w.Hang = &HungSend{Message: fakeHungMsg, HeldUS: float64(h1-h0) / 10, LatencyUS: float64(s1-s0) / 10}
		e.Options.HangUS = held
	}
	w.Handler = Summarize(e.Clock, hand)
	e.Windows = []Window{w}
	e.Latency = Summarize(e.Clock, lat)
	return e
}

// fakeMailslot builds a mailslot expectation: reader 4000 (thread 4100)
// reads count messages of size bytes from each of writers 5001…, then
// waits 1.2 s in a last Read that times out.
func fakeMailslot(writers, count, size int) *Expectation {
	const reader, rtid = 4000, 4100
	e := &Expectation{
		Version: FormatVersion, Kind: KindMailslot, ID: "ipctrace-probe-4000-0123456789ab",
		Options: Options{Count: count, Size: size, Writers: writers},
		Started: "2026-01-01T00:00:00.0000000Z", Finished: "2026-01-01T00:00:02.0000000Z",
		Clock:     Clock{Frequency: fakeFreq, BaseQPC: 1_000_000, BaseFileTime: 134114976000000000},
		Processes: []Process{{PID: reader, Role: "reader", TIDs: []uint32{rtid}, Image: "ipctrace.exe"}},
	}
	x := Mailslot{Name: `\\.\mailslot\ipctrace-probe-4000-0123456789ab`, ReaderPID: reader, ReaderTID: rtid}
	c := &fakeClock{q: 2_000_000}
	e.Ops = append(e.Ops, Operation{Kind: OpCreate, PID: reader, TID: rtid, Start: c.us(10), End: c.us(20)})
	for k := 1; k <= writers; k++ {
		pid, tid := uint32(5000+k), uint32(6000+k)
		e.Processes = append(e.Processes, Process{PID: pid, Role: "writer", Client: k, TIDs: []uint32{tid}, Image: "ipctrace.exe"})
		x.Writers = append(x.Writers, MailslotWriter{PID: pid, Writer: k, Messages: int64(count), Bytes: int64(count * size)})
		e.Ops = append(e.Ops, Operation{Kind: OpConnect, PID: pid, TID: tid, Start: c.us(200), End: c.us(30)})
	}
	var lat []int64
	for seq := 0; seq < count; seq++ {
		for k := 1; k <= writers; k++ {
			pid, tid := uint32(5000+k), uint32(6000+k)
			r0 := c.us(5) // the reader waits first
			w0 := c.us(10)
			w1 := c.us(4)
			r1 := c.us(3)
			e.Ops = append(e.Ops,
				Operation{Kind: OpWrite, PID: pid, TID: tid, Size: int64(size), Bytes: int64(size), Start: w0, End: w1, Seq: seq},
				Operation{Kind: OpRead, PID: reader, TID: rtid, Size: int64(size + 64), Bytes: int64(size), Start: r0, End: r1, Seq: seq})
			lat = append(lat, r1-w0)
		}
	}
	x.Messages, x.Bytes = int64(writers*count), int64(writers*count*size)
	x.Reads, x.ReadBytes = x.Messages, x.Bytes
	const idle = 1_200_000 // µs
	i0 := c.us(20)
	e.Ops = append(e.Ops, Operation{Kind: OpRead, PID: reader, TID: rtid, Size: int64(size + 64), Start: i0, End: i0 + idle*10, Status: 121})
	x.IdleUS = idle
	e.Mailslots = []Mailslot{x}
	e.Latency = Summarize(e.Clock, lat)
	return e
}
