package correlate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/model"
)

// The wait-for graph (docs/rules.md D1, D2): one edge per owed wait open at
// the end of the trace and at least --stuck-after long, from the waiting
// thread to the thread that received its request when that is known, else
// to the peer process. Idle waits (I1–I4) are never edges.

// waitNode is a thread (tid != 0) or a whole process (tid 0).
type waitNode struct{ pid, tid uint32 }

// waitEdge is one owed wait.
type waitEdge struct {
	from      waitNode
	to        waitNode
	object    string
	mechanism string
	kind      string
	waited    int64
}

// waits collects the graph's edges: ALPC replies owed (W3) and owed pipe
// operations (W1, W2, W6) whose peer is known. A LISTEN (W5) is owed to
// clients that are not connected, so it has no peer to wait on.
func (e *Engine) waits(alpc []alpcWaiter, end int64) []waitEdge {
	var edges []waitEdge
	for _, x := range alpc {
		if x.server == 0 || end-x.w.t < e.stuckAfter {
			continue
		}
		obj := x.port
		if obj == "" {
			obj = "ALPC reply"
		}
		to := waitNode{x.server, 0}
		if x.received {
			to.tid = x.stid
		}
		edges = append(edges, waitEdge{waitNode{x.w.pid, x.tid}, to, obj, "alpc", "alpc-reply", end - x.w.t})
	}
	for op := range e.p.irps.all() {
		en := op.end
		if en == nil || en.peer == nil || end-op.start < e.stuckAfter {
			continue
		}
		switch op.kind {
		case irpRead, irpTransceive, irpFlush, irpWrite:
		default:
			continue
		}
		if !e.classifyPipe(op, end, false).owed {
			continue
		}
		to := waitNode{en.peer.pid, 0}
		if p := en.peer; p.server && p.owes && p.readTID != 0 {
			to.tid = p.readTID // the thread that read this request
		}
		edges = append(edges, waitEdge{waitNode{op.pid, op.tid}, to, en.pn.display, "pipe", irpStuckKind[op.kind], end - op.start})
	}
	edges = e.wmWaits(edges, end) // window messages (docs/rules.md WM1, WM2)
	slices.SortFunc(edges, func(a, b waitEdge) int {
		return cmp.Or(cmp.Compare(a.from.pid, b.from.pid), cmp.Compare(a.from.tid, b.from.tid),
			cmp.Compare(a.to.pid, b.to.pid), cmp.Compare(a.to.tid, b.to.tid), strings.Compare(a.object, b.object))
	})
	return edges
}

// cycles finds deadlocks in the graph: thread-level cycles first (D1), in
// which every edge ends at a thread that is itself seen waiting (an edge to
// a process stands for each of its waiting threads); then process-level
// cycles (D2) among the processes not already in a thread-level cycle: A
// waits on B and B on A, where a receiving thread is not seen waiting (it
// may wait on a lock, which ETW does not show), reported as probable.
func (e *Engine) cycles(edges []waitEdge) []model.Cycle {
	res := []model.Cycle{}
	if len(edges) == 0 {
		return res
	}
	out := make(map[waitNode][]int) // thread → indices of edges leaving it
	for i, ed := range edges {
		out[ed.from] = append(out[ed.from], i)
	}
	waiting := func(n waitNode) bool { return len(out[n]) > 0 }
	next := func(ed waitEdge) []waitNode {
		if ed.to.tid != 0 {
			return []waitNode{ed.to}
		}
		var ns []waitNode
		for _, o := range edges {
			if o.from.pid == ed.to.pid && (len(ns) == 0 || ns[len(ns)-1] != o.from) {
				ns = append(ns, o.from)
			}
		}
		return ns
	}
	// Thread level: the shortest cycle through each waiting thread (BFS).
	seen := make(map[waitNode]bool) // threads already in a reported cycle
	inThreadCycle := make(map[uint32]bool)
	for _, start := range edges {
		s := start.from
		if seen[s] {
			continue
		}
		path := shortestCycle(s, func(n waitNode) []int { return out[n] }, func(ei int) []waitNode { return next(edges[ei]) })
		if path == nil {
			continue
		}
		c := model.Cycle{Level: "thread", Inferred: true}
		dup := false
		for _, ei := range path {
			ed := edges[ei]
			if seen[ed.from] {
				dup = true
			}
			c.Cycle = append(c.Cycle, e.waiter(ed, waiting))
		}
		for _, ei := range path {
			seen[edges[ei].from] = true
		}
		rotate(c.Cycle)
		if dup || !e.keepCycle(c) {
			continue
		}
		for _, w := range c.Cycle {
			inThreadCycle[w.PID] = true
		}
		c.Summary = e.cycleSummary(c)
		res = append(res, c)
	}
	// Process level: one edge per (waiting process, peer process), the
	// longest wait standing for the others.
	best := make(map[[2]uint32]int)
	for i, ed := range edges {
		if ed.from.pid == ed.to.pid || inThreadCycle[ed.from.pid] || inThreadCycle[ed.to.pid] {
			continue
		}
		k := [2]uint32{ed.from.pid, ed.to.pid}
		if j, ok := best[k]; !ok || ed.waited > edges[j].waited {
			best[k] = i
		}
	}
	pout := make(map[waitNode][]int)
	var keys [][2]uint32
	for k := range best {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]uint32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		n := waitNode{k[0], 0}
		pout[n] = append(pout[n], best[k])
	}
	pseen := make(map[uint32]bool)
	for _, k := range keys {
		s := waitNode{k[0], 0}
		if pseen[s.pid] {
			continue
		}
		path := shortestCycle(s, func(n waitNode) []int { return pout[n] },
			func(ei int) []waitNode { return []waitNode{{edges[ei].to.pid, 0}} })
		if path == nil {
			continue
		}
		c := model.Cycle{Level: "process", Probable: true, Inferred: true}
		dup := false
		for _, ei := range path {
			if pseen[edges[ei].from.pid] {
				dup = true
			}
			c.Cycle = append(c.Cycle, e.waiter(edges[ei], waiting))
		}
		for _, ei := range path {
			pseen[edges[ei].from.pid] = true
		}
		rotate(c.Cycle)
		if dup || !e.keepCycle(c) {
			continue
		}
		c.Summary = e.cycleSummary(c)
		res = append(res, c)
	}
	return res
}

