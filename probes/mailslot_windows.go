//go:build windows

package probes

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// Mailslot procedures of kernel32, which golang.org/x/sys/windows does not
// wrap.
var (
	procCreateMailslotW = modkernel32.NewProc("CreateMailslotW")
	procSetMailslotInfo = modkernel32.NewProc("SetMailslotInfo")
)

// mailslotWaitForever is MAILSLOT_WAIT_FOREVER.
const mailslotWaitForever = 0xFFFFFFFF

// mailslotIdle is how long the reader's last Read waits, with every
// message read, before it times out: longer than the default --stuck-after
// (1 s), so that a trace that ends during it shows an idle reader (I3).
const mailslotIdle = 1500 * time.Millisecond

// errSemTimeout is ERROR_SEM_TIMEOUT, a mailslot Read that timed out.
const errSemTimeout = windows.Errno(121)

// runMailslot is `probe mailslot`: this process (the reader) creates
// \\.\mailslot\<id> and reads; Writers child processes each open it and
// write Count messages of Size bytes. Each message carries the writer's
// number, its sequence number and the QPC at which its write started (as
// far as they fit in 4+4+8 bytes). When every message is read, the reader
// makes one more Read, which waits mailslotIdle for mail that never comes.
func runMailslot(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e := newExpectation(verify.KindMailslot, o)
	e.Clock = newClock()
	pid := uint32(os.Getpid())
	tid := windows.GetCurrentThreadId()
	name := ntdefs.Win32MailRoot + o.id
	wname, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	t0 := qpc()
	r, _, err := procCreateMailslotW.Call(uintptr(unsafe.Pointer(wname)), 0, mailslotWaitForever, 0)
	t1 := qpc()
	h := windows.Handle(r)
	if h == windows.InvalidHandle {
		return nil, fmt.Errorf("CreateMailslot %s: %w", name, err)
	}
	defer windows.CloseHandle(h)
	e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpCreate, PID: pid, TID: tid, Start: t0, End: t1})
	o.logf("mailslot %s: %d writer(s), %d message(s) of %d bytes each", name, o.Writers, o.Count, o.Size)

	resc := make(chan childResult, 1)
	go func() {
		reps, err := startChildren(ctx, o.Writers, func(i int) childArgs {
			return childArgs{Role: "mailslot-writer", Name: name, Client: i + 1, Count: o.Count, Size: o.Size,
				TimeoutMS: o.Timeout.Milliseconds()}
		})
		resc <- childResult{reps, err}
	}()
	// A writer that fails, or the time limit, would leave the reader
	// blocked in ReadFile: a message of its own then wakes it.
	var aborted atomic.Bool
	var writersDone childResult
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case writersDone = <-resc:
			if writersDone.err == nil {
				return
			}
		case <-ctx.Done():
			writersDone.err = ctx.Err()
		}
		aborted.Store(true)
		if w, err := windows.CreateFile(wname, windows.GENERIC_WRITE, windows.FILE_SHARE_READ, nil, windows.OPEN_EXISTING, 0, 0); err == nil {
			var n uint32
			windows.WriteFile(w, []byte{0xFF}, &n, nil)
			windows.CloseHandle(w)
		}
	}()
	fail := func(err error) (*verify.Expectation, error) {
		<-finished
		if writersDone.err != nil {
			return nil, writersDone.err
		}
		return nil, err
	}

	want := o.Writers * o.Count
	buf := make([]byte, o.Size+64)
	next := make([]int, o.Writers+1) // next sequence number per writer
	var lat []int64
	var reads, readBytes int64
	for got := 0; got < want; got++ {
		var n uint32
		r0 := qpc()
		err := windows.ReadFile(h, buf, &n, nil)
		r1 := qpc()
		if aborted.Load() {
			return fail(errors.New("the mailslot probe was stopped"))
		}
		if err != nil {
			return fail(fmt.Errorf("ReadFile %s (message %d): %w", name, got+1, err))
		}
		if int(n) != o.Size {
			return fail(fmt.Errorf("mailslot message %d: %d bytes, every writer writes %d", got+1, n, o.Size))
		}
		seq := got
		if n >= 8 {
			k, s := int(binary.LittleEndian.Uint32(buf)), int(binary.LittleEndian.Uint32(buf[4:]))
			if k < 1 || k > o.Writers || s != next[k] {
				return fail(fmt.Errorf("mailslot message %d: writer %d message %d, out of order", got+1, k, s))
			}
			next[k]++
			seq = s
		}
		if n >= 16 {
			lat = append(lat, r1-int64(binary.LittleEndian.Uint64(buf[8:])))
		}
		e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpRead, PID: pid, TID: tid, Size: int64(len(buf)), Bytes: int64(n),
			Start: r0, End: r1, Seq: seq})
		reads++
		readBytes += int64(n)
	}
	<-finished
	if writersDone.err != nil {
		return nil, writersDone.err
	}
	// The last Read: nothing is left to read and no writer owes the reader
	// anything: it waits until the read timeout.
	procSetMailslotInfo.Call(uintptr(h), uintptr(mailslotIdle.Milliseconds()))
	var n uint32
	i0 := qpc()
	err = windows.ReadFile(h, buf, &n, nil)
	i1 := qpc()
	if !errors.Is(err, errSemTimeout) {
		return nil, fmt.Errorf("the reader's last Read: %d bytes, %v; want a time-out (ERROR_SEM_TIMEOUT)", n, err)
	}
	e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpRead, PID: pid, TID: tid, Size: int64(len(buf)), Start: i0, End: i1,
		Seq: want, Status: errno(err)})
	e.Finished = nowString()

	x := verify.Mailslot{Name: name, ReaderPID: pid, ReaderTID: tid, Reads: reads, ReadBytes: readBytes,
		IdleUS: float64(e.Clock.Ticks(i1-i0)) / 10}
	e.Processes = []verify.Process{{PID: pid, Role: "reader", TIDs: []uint32{tid}, Image: exeName()}}
	for i, rep := range writersDone.reps {
		w := verify.MailslotWriter{PID: rep.PID, Writer: i + 1}
		for _, op := range rep.Ops {
			if op.Kind == verify.OpWrite && op.Status == 0 {
				w.Messages++
				w.Bytes += op.Bytes
			}
		}
		x.Writers = append(x.Writers, w)
		x.Messages += w.Messages
		x.Bytes += w.Bytes
		e.Processes = append(e.Processes, verify.Process{PID: rep.PID, Role: "writer", Client: i + 1, TIDs: rep.TIDs, Image: exeName()})
		e.Ops = append(e.Ops, rep.Ops...)
	}
	if x.Messages != reads || x.Bytes != readBytes {
		return nil, fmt.Errorf("the writers wrote %d messages (%d bytes), the reader read %d (%d bytes)", x.Messages, x.Bytes, reads, readBytes)
	}
	e.Mailslots = []verify.Mailslot{x}
	e.Latency = verify.Summarize(e.Clock, lat)
	return e, nil
}

