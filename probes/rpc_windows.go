//go:build windows

package probes

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

var (
	modrpcrt4                        = windows.NewLazySystemDLL("rpcrt4.dll")
	procRpcStringBindingComposeW     = modrpcrt4.NewProc("RpcStringBindingComposeW")
	procRpcBindingFromStringBindingW = modrpcrt4.NewProc("RpcBindingFromStringBindingW")
	procRpcStringFreeW               = modrpcrt4.NewProc("RpcStringFreeW")
	procRpcBindingFree               = modrpcrt4.NewProc("RpcBindingFree")
	procRpcMgmtIsServerListening     = modrpcrt4.NewProc("RpcMgmtIsServerListening")
	procRpcMgmtSetComTimeout         = modrpcrt4.NewProc("RpcMgmtSetComTimeout")
)

// mgmtInterface is the RPC management interface that RpcMgmtIsServerListening
// calls (is_server_listening, procedure 2). Believed, not observed.
const mgmtInterface = "afa8bd80-7d8a-11c9-bef4-08002b102989"

// rpcSkipReason returns why the RPC probe cannot run here, or "".
func rpcSkipReason() string {
	if v := WineVersion(); v != "" {
		return fmt.Sprintf("Wine %s has no ALPC: ncalrpc is not carried by ALPC ports there", v)
	}
	return ""
}

// runRPC is `probe rpc`: Count RpcMgmtIsServerListening calls over
// ncalrpc (ALPC) to Target (default the endpoint mapper), timed.
func runRPC(ctx context.Context, o RunOptions) (*verify.Expectation, error) {
	e := newExpectation(verify.KindRPC, o)
	e.Clock = newClock()
	if r := rpcSkipReason(); r != "" {
		e.Skipped = r
		e.Finished = nowString()
		return e, fmt.Errorf("%w: %s", ErrSkipped, r)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid := uint32(os.Getpid())
	tid := windows.GetCurrentThreadId()

	protseq, _ := windows.UTF16PtrFromString("ncalrpc")
	ep, err := windows.UTF16PtrFromString(o.Target)
	if err != nil {
		return nil, err
	}
	var sb *uint16
	if st, _, _ := procRpcStringBindingComposeW.Call(0, uintptr(unsafe.Pointer(protseq)), 0,
		uintptr(unsafe.Pointer(ep)), 0, uintptr(unsafe.Pointer(&sb))); st != 0 {
		return nil, fmt.Errorf("RpcStringBindingCompose: %w", windows.Errno(st))
	}
	var binding uintptr
	st, _, _ := procRpcBindingFromStringBindingW.Call(uintptr(unsafe.Pointer(sb)), uintptr(unsafe.Pointer(&binding)))
	procRpcStringFreeW.Call(uintptr(unsafe.Pointer(&sb)))
	if st != 0 {
		return nil, fmt.Errorf("RpcBindingFromStringBinding ncalrpc:[%s]: %w", o.Target, windows.Errno(st))
	}
	defer procRpcBindingFree.Call(uintptr(unsafe.Pointer(&binding)))
	procRpcMgmtSetComTimeout.Call(binding, 5) // RPC_C_BINDING_DEFAULT_TIMEOUT
	o.logf("rpc ncalrpc:[%s]: %d RpcMgmtIsServerListening call(s)", o.Target, o.Count)

	r := verify.RPC{Protocol: "ncalrpc", Endpoint: o.Target, Interface: mgmtInterface,
		Procedure: "RpcMgmtIsServerListening (management interface procedure 2)", ClientPID: pid}
	var rtts []int64
	for seq := 0; seq < o.Count; seq++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t0 := qpc()
		st, _, _ := procRpcMgmtIsServerListening.Call(binding)
		t1 := qpc()
		e.Ops = append(e.Ops, verify.Operation{Kind: verify.OpCall, PID: pid, TID: tid, Start: t0, End: t1, Seq: seq, Status: uint32(st)})
		r.Calls++
		// RPC_S_OK: listening; RPC_S_NOT_LISTENING (1715) is still a completed call.
		if st != 0 && st != 1715 {
			r.Failed++
		}
		rtts = append(rtts, t1-t0)
	}
	e.Finished = nowString()
	e.RPC = []verify.RPC{r}
	e.Processes = []verify.Process{{PID: pid, Role: "caller", TIDs: []uint32{tid}, Image: exeName()}}
	e.Latency = verify.Summarize(e.Clock, rtts)
	return e, nil
}
