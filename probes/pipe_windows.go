//go:build windows

package probes

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// Pipe creation flags not named in golang.org/x/sys/windows.
const (
	fileFlagFirstPipeInstance = 0x00080000
	pipeAccessDuplex          = 0x00000003
	pipeTypeByte              = 0x00000000
	pipeTypeMessage           = 0x00000004
	pipeReadModeMessage       = 0x00000002
	pipeWait                  = 0x00000000
)

// pipeInstance is the server side of one pipe instance.
type pipeInstance struct {
	h         windows.Handle
	tid       uint32
	clientPID uint32 // GetNamedPipeClientProcessId, 0 when unavailable
	client    int    // client number read from the first request, 0 if unknown
	connected bool
	ops       []verify.Operation
	err       error
}

// runPipe is `probe pipe`: one server (this process) with Clients pipe
// instances, and Clients child processes, each doing Count request/response
// exchanges of Size bytes.
func runPipe(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	e := newExpectation(verify.KindPipe, o)
	e.Clock = newClock()
	pid := uint32(os.Getpid())
	name := verify.PipePath(o.id)
	wname, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	mode := uint32(pipeTypeByte | pipeWait)
	if o.Mode == "message" {
		mode = pipeTypeMessage | pipeReadModeMessage | pipeWait
	}

	// Every instance exists before the first client starts, so no client
	// sees ERROR_PIPE_BUSY.
	insts := make([]*pipeInstance, o.Clients)
	for i := range insts {
		flags := uint32(pipeAccessDuplex)
		if i == 0 {
			flags |= fileFlagFirstPipeInstance
		}
		h, err := windows.CreateNamedPipe(wname, flags, mode, uint32(o.Clients),
			uint32(o.Size), uint32(o.Size), 0, nil)
		if err != nil {
			for _, in := range insts[:i] {
				windows.CloseHandle(in.h)
			}
			return nil, fmt.Errorf("CreateNamedPipe %s: %w", name, err)
		}
		insts[i] = &pipeInstance{h: h}
	}
	o.logf("pipe %s: %d instance(s), %s mode, %d exchange(s) of %d bytes per client", name, o.Clients, o.Mode, o.Count, o.Size)

	var wg sync.WaitGroup
	for i, in := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.serve(i, o)
		}()
	}

	args := childArgs{Role: "pipe-client", Name: name, Count: o.Count, Size: o.Size,
		Mode: o.Mode, Transact: o.Transact, TimeoutMS: o.Timeout.Milliseconds()}
	reports, cerr := startChildren(ctx, o.Clients, func(i int) childArgs {
		a := args
		a.Client = i + 1
		return a
	})

	// Unblock instances still waiting in ConnectNamedPipe because a client
	// failed: connect to them and hang up.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		for range insts {
			if h, err := windows.CreateFile(wname, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil,
				windows.OPEN_EXISTING, 0, 0); err == nil {
				windows.CloseHandle(h)
			}
		}
		<-done
	}
	e.Finished = nowString()
	if cerr != nil {
		return nil, cerr
	}

	// Assemble the expectation: clients by number, server instances
	// matched to clients by the number in the first request (or the
	// client PID the pipe reports).
	e.Processes = append(e.Processes, verify.Process{PID: pid, Role: "server", Image: exeName()})
	var rtts []int64
	for i, r := range reports {
		n := i + 1
		e.Processes = append(e.Processes, verify.Process{PID: r.PID, Role: "client", Client: n, TIDs: r.TIDs, Image: exeName()})
		e.Pipes = append(e.Pipes, verify.Pipe{Name: name, Mode: o.Mode, Client: n, ServerPID: pid, ClientPID: r.PID})
		for _, op := range r.Ops {
			op.Conv = i
			e.Ops = append(e.Ops, op)
		}
		rtts = append(rtts, r.RTT...)
	}
	used := make([]bool, len(insts))
	for k, in := range insts {
		if in.err != nil {
			return nil, fmt.Errorf("pipe server instance %d: %w", k+1, in.err)
		}
		conv := -1
		for i, r := range reports {
			if (in.client == i+1) || (in.client == 0 && in.clientPID != 0 && in.clientPID == r.PID) {
				conv = i
			}
		}
		if conv < 0 || used[conv] {
			return nil, fmt.Errorf("pipe server instance %d: cannot tell which client it served (client %d, pid %d)", k+1, in.client, in.clientPID)
		}
		used[conv] = true
		for _, op := range in.ops {
			op.Conv = conv
			op.PID = pid
			e.Ops = append(e.Ops, op)
		}
		addTID(&e.Processes[0], in.tid)
	}
	for i := range e.Pipes {
		p := &e.Pipes[i]
		for _, op := range e.Ops {
			if op.Conv != i || op.Status != 0 {
				continue
			}
			switch {
			case op.PID == p.ClientPID && (op.Kind == verify.OpWrite || op.Kind == verify.OpTransact):
				p.ToServer.Ops++
				p.ToServer.Bytes += op.Size
			case op.PID == pid && op.Kind == verify.OpWrite:
				p.ToClient.Ops++
				p.ToClient.Bytes += op.Bytes
			}
		}
	}
	e.Latency = verify.Summarize(e.Clock, rtts)
	return e, nil
}