// mailslotWriter is the child side of `probe mailslot`: one writer.
func mailslotWriter(a childArgs) childReport {
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
	// Mailslot clients open with FILE_SHARE_READ: the reader holds the
	// read end.
	t0 := qpc()
	h, err := windows.CreateFile(wname, windows.GENERIC_WRITE, windows.FILE_SHARE_READ, nil, windows.OPEN_EXISTING, 0, 0)
	t1 := qpc()
	rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpConnect, PID: rep.PID, TID: tid, Start: t0, End: t1, Status: errno(err)})
	if err != nil {
		rep.Error = fmt.Sprintf("CreateFile %s: %v", a.Name, err)
		return rep
	}
	defer windows.CloseHandle(h)
	msg := make([]byte, a.Size)
	for seq := 0; seq < a.Count; seq++ {
		fillMessage(msg, a.Client, seq)
		w0 := qpc()
		if len(msg) >= 16 {
			binary.LittleEndian.PutUint64(msg[8:], uint64(w0))
		}
		var n uint32
		err := windows.WriteFile(h, msg, &n, nil)
		w1 := qpc()
		rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpWrite, PID: rep.PID, TID: tid, Size: int64(len(msg)), Bytes: int64(n),
			Start: w0, End: w1, Seq: seq, Status: errno(err)})
		if err != nil {
			rep.Error = fmt.Sprintf("WriteFile %s message %d: %v", a.Name, seq, err)
			return rep
		}
	}
	return rep
}
