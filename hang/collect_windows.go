//go:build windows

package hang

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

var (
	modadvapi32 = windows.NewLazySystemDLL("advapi32.dll")
	modole32    = windows.NewLazySystemDLL("ole32.dll")
	modntdll    = windows.NewLazySystemDLL("ntdll.dll")

	procOpenThreadWaitChainSession   = modadvapi32.NewProc("OpenThreadWaitChainSession")
	procGetThreadWaitChain           = modadvapi32.NewProc("GetThreadWaitChain")
	procCloseThreadWaitChainSession  = modadvapi32.NewProc("CloseThreadWaitChainSession")
	procRegisterWaitChainCOMCallback = modadvapi32.NewProc("RegisterWaitChainCOMCallback")
	procAdjustTokenPrivileges        = modadvapi32.NewProc("AdjustTokenPrivileges")
	procCoGetCallState               = modole32.NewProc("CoGetCallState")
	procCoGetActivationState         = modole32.NewProc("CoGetActivationState")
	procNtQueryObject                = modntdll.NewProc("NtQueryObject")
	procNtQuerySecurityObject        = modntdll.NewProc("NtQuerySecurityObject")
)

// NTSTATUS and Win32 values the collector interprets.
const (
	statusInfoLengthMismatch = ntdefs.StatusInfoLengthMismatch
	statusBufferOverflow     = ntdefs.StatusBufferOverflow
	statusBufferTooSmall     = ntdefs.StatusBufferTooSmall
	errorNotAllAssigned      = 1300
	stillActive              = 259
	objectNameInformation    = 1
	// OWNER | GROUP | DACL | LABEL_SECURITY_INFORMATION.
	securityInfoOwnerGroupDACLLabel = 0x17
	maxProcessListBytes             = 64 << 20
	maxHandleTableBytes             = 256 << 20
)

// Options select what Collect reads.
type Options struct {
	// PIDs are the target processes; All reads every process instead.
	PIDs []uint32
	All  bool
	// NoPipes skips the handle scan for pipe ends.
	NoPipes bool
	// QueryTimeout bounds each handle query (default 200 ms): queries
	// of synchronous handles with I/O pending block until it completes.
	QueryTimeout time.Duration
	// MaxBlocked stops the handle scan after that many blocked queries
	// (default 8); each leaves one OS thread blocked until ipctrace exits.
	MaxBlocked int
	// ChainTimeout bounds each GetThreadWaitChain call (default 5 s);
	// after one overruns, WCT is not used again in this Collect.
	ChainTimeout time.Duration
}

// ListProcesses reads the system process list with its threads
// (NtQuerySystemInformation(SystemProcessInformation)).
func ListProcesses() ([]ProcInfo, error) {
	size := uint32(256 << 10)
	for {
		buf := make([]uint64, size/8)
		var ret uint32
		err := windows.NtQuerySystemInformation(SystemProcessInformation, unsafe.Pointer(&buf[0]), size, &ret)
		if err == nil {
			b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
			if ret > 0 && ret < size {
				b = b[:ret]
			}
			return ParseProcesses(b, uint64(uintptr(unsafe.Pointer(&buf[0]))), nativeLayout())
		}
		var st windows.NTStatus
		if errors.As(err, &st) && uint32(st) == statusInfoLengthMismatch && size < maxProcessListBytes {
			size = max(size*2, (ret+ret/4+7)&^7)
			continue
		}
		return nil, fmt.Errorf("NtQuerySystemInformation(SystemProcessInformation): %w", err)
	}
}

func nativeLayout() *Layout {
	if ptrSize == 8 {
		return &Layout64
	}
	return &Layout32
}

