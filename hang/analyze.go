package hang

import (
	"fmt"
	"sort"
	"strings"
)

// Mechanism names: what a wait waits on. The WCT ones follow
// WCT_OBJECT_TYPE (docs/events.md#wait-chains); MechPipe comes from a pipe join.
const (
	MechCriticalSection = "critical-section"
	MechSendMessage     = "send-message"
	MechMutex           = "mutex"
	MechALPC            = "alpc"
	MechCOM             = "com"
	MechCOMActivation   = "com-activation"
	MechThread          = "thread"
	MechProcess         = "process"
	MechSocket          = "socket"
	MechSMB             = "smb"
	MechUnknown         = "unknown"
	MechPipe            = "pipe"
)

// Rules: how a wait was learned.
const (
	// RuleWCT: read from Windows, an edge of a chain GetThreadWaitChain
	// returned.
	RuleWCT = "wct"
	// RulePipeJoin: inferred, a thread in a wait (thread state and wait
	// reason from SystemProcessInformation) whose process holds the
	// connected client end of a pipe served by another process.
	RulePipeJoin = "pipe-join"
)

// Cycle levels (the same as the report model's).
const (
	LevelThread  = "thread"
	LevelProcess = "process"
)

// Snapshot is what Collect read from Windows at one instant, in plain
// types: tests build it by hand.
type Snapshot struct {
	Time      int64 // FILETIME of the snapshot
	Processes []Process
	Threads   []Thread  // threads of the target processes
	Pipes     []PipeEnd // pipe ends the target processes hold
	Warnings  []string  // what could not be read, and why
}

// Process is one process of the system process list.
type Process struct {
	PID, ParentPID uint32
	Image          string
	SessionID      uint32
	// Target is true for the processes whose threads were read.
	Target bool
	// Exited is true when the process went away while it was read.
	Exited bool
	// Err says what of it could not be read (access denied, …).
	Err string
}

// Thread is one thread of a target: its scheduler state and the wait chain
// WCT returned for it (the first node is the thread itself).
type Thread struct {
	PID, TID   uint32
	State      ThreadState
	WaitReason WaitReason
	Chain      []Node
	// Cycle is GetThreadWaitChain's IsCycle: the chain is a deadlock.
	Cycle bool
	// ChainErr says why there is no chain (WCT missing, access denied,
	// thread exited, call timed out) or what it lacks (nodes beyond 16).
	ChainErr string
}

// PipeState is FILE_PIPE_LOCAL_INFORMATION.NamedPipeState.
type PipeState uint32

// NamedPipeState values; 0 means not read.
const (
	PipeStateUnknown      PipeState = 0
	PipeStateDisconnected PipeState = 1
	PipeStateListening    PipeState = 2
	PipeStateConnected    PipeState = 3
	PipeStateClosing      PipeState = 4
)

func (s PipeState) String() string {
	switch s {
	case PipeStateDisconnected:
		return "disconnected"
	case PipeStateListening:
		return "listening"
	case PipeStateConnected:
		return "connected"
	case PipeStateClosing:
		return "closing"
	}
	return "unknown"
}

// PipeEnd is one named-pipe handle a target process holds.
type PipeEnd struct {
	PID    uint32 // the process holding the handle
	Handle uint64 // its handle value in that process
	Name   string // the pipe name relative to \Device\NamedPipe\ ("X" for \\.\pipe\X)
	Server bool   // the handle is the server end
	State  PipeState
	// ServerPID and ClientPID are GetNamedPipeServerProcessId and
	// GetNamedPipeClientProcessId on the duplicated handle (0: not read).
	ServerPID, ClientPID uint32
	// BytesWaiting is ReadDataAvailable for this end; -1 when not read.
	BytesWaiting int64
	// Instances and MaxInstances are the pipe's current and maximum
	// instance counts (0 when not read).
	Instances, MaxInstances uint32
	// SD is the pipe's self-relative security descriptor, nil if unread.
	SD  []byte
	Err string
}

// Peer returns the PID of the other end: the server for a client end and
// the client for a server end (0 when unknown).
func (p *PipeEnd) Peer() uint32 {
	if p.Server {
		return p.ClientPID
	}
	return p.ServerPID
}

// Wait is one thread waiting on something another thread or process owes:
// one edge of the wait-for graph.
type Wait struct {
	PID, TID  uint32
	Mechanism string // Mech*
	Object    string // what is waited on, for people
	// Status is the WCT status of the object node ("Owned", "PidOnly", …);
	// "" for inferred waits.
	Status string
	// PeerPID/PeerTID own or serve the object (PeerTID 0: only the
	// process is known). PeerWaits is true when the peer thread is itself
	// seen waiting (it has a Wait).
	PeerPID, PeerTID uint32
	PeerWaits        bool
	// WaitTime is the WCT WaitTime of the waiting thread node, as read
	// (wct.h gives no unit).
	WaitTime uint32
	Inferred bool
	Rule     string // RuleWCT or RulePipeJoin
	Evidence string
}

