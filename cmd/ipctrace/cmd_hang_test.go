package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/hang"
	"github.com/ipctrace/ipctrace/model"
)

func resetHangFlags() { hangOpts = hangFlags{output: "table"} }

func TestHangRequiresWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("this checks the non-Windows behaviour")
	}
	for _, args := range [][]string{{"hang", "1234"}, {"hang", "svc.exe", "-o", "json"}, {"hang", "--all", "--fail-on-cycle"}} {
		resetHangFlags()
		code, stderr := captureRun(t, args...)
		if code != 1 || !strings.Contains(stderr, "hang requires Windows") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and \"hang requires Windows\"", args, code, stderr)
		}
	}
}

func TestHangUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hang"}, "accepts 1 arg"},
		{[]string{"hang", "1", "2"}, "accepts 1 arg"},
		{[]string{"hang", "--all", "7"}, "unknown command"},
		{[]string{"hang", "-o", "xml", "7"}, `-o "xml": want table or json`},
	} {
		resetHangFlags()
		code, stderr := captureRun(t, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", c.args, code, stderr, c.want)
		}
	}
	resetHangFlags()
}

// deadlockResult is a process-level cycle: an ALPC wait WCT read and a
// pipe wait inferred from the client end the other process holds.
func deadlockResult() *hang.Result {
	th := func(pid, tid uint32) hang.Node {
		return hang.Node{Type: hang.TypeThread, Status: hang.StatusBlocked, PID: pid, TID: tid}
	}
	return hang.Analyze(&hang.Snapshot{Time: 134_000_000_000_000_000,
		Processes: []hang.Process{{PID: 700, Image: "svc.exe", Target: true}, {PID: 1200, Image: "client.exe", Target: true}},
		Threads: []hang.Thread{
			{PID: 1200, TID: 2804, State: hang.StateWaiting, WaitReason: hang.WaitUserRequest, Chain: []hang.Node{th(1200, 2804)}},
			{PID: 700, TID: 708, State: hang.StateWaiting, WaitReason: hang.WaitWrLpcReply,
				Chain: []hang.Node{th(700, 708), {Type: hang.TypeALPC, Status: hang.StatusPIDOnly}, th(1200, 0)}},
		},
		Pipes:    []hang.PipeEnd{{PID: 1200, Name: "X", State: hang.PipeStateConnected, ServerPID: 700, BytesWaiting: 0}},
		Warnings: []string{"SeDebugPrivilege not enabled"},
	})
}

func exitOf(err error) int { return statsExit(err) }

func TestRenderHang(t *testing.T) {
	r := deadlockResult()
	var out, errb bytes.Buffer
	if err := renderHang(&out, &errb, r, &hangFlags{output: "json"}); err != nil {
		t.Fatal(err)
	}
	var m model.Model
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Stuck) != 2 || len(m.Deadlocks) != 1 || m.Deadlocks[0].Level != "process" || !m.Deadlocks[0].Probable {
		t.Errorf("json model: %+v", m)
	}
	if !strings.Contains(errb.String(), "warning: SeDebugPrivilege not enabled") {
		t.Errorf("stderr %q", errb.String())
	}

	out.Reset()
	err := renderHang(&out, &errb, r, &hangFlags{output: "table", failOnCycle: true})
	if exitOf(err) != 3 {
		t.Errorf("--fail-on-cycle with a cycle: exit %d, want 3", exitOf(err))
	}
	for _, want := range []string{"Live wait chains of 2 process(es) at 2025-08-18T14:13:20Z", "Stuck operations (2)", "Deadlocks (1)", `\\.\pipe\X`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}

	// Without the pipe join there is no cycle: exit 0 even with the flag.
	r2 := deadlockResult()
	r2.Cycles = nil
	if err := renderHang(&out, &errb, r2, &hangFlags{output: "table", failOnCycle: true}); err != nil {
		t.Errorf("no cycle: %v", err)
	}
	out.Reset()
	if err := renderHang(&out, &errb, &hang.Result{Time: 134_000_000_000_000_000}, &hangFlags{output: "table", failOnCycle: true}); err != nil || !strings.Contains(out.String(), "No stuck waits") {
		t.Errorf("empty result: %v\n%s", err, out.String())
	}
}