// Collect reads a snapshot of the target processes: every thread's state,
// wait reason and wait chain, and the named-pipe ends the targets hold.
// It only reads. What it could not read is in the snapshot's warnings
// and in Process.Err / Thread.ChainErr; the error is non-nil only when
// the process list itself could not be read.
func Collect(o Options) (*Snapshot, error) {
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 200 * time.Millisecond
	}
	if o.MaxBlocked <= 0 {
		o.MaxBlocked = 8
	}
	if o.ChainTimeout <= 0 {
		o.ChainTimeout = 5 * time.Second
	}
	s := &Snapshot{Time: etw.TimeToFiletime(time.Now())}
	if err := enableDebugPrivilege(); err != nil {
		s.Warnings = append(s.Warnings, "SeDebugPrivilege not enabled ("+err.Error()+
			"): processes of other users and services may be unreadable; run from an elevated prompt. What was readable is reported.")
	}
	procs, err := ListProcesses()
	if err != nil && len(procs) == 0 {
		return nil, err
	}
	if err != nil {
		s.Warnings = append(s.Warnings, "process list: "+err.Error())
	}
	self := uint32(os.Getpid())
	target := map[uint32]bool{}
	if o.All {
		for _, p := range procs {
			if p.PID != 0 && p.PID != self {
				target[p.PID] = true
			}
		}
	} else {
		for _, pid := range o.PIDs {
			target[pid] = true
		}
	}
	for _, p := range procs {
		s.Processes = append(s.Processes, Process{PID: p.PID, ParentPID: p.ParentPID, Image: p.Image, SessionID: p.SessionID, Target: target[p.PID]})
	}

	wct, werr := openWCT()
	if werr != nil {
		s.Warnings = append(s.Warnings, "wait chains not read: "+werr.Error())
	} else {
		defer func() {
			if !wct.stuck {
				wct.close()
			}
		}()
		if wct.comNote != "" {
			s.Warnings = append(s.Warnings, wct.comNote)
		}
	}
	listed := map[uint32]bool{}
	for _, p := range procs {
		listed[p.PID] = true
		if !target[p.PID] {
			continue
		}
		for _, ti := range p.Threads {
			t := Thread{PID: p.PID, TID: ti.TID, State: ti.State, WaitReason: ti.WaitReason}
			if werr != nil {
				t.ChainErr = werr.Error()
			} else {
				t.Chain, t.Cycle, t.ChainErr = wct.chainWithin(ti.TID, o.ChainTimeout)
				if wct.stuck {
					werr = fmt.Errorf("GetThreadWaitChain did not return within %v: the remaining threads were not read", o.ChainTimeout)
					s.Warnings = append(s.Warnings, werr.Error())
				}
			}
			s.Threads = append(s.Threads, t)
		}
	}
	for _, pid := range o.PIDs {
		if !listed[pid] {
			s.Warnings = append(s.Warnings, fmt.Sprintf("PID %d is not in the process list: it exited before it could be read", pid))
		}
	}
	denied := 0
	for _, t := range s.Threads {
		if t.ChainErr == windows.ERROR_ACCESS_DENIED.Error() {
			denied++
		}
	}
	if denied > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d threads: wait chain access denied (needs SeDebugPrivilege for other users' processes)", denied))
	}

	if !o.NoPipes {
		ends, notes := scanPipes(target, self, o.QueryTimeout, o.MaxBlocked, s)
		s.Pipes = ends
		s.Warnings = append(s.Warnings, notes...)
	}

	// A target that exited while it was read is reported, not an error.
	for i := range s.Processes {
		p := &s.Processes[i]
		if p.Target && !running(p.PID) {
			p.Exited = true
			s.Warnings = append(s.Warnings, fmt.Sprintf("PID %d (%s) exited while it was read: its waits may be partial", p.PID, p.Image))
		}
	}
	return s, nil
}

// enableDebugPrivilege enables SeDebugPrivilege in the process token. It
// fails when the token does not hold the privilege (not elevated).
func enableDebugPrivilege() error {
	var tok windows.Token
	if err := windows.OpenProcessToken(windows.CurrentProcess(), windows.TOKEN_ADJUST_PRIVILEGES|windows.TOKEN_QUERY, &tok); err != nil {
		return fmt.Errorf("OpenProcessToken: %w", err)
	}
	defer tok.Close()
	var luid windows.LUID
	name, _ := windows.UTF16PtrFromString("SeDebugPrivilege")
	if err := windows.LookupPrivilegeValue(nil, name, &luid); err != nil {
		return fmt.Errorf("LookupPrivilegeValue: %w", err)
	}
	tp := windows.Tokenprivileges{PrivilegeCount: 1}
	tp.Privileges[0] = windows.LUIDAndAttributes{Luid: luid, Attributes: windows.SE_PRIVILEGE_ENABLED}
	// AdjustTokenPrivileges succeeds with ERROR_NOT_ALL_ASSIGNED when the
	// token lacks the privilege, so the last error is read either way.
	r, _, e := procAdjustTokenPrivileges.Call(uintptr(tok), 0, uintptr(unsafe.Pointer(&tp)), 0, 0, 0)
	if r == 0 {
		return fmt.Errorf("AdjustTokenPrivileges: %w", e)
	}
	if errno, ok := e.(windows.Errno); ok && errno == errorNotAllAssigned {
		return errors.New("the token does not hold it")
	}
	return nil
}

func running(pid uint32) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		// Access denied means it exists; invalid parameter means gone.
		return !errors.Is(err, windows.ERROR_INVALID_PARAMETER)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if windows.GetExitCodeProcess(h, &code) != nil {
		return true
	}
	return code == stillActive
}

