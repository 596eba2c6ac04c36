//go:build windows

package probes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ipctrace/ipctrace/internal/winmsg"
	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// Window procedures of user32, which golang.org/x/sys/windows does not wrap.
var (
	moduser32                    = windows.NewLazySystemDLL("user32.dll")
	procRegisterClassExW         = moduser32.NewProc("RegisterClassExW")
	procUnregisterClassW         = moduser32.NewProc("UnregisterClassW")
	procCreateWindowExW          = moduser32.NewProc("CreateWindowExW")
	procDestroyWindow            = moduser32.NewProc("DestroyWindow")
	procDefWindowProcW           = moduser32.NewProc("DefWindowProcW")
	procGetMessageW              = moduser32.NewProc("GetMessageW")
	procDispatchMessageW         = moduser32.NewProc("DispatchMessageW")
	procSendMessageW             = moduser32.NewProc("SendMessageW")
	procPostMessageW             = moduser32.NewProc("PostMessageW")
	procPostQuitMessage          = moduser32.NewProc("PostQuitMessage")
	procPostThreadMessageW       = moduser32.NewProc("PostThreadMessageW")
	procFindWindowExW            = moduser32.NewProc("FindWindowExW")
	procGetWindowThreadProcessId = moduser32.NewProc("GetWindowThreadProcessId")
)

// The probe's window messages (WM_USER range, private to its window
// class).
const (
	wmUser    = 0x0400
	wmQuit    = 0x0012
	msgTimed  = wmUser + 1 // SendMessage; the handler takes Handler
	msgHung   = wmUser + 2 // SendMessage (--hang); the handler waits for the release
	msgPosted = wmUser + 3 // PostMessage
)

// hwndMessage is HWND_MESSAGE ((HWND)-3): the parent of message-only
// windows. The probe's window is one: it needs no desktop or display (Wine
// without an X display creates no top-level window), receives sent and
// posted messages like any window, and no broadcast.
const hwndMessage = ^uintptr(2)

// wndClassEx is WNDCLASSEXW.
type wndClassEx struct {
	Size       uint32
	Style      uint32
	WndProc    uintptr
	ClsExtra   int32
	WndExtra   int32
	Instance   windows.Handle
	Icon       windows.Handle
	Cursor     windows.Handle
	Background windows.Handle
	MenuName   *uint16
	ClassName  *uint16
	IconSm     windows.Handle
}

// winMsg is MSG.
type winMsg struct {
	Hwnd    uintptr
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      [2]int32
	Private uint32
}

// windowSkipReason is why `probe window` cannot run here, from the error
// of the peer that was to create the window, or "".
func windowSkipReason(err error) string {
	v := WineVersion()
	if v == "" || err == nil || !strings.Contains(err.Error(), "CreateWindowEx") {
		return ""
	}
	return fmt.Sprintf("Wine %s created no message-only window (%v)", v, err)
}

