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