// wctSession is a synchronous Wait Chain Traversal session.
type wctSession struct {
	h       uintptr
	comNote string
	stuck   bool // a call did not return in time: the session is left open
}

type chainResult struct {
	nodes []Node
	cycle bool
	note  string
}

// chainWithin runs chain on a worker and waits at most d for it.
func (w *wctSession) chainWithin(tid uint32, d time.Duration) ([]Node, bool, string) {
	ch := make(chan chainResult, 1)
	go func() {
		n, c, note := w.chain(tid)
		ch <- chainResult{n, c, note}
	}()
	select {
	case r := <-ch:
		return r.nodes, r.cycle, r.note
	case <-time.After(d):
		w.stuck = true
		return nil, false, fmt.Sprintf("GetThreadWaitChain did not return within %v", d)
	}
}

var registerCOM sync.Once
var registerCOMNote string

func openWCT() (*wctSession, error) {
	if err := procOpenThreadWaitChainSession.Find(); err != nil {
		return nil, fmt.Errorf("Wait Chain Traversal is not available: %w", err)
	}
	// COM waits are only followed once ole32's two state functions are
	// registered, before the session opens (docs/events.md#wait-chains).
	registerCOM.Do(func() {
		if err := procRegisterWaitChainCOMCallback.Find(); err != nil {
			registerCOMNote = "COM waits not followed: " + err.Error()
			return
		}
		if procCoGetCallState.Find() != nil || procCoGetActivationState.Find() != nil {
			registerCOMNote = "COM waits not followed: ole32 lacks CoGetCallState/CoGetActivationState"
			return
		}
		procRegisterWaitChainCOMCallback.Call(procCoGetCallState.Addr(), procCoGetActivationState.Addr())
	})
	r, _, e := procOpenThreadWaitChainSession.Call(0, 0) // 0: synchronous, no callback
	if r == 0 {
		return nil, fmt.Errorf("OpenThreadWaitChainSession: %w", e)
	}
	return &wctSession{h: r, comNote: registerCOMNote}, nil
}

func (w *wctSession) close() { procCloseThreadWaitChainSession.Call(w.h) }

// chain returns the wait chain of one thread, whether WCT calls it a
// cycle, and why it could not be read.
func (w *wctSession) chain(tid uint32) ([]Node, bool, string) {
	var nodes [MaxNodes]waitchainNodeInfo
	count := uint32(MaxNodes)
	var cycle int32
	r, _, e := procGetThreadWaitChain.Call(w.h, 0, FlagsAll, uintptr(tid),
		uintptr(unsafe.Pointer(&count)), uintptr(unsafe.Pointer(&nodes[0])), uintptr(unsafe.Pointer(&cycle)))
	note := ""
	if r == 0 {
		if errno, ok := e.(windows.Errno); !ok || errno != windows.ERROR_MORE_DATA {
			return nil, false, e.Error()
		}
		note = fmt.Sprintf("chain has %d nodes, the first %d read", count, MaxNodes)
		count = MaxNodes
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&nodes[0])), MaxNodes*NodeSize)
	ns, err := ParseNodes(b, int(min(count, MaxNodes)))
	if err != nil {
		return nil, false, err.Error()
	}
	return ns, cycle != 0, note
}

// queryObjectName returns the name NtQueryObject(ObjectNameInformation)
// gives: a UNICODE_STRING whose buffer follows it.
func queryObjectName(h windows.Handle) (string, error) {
	size := uint32(1024)
	for tries := 0; tries < 4; tries++ {
		buf := make([]uint64, size/8)
		var ret uint32
		r, _, _ := procNtQueryObject.Call(uintptr(h), objectNameInformation, uintptr(unsafe.Pointer(&buf[0])), uintptr(size), uintptr(unsafe.Pointer(&ret)))
		switch uint32(r) {
		case 0:
			us := (*unicodeString[uintptr])(unsafe.Pointer(&buf[0]))
			if us.Length == 0 || us.Buffer == 0 {
				return "", nil
			}
			b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
			off := us.Buffer - uintptr(unsafe.Pointer(&buf[0]))
			if us.Buffer < uintptr(unsafe.Pointer(&buf[0])) || off+uintptr(us.Length) > uintptr(len(b)) {
				return "", errors.New("NtQueryObject: name outside the buffer")
			}
			return etw.DecodeUTF16(b[off : off+uintptr(us.Length)]), nil
		case statusInfoLengthMismatch, statusBufferOverflow, statusBufferTooSmall:
			if ret > size && ret < 1<<16 {
				size = (ret + 7) &^ 7
			} else {
				size *= 4
			}
		default:
			return "", windows.NTStatus(r)
		}
	}
	return "", errors.New("NtQueryObject: buffer kept growing")
}

