//go:build windows

package hang

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

const childEnv = "IPCTRACE_HANG_TEST_CHILD_PIPE"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(childBlockedRead(name))
	}
	os.Exit(m.Run())
}

// childBlockedRead opens the client end of a pipe synchronously and
// blocks reading it: the server never writes.
func childBlockedRead(name string) int {
	p, _ := windows.UTF16PtrFromString(`\\.\pipe\` + name)
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		return 2
	}
	var buf [16]byte
	var n uint32
	windows.ReadFile(h, buf[:], &n, nil)
	return 0
}

// TestCollectChildBlockedOnPipe: a child process blocked in a synchronous
// ReadFile on a pipe this process serves. What Wine carries is checked;
// what it lacks is skipped with Wine's answer.
func TestCollectChildBlockedOnPipe(t *testing.T) {
	name := fmt.Sprintf("ipctrace-hang-test-%d", os.Getpid())
	pn, _ := windows.UTF16PtrFromString(`\\.\pipe\` + name)
	srv, err := windows.CreateNamedPipe(pn, windows.PIPE_ACCESS_DUPLEX|windows.FILE_FLAG_OVERLAPPED,
		windows.PIPE_TYPE_BYTE|windows.PIPE_WAIT, 1, 4096, 4096, 0, nil)
	if err != nil {
		t.Fatal("CreateNamedPipe:", err)
	}
	defer windows.CloseHandle(srv)
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(ev)
	ov := windows.Overlapped{HEvent: ev}
	if err := windows.ConnectNamedPipe(srv, &ov); err != nil && err != windows.ERROR_IO_PENDING && err != windows.ERROR_PIPE_CONNECTED {
		t.Fatal("ConnectNamedPipe:", err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if r, _ := windows.WaitForSingleObject(ev, 10000); r != windows.WAIT_OBJECT_0 {
		t.Fatal("the child did not connect within 10 s")
	}
	time.Sleep(500 * time.Millisecond) // into its ReadFile
	child := uint32(cmd.Process.Pid)

	s, err := Collect(Options{PIDs: []uint32{child}})
	if err != nil {
		t.Fatal("Collect:", err)
	}
	for _, w := range s.Warnings {
		t.Log("warning:", w)
	}
	var threads []Thread
	for _, th := range s.Threads {
		if th.PID != child {
			t.Errorf("thread %d of PID %d: not a target", th.TID, th.PID)
		}
		threads = append(threads, th)
	}
	found := false
	for _, p := range s.Processes {
		if p.PID == child {
			found = p.Target && strings.HasSuffix(strings.ToLower(p.Image), ".exe")
		}
	}
	if !found || len(threads) == 0 {
		t.Fatalf("child PID %d: in process list %v, %d threads", child, found, len(threads))
	}
	waiting := 0
	chains := 0
	for _, th := range threads {
		t.Logf("tid %d: %s/%s, %d nodes, chain error %q", th.TID, th.State, th.WaitReason, len(th.Chain), th.ChainErr)
		if th.State == StateWaiting && joinReasons[th.WaitReason] {
			waiting++
		}
		if th.ChainErr == "" {
			chains++
			if len(th.Chain) == 0 || !th.Chain[0].IsThread() || th.Chain[0].TID != th.TID {
				t.Errorf("tid %d: chain does not start at the thread: %+v", th.TID, th.Chain)
			}
		}
	}

	var end *PipeEnd
	for i := range s.Pipes {
		t.Logf("pipe end: %+v", s.Pipes[i])
		if s.Pipes[i].PID == child && strings.EqualFold(s.Pipes[i].Name, name) {
			end = &s.Pipes[i]
		}
	}
	if end == nil {
		t.Skipf("no pipe end of the child read (Wine: handle table or object names not carried?); warnings %q", s.Warnings)
	}
	if end.Server || end.ServerPID != uint32(os.Getpid()) {
		t.Errorf("child end: server %v, server PID %d, want client end served by %d", end.Server, end.ServerPID, os.Getpid())
	}
	r := Analyze(s)
	for _, w := range r.Waits {
		t.Logf("wait: %+v", w)
	}
	if chains == 0 {
		t.Logf("no wait chain read: %s", threads[0].ChainErr)
	}
	if waiting == 0 {
		t.Skip("no child thread reported Waiting with a joinable wait reason: the thread states Wine reports do not allow the pipe join")
	}
	joined := false
	for _, w := range r.Waits {
		if w.PID == child && w.Mechanism == MechPipe && w.PeerPID == uint32(os.Getpid()) && w.Inferred {
			joined = true
		}
	}
	if !joined {
		t.Errorf("no inferred pipe wait of the child on PID %d: %+v", os.Getpid(), r.Waits)
	}
}

// A target gone before it is read is a warning, not an error.
func TestCollectGoneProcess(t *testing.T) {
	const gone uint32 = 0xFFFFFFF0
	s, err := Collect(Options{PIDs: []uint32{gone}, NoPipes: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range s.Warnings {
		found = found || strings.Contains(w, fmt.Sprintf("PID %d is not in the process list", gone))
	}
	if !found || len(s.Threads) != 0 {
		t.Errorf("warnings %q, %d threads", s.Warnings, len(s.Threads))
	}
}
