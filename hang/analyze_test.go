package hang

import (
	"strings"
	"testing"
)

// Chains are built as GetThreadWaitChain returns them: thread node, the
// object it waits on, the owner's thread node, and so on.

func th(pid, tid uint32, st ObjectStatus) Node {
	return Node{Type: TypeThread, Status: st, PID: pid, TID: tid}
}

func obj(t ObjectType, st ObjectStatus, name string) Node {
	return Node{Type: t, Status: st, Name: name}
}

func waiting(pid, tid uint32, r WaitReason, chain ...Node) Thread {
	return Thread{PID: pid, TID: tid, State: StateWaiting, WaitReason: r, Chain: chain}
}

func procs() []Process {
	return []Process{
		{PID: 100, Image: "a.exe", Target: true},
		{PID: 200, Image: "b.exe", Target: true},
		{PID: 700, Image: "svc.exe", Target: true},
		{PID: 1200, Image: "client.exe", Target: true},
	}
}

type waitWant struct {
	pid, tid         uint32
	mech             string
	peerPID, peerTID uint32
	peerWaits        bool
	inferred         bool
}

func checkWaits(t *testing.T, r *Result, want []waitWant) {
	t.Helper()
	if len(r.Waits) != len(want) {
		t.Fatalf("%d waits, want %d: %+v", len(r.Waits), len(want), r.Waits)
	}
	for i, w := range want {
		g := r.Waits[i]
		got := waitWant{g.PID, g.TID, g.Mechanism, g.PeerPID, g.PeerTID, g.PeerWaits, g.Inferred}
		if got != w {
			t.Errorf("wait %d = %+v, want %+v", i, got, w)
		}
		if g.Inferred != (g.Rule == RulePipeJoin) || g.Evidence == "" {
			t.Errorf("wait %d: rule %q inferred %v evidence %q", i, g.Rule, g.Inferred, g.Evidence)
		}
	}
}

type cycleWant struct {
	level    string
	probable bool
	fromWCT  bool
	inferred bool
	waiters  []tkey
}

func checkCycles(t *testing.T, r *Result, want []cycleWant) {
	t.Helper()
	if len(r.Cycles) != len(want) {
		t.Fatalf("%d cycles, want %d: %+v", len(r.Cycles), len(want), r.Cycles)
	}
	for i, w := range want {
		c := r.Cycles[i]
		var ks []tkey
		for _, x := range c.Waits {
			ks = append(ks, tkey{x.PID, x.TID})
		}
		if c.Level != w.level || c.Probable != w.probable || c.FromWCT != w.fromWCT || c.Inferred != w.inferred ||
			len(ks) != len(w.waiters) || c.Summary == "" {
			t.Errorf("cycle %d = %+v, want %+v", i, c, w)
			continue
		}
		for j := range ks {
			if ks[j] != w.waiters[j] {
				t.Errorf("cycle %d waiter %d = %v, want %v", i, j, ks[j], w.waiters[j])
			}
		}
	}
}

func TestMutexOwnedByRunningThread(t *testing.T) {
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		waiting(1200, 2804, WaitUserRequest, th(1200, 2804, StatusBlocked), obj(TypeMutex, StatusOwned, `\BaseNamedObjects\M`), th(1200, 2808, StatusRunning)),
		{PID: 1200, TID: 2808, State: StateRunning, Chain: []Node{th(1200, 2808, StatusRunning)}},
	}})
	checkWaits(t, r, []waitWant{{1200, 2804, MechMutex, 1200, 2808, false, false}})
	if o := r.Waits[0].Object; o != `mutex \BaseNamedObjects\M (PID 1200 tid 2808)` {
		t.Errorf("object %q", o)
	}
	checkCycles(t, r, nil)
}

func TestWCTCycleInOneProcess(t *testing.T) {
	// Both threads' chains show the same cycle; it is reported once.
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		{PID: 100, TID: 2, State: StateWaiting, Cycle: true, Chain: []Node{th(100, 2, StatusBlocked),
			obj(TypeMutex, StatusOwned, ""), th(100, 1, StatusBlocked), obj(TypeCriticalSection, StatusOwned, ""), th(100, 2, StatusBlocked)}},
		{PID: 100, TID: 1, State: StateWaiting, Cycle: true, Chain: []Node{th(100, 1, StatusBlocked),
			obj(TypeCriticalSection, StatusOwned, ""), th(100, 2, StatusBlocked), obj(TypeMutex, StatusOwned, ""), th(100, 1, StatusBlocked)}},
	}})
	checkWaits(t, r, []waitWant{
		{100, 1, MechCriticalSection, 100, 2, true, false},
		{100, 2, MechMutex, 100, 1, true, false},
	})
	checkCycles(t, r, []cycleWant{{LevelThread, false, true, false, []tkey{{100, 1}, {100, 2}}}})
	if !strings.HasPrefix(r.Cycles[0].Summary, "deadlock (WCT reports a cycle)") {
		t.Errorf("summary %q", r.Cycles[0].Summary)
	}
}

