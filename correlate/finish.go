package correlate

import (
	"cmp"
	"slices"

	"github.com/ipctrace/ipctrace/model"
)

// Finish closes the trace: operations still open become stuck candidates,
// the wait-for graph is searched for cycles, and the model is returned.
// The engine must not be used afterwards.
func (e *Engine) Finish() *model.Model {
	end := e.last
	if e.until != 0 && e.until < end {
		end = e.until
	}
	m := &model.Model{
		Processes: []model.Process{}, Pipes: []model.Pipe{}, ALPC: []model.ALPC{}, RPC: []model.RPC{},
		Sections: []model.Section{}, Stuck: []model.Stuck{}, Idle: []model.Idle{}, Deadlocks: []model.Cycle{}, Security: []model.Exposed{},
	}
	m.Trace.Start, m.Trace.End = ft(e.first), ft(e.last)
	if e.last > e.first {
		m.Trace.DurationUS = usOf(e.last - e.first)
	}
	m.Trace.Events = e.events
	m.Trace.IPCEvents = e.ipcEvents
	m.Trace.KernelFileIgnored = e.kernelFileDropped
	e.finishLoss(m)

	waiters := e.alpcOutstanding()
	e.finishPipes(m, end)
	e.finishALPC(m, end, waiters)
	e.finishRPC(m)
	e.finishSections(m, end)
	e.finishSecurity(m)
	m.Deadlocks = e.cycles(waiters)
	for _, s := range m.Stuck {
		if s.WaitedUS > 0 && e.opt.Timeline {
			since := end - int64(s.WaitedUS*10+0.5)
			e.span(s.PID, s.TID, "stuck", s.Kind+" ", s.Object, since, end, 0, 0)
		}
	}
	e.finishTimeline(m)
	slices.SortStableFunc(m.Stuck, func(a, b model.Stuck) int {
		return cmp.Or(cmp.Compare(a.Since, b.Since), cmp.Compare(a.PID, b.PID),
			cmp.Compare(a.TID, b.TID), cmp.Compare(a.Kind, b.Kind))
	})

	for _, p := range e.procs {
		if !e.keepPIDs(p.pid) {
			continue
		}
		m.Processes = append(m.Processes, model.Process{PID: p.pid, ParentPID: p.parent, Image: p.image,
			CommandLine: p.cmdline, User: p.user})
	}
	slices.SortFunc(m.Processes, func(a, b model.Process) int { return cmp.Compare(a.PID, b.PID) })
	return m
}

// waitNode is a thread in the wait-for graph.
type waitNode struct{ pid, tid uint32 }

// waitEdge is an outstanding wait: a thread waits on a thread (tid != 0)
// or on any waiting thread of a process.
type waitEdge struct {
	from   waitNode
	object string
	to     waitNode
}

// cycles finds deadlocks: cycles in the graph of outstanding waits across
// processes (DESIGN.md §3 "Stuck").
func (e *Engine) cycles(waiters []alpcWaiter) []model.Cycle {
	var edges []waitEdge
	for _, x := range waiters {
		if x.server == 0 {
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
		edges = append(edges, waitEdge{waitNode{x.w.pid, x.tid}, obj, to})
	}
	for op := range e.p.irps.all() {
		if op.end == nil || op.end.peer == nil {
			continue
		}
		switch op.kind {
		case irpRead, irpTransceive, irpFlush:
			edges = append(edges, waitEdge{waitNode{op.pid, op.tid}, op.end.pn.display, waitNode{op.end.peer.pid, 0}})
		}
	}
	if len(edges) == 0 {
		return []model.Cycle{}
	}
	slices.SortFunc(edges, func(a, b waitEdge) int {
		return cmp.Or(cmp.Compare(a.from.pid, b.from.pid), cmp.Compare(a.from.tid, b.from.tid),
			cmp.Compare(a.to.pid, b.to.pid), cmp.Compare(a.to.tid, b.to.tid))
	})
	// Expand process targets to the waiting threads of that process.
	out := make(map[waitNode][]int) // node → indices of edges leaving it
	for i, ed := range edges {
		out[ed.from] = append(out[ed.from], i)
	}
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
	var res []model.Cycle
	seen := make(map[waitNode]bool) // nodes already placed in a reported cycle
	for _, start := range edges {
		s := start.from
		if seen[s] {
			continue
		}
		// Shortest path from s back to s (BFS).
		type step struct {
			n    waitNode
			prev int
			edge int
		}
		q := []step{{s, -1, -1}}
		visited := map[waitNode]bool{s: true}
		found := -1
	bfs:
		for qi := 0; qi < len(q); qi++ {
			for _, ei := range out[q[qi].n] {
				for _, n := range next(edges[ei]) {
					if n == s {
						q = append(q, step{n, qi, ei})
						found = len(q) - 1
						break bfs
					}
					if !visited[n] {
						visited[n] = true
						q = append(q, step{n, qi, ei})
					}
				}
			}
		}
		if found < 0 {
			continue
		}
		var c model.Cycle
		for i := found; q[i].prev >= 0; i = q[i].prev {
			ed := edges[q[i].edge]
			c.Cycle = append(c.Cycle, model.Waiter{PID: ed.from.pid, TID: ed.from.tid, Object: ed.object})
		}
		slices.Reverse(c.Cycle)
		// Start the cycle at its smallest node, for stable output.
		k := 0
		for i, w := range c.Cycle {
			if w.PID < c.Cycle[k].PID || (w.PID == c.Cycle[k].PID && w.TID < c.Cycle[k].TID) {
				k = i
			}
		}
		c.Cycle = append(c.Cycle[k:], c.Cycle[:k]...)
		dup := false
		for _, w := range c.Cycle {
			if seen[waitNode{w.PID, w.TID}] {
				dup = true
			}
			seen[waitNode{w.PID, w.TID}] = true
		}
		if dup || !e.keepCycle(c) {
			continue
		}
		res = append(res, c)
	}
	if res == nil {
		res = []model.Cycle{}
	}
	return res
}

func (e *Engine) keepCycle(c model.Cycle) bool {
	pids := make([]uint32, len(c.Cycle))
	for i, w := range c.Cycle {
		pids[i] = w.PID
	}
	return e.keepPIDs(pids...)
}