// shortestCycle returns the edges of a shortest cycle from s back to s, or
// nil: out lists the edges leaving a node, next the nodes an edge leads to.
func shortestCycle(s waitNode, out func(waitNode) []int, next func(int) []waitNode) []int {
	type step struct {
		n    waitNode
		prev int
		edge int
	}
	q := []step{{s, -1, -1}}
	visited := map[waitNode]bool{s: true}
	for qi := 0; qi < len(q); qi++ {
		for _, ei := range out(q[qi].n) {
			for _, n := range next(ei) {
				if n == s {
					path := []int{ei}
					for i := qi; q[i].prev >= 0; i = q[i].prev {
						path = append(path, q[i].edge)
					}
					slices.Reverse(path)
					return path
				}
				if !visited[n] {
					visited[n] = true
					q = append(q, step{n, qi, ei})
				}
			}
		}
	}
	return nil
}

// rotate starts a cycle at its smallest (PID, TID), for stable output.
func rotate(c []model.Waiter) {
	k := 0
	for i, w := range c {
		if w.PID < c[k].PID || (w.PID == c[k].PID && w.TID < c[k].TID) {
			k = i
		}
	}
	slices.Reverse(c[:k])
	slices.Reverse(c[k:])
	slices.Reverse(c)
}

func (e *Engine) waiter(ed waitEdge, waiting func(waitNode) bool) model.Waiter {
	w := model.Waiter{PID: ed.from.pid, TID: ed.from.tid, Object: ed.object, Mechanism: ed.mechanism,
		Kind: ed.kind, WaitedUS: usOf(ed.waited), ReceiverTID: ed.to.tid}
	if ed.to.tid != 0 {
		w.ReceiverWaits = waiting(ed.to)
	}
	return w
}

// cycleSummary says a cycle in words, naming for a probable deadlock the
// receiving threads that are not seen waiting.
func (e *Engine) cycleSummary(c model.Cycle) string {
	var parts []string
	for i, w := range c.Cycle {
		peer := c.Cycle[(i+1)%len(c.Cycle)].PID
		s := fmt.Sprintf("%s tid %d waits on %s (%s %s, %s)", e.procName(w.PID), w.TID, e.procName(peer),
			w.Mechanism, w.Object, fmtUS(w.WaitedUS))
		if w.ReceiverTID != 0 && !w.ReceiverWaits {
			s += fmt.Sprintf("; its request was received by tid %d, which is not seen waiting", w.ReceiverTID)
		}
		parts = append(parts, s)
	}
	prefix := "deadlock: "
	if c.Probable {
		prefix = "probable deadlock: "
	}
	return prefix + strings.Join(parts, "; ")
}

// procName is "image (pid)" or "pid N".
func (e *Engine) procName(pid uint32) string {
	if img := e.image(pid); img != "" {
		return fmt.Sprintf("%s (%d)", img, pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// fmtUS formats microseconds for people.
func fmtUS(us float64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.1f s", us/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.1f ms", us/1e3)
	}
	return fmt.Sprintf("%.0f µs", us)
}