func TestThreadCycleAcrossProcessesFromTwoChains(t *testing.T) {
	// Neither chain says IsCycle; together they close.
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		waiting(200, 5, WaitWrLpcReply, th(200, 5, StatusBlocked), obj(TypeALPC, StatusBlocked, ""), th(100, 1, StatusBlocked)),
		waiting(100, 1, WaitWrUserRequest, th(100, 1, StatusBlocked), obj(TypeSendMessage, StatusBlocked, ""), th(200, 5, StatusBlocked)),
	}})
	checkWaits(t, r, []waitWant{
		{100, 1, MechSendMessage, 200, 5, true, false},
		{200, 5, MechALPC, 100, 1, true, false},
	})
	checkCycles(t, r, []cycleWant{{LevelThread, false, false, false, []tkey{{100, 1}, {200, 5}}}})
}

func TestProcessLevelCycle(t *testing.T) {
	// ALPC and COM waits whose server thread WCT could not name.
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		waiting(200, 7, WaitWrLpcReply, th(200, 7, StatusBlocked), obj(TypeCOM, StatusPIDOnly, ""), th(100, 0, StatusPIDOnly)),
		waiting(100, 1, WaitWrLpcReply, th(100, 1, StatusBlocked), obj(TypeALPC, StatusPIDOnly, ""), th(200, 0, StatusPIDOnly)),
	}})
	checkWaits(t, r, []waitWant{
		{100, 1, MechALPC, 200, 0, false, false},
		{200, 7, MechCOM, 100, 0, false, false},
	})
	checkCycles(t, r, []cycleWant{{LevelProcess, true, false, false, []tkey{{100, 1}, {200, 7}}}})
	if !strings.HasPrefix(r.Cycles[0].Summary, "probable deadlock between processes") {
		t.Errorf("summary %q", r.Cycles[0].Summary)
	}
}

func TestProcessEdgesWithoutOpenEdgeAreNoCycle(t *testing.T) {
	// 100→200 and 200→100, but each receiving thread waits on a lock
	// held by a running thread: the chains lead elsewhere.
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		waiting(100, 1, WaitWrLpcReply, th(100, 1, StatusBlocked), obj(TypeALPC, StatusBlocked, ""), th(200, 5, StatusBlocked),
			obj(TypeMutex, StatusOwned, ""), th(200, 6, StatusRunning)),
		waiting(200, 9, WaitWrLpcReply, th(200, 9, StatusBlocked), obj(TypeCOM, StatusBlocked, ""), th(100, 2, StatusBlocked),
			obj(TypeCriticalSection, StatusOwned, ""), th(100, 3, StatusRunning)),
	}})
	checkWaits(t, r, []waitWant{
		{100, 1, MechALPC, 200, 5, true, false},
		{100, 2, MechCriticalSection, 100, 3, false, false},
		{200, 5, MechMutex, 200, 6, false, false},
		{200, 9, MechCOM, 100, 2, true, false},
	})
	checkCycles(t, r, nil)
}

func TestWCTCycleThatDoesNotClose(t *testing.T) {
	r := Analyze(&Snapshot{Processes: procs(), Threads: []Thread{
		{PID: 100, TID: 1, State: StateWaiting, Cycle: true, Chain: []Node{th(100, 1, StatusBlocked),
			obj(TypeMutex, StatusOwned, "M"), th(100, 2, StatusBlocked), obj(TypeCriticalSection, StatusOwned, "")}},
	}})
	checkWaits(t, r, []waitWant{
		{100, 1, MechMutex, 100, 2, true, false},
		{100, 2, MechCriticalSection, 0, 0, false, false},
	})
	checkCycles(t, r, []cycleWant{{LevelThread, false, true, false, []tkey{{100, 1}, {100, 2}}}})
}

func TestPipeJoinMakesProcessCycle(t *testing.T) {
	s := &Snapshot{Processes: procs(),
		Threads: []Thread{
			waiting(1200, 2804, WaitUserRequest, th(1200, 2804, StatusBlocked)),
			waiting(700, 704, WaitWrQueue, th(700, 704, StatusBlocked)), // idle IOCP worker: never joined
			waiting(700, 708, WaitWrLpcReply, th(700, 708, StatusBlocked), obj(TypeALPC, StatusPIDOnly, ""), th(1200, 0, StatusPIDOnly)),
		},
		Pipes: []PipeEnd{
			{PID: 1200, Name: "X", State: PipeStateConnected, ServerPID: 700, ClientPID: 1200, BytesWaiting: 0},
			{PID: 700, Name: "X", Server: true, State: PipeStateConnected, ServerPID: 700, ClientPID: 1200, BytesWaiting: 0},
		}}
	r := Analyze(s)
	checkWaits(t, r, []waitWant{
		{700, 708, MechALPC, 1200, 0, false, false},
		{1200, 2804, MechPipe, 700, 0, false, true},
	})
	want := `tid 2804 waits (UserRequest) and the process holds the client end of \\.\pipe\X whose server is PID 700 (svc.exe), 0 bytes waiting`
	if ev := r.Waits[1].Evidence; ev != want {
		t.Errorf("evidence\n %q\nwant\n %q", ev, want)
	}
	if o := r.Waits[1].Object; o != `\\.\pipe\X` {
		t.Errorf("object %q", o)
	}
	checkCycles(t, r, []cycleWant{{LevelProcess, true, false, true, []tkey{{700, 708}, {1200, 2804}}}})
}