// serve runs one server instance on its own OS thread: wait for a client,
// answer each request with a response of the same size (echoing the
// request header), then wait for the client to hang up.
func (in *pipeInstance) serve(index int, o RunOptions) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer windows.CloseHandle(in.h)
	in.tid = windows.GetCurrentThreadId()
	pid := uint32(os.Getpid())

	err := windows.ConnectNamedPipe(in.h, nil)
	if err != nil && !errors.Is(err, windows.ERROR_PIPE_CONNECTED) {
		in.err = fmt.Errorf("ConnectNamedPipe: %w", err)
		return
	}
	in.connected = true
	in.clientPID = namedPipeClientPID(in.h)

	buf := make([]byte, o.Size)
	for seq := 0; ; seq++ {
		// Read one request of Size bytes (several reads in byte mode).
		got := 0
		for got < o.Size {
			var n uint32
			t0 := qpc()
			err := windows.ReadFile(in.h, buf[got:], &n, nil)
			t1 := qpc()
			op := verify.Operation{Kind: verify.OpRead, PID: pid, TID: in.tid, Dir: verify.ToServer, Size: int64(len(buf) - got),
				Bytes: int64(n), Start: t0, End: t1, Seq: seq, Status: errno(err)}
			if err != nil && (errors.Is(err, windows.ERROR_BROKEN_PIPE) || errors.Is(err, windows.ERROR_PIPE_NOT_CONNECTED)) {
				// The client hung up: the end of the conversation.
				in.ops = append(in.ops, op)
				if seq < o.Count {
					in.err = fmt.Errorf("client hung up after %d of %d exchanges", seq, o.Count)
				}
				windows.DisconnectNamedPipe(in.h)
				return
			}
			in.ops = append(in.ops, op)
			if err != nil {
				in.err = fmt.Errorf("ReadFile: %w", err)
				return
			}
			if got == 0 && n >= 4 && in.client == 0 {
				in.client = int(binary.LittleEndian.Uint32(buf))
			}
			got += int(n)
		}
		var n uint32
		t0 := qpc()
		err := windows.WriteFile(in.h, buf, &n, nil)
		t1 := qpc()
		in.ops = append(in.ops, verify.Operation{Kind: verify.OpWrite, PID: pid, TID: in.tid, Dir: verify.ToClient, Size: int64(len(buf)),
			Bytes: int64(n), Start: t0, End: t1, Seq: seq, Status: errno(err)})
		if err != nil {
			in.err = fmt.Errorf("WriteFile: %w", err)
			return
		}
	}
}

