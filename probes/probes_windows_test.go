//go:build windows

package probes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// TestMain lets the test binary act as a probe peer: the probes start
// os.Executable() with childEnv set.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Exit(ChildMain())
	}
	os.Exit(m.Run())
}

// roundTrip saves e and loads it back, as `verify` would read it.
func roundTrip(t *testing.T, e *verify.Expectation) *verify.Expectation {
	t.Helper()
	p := filepath.Join(tempDir(t), "expect.json")
	if err := e.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := verify.LoadExpectation(p)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func countOps(e *verify.Expectation, pid uint32, kind string) (n, bytes int64) {
	for _, op := range e.Ops {
		if op.PID == pid && op.Kind == kind && op.Status == 0 {
			n++
			bytes += op.Bytes
		}
	}
	return n, bytes
}

func TestPipeProbe(t *testing.T) {
	cases := []struct {
		name string
		opts RunOptions
	}{
		{"byte-2-clients", RunOptions{Count: 20, Size: 3000, Mode: "byte", Clients: 2}},
		{"message-2-clients", RunOptions{Count: 15, Size: 512, Mode: "message", Clients: 2}},
		{"message-transact", RunOptions{Count: 10, Size: 100, Mode: "message", Clients: 1, Transact: true}},
		{"tiny-messages", RunOptions{Count: 5, Size: 2, Mode: "message", Clients: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := Run(context.Background(), verify.KindPipe, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			e = roundTrip(t, e)
			o := c.opts
			if len(e.Pipes) != o.Clients {
				t.Fatalf("pipes = %d, want %d", len(e.Pipes), o.Clients)
			}
			if len(e.Processes) != o.Clients+1 {
				t.Fatalf("processes = %d, want %d", len(e.Processes), o.Clients+1)
			}
			server := e.Processes[0]
			if server.Role != "server" || server.PID != uint32(os.Getpid()) || len(server.TIDs) != o.Clients {
				t.Errorf("server process = %+v, want this process with %d threads", server, o.Clients)
			}
			seen := map[uint32]bool{}
			for i, p := range e.Pipes {
				if !strings.HasPrefix(p.Name, `\\.\pipe\ipctrace-probe-`) || p.Mode != o.Mode {
					t.Errorf("pipe %d: name %q mode %q", i, p.Name, p.Mode)
				}
				if p.ClientPID == 0 || p.ClientPID == p.ServerPID || seen[p.ClientPID] {
					t.Errorf("pipe %d: client pid %d (server %d)", i, p.ClientPID, p.ServerPID)
				}
				seen[p.ClientPID] = true
				want := verify.Flow{Ops: int64(o.Count), Bytes: int64(o.Count * o.Size)}
				if p.ToServer != want || p.ToClient != want {
					t.Errorf("pipe %d: to_server %+v to_client %+v, want %+v each way", i, p.ToServer, p.ToClient, want)
				}
				sendKind := verify.OpWrite
				if o.Transact {
					sendKind = verify.OpTransact
				}
				if n, b := countOps(e, p.ClientPID, sendKind); n != int64(o.Count) {
					t.Errorf("pipe %d: client %s ops %d (%d bytes), want %d", i, sendKind, n, b, o.Count)
				}
				// The server read every byte the client sent.
				var read int64
				for _, op := range e.Ops {
					if op.Conv == i && op.PID == p.ServerPID && op.Kind == verify.OpRead && op.Status == 0 {
						read += op.Bytes
					}
					if op.Conv == i && op.End < op.Start {
						t.Errorf("op %+v ends before it starts", op)
					}
				}
				if read != int64(o.Count*o.Size) {
					t.Errorf("pipe %d: server read %d bytes, want %d", i, read, o.Count*o.Size)
				}
				if o.Mode == "message" {
					if n, _ := countOps(e, p.ServerPID, verify.OpRead); n < int64(o.Count) {
						t.Errorf("pipe %d: %d server reads", i, n)
					}
				}
			}
			if e.Latency.Count != int64(o.Count*o.Clients) {
				t.Errorf("latency samples = %d, want %d", e.Latency.Count, o.Count*o.Clients)
			}
			if e.Markers.Written != 2 && e.Markers.Error == "" {
				t.Errorf("markers = %+v: want start and stop written, or the reason", e.Markers)
			}
			if !strings.HasPrefix(e.ID, "ipctrace-probe-") || !strings.HasSuffix(e.Pipes[0].Name, e.ID) {
				t.Errorf("id %q, pipe %q", e.ID, e.Pipes[0].Name)
			}
			if e.Clock.Frequency <= 0 || e.Clock.BaseFileTime <= 0 {
				t.Errorf("clock = %+v", e.Clock)
			}
		})
	}
}

func TestPipeProbeBadOptions(t *testing.T) {
	_, err := Run(context.Background(), verify.KindPipe, RunOptions{Mode: "byte", Transact: true})
	if err == nil || !strings.Contains(err.Error(), "--transact needs --mode message") {
		t.Fatalf("err = %v", err)
	}
}

func TestSectionProbe(t *testing.T) {
	for _, size := range []int{100, 4096, 10000} {
		e, err := Run(context.Background(), verify.KindSection, RunOptions{Count: 25, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		e = roundTrip(t, e)
		if len(e.Sections) != 1 || len(e.Processes) != 2 {
			t.Fatalf("sections %d processes %d", len(e.Sections), len(e.Processes))
		}
		s := e.Sections[0]
		if !strings.HasPrefix(s.Name, `Local\ipctrace-probe-`) || s.Size != int64(size) || s.Messages != 25 || s.Views != 2 {
			t.Errorf("section = %+v", s)
		}
		if s.ViewSize%pageSize != 0 || s.ViewSize < int64(size) {
			t.Errorf("view size %d for section of %d", s.ViewSize, size)
		}
		creator, peer := e.Processes[0].PID, e.Processes[1].PID
		if creator == peer || peer == 0 {
			t.Errorf("processes %+v", e.Processes)
		}
		for _, pid := range []uint32{creator, peer} {
			if n, b := countOps(e, pid, verify.OpMap); n != 1 || b != s.ViewSize {
				t.Errorf("pid %d: %d map ops of %d bytes", pid, n, b)
			}
			if n, _ := countOps(e, pid, verify.OpSignal); n != 25 {
				t.Errorf("pid %d: %d signals, want 25", pid, n)
			}
		}
		if n, b := countOps(e, creator, verify.OpWrite); n != 25 || b != int64(25*size) {
			t.Errorf("creator wrote %d messages, %d bytes", n, b)
		}
		if n, b := countOps(e, peer, verify.OpRead); n != 25 || b != int64(25*size) {
			t.Errorf("peer read %d messages, %d bytes", n, b)
		}
		if e.Latency.Count != 25 {
			t.Errorf("latency samples %d", e.Latency.Count)
		}
	}
}

func TestRPCProbe(t *testing.T) {
	e, err := Run(context.Background(), verify.KindRPC, RunOptions{Count: 10})
	if v := WineVersion(); v != "" {
		if !errors.Is(err, ErrSkipped) || e == nil || !strings.Contains(e.Skipped, "ALPC") {
			t.Fatalf("under Wine: err %v, expectation %+v", err, e)
		}
		t.Skip(e.Skipped)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(e.RPC) != 1 || e.RPC[0].Calls != 10 || e.Latency.Count != 10 {
		t.Fatalf("rpc %+v latency %+v", e.RPC, e.Latency)
	}
}

func TestConnectProbe(t *testing.T) {
	name := verify.PipePath(verify.UniqueName(os.Getpid()))
	wname, _ := windows.UTF16PtrFromString(name)
	// A pipe with one instance, not yet listening-connected.
	h, err := windows.CreateNamedPipe(wname, pipeAccessDuplex, pipeTypeByte, 1, 512, 512, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(h)
	go windows.ConnectNamedPipe(h, nil)

	e, err := Run(context.Background(), verify.KindConnect, RunOptions{Target: name})
	if err != nil {
		t.Fatal(err)
	}
	c := e.Connect
	if c == nil || !c.OK || !strings.Contains(c.Note, "client") {
		t.Fatalf("connect = %+v", c)
	}
	if c.ServerPID != uint32(os.Getpid()) {
		t.Errorf("server pid %d, want %d", c.ServerPID, os.Getpid())
	}
	if c.LatencyUS < 0 || len(e.Ops) != 1 || e.Ops[0].Kind != verify.OpConnect {
		t.Errorf("latency %v ops %+v", c.LatencyUS, e.Ops)
	}
	if len(c.SD) > 0 && len(c.Explanation) == 0 {
		t.Errorf("descriptor of %d bytes not explained: %+v", len(c.SD), c)
	}
	t.Logf("connect: %.1f µs, server %d, SDDL %q, %v %s", c.LatencyUS, c.ServerPID, c.SDDL, c.Explanation, c.SDError)

	// The only instance is now taken: a second connect is busy.
	e2, err := Run(context.Background(), verify.KindConnect, RunOptions{Target: name})
	if err != nil {
		t.Fatal(err)
	}
	if e2.Connect.OK || !strings.HasPrefix(e2.Connect.Reason, "busy") {
		t.Errorf("second connect = %+v, want busy", e2.Connect)
	}
	// A name nobody serves is absent.
	e3, err := Run(context.Background(), verify.KindConnect, RunOptions{Target: verify.UniqueName(os.Getpid())})
	if err != nil {
		t.Fatal(err)
	}
	if e3.Connect.OK || !strings.HasPrefix(e3.Connect.Reason, "absent") {
		t.Errorf("absent pipe = %+v", e3.Connect)
	}
}

// TestProbeThroughVerify runs real probes, writes the trace a correct
// recorder would have written for them (verify.SynthTrace) and checks that verify
// finds exactly the probe's traffic in it. Latency is compared loosely:
// the synthetic kernel completions follow the builder's model, not this
// machine.
func TestProbeThroughVerify(t *testing.T) {
	cases := []struct {
		kind string
		opts RunOptions
		o    verify.SynthOptions
	}{
		{kind: verify.KindPipe, opts: RunOptions{Count: 10, Size: 700, Mode: "byte", Clients: 2}},
		{kind: verify.KindPipe, opts: RunOptions{Count: 10, Size: 300, Mode: "message", Clients: 2}},
		{kind: verify.KindPipe, opts: RunOptions{Count: 10, Size: 64, Mode: "message", Transact: true}},
		{kind: verify.KindSection, opts: RunOptions{Count: 10, Size: 5000}},
		{kind: verify.KindWindow, opts: RunOptions{Count: 10, Handler: 2 * time.Millisecond, Posted: 5}},
		{kind: verify.KindWindow, opts: RunOptions{Count: 5, Handler: time.Millisecond, Posted: 3, Hang: true, HangFor: 1200 * time.Millisecond}},
		{kind: verify.KindWindow, opts: RunOptions{Count: 5, Handler: time.Millisecond, Hang: true, HangFor: 1200 * time.Millisecond},
			o: verify.SynthOptions{EndDuringWait: true}},
		{kind: verify.KindMailslot, opts: RunOptions{Count: 10, Size: 200, Writers: 2}},
		{kind: verify.KindMailslot, opts: RunOptions{Count: 10, Size: 20, Writers: 3}, o: verify.SynthOptions{EndDuringWait: true}},
	}
	for _, c := range cases {
		e, err := Run(context.Background(), c.kind, c.opts)
		if errors.Is(err, ErrSkipped) {
			t.Logf("%s %+v: %s", c.kind, c.opts, e.Skipped)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dir := tempDir(t)
		etl := filepath.Join(dir, "probe.etl")
		f, err := os.Create(etl)
		if err != nil {
			t.Fatal(err)
		}
		c.o.Seed = 7
		if err := verify.SynthTrace(f, e, c.o); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r, err := verify.VerifyFile(etl, e, verify.Tolerance{Abs: time.Second, Rel: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() {
			var sb strings.Builder
			r.WriteText(&sb)
			t.Errorf("%s %+v:\n%s", c.kind, c.opts, sb.String())
		}
		for _, x := range r.Rules {
			if (c.kind == verify.KindWindow || c.kind == verify.KindMailslot) && x.Verdict != verify.Held {
				t.Errorf("%s %+v: rule %s %s (%s)", c.kind, c.opts, x.ID, x.Verdict, x.Detail)
			}
		}
	}
}