// Cycle is a deadlock: each wait's peer is the next wait's waiter, the
// last one's the first's.
type Cycle struct {
	Level string // LevelThread or LevelProcess
	// Probable is true for process-level cycles: some edge ends at a
	// process whose receiving thread is not seen waiting.
	Probable bool
	Waits    []Wait // starts at the lowest PID
	// FromWCT is true when GetThreadWaitChain said IsCycle for one of
	// the threads.
	FromWCT  bool
	Inferred bool // some edge is inferred
	Summary  string
}

// Result is the analysis of a Snapshot.
type Result struct {
	Time      int64
	Processes []Process
	Waits     []Wait
	Cycles    []Cycle
	Pipes     []PipeEnd
	Warnings  []string
}

// Limits that keep the analysis bounded on any input.
const (
	maxCycles     = 64
	maxCycleDepth = 32
	maxWalkSteps  = 1 << 16 // edges the process-level search may follow
)

// joinReasons are the wait reasons of a thread blocked in a synchronous
// ReadFile or in WaitForSingleObject on its completion: the waits a pipe
// join may explain. WrQueue (I/O completion port workers), DelayExecution
// (Sleep) and Suspended are never joined.
var joinReasons = map[WaitReason]bool{
	WaitExecutive: true, WaitUserRequest: true, WaitWrExecutive: true, WaitWrUserRequest: true,
}

type tkey struct{ pid, tid uint32 }