// pipeClient is the child side of `probe pipe`.
func pipeClient(a childArgs) childReport {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rep := childReport{PID: uint32(os.Getpid())}
	tid := windows.GetCurrentThreadId()
	rep.TIDs = []uint32{tid}
	wname, err := windows.UTF16PtrFromString(a.Name)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}

	deadline := time.Now().Add(time.Duration(a.TimeoutMS) * time.Millisecond)
	var h windows.Handle
	for {
		t0 := qpc()
		h, err = windows.CreateFile(wname, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil,
			windows.OPEN_EXISTING, 0, 0)
		t1 := qpc()
		rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpConnect, PID: rep.PID, TID: tid, Start: t0, End: t1, Status: errno(err)})
		if err == nil {
			break
		}
		if !errors.Is(err, windows.ERROR_PIPE_BUSY) || time.Now().After(deadline) {
			rep.Error = fmt.Sprintf("CreateFile %s: %v", a.Name, err)
			return rep
		}
		waitNamedPipe(a.Name, 1000)
	}
	defer windows.CloseHandle(h)
	if a.Mode == "message" {
		m := uint32(pipeReadModeMessage)
		if err := windows.SetNamedPipeHandleState(h, &m, nil, nil); err != nil {
			rep.Error = fmt.Sprintf("SetNamedPipeHandleState: %v", err)
			return rep
		}
	}

	req := make([]byte, a.Size)
	resp := make([]byte, a.Size)
	for seq := 0; seq < a.Count; seq++ {
		fillMessage(req, a.Client, seq)
		if a.Transact {
			t0 := qpc()
			n, err := transactNamedPipe(h, req, resp)
			t1 := qpc()
			rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpTransact, PID: rep.PID, TID: tid, Dir: verify.ToServer,
				Size: int64(len(req)), Bytes: int64(n), Start: t0, End: t1, Seq: seq, Status: errno(err)})
			if err != nil {
				rep.Error = fmt.Sprintf("TransactNamedPipe %d: %v", seq, err)
				return rep
			}
			if int(n) != a.Size || !sameHeader(req, resp) {
				rep.Error = fmt.Sprintf("exchange %d: reply of %d bytes does not echo the request", seq, n)
				return rep
			}
			rep.RTT = append(rep.RTT, t1-t0)
			continue
		}
		var n uint32
		t0 := qpc()
		err := windows.WriteFile(h, req, &n, nil)
		t1 := qpc()
		rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpWrite, PID: rep.PID, TID: tid, Dir: verify.ToServer,
			Size: int64(len(req)), Bytes: int64(n), Start: t0, End: t1, Seq: seq, Status: errno(err)})
		if err != nil {
			rep.Error = fmt.Sprintf("WriteFile %d: %v", seq, err)
			return rep
		}
		got := 0
		var end int64
		for got < a.Size {
			var n uint32
			r0 := qpc()
			err := windows.ReadFile(h, resp[got:], &n, nil)
			end = qpc()
			rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpRead, PID: rep.PID, TID: tid, Dir: verify.ToClient,
				Size: int64(len(resp) - got), Bytes: int64(n), Start: r0, End: end, Seq: seq, Status: errno(err)})
			if err != nil {
				rep.Error = fmt.Sprintf("ReadFile %d: %v", seq, err)
				return rep
			}
			got += int(n)
		}
		if !sameHeader(req, resp) {
			rep.Error = fmt.Sprintf("exchange %d: the response does not echo the request", seq)
			return rep
		}
		rep.RTT = append(rep.RTT, end-t0)
	}
	return rep
}

// fillMessage writes the client number and sequence number (little-endian
// u32 each, as far as they fit) and a pattern byte into b.
func fillMessage(b []byte, client, seq int) {
	for i := range b {
		b[i] = byte(seq + i)
	}
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(client))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(seq))
	copy(b, hdr[:])
}

func sameHeader(a, b []byte) bool {
	n := min(len(a), len(b), 8)
	return string(a[:n]) == string(b[:n])
}

func addTID(p *verify.Process, tid uint32) {
	for _, t := range p.TIDs {
		if t == tid {
			return
		}
	}
	p.TIDs = append(p.TIDs, tid)
}
