//go:build windows

package probes

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// pageSize is the granularity of view sizes in MapFile events (x64).
const pageSize = 4096

// runSection is `probe section`: this process (the creator) makes a named
// section and two named auto-reset events; one child (the peer) maps the
// same section. Count messages of Size bytes are handed off: the creator
// writes a message and signals "ready", the peer checks it and signals
// "ack".
func runSection(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e := newExpectation(verify.KindSection, o)
	e.Clock = newClock()
	pid := uint32(os.Getpid())
	tid := windows.GetCurrentThreadId()
	base := o.id
	name := `Local\` + base
	evReady, evAck := `Local\`+base+"-ready", `Local\`+base+"-ack"

	wname, _ := windows.UTF16PtrFromString(name)
	t0 := qpc()
	hsec, err := windows.CreateFileMapping(windows.InvalidHandle, nil, windows.PAGE_READWRITE,
		uint32(uint64(o.Size)>>32), uint32(o.Size), wname)
	if err != nil {
		return nil, fmt.Errorf("CreateFileMapping %s: %w", name, err)
	}
	defer windows.CloseHandle(hsec)
	ready, err := createEvent(evReady)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(ready)
	ack, err := createEvent(evAck)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(ack)
	addr, err := windows.MapViewOfFile(hsec, windows.FILE_MAP_READ|windows.FILE_MAP_WRITE, 0, 0, uintptr(o.Size))
	t1 := qpc()
	if err != nil {
		return nil, fmt.Errorf("MapViewOfFile %s: %w", name, err)
	}
	defer windows.UnmapViewOfFile(addr)
	e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpMap, PID: pid, TID: tid, Size: int64(o.Size), Bytes: viewSize(o.Size), Start: t0, End: t1})
	view := viewBytes(addr, o.Size)
	o.logf("section %s: %d message(s) of %d bytes", name, o.Count, o.Size)

	resc := make(chan childResult, 1)
	go func() {
		reps, err := startChildren(ctx, 1, func(int) childArgs {
			return childArgs{Role: "section-peer", Name: name, Events: [2]string{evReady, evAck},
				Count: o.Count, Size: o.Size, TimeoutMS: o.Timeout.Milliseconds()}
		})
		resc <- childResult{reps, err}
	}()

	var rtts []int64
	msg := make([]byte, o.Size)
	wait := uint32(o.Timeout.Milliseconds())
	for seq := 0; seq < o.Count; seq++ {
		fillMessage(msg, 0, seq)
		w0 := qpc()
		copy(view, msg)
		w1 := qpc()
		e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpWrite, PID: pid, TID: tid, Dir: verify.ToClient, Size: int64(o.Size), Bytes: int64(o.Size), Start: w0, End: w1, Seq: seq})
		s0 := qpc()
		err := windows.SetEvent(ready)
		s1 := qpc()
		e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpSignal, PID: pid, TID: tid, Start: s0, End: s1, Seq: seq, Status: errno(err)})
		if err != nil {
			return nil, fmt.Errorf("SetEvent %s: %w", evReady, err)
		}
		if _, err := waitEither(ack, wait, resc); err != nil {
			return nil, fmt.Errorf("section message %d: %w", seq, err)
		}
		rtts = append(rtts, qpc()-w0)
	}
	res := <-resc
	e.Finished = nowString()
	if res.err != nil {
		return nil, res.err
	}
	peer := res.reps[0]
	e.Processes = []verify.Process{
		{PID: pid, Role: "creator", TIDs: []uint32{tid}, Image: exeName()},
		{PID: peer.PID, Role: "peer", TIDs: peer.TIDs, Image: exeName()},
	}
	e.Ops = append(e.Ops, peer.Ops...)
	e.Sections = []verify.Section{{Name: name, Size: int64(o.Size), ViewSize: viewSize(o.Size),
		PIDs: []uint32{pid, peer.PID}, Views: 2, Messages: int64(o.Count)}}
	e.Latency = verify.Summarize(e.Clock, rtts)
	return e, nil
}

// waitEither waits for h while watching the peer: a peer that ends early
// is an error, not a hang.
func waitEither(h windows.Handle, ms uint32, peer <-chan childResult) (uint32, error) {
	deadline := time.Now().Add(time.Duration(ms) * time.Millisecond)
	for time.Now().Before(deadline) {
		ev, err := windows.WaitForSingleObject(h, 200)
		if err != nil {
			return ev, err
		}
		if ev == windows.WAIT_OBJECT_0 {
			return ev, nil
		}
		select {
		case r := <-peer:
			if r.err != nil {
				return 0, r.err
			}
			return 0, fmt.Errorf("peer ended before acknowledging")
		default:
		}
	}
	return 0, fmt.Errorf("timed out waiting for the peer")
}

// sectionPeer is the child side of `probe section`.
func sectionPeer(a childArgs) childReport {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rep := childReport{PID: uint32(os.Getpid())}
	tid := windows.GetCurrentThreadId()
	rep.TIDs = []uint32{tid}
	fail := func(format string, args ...any) childReport {
		rep.Error = fmt.Sprintf(format, args...)
		return rep
	}

	t0 := qpc()
	hsec, err := openFileMapping(windows.FILE_MAP_READ|windows.FILE_MAP_WRITE, a.Name)
	if err != nil {
		return fail("OpenFileMapping %s: %v", a.Name, err)
	}
	defer windows.CloseHandle(hsec)
	addr, err := windows.MapViewOfFile(hsec, windows.FILE_MAP_READ|windows.FILE_MAP_WRITE, 0, 0, uintptr(a.Size))
	t1 := qpc()
	if err != nil {
		return fail("MapViewOfFile %s: %v", a.Name, err)
	}
	defer windows.UnmapViewOfFile(addr)
	rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpMap, PID: rep.PID, TID: tid, Size: int64(a.Size), Bytes: viewSize(a.Size), Start: t0, End: t1})
	view := viewBytes(addr, a.Size)
	ready, err := openEvent(a.Events[0])
	if err != nil {
		return fail("%v", err)
	}
	defer windows.CloseHandle(ready)
	ack, err := openEvent(a.Events[1])
	if err != nil {
		return fail("%v", err)
	}
	defer windows.CloseHandle(ack)

	want := make([]byte, a.Size)
	got := make([]byte, a.Size)
	for seq := 0; seq < a.Count; seq++ {
		ev, err := windows.WaitForSingleObject(ready, uint32(a.TimeoutMS))
		if err != nil || ev != windows.WAIT_OBJECT_0 {
			return fail("waiting for message %d: event %d, %v", seq, ev, err)
		}
		r0 := qpc()
		copy(got, view)
		r1 := qpc()
		rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpRead, PID: rep.PID, TID: tid, Dir: verify.ToClient, Size: int64(a.Size), Bytes: int64(a.Size), Start: r0, End: r1, Seq: seq})
		fillMessage(want, 0, seq)
		if string(got) != string(want) {
			return fail("message %d: the section does not hold what the creator wrote (seq %d)", seq, binary.LittleEndian.Uint32(got[4:min(8, len(got))]))
		}
		s0 := qpc()
		err = windows.SetEvent(ack)
		s1 := qpc()
		rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpSignal, PID: rep.PID, TID: tid, Start: s0, End: s1, Seq: seq, Status: errno(err)})
		if err != nil {
			return fail("SetEvent %s: %v", a.Events[1], err)
		}
	}
	return rep
}

// viewSize is the size of a whole-section view as MapFile reports it: the
// section size rounded up to whole pages.
func viewSize(size int) int64 {
	return int64((size + pageSize - 1) / pageSize * pageSize)
}

func createEvent(name string) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	h, err := windows.CreateEvent(nil, 0, 0, p)
	if err != nil {
		return 0, fmt.Errorf("CreateEvent %s: %w", name, err)
	}
	return h, nil
}

func openEvent(name string) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	h, err := windows.OpenEvent(windows.EVENT_MODIFY_STATE|windows.SYNCHRONIZE, false, p)
	if err != nil {
		return 0, fmt.Errorf("OpenEvent %s: %w", name, err)
	}
	return h, nil
}