// runWindow is `probe window`: one child process (the peer) registers a
// window class named after the probe, creates a message-only window of it
// and runs a GetMessage/DispatchMessage loop; this process finds the window
// and, from one thread, SendMessages Count timed messages whose handler
// takes Handler, then posts Posted messages, and with Hang sends one more
// whose handler blocks until this process releases it HangFor after the
// call: while it lasts, the send is stuck in the window's handler.
func runWindow(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e := newExpectation(verify.KindWindow, o)
	e.Clock = newClock()
	pid := uint32(os.Getpid())
	tid := windows.GetCurrentThreadId()
	class := o.id
	evReady, evRelease := `Local\`+o.id+"-ready", `Local\`+o.id+"-release"
	ready, err := createEvent(evReady)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(ready)
	release, err := createEvent(evRelease)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(release)

	resc := make(chan childResult, 1)
	go func() {
		reps, err := startChildren(ctx, 1, func(int) childArgs {
			return childArgs{Role: "window-peer", Name: class, Events: [2]string{evReady, evRelease}, Count: o.Count,
				HandlerUS: o.Handler.Microseconds(), Posted: o.Posted, Hang: o.Hang, TimeoutMS: o.Timeout.Milliseconds()}
		})
		resc <- childResult{reps, err}
	}()
	// peer returns the peer's result once it has ended.
	var peerRes *childResult
	peer := func() childResult {
		if peerRes == nil {
			r := <-resc
			peerRes = &r
		}
		return *peerRes
	}
	// waitReady waits for the peer's signal, watching the peer: a peer that
	// ends early is an error, not a hang.
	waitReady := func(what string) error {
		deadline := time.Now().Add(o.Timeout)
		for time.Now().Before(deadline) {
			ev, err := windows.WaitForSingleObject(ready, 200)
			if err != nil {
				return err
			}
			if ev == windows.WAIT_OBJECT_0 {
				return nil
			}
			select {
			case r := <-resc:
				peerRes = &r
				if r.err != nil {
					return r.err
				}
				return fmt.Errorf("the peer ended before %s", what)
			default:
			}
		}
		return fmt.Errorf("timed out waiting for %s", what)
	}
	// fail ends the peer's loop, waits for it and returns err, or the
	// peer's own error, or why Wine cannot run the probe.
	var loopTID uintptr
	fail := func(err error) (*verify.Expectation, error) {
		windows.SetEvent(release)
		if loopTID != 0 {
			procPostThreadMessageW.Call(loopTID, wmQuit, 0, 0)
		}
		if res := peer(); res.err != nil {
			err = res.err
		}
		if r := windowSkipReason(err); r != "" {
			e.Skipped = r
			e.Finished = nowString()
			return e, fmt.Errorf("%w: %s", ErrSkipped, r)
		}
		return nil, err
	}
	if err := waitReady("the peer's window"); err != nil {
		return fail(err)
	}
	wclass, _ := windows.UTF16PtrFromString(class)
	hwnd, _, _ := procFindWindowExW.Call(hwndMessage, 0, uintptr(unsafe.Pointer(wclass)), 0)
	if hwnd == 0 {
		return fail(fmt.Errorf("the peer's window of class %s is not found", class))
	}
	var wpid uint32
	wtid, _, _ := procGetWindowThreadProcessId.Call(hwnd, uintptr(unsafe.Pointer(&wpid)))
	loopTID = wtid
	o.logf("window %#x (class %s) of pid %d thread %d: %d SendMessage call(s), handler %s; %d posted; hang %v",
		hwnd, class, wpid, wtid, o.Count, o.Handler, o.Posted, o.Hang)

	var rtts []int64
	for seq := 0; seq < o.Count; seq++ {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		t0 := qpc()
		r, _, _ := procSendMessageW.Call(hwnd, msgTimed, uintptr(seq), 0)
		t1 := qpc()
		op := verify.Operation{Kind: verify.OpSend, PID: pid, TID: tid, Start: t0, End: t1, Seq: seq, Message: msgTimed}
		if r != uintptr(seq+1) {
			// The handler answers seq+1: anything else means no handler ran.
			return fail(fmt.Errorf("SendMessage %d: the window answered %d, not %d (is the peer gone?)", seq, r, seq+1))
		}
		e.Ops = append(e.Ops, op)
		rtts = append(rtts, t1-t0)
	}
	for seq := 0; seq < o.Posted; seq++ {
		t0 := qpc()
		r, _, err := procPostMessageW.Call(hwnd, msgPosted, uintptr(seq), 0)
		t1 := qpc()
		if r == 0 {
			return fail(fmt.Errorf("PostMessage %d: %w", seq, err))
		}
		e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpPost, PID: pid, TID: tid, Start: t0, End: t1, Seq: seq, Message: msgPosted})
	}
	if o.Posted > 0 {
		// The peer signals once it has taken every posted message, so that
		// the hang starts with an empty queue.
		if err := waitReady("the peer to take the posted messages"); err != nil {
			return fail(err)
		}
	}
	var hungOp verify.Operation
	if o.Hang {
		var released atomic.Bool
		o.logf("hung send: the handler blocks until the probe releases it in %s", o.HangFor)
		t0 := qpc()
		timer := time.AfterFunc(o.HangFor, func() {
			released.Store(true)
			windows.SetEvent(release)
		})
		r, _, _ := procSendMessageW.Call(hwnd, msgHung, 0, 0)
		t1 := qpc()
		timer.Stop()
		if !released.Load() || r != 1 {
			return fail(fmt.Errorf("the hung SendMessage returned %d before the probe released it (is the peer gone?)", r))
		}
		hungOp = verify.Operation{Kind: verify.OpSend, PID: pid, TID: tid, Start: t0, End: t1, Message: msgHung}
		e.Ops = append(e.Ops, hungOp)
	}
	res := peer()
	e.Finished = nowString()
	if res.err != nil {
		return fail(res.err)
	}
	p := res.reps[0]
	if p.PID != wpid || len(p.TIDs) != 1 || uintptr(p.TIDs[0]) != wtid {
		return nil, fmt.Errorf("the window belongs to pid %d thread %d, the peer is pid %d threads %v", wpid, wtid, p.PID, p.TIDs)
	}
	e.Ops = append(e.Ops, p.Ops...)
	e.Processes = []verify.Process{
		{PID: pid, Role: "sender", TIDs: []uint32{tid}, Image: exeName()},
		{PID: p.PID, Role: "window", TIDs: p.TIDs, Image: exeName()},
	}
	w := verify.Window{Class: class, Hwnd: uint64(hwnd), SenderPID: pid, SenderTID: tid, ReceiverPID: p.PID, ReceiverTID: p.TIDs[0],
		Sent: int64(o.Count), HandlerUS: float64(o.Handler.Microseconds()), Posted: int64(o.Posted),
		Messages: []verify.MessageCount{{Message: msgTimed, Name: winmsg.MessageName(msgTimed), Count: int64(o.Count)}}}
	var handled []int64
	for _, op := range p.Ops {
		switch {
		case op.Kind == verify.OpHandle && op.Message == msgTimed:
			handled = append(handled, op.End-op.Start)
		case op.Kind == verify.OpHandle && op.Message == msgHung:
			w.Hang = &verify.HungSend{Message: msgHung, HeldUS: float64(e.Clock.Ticks(op.End-op.Start)) / 10}
		case op.Kind == verify.OpRetrieve:
			w.Retrieved++
		}
	}
	w.Handler = verify.Summarize(e.Clock, handled)
	if o.Hang {
		if w.Hang == nil {
			return nil, errors.New("the peer reports no hung handler")
		}
		w.Hang.LatencyUS = float64(e.Clock.Ticks(hungOp.End-hungOp.Start)) / 10
		w.Sent++
		w.Messages = append(w.Messages, verify.MessageCount{Message: msgHung, Name: winmsg.MessageName(msgHung), Count: 1})
	}
	if len(handled) != o.Count || w.Retrieved != int64(o.Posted) {
		return nil, fmt.Errorf("the peer handled %d of %d sent and %d of %d posted messages", len(handled), o.Count, w.Retrieved, o.Posted)
	}
	e.Windows = []verify.Window{w}
	e.Latency = verify.Summarize(e.Clock, rtts)
	return e, nil
}

// windowPeer is the child side of `probe window`: the window and its
// message loop, on one locked thread.
func windowPeer(a childArgs) childReport {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rep := childReport{PID: uint32(os.Getpid())}
	tid := windows.GetCurrentThreadId()
	rep.TIDs = []uint32{tid}
	fail := func(format string, args ...any) childReport {
		rep.Error = fmt.Sprintf(format, args...)
		return rep
	}
	ready, err := openEvent(a.Events[0])
	if err != nil {
		return fail("%v", err)
	}
	defer windows.CloseHandle(ready)
	release, err := openEvent(a.Events[1])
	if err != nil {
		return fail("%v", err)
	}
	defer windows.CloseHandle(release)

	handler := time.Duration(a.HandlerUS) * time.Microsecond
	ticks := a.HandlerUS * qpcFrequency() / 1_000_000
	var sends, posts int
	hung := false
	var problem string
	done := func() {
		if sends == a.Count && posts == a.Posted && (!a.Hang || hung) {
			procPostQuitMessage.Call(0)
		}
	}
	wndProc := windows.NewCallback(func(hwnd, msg, wp, lp uintptr) uintptr {
		switch msg {
		case msgTimed:
			t0 := qpc()
			hold(t0, ticks, handler)
			t1 := qpc()
			rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpHandle, PID: rep.PID, TID: tid, Start: t0, End: t1, Seq: int(wp), Message: msgTimed})
			sends++
			done()
			return wp + 1
		case msgHung:
			t0 := qpc()
			ev, err := windows.WaitForSingleObject(release, uint32(a.TimeoutMS))
			t1 := qpc()
			rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpHandle, PID: rep.PID, TID: tid, Start: t0, End: t1, Message: msgHung})
			if err != nil || ev != windows.WAIT_OBJECT_0 {
				problem = fmt.Sprintf("the hung handler was not released (wait %d, %v)", ev, err)
			}
			hung = true
			done()
			return 1
		case msgPosted:
			t := qpc()
			rep.Ops = append(rep.Ops, verify.Operation{Kind: verify.OpRetrieve, PID: rep.PID, TID: tid, Start: t, End: t, Seq: int(wp), Message: msgPosted})
			posts++
			if posts == a.Posted {
				windows.SetEvent(ready)
			}
			done()
			return 0
		}
		r, _, _ := procDefWindowProcW.Call(hwnd, msg, wp, lp)
		return r
	})

	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return fail("GetModuleHandleEx: %v", err)
	}
	cls, err := windows.UTF16PtrFromString(a.Name)
	if err != nil {
		return fail("%v", err)
	}
	wc := wndClassEx{WndProc: wndProc, Instance: inst, ClassName: cls}
	wc.Size = uint32(unsafe.Sizeof(wc))
	if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
		return fail("RegisterClassEx %s: %v", a.Name, err)
	}
	defer procUnregisterClassW.Call(uintptr(unsafe.Pointer(cls)), uintptr(inst))
	hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(cls)), uintptr(unsafe.Pointer(cls)), 0,
		0, 0, 0, 0, hwndMessage, 0, uintptr(inst), 0)
	if hwnd == 0 {
		return fail("CreateWindowEx (message-only window of class %s): %v", a.Name, err)
	}
	defer procDestroyWindow.Call(hwnd)
	// A probe that is gone leaves the loop waiting: end it after the
	// probe's own time limit.
	timer := time.AfterFunc(time.Duration(a.TimeoutMS)*time.Millisecond, func() {
		procPostThreadMessageW.Call(uintptr(tid), wmQuit, 0, 0)
	})
	defer timer.Stop()
	if a.Count == 0 && a.Posted == 0 && !a.Hang {
		procPostQuitMessage.Call(0)
	}
	windows.SetEvent(ready)
	var m winMsg
	for {
		r, _, err := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) == -1 {
			return fail("GetMessage: %v", err)
		}
		if r == 0 {
			break // WM_QUIT
		}
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
	switch {
	case problem != "":
		return fail("%s", problem)
	case sends != a.Count || posts != a.Posted || hung != a.Hang:
		return fail("the loop ended after %d of %d sent and %d of %d posted messages (hung %v of %v): the probe's time limit", sends, a.Count, posts, a.Posted, hung, a.Hang)
	}
	return rep
}

// hold keeps the calling thread busy for at least ticks of QPC after t0:
// a sleep for d, then a short wait until QPC says so.
func hold(t0, ticks int64, d time.Duration) {
	if d <= 0 {
		return
	}
	time.Sleep(d)
	for qpc()-t0 < ticks {
		windows.SleepEx(0, false)
	}
}