// querySD reads the self-relative descriptor (OWNER|GROUP|DACL|LABEL).
func querySD(h windows.Handle) ([]byte, error) {
	size := uint32(512)
	for tries := 0; tries < 4; tries++ {
		buf := make([]byte, size)
		var need uint32
		r, _, _ := procNtQuerySecurityObject.Call(uintptr(h), securityInfoOwnerGroupDACLLabel,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(size), uintptr(unsafe.Pointer(&need)))
		switch uint32(r) {
		case 0:
			if need == 0 || need > size {
				need = size
			}
			return buf[:need], nil
		case statusBufferTooSmall, statusBufferOverflow:
			if need <= size || need > 1<<20 {
				return nil, fmt.Errorf("NtQuerySecurityObject: %v", windows.NTStatus(r))
			}
			size = need
		default:
			return nil, fmt.Errorf("NtQuerySecurityObject: %v", windows.NTStatus(r))
		}
	}
	return nil, errors.New("NtQuerySecurityObject: buffer kept growing")
}

// loadHandleTable reads the system handle list (class 64).
func loadHandleTable() ([]HandleEntry, error) {
	size := uint32(1 << 20)
	for {
		buf := make([]uint64, size/8)
		var ret uint32
		err := windows.NtQuerySystemInformation(SystemExtendedHandleInformation, unsafe.Pointer(&buf[0]), size, &ret)
		if err == nil {
			b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
			return ParseHandleTable(b, int(ptrSize))
		}
		var st windows.NTStatus
		if errors.As(err, &st) && uint32(st) == statusInfoLengthMismatch && size < maxHandleTableBytes {
			size = max(size*2, (ret+ret/4+7)&^7)
			continue
		}
		return nil, fmt.Errorf("NtQuerySystemInformation(SystemExtendedHandleInformation): %w", err)
	}
}

// pipeQuery is what one worker learns about one duplicated handle.
type pipeQuery struct {
	name       string
	nameErr    error
	info       PipeLocalInfo
	infoErr    error
	server     uint32
	client     uint32
	sd         []byte
	sdErr      error
	serverPErr error
}

func queryHandle(h windows.Handle) pipeQuery {
	var q pipeQuery
	nt, err := queryObjectName(h)
	if err != nil {
		q.nameErr = err
		return q
	}
	name, ok := PipeName(nt)
	if !ok {
		return q
	}
	q.name = name
	var raw [PipeLocalInfoSize / 4]uint32
	var iosb windows.IO_STATUS_BLOCK
	if err := windows.NtQueryInformationFile(h, &iosb, (*byte)(unsafe.Pointer(&raw[0])), PipeLocalInfoSize, FilePipeLocalInformation); err != nil {
		q.infoErr = err
	} else {
		q.info, q.infoErr = ParsePipeLocalInfo(unsafe.Slice((*byte)(unsafe.Pointer(&raw[0])), PipeLocalInfoSize))
	}
	q.serverPErr = windows.GetNamedPipeServerProcessId(h, &q.server)
	windows.GetNamedPipeClientProcessId(h, &q.client)
	q.sd, q.sdErr = querySD(h)
	return q
}

// fileTypeIndex finds the ObjectTypeIndex of File objects: the type of
// the handle f (this process's own, opened before the table was read).
func fileTypeIndex(table []HandleEntry, self uint32, f *os.File) (uint16, error) {
	for _, e := range table {
		if e.PID == self && e.Handle == uint64(f.Fd()) {
			return e.TypeIndex, nil
		}
	}
	return 0, errors.New("own file handle not found in the handle table")
}