func TestPipeJoinRules(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{Processes: procs(), Threads: []Thread{waiting(1200, 2804, WaitExecutive, th(1200, 2804, StatusBlocked))},
			Pipes: []PipeEnd{{PID: 1200, Name: "X", State: PipeStateConnected, ServerPID: 700, BytesWaiting: -1}}}
	}
	if r := Analyze(base()); len(r.Waits) != 1 || !strings.HasSuffix(r.Waits[0].Evidence, "bytes waiting not read") {
		t.Fatalf("base case: %+v", r.Waits)
	}
	for _, c := range []struct {
		name string
		mod  func(s *Snapshot)
	}{
		{"server end", func(s *Snapshot) { s.Pipes[0].Server = true; s.Pipes[0].ClientPID = 700 }},
		{"listening", func(s *Snapshot) { s.Pipes[0].State = PipeStateListening }},
		{"disconnected", func(s *Snapshot) { s.Pipes[0].State = PipeStateDisconnected }},
		{"reply waiting", func(s *Snapshot) { s.Pipes[0].BytesWaiting = 12 }},
		{"own server", func(s *Snapshot) { s.Pipes[0].ServerPID = 1200 }},
		{"server unknown", func(s *Snapshot) { s.Pipes[0].ServerPID = 0 }},
		{"sleeping", func(s *Snapshot) { s.Threads[0].WaitReason = WaitDelayExecution }},
		{"iocp worker", func(s *Snapshot) { s.Threads[0].WaitReason = WaitWrQueue }},
		{"running", func(s *Snapshot) { s.Threads[0].State = StateRunning }},
		{"other process", func(s *Snapshot) { s.Pipes[0].PID = 100 }},
		{"WCT knows the wait", func(s *Snapshot) {
			s.Threads[0].Chain = append(s.Threads[0].Chain, obj(TypeMutex, StatusOwned, ""), th(1200, 3000, StatusRunning))
		}},
	} {
		s := base()
		c.mod(s)
		r := Analyze(s)
		for _, w := range r.Waits {
			if w.Mechanism == MechPipe {
				t.Errorf("%s: joined: %+v", c.name, w)
			}
		}
	}
	// Several candidate threads and ends: each thread joins once and says so.
	s := base()
	s.Threads = append(s.Threads, waiting(1200, 2900, WaitUserRequest))
	s.Pipes = append(s.Pipes, PipeEnd{PID: 1200, Name: "Y", State: PipeStateUnknown, ServerPID: 200, BytesWaiting: 0})
	r := Analyze(s)
	if len(r.Waits) != 2 {
		t.Fatalf("%d waits, want 2", len(r.Waits))
	}
	for _, w := range r.Waits {
		if !strings.Contains(w.Evidence, "1 other client ends held") || !strings.Contains(w.Evidence, "2 threads of the process wait like this") {
			t.Errorf("evidence %q", w.Evidence)
		}
	}
}

func TestAnalyzeBounded(t *testing.T) {
	// A dense process graph without a cycle back to the lowest PID of a
	// path must not take exponential time: every process waits on every
	// higher one.
	var s Snapshot
	for p := uint32(1); p <= 40; p++ {
		for q := p + 1; q <= 40; q++ {
			tid := p*1000 + q
			s.Threads = append(s.Threads, waiting(p, tid, WaitWrLpcReply, th(p, tid, StatusBlocked), obj(TypeALPC, StatusPIDOnly, ""), th(q, 0, StatusPIDOnly)))
		}
	}
	r := Analyze(&s)
	if len(r.Cycles) != 0 {
		t.Errorf("%d cycles in an acyclic graph", len(r.Cycles))
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "stopped after") {
		t.Errorf("warnings %q", r.Warnings)
	}
	// A ring of 40 processes: a cycle longer than the search depth is
	// said to be out of reach, not silently dropped.
	s = Snapshot{}
	for p := uint32(1); p <= 40; p++ {
		s.Threads = append(s.Threads, waiting(p, p*10, WaitWrLpcReply, th(p, p*10, StatusBlocked), obj(TypeALPC, StatusPIDOnly, ""), th(p%40+1, 0, StatusPIDOnly)))
	}
	r = Analyze(&s)
	if len(r.Cycles) != 0 || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "longer than 32 processes") {
		t.Errorf("ring of 40: %d cycles, warnings %q", len(r.Cycles), r.Warnings)
	}
	// A ring of 5 is found.
	s.Threads = s.Threads[:5]
	s.Threads[4].Chain[2].PID = 1
	if r = Analyze(&s); len(r.Cycles) != 1 || len(r.Cycles[0].Waits) != 5 || r.Cycles[0].Level != LevelProcess {
		t.Errorf("ring of 5: %+v", r.Cycles)
	}
}