// Analyze turns a snapshot into stuck waits and deadlocks.
func Analyze(s *Snapshot) *Result {
	r := &Result{Time: s.Time, Processes: s.Processes, Pipes: s.Pipes, Warnings: append([]string(nil), s.Warnings...)}
	names := map[uint32]string{}
	for _, p := range s.Processes {
		names[p.PID] = p.Image
	}
	proc := func(pid uint32) string {
		if n := names[pid]; n != "" {
			return fmt.Sprintf("PID %d (%s)", pid, n)
		}
		return fmt.Sprintf("PID %d", pid)
	}

	// 1. Every edge of every WCT chain, once per waiting thread.
	index := map[tkey]int{} // waiter → index in r.Waits
	wctCycle := map[tkey]bool{}
	for _, t := range s.Threads {
		edges := chainWaits(&t)
		for _, w := range edges {
			k := tkey{w.PID, w.TID}
			if _, ok := index[k]; ok {
				continue
			}
			index[k] = len(r.Waits)
			r.Waits = append(r.Waits, w)
		}
		if t.Cycle {
			for _, w := range edges {
				wctCycle[tkey{w.PID, w.TID}] = true
			}
			wctCycle[tkey{t.PID, t.TID}] = true
		}
	}

	// 2. Pipe joins for threads WCT found no object for.
	ends := map[uint32][]*PipeEnd{}
	for i := range s.Pipes {
		p := &s.Pipes[i]
		if p.Server || p.ServerPID == 0 || p.ServerPID == p.PID {
			continue
		}
		if p.State != PipeStateConnected && p.State != PipeStateUnknown {
			continue
		}
		if p.BytesWaiting > 0 {
			continue // a reply is there to read: not waiting on the server
		}
		ends[p.PID] = append(ends[p.PID], p)
	}
	joinable := map[uint32]int{}
	for _, t := range s.Threads {
		if t.State == StateWaiting && joinReasons[t.WaitReason] && len(ends[t.PID]) > 0 {
			if _, ok := index[tkey{t.PID, t.TID}]; !ok {
				joinable[t.PID]++
			}
		}
	}
	for _, t := range s.Threads {
		k := tkey{t.PID, t.TID}
		if _, ok := index[k]; ok || t.State != StateWaiting || !joinReasons[t.WaitReason] || len(ends[t.PID]) == 0 {
			continue
		}
		p := ends[t.PID][0]
		bytes := "bytes waiting not read"
		if p.BytesWaiting == 0 {
			bytes = "0 bytes waiting"
		}
		ev := fmt.Sprintf("tid %d waits (%s) and the process holds the client end of \\\\.\\pipe\\%s whose server is %s, %s",
			t.TID, t.WaitReason, p.Name, proc(p.ServerPID), bytes)
		if n := len(ends[t.PID]); n > 1 {
			ev += fmt.Sprintf("; %d other client ends held", n-1)
		}
		if n := joinable[t.PID]; n > 1 {
			ev += fmt.Sprintf("; %d threads of the process wait like this, not all need be on the pipe", n)
		}
		index[k] = len(r.Waits)
		r.Waits = append(r.Waits, Wait{PID: t.PID, TID: t.TID, Mechanism: MechPipe, Object: `\\.\pipe\` + p.Name,
			PeerPID: p.ServerPID, Inferred: true, Rule: RulePipeJoin, Evidence: ev})
	}

	for i := range r.Waits {
		w := &r.Waits[i]
		if w.PeerTID != 0 {
			_, w.PeerWaits = index[tkey{w.PeerPID, w.PeerTID}]
		}
	}
	sort.SliceStable(r.Waits, func(i, j int) bool {
		a, b := &r.Waits[i], &r.Waits[j]
		if a.PID != b.PID {
			return a.PID < b.PID
		}
		return a.TID < b.TID
	})
	index = map[tkey]int{}
	for i, w := range r.Waits {
		index[tkey{w.PID, w.TID}] = i
	}

	// 3. Thread-level cycles: follow peer threads that themselves wait.
	inCycle := map[tkey]bool{}
	seen := map[tkey]bool{}
	for i := range r.Waits {
		start := tkey{r.Waits[i].PID, r.Waits[i].TID}
		if seen[start] {
			continue
		}
		var path []tkey
		onPath := map[tkey]int{}
		k := start
		for {
			if j, ok := onPath[k]; ok {
				r.addCycle(path[j:], index, wctCycle, LevelThread, proc)
				for _, c := range path[j:] {
					inCycle[c] = true
				}
				break
			}
			if seen[k] {
				break
			}
			seen[k] = true
			onPath[k] = len(path)
			path = append(path, k)
			w := &r.Waits[index[k]]
			if w.PeerTID == 0 || !w.PeerWaits {
				break
			}
			k = tkey{w.PeerPID, w.PeerTID}
		}
	}
	// WCT said cycle but the chains do not close (nodes missing): report
	// the chain as WCT gave it.
	for _, t := range s.Threads {
		if !t.Cycle || inCycle[tkey{t.PID, t.TID}] {
			continue
		}
		var ks []tkey
		for _, w := range chainWaits(&t) {
			ks = append(ks, tkey{w.PID, w.TID})
		}
		if len(ks) == 0 {
			continue
		}
		r.addCycle(ks, index, wctCycle, LevelThread, proc)
		for _, c := range ks {
			inCycle[c] = true
		}
	}

	// 4. Process-level cycles: edges between processes, at least one of
	// which ends at a process whose receiving thread is not seen waiting.
	r.processCycles(index, inCycle, proc)
	return r
}

// chainWaits returns the edges of one thread's chain: each thread node
// followed by an object node waits on that object, owned by the thread
// node after it when there is one.
func chainWaits(t *Thread) []Wait {
	var out []Wait
	c := t.Chain
	for i := 0; i+1 < len(c); i++ {
		if !c[i].IsThread() || c[i+1].IsThread() {
			continue
		}
		w := Wait{PID: c[i].PID, TID: c[i].TID, Mechanism: c[i+1].Type.Mechanism(), Status: c[i+1].Status.String(),
			WaitTime: c[i].WaitTime, Rule: RuleWCT}
		if i == 0 && w.PID == 0 && w.TID == 0 {
			w.PID, w.TID = t.PID, t.TID
		}
		var peer *Node
		if i+2 < len(c) && c[i+2].IsThread() {
			peer = &c[i+2]
			w.PeerPID, w.PeerTID = peer.PID, peer.TID
		}
		w.Object = objectLabel(&c[i+1], peer)
		w.Evidence = fmt.Sprintf("GetThreadWaitChain: tid %d %s on %s (%s)", w.TID, c[i].Status, c[i+1].Type, c[i+1].Status)
		if peer != nil {
			w.Evidence += fmt.Sprintf(", then PID %d tid %d (%s)", peer.PID, peer.TID, peer.Status)
		}
		out = append(out, w)
	}
	return out
}

var mechLabels = map[string]string{
	MechCriticalSection: "critical section", MechSendMessage: "SendMessage", MechMutex: "mutex",
	MechALPC: "ALPC", MechCOM: "COM call", MechCOMActivation: "COM activation", MechThread: "thread",
	MechProcess: "process", MechSocket: "socket I/O", MechSMB: "SMB I/O", MechUnknown: "unknown object",
}

// objectLabel names an object node for people: its mechanism, its name
// when WCT gives one, and who owns or serves it.
func objectLabel(n *Node, peer *Node) string {
	m := n.Type.Mechanism()
	s := mechLabels[m]
	if s == "" {
		s = n.Type.String()
	}
	if n.Name != "" {
		s += " " + n.Name
	}
	if peer != nil {
		switch {
		case peer.TID != 0:
			s += fmt.Sprintf(" (PID %d tid %d)", peer.PID, peer.TID)
		case peer.PID != 0:
			s += fmt.Sprintf(" (PID %d)", peer.PID)
		}
	}
	return s
}

// addCycle records the cycle through the waits of ks (in wait order),
// rotated to start at the lowest PID, unless the same set is recorded.
func (r *Result) addCycle(ks []tkey, index map[tkey]int, wct map[tkey]bool, level string, proc func(uint32) string) {
	if len(r.Cycles) >= maxCycles {
		return
	}
	min := 0
	for i, k := range ks {
		if k.pid < ks[min].pid || (k.pid == ks[min].pid && k.tid < ks[min].tid) {
			min = i
		}
	}
	c := Cycle{Level: level, Probable: level == LevelProcess}
	var parts []string
	for i := range ks {
		k := ks[(min+i)%len(ks)]
		j, ok := index[k]
		if !ok {
			continue
		}
		w := r.Waits[j]
		c.Waits = append(c.Waits, w)
		c.FromWCT = c.FromWCT || wct[k]
		c.Inferred = c.Inferred || w.Inferred
		parts = append(parts, fmt.Sprintf("%s tid %d waits on %s", proc(w.PID), w.TID, w.Object))
	}
	if len(c.Waits) == 0 {
		return
	}
	for _, o := range r.Cycles {
		if sameWaits(o.Waits, c.Waits) {
			return
		}
	}
	switch {
	case level == LevelProcess:
		c.Summary = "probable deadlock between processes: " + strings.Join(parts, "; ")
	case c.FromWCT:
		c.Summary = "deadlock (WCT reports a cycle): " + strings.Join(parts, "; ")
	default:
		c.Summary = "deadlock: " + strings.Join(parts, "; ")
	}
	r.Cycles = append(r.Cycles, c)
}

func sameWaits(a, b []Wait) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].PID != b[i].PID || a[i].TID != b[i].TID {
			return false
		}
	}
	return true
}

// processCycles finds cycles in the graph of processes waiting on
// processes. An edge A→B stands for a wait of a thread of A on B; it is
// "open" when the receiving thread in B is unknown or not seen waiting.
// Only cycles with at least one open edge are reported (the others are
// thread-level cycles, or chains that lead elsewhere).
func (r *Result) processCycles(index map[tkey]int, inCycle map[tkey]bool, proc func(uint32) string) {
	type edge struct {
		to   uint32
		wait tkey
		open bool
	}
	out := map[uint32][]edge{}
	best := map[[2]uint32]int{} // (from, to) → index in out[from]
	for _, w := range r.Waits {
		if w.PeerPID == 0 || w.PeerPID == w.PID || inCycle[tkey{w.PID, w.TID}] {
			continue
		}
		e := edge{to: w.PeerPID, wait: tkey{w.PID, w.TID}, open: w.PeerTID == 0 || !w.PeerWaits}
		key := [2]uint32{w.PID, w.PeerPID}
		if i, ok := best[key]; ok {
			if e.open && !out[w.PID][i].open {
				out[w.PID][i] = e // an open edge makes the cycle reportable
			}
			continue
		}
		best[key] = len(out[w.PID])
		out[w.PID] = append(out[w.PID], e)
	}
	var pids []uint32
	for p := range out {
		pids = append(pids, p)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })

	// Simple cycles whose lowest PID is start: a depth-first walk through
	// PIDs above start, bounded in depth, steps and cycles found.
	steps, deep := 0, false
	for _, start := range pids {
		var path []edge
		onPath := map[uint32]bool{start: true}
		var walk func(at uint32)
		walk = func(at uint32) {
			if len(path) >= maxCycleDepth {
				deep = true
				return
			}
			if len(r.Cycles) >= maxCycles {
				return
			}
			for _, e := range out[at] {
				if steps++; steps > maxWalkSteps {
					return
				}
				if e.to == start {
					open := e.open
					ks := []tkey{}
					for _, p := range path {
						open = open || p.open
						ks = append(ks, p.wait)
					}
					ks = append(ks, e.wait)
					if open {
						r.addCycle(ks, index, nil, LevelProcess, proc)
					}
					continue
				}
				if e.to < start || onPath[e.to] {
					continue
				}
				onPath[e.to] = true
				path = append(path, e)
				walk(e.to)
				path = path[:len(path)-1]
				onPath[e.to] = false
			}
		}
		walk(start)
	}
	if steps > maxWalkSteps {
		r.Warnings = append(r.Warnings, fmt.Sprintf("process-level cycle search stopped after %d steps: some cycles may be missing", maxWalkSteps))
	}
	if deep {
		r.Warnings = append(r.Warnings, fmt.Sprintf("process-level cycles longer than %d processes are not searched", maxCycleDepth))
	}
}