// scanPipes finds the named-pipe handles of the targets, and the ends in
// other processes whose other end is a target, through duplicated
// handles only: it never opens a pipe by name, so it never connects.
func scanPipes(target map[uint32]bool, self uint32, timeout time.Duration, maxBlocked int, s *Snapshot) ([]PipeEnd, []string) {
	var notes []string
	exe, err := os.Executable()
	var f *os.File
	if err == nil {
		f, err = os.Open(exe)
	}
	if err != nil {
		return nil, []string{"pipe ends not read: cannot open a file to learn the File object type: " + err.Error()}
	}
	table, err := loadHandleTable()
	if err != nil && len(table) == 0 {
		f.Close()
		return nil, []string{"pipe ends not read: " + err.Error()}
	}
	if err != nil {
		notes = append(notes, "handle table: "+err.Error())
	}
	idx, err := fileTypeIndex(table, self, f)
	f.Close()
	if err != nil {
		return nil, []string{"pipe ends not read: the File object type could not be identified: " + err.Error()}
	}
	// Targets' handles first, so that a scan stopped early has them.
	var files []HandleEntry
	for _, e := range table {
		// ipctrace's own handles are scanned too: it may be the server
		// of a pipe a target waits on (the Wine test is).
		if e.TypeIndex == idx && e.PID != 0 {
			files = append(files, e)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return target[files[i].PID] && !target[files[j].PID] })

	procs := map[uint32]windows.Handle{}
	openErr := map[uint32]error{}
	defer func() {
		for _, h := range procs {
			windows.CloseHandle(h)
		}
	}()
	var ends []PipeEnd
	blocked := 0
	blockedIn := map[uint32]int{}
	for _, e := range files {
		if blocked >= maxBlocked {
			notes = append(notes, fmt.Sprintf("handle scan stopped after %d blocked queries (synchronous handles with I/O pending)", blocked))
			break
		}
		p, ok := procs[e.PID]
		if !ok && openErr[e.PID] == nil {
			h, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, e.PID)
			if err != nil {
				openErr[e.PID] = err
				continue
			}
			procs[e.PID], p = h, h
		} else if !ok {
			continue
		}
		var d windows.Handle
		err := windows.DuplicateHandle(p, windows.Handle(e.Handle), windows.CurrentProcess(), &d,
			windows.READ_CONTROL|windows.FILE_READ_ATTRIBUTES, false, 0)
		if err != nil {
			if err = windows.DuplicateHandle(p, windows.Handle(e.Handle), windows.CurrentProcess(), &d, 0, false, 0); err != nil {
				continue
			}
		}
		ch := make(chan pipeQuery, 1)
		go func(h windows.Handle) { ch <- queryHandle(h) }(d)
		var q pipeQuery
		select {
		case q = <-ch:
			windows.CloseHandle(d)
		case <-time.After(timeout):
			// The worker keeps d until its query returns.
			blocked++
			blockedIn[e.PID]++
			continue
		}
		if q.name == "" {
			continue
		}
		end := PipeEnd{PID: e.PID, Handle: e.Handle, Name: q.name, BytesWaiting: -1, SD: q.sd}
		if q.infoErr == nil {
			end.Server, end.State = q.info.ServerEnd, q.info.State
			end.BytesWaiting = int64(q.info.ReadDataAvailable)
			end.Instances, end.MaxInstances = q.info.CurrentInstances, q.info.MaxInstances
		} else {
			end.Err = "FilePipeLocalInformation: " + q.infoErr.Error()
		}
		end.ServerPID, end.ClientPID = q.server, q.client
		if q.sdErr != nil && end.Err == "" {
			end.Err = q.sdErr.Error()
		}
		if target[e.PID] || target[end.Peer()] {
			ends = append(ends, end)
		}
	}
	for pid, err := range openErr {
		if target[pid] {
			for i := range s.Processes {
				if s.Processes[i].PID == pid {
					s.Processes[i].Err = "handles not read: OpenProcess(PROCESS_DUP_HANDLE): " + err.Error() + " (needs SeDebugPrivilege or the same user)"
				}
			}
		}
	}
	if len(openErr) > 0 {
		notes = append(notes, fmt.Sprintf("%d processes could not be opened for handle duplication (protected, or other users' without SeDebugPrivilege)", len(openErr)))
	}
	// A target's own end may be the one that blocked (a synchronous read
	// pending on it): take it from the other end's answer.
	type endKey struct {
		pid  uint32
		name string
	}
	have := map[endKey]bool{}
	for _, e := range ends {
		have[endKey{e.PID, strings.ToLower(e.Name)}] = true
	}
	for _, e := range ends {
		peer := e.Peer()
		if target[e.PID] || !target[peer] || have[endKey{peer, strings.ToLower(e.Name)}] {
			continue
		}
		mine := PipeEnd{PID: peer, Name: e.Name, Server: !e.Server, State: e.State, ServerPID: e.ServerPID,
			ClientPID: e.ClientPID, BytesWaiting: -1, Instances: e.Instances, MaxInstances: e.MaxInstances,
			Err: fmt.Sprintf("read from the other end in PID %d", e.PID)}
		if blockedIn[peer] > 0 {
			mine.Err += fmt.Sprintf(" (%d handle queries in PID %d blocked)", blockedIn[peer], peer)
		}
		have[endKey{peer, strings.ToLower(e.Name)}] = true
		ends = append(ends, mine)
	}
	return ends, notes
}
