package correlate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/latency"
)

// ALPC correlation (docs/rules.md A1–A3): a Send(m) by one process and the next
// Receive(m) by another form a hop; a hop A→B followed by a hop B→A with
// the same m is a request and its reply. Message ids are reused, so every
// match is scoped by process pair and expires after AlpcExpiry.

// maxPendingPerID bounds the unreceived sends kept per message id.
const maxPendingPerID = 64

type alpcSend struct {
	pid, tid uint32
	t        int64
	reply    bool
}

// alpcQueue is the state of one message id: its sends not yet received,
// oldest first; its requests received and not yet answered, at most one
// per server process; and its replies sent and not yet received, at most
// one per client process. An emptied queue stays in its map until a sweep:
// ids are reused, and keeping its storage avoids allocations per message.
type alpcQueue struct {
	s       []alpcSend
	reqs    []alpcReq // by server
	replies []alpcReq // by client
}

func (q *alpcQueue) empty() bool { return len(q.s) == 0 && len(q.reqs) == 0 && len(q.replies) == 0 }

// reqOf is the index in q.reqs of server's request, -1 if none.
func (q *alpcQueue) reqOf(server uint32) int {
	for i := range q.reqs {
		if q.reqs[i].server == server {
			return i
		}
	}
	return -1
}

// replyOf is the index in q.replies of the reply to client, -1 if none.
func (q *alpcQueue) replyOf(client uint32) int {
	for i := range q.replies {
		if q.replies[i].client == client {
			return i
		}
	}
	return -1
}

// put stores r at index i of list, or appends it when i is -1: a later
// request or reply of the same process and id replaces the earlier one.
func put(list []alpcReq, i int, r alpcReq) []alpcReq {
	if i < 0 {
		return append(list, r)
	}
	list[i] = r
	return list
}

// procMsg names a request or reply by (process, message id).
type procMsg struct {
	pid uint32
	m   uint32
}

// request is the request (server, m) received and not yet answered.
func (a *alpcState) request(k procMsg) (alpcReq, bool) {
	if q := a.queue(k.m, false); q != nil {
		if i := q.reqOf(k.pid); i >= 0 {
			return q.reqs[i], true
		}
	}
	return alpcReq{}, false
}

// reply is the reply (client, m) sent and not yet received.
func (a *alpcState) reply(k procMsg) (alpcReq, bool) {
	if q := a.queue(k.m, false); q != nil {
		if i := q.replyOf(k.pid); i >= 0 {
			return q.replies[i], true
		}
	}
	return alpcReq{}, false
}

type alpcReq struct {
	client, ctid uint32
	server, stid uint32
	tSend, tRecv int64
	tReply       int64
	port         string // "" until known
}

// portOf is the port of a request: known at receive time, or else the
// port its server thread waits on next (WaitForNewMessage after the reply).
func (e *Engine) portOf(r *alpcReq) string {
	if r.port != "" {
		return r.port
	}
	if th := e.a.thread(r.stid); th != nil && th.pid == r.server {
		return th.port
	}
	return ""
}

type alpcWait struct {
	m   uint32
	t   int64
	pid uint32
}

// alpcThread is the ALPC state of a thread: a TID within one process (a
// TID seen in another process starts a new state).
type alpcThread struct {
	pid   uint32
	sendM uint32 // id and time of its last Send
	sendT int64
	port  string // port of its last WaitForNewMessage
	idle  bool   // last ALPC event was WaitForNewMessage
	last  int64
	// serving is the request it received last (ok: it received one), for
	// RPC's join (docs/rules.md R2).
	serving   procMsg
	servingOK bool
	// lastServer is the server process of its last call received, for
	// a call never received (docs/rules.md A6 b).
	lastServer uint32
	// wait is the thread's outstanding WaitForReply, when waiting. It
	// belongs to the TID, whatever the process: a state made for a TID
	// seen in another process takes it over.
	wait    alpcWait
	waiting bool
}

// waitsFor reports whether th waits for the reply to message m.
func (th *alpcThread) waitsFor(m uint32) bool { return th != nil && th.waiting && th.wait.m == m }

type alpcKey struct {
	client, server uint32
	port           string
}

type alpcConv struct {
	m           model.ALPC
	lat, server latency.Hist
	first, last int64
}

type alpcState struct {
	pending    map[uint32]*alpcQueue  // message id → its sends, requests and replies in flight
	thr        map[uint32]*alpcThread // TID → state, with its WaitForReply
	portOwner  map[string]uint32      // port name → server PID
	lastByProc map[uint32]uint32      // client process → server of its last call
	convs      map[alpcKey]*alpcConv

	// Direct-mapped caches in front of thr, pending and convs (entries
	// mirror them); the sweep, which deletes from pending, empties its cache.
	thrCache  [256]alpcThreadSlot
	pendCache [256]alpcQueueSlot
	convCache [64]*alpcConv
	// lastBy is the pair last written to lastByProc, so that a client
	// calling the same server again writes nothing (lastByProc and
	// portOwner are never deleted from: the last pair written is there).
	lastBy struct{ client, server uint32 }
	// lastOwner is the pair last written to portOwner, likewise for a
	// server thread waiting on its port again.
	lastOwner struct {
		port string
		pid  uint32
	}
	order     []*alpcConv
	lastSweep int64
	slow      []model.Stuck
	unmatched int64 // receives with no send in the trace
}

func (a *alpcState) init() {
	a.pending = make(map[uint32]*alpcQueue)
	a.thr = make(map[uint32]*alpcThread)
	a.portOwner = make(map[string]uint32)
	a.lastByProc = make(map[uint32]uint32)
	a.convs = make(map[alpcKey]*alpcConv)
}

type alpcThreadSlot struct {
	tid uint32
	th  *alpcThread
}

type alpcQueueSlot struct {
	m uint32
	q *alpcQueue
}

// queue returns the state of message id m (its sends, requests and
// replies in flight); nil when none and !create.
func (a *alpcState) queue(m uint32, create bool) *alpcQueue {
	s := &a.pendCache[(m*0x9E3779B1)>>24]
	if s.q != nil && s.m == m {
		return s.q
	}
	q := a.pending[m]
	if q == nil {
		if !create {
			return nil
		}
		q = &alpcQueue{}
		a.pending[m] = q
	}
	*s = alpcQueueSlot{m, q}
	return q
}

// thread returns the ALPC state of thread tid, nil when none.
func (a *alpcState) thread(tid uint32) *alpcThread {
	s := &a.thrCache[(tid>>2)%uint32(len(a.thrCache))]
	if s.th != nil && s.tid == tid {
		return s.th
	}
	th := a.thr[tid]
	if th != nil {
		*s = alpcThreadSlot{tid, th}
	}
	return th
}

// lastServerOf is the server process of the last call of thread tid of
// process pid that a server received; 0 when none.
func (a *alpcState) lastServerOf(pid, tid uint32) uint32 {
	if th := a.thread(tid); th != nil && th.pid == pid {
		return th.lastServer
	}
	return 0
}

func (a *alpcState) setThread(tid uint32, th *alpcThread) {
	a.thr[tid] = th
	a.thrCache[(tid>>2)%uint32(len(a.thrCache))] = alpcThreadSlot{tid, th}
}

func (e *Engine) alpcThread(pid, tid uint32, t int64) *alpcThread {
	th := e.a.thread(tid)
	if th == nil || th.pid != pid {
		nt := &alpcThread{pid: pid}
		if th != nil {
			nt.wait, nt.waiting = th.wait, th.waiting
		}
		th = nt
		e.a.setThread(tid, th)
	}
	th.last = t
	th.idle = false
	e.touch(pid, tid, t)
	return th
}

func (e *Engine) alpcMessage(d *decoders.Decoded, ev *decoders.AlpcMessage) {
	pid, tid, t, m := d.PID, d.TID, d.Time, ev.MessageID
	th := e.alpcThread(pid, tid, t)
	if t-e.a.lastSweep > e.alpcExpiry {
		e.alpcSweep(t)
	}
	switch ev.Op {
	case decoders.OpAlpcSend:
		th.sendM, th.sendT = m, t
		s := alpcSend{pid: pid, tid: tid, t: t}
		q := e.a.queue(m, true)
		if i := q.reqOf(pid); i >= 0 {
			// The server answers a request it received: a reply.
			req := q.reqs[i]
			q.reqs = slices.Delete(q.reqs, i, i+1)
			s.reply = true
			req.tReply = t
			q.replies = put(q.replies, q.replyOf(req.client), req)
		}
		if len(q.s) >= maxPendingPerID {
			// Sends nobody received (datagrams, lost events): keep the newest.
			n := copy(q.s, q.s[len(q.s)-maxPendingPerID/2:])
			q.s = q.s[:n]
		}
		q.s = append(q.s, s)
	case decoders.OpAlpcReceive:
		var q []alpcSend
		p := e.a.queue(m, false)
		if p != nil {
			q = p.s
		}
		i := 0
		for i < len(q) && q[i].pid == pid {
			i++
		}
		if i == len(q) {
			e.a.unmatched++
			return
		}
		s := q[i]
		copy(q[i:], q[i+1:])
		p.s = q[:len(q)-1]
		if s.reply {
			if j := p.replyOf(pid); j >= 0 && p.replies[j].server == s.pid {
				req := p.replies[j]
				p.replies = slices.Delete(p.replies, j, j+1)
				port := e.portOf(&req)
				c := e.alpcConv(req.client, req.server, port, req.tSend)
				c.last = t
				if !e.out {
					c.m.Calls++
					c.lat.Record(t - req.tSend)
					c.server.Record(req.tReply - req.tRecv)
				}
				if e.opt.Timeline {
					f := e.newFlow()
					e.span(req.client, req.ctid, "alpc", "call ", port, req.tSend, t, f, 0)
					e.span(req.server, req.stid, "alpc", "serve ", port, req.tRecv, req.tReply, 0, f)
				}
				if e.stuckAfter > 0 && t-req.tSend > e.stuckAfter && !e.out {
					s := e.alpcStuck(req.ctid, alpcWait{m: m, t: req.tSend, pid: req.client}, req.server, req.stid, port, t)
					s.Detail = "answered after the --stuck-after threshold"
					e.a.slow = append(e.a.slow, s)
				}
			}
			if th.waitsFor(m) {
				th.waiting = false
			}
			return
		}
		// A request (or datagram) from s.pid received by pid.
		port := th.port
		if port == "" {
			port = e.rpcEndpoint(s.tid)
		}
		req := alpcReq{client: s.pid, ctid: s.tid, server: pid, stid: tid, tSend: s.t, tRecv: t, port: port}
		p.reqs = put(p.reqs, p.reqOf(pid), req)
		if c := e.a.thread(s.tid); c != nil && c.pid == s.pid {
			c.lastServer = pid
		}
		th.serving, th.servingOK = procMsg{pid, m}, true
		if e.a.lastBy.client != s.pid || e.a.lastBy.server != pid {
			e.a.lastByProc[s.pid] = pid
			e.a.lastBy.client, e.a.lastBy.server = s.pid, pid
		}
	case decoders.OpAlpcWaitReply:
		// The call waits since its request was sent.
		since := t
		if th.sendM == m && th.sendT != 0 {
			since = th.sendT
		}
		th.wait, th.waiting = alpcWait{m: m, t: since, pid: pid}, true
	}
}

func (e *Engine) alpcWaitNew(d *decoders.Decoded, ev *decoders.AlpcWaitNewMessage) {
	th := e.alpcThread(d.PID, d.TID, d.Time)
	th.idle = true
	if ev.PortName != "" {
		th.port = ev.PortName
		if o := &e.a.lastOwner; ev.IsServerPort && (o.pid != d.PID || o.port != ev.PortName) {
			e.a.portOwner[ev.PortName] = d.PID
			o.port, o.pid = ev.PortName, d.PID
		}
	}
}

func (e *Engine) alpcUnwait(d *decoders.Decoded, ev *decoders.AlpcUnwait) {
	th := e.alpcThread(d.PID, d.TID, d.Time)
	if !ntSuccess(ev.Status) {
		// Released with an error (port closed, cancelled): no reply will come.
		th.waiting = false
	}
}

func (e *Engine) alpcConv(client, server uint32, port string, t int64) *alpcConv {
	slot := &e.a.convCache[(client*0x9E3779B1^server*0x85EBCA6B^uint32(len(port)))>>26]
	c := *slot
	if c == nil || c.m.ClientPID != client || c.m.ServerPID != server || c.m.Port != port {
		k := alpcKey{client, server, port}
		c = e.a.convs[k]
		if c == nil {
			c = &alpcConv{first: t}
			c.m = model.ALPC{Port: port, ClientPID: client, ServerPID: server, Inferred: true}
			e.a.convs[k] = c
			e.a.order = append(e.a.order, c)
		}
		*slot = c
	}
	c.last = max(c.last, t) // the end of the trace names calls by their start
	return c
}

// alpcSweep expires unmatched sends and requests (docs/rules.md A3),
// keeping those a thread still waits on: they are stuck candidates.
func (e *Engine) alpcSweep(now int64) {
	e.a.lastSweep = now
	limit := now - e.alpcExpiry
	waiting := func(tid, m uint32) bool { return e.a.thread(tid).waitsFor(m) }
	e.a.pendCache = [len(e.a.pendCache)]alpcQueueSlot{}
	for m, q := range e.a.pending {
		if q.empty() {
			delete(e.a.pending, m) // unused since the last sweep at least
			continue
		}
		q.s = slices.DeleteFunc(q.s, func(s alpcSend) bool { return s.t < limit && !waiting(s.tid, m) })
		q.reqs = slices.DeleteFunc(q.reqs, func(r alpcReq) bool { return r.tRecv < limit && !waiting(r.ctid, m) })
		q.replies = slices.DeleteFunc(q.replies, func(r alpcReq) bool { return r.tSend < limit && !waiting(r.ctid, m) })
	}
}

func (e *Engine) alpcStuck(tid uint32, w alpcWait, peer, peerTID uint32, port string, now int64) model.Stuck {
	obj := port
	if obj == "" {
		obj = fmt.Sprintf("ALPC message %d", w.m)
	}
	s := model.Stuck{Kind: "alpc-reply", PID: w.pid, TID: tid, Object: obj, Since: ft(w.t),
		WaitedUS: usOf(now - w.t), PeerPID: peer, PeerTID: peerTID, Inferred: true, MessageID: w.m}
	if peer != 0 {
		last, _ := e.procLast(peer)
		s.PeerLastActivity = ft(last)
	}
	return s
}

// alpcWaiter is an outstanding WaitForReply at the end of the trace.
type alpcWaiter struct {
	tid      uint32
	w        alpcWait
	received bool // the server received the request (docs/rules.md A6)
	server   uint32
	stid     uint32
	port     string
}

// alpcOutstanding lists the client threads still waiting for a reply.
func (e *Engine) alpcOutstanding() []alpcWaiter {
	var out []alpcWaiter
	for tid, th := range e.a.thr {
		if !th.waiting {
			continue
		}
		w := th.wait
		x := alpcWaiter{tid: tid, w: w}
		// The request it waits on: of those received from it, the latest.
		found := false
		if q := e.a.queue(w.m, false); q != nil {
			var best *alpcReq
			for i := range q.reqs {
				if r := &q.reqs[i]; r.ctid == tid && r.client == w.pid && (best == nil || r.tRecv > best.tRecv) {
					best = r
				}
			}
			if best != nil {
				x.received, x.server, x.stid, x.port = true, best.server, best.stid, e.portOf(best)
				found = true
			}
		}
		if !found {
			if r, ok := e.a.reply(procMsg{w.pid, w.m}); ok && r.ctid == tid {
				// The reply is on its way: not stuck on the server.
				continue
			}
			// Never received (docs/rules.md A6 b): guess the server from RPC or history.
			x.port = e.rpcEndpoint(tid)
			if x.port != "" {
				x.server = e.a.portOwner[x.port]
			}
			if x.server == 0 {
				// A thread serving a request that calls out again most
				// likely calls back its caller.
				x.server = e.a.callerOf(w.pid, tid)
			}
			if x.server == 0 {
				x.server = e.a.lastServerOf(w.pid, tid)
			}
			if x.server == 0 {
				x.server = e.a.lastByProc[w.pid]
			}
			if x.server != 0 {
				x.port, x.stid = e.serverPort(x.server, x.port)
			}
		}
		out = append(out, x)
	}
	// Map order must not reach the model (conversations are made here).
	slices.SortFunc(out, func(a, b alpcWaiter) int { return cmp.Compare(a.tid, b.tid) })
	return out
}

// callerOf is the client of the request that thread tid of server is
// serving (received, not answered), 0 when none: when several, the one
// received last (ties to the lower client), so that the answer does not
// depend on map order.
func (a *alpcState) callerOf(server, tid uint32) uint32 {
	var best *alpcReq
	for _, q := range a.pending {
		for i := range q.reqs {
			r := &q.reqs[i]
			if r.stid != tid || r.server != server {
				continue
			}
			if best == nil || r.tRecv > best.tRecv || r.tRecv == best.tRecv && r.client < best.client {
				best = r
			}
		}
	}
	if best == nil {
		return 0
	}
	return best.client
}

func (e *Engine) finishALPC(m *model.Model, end int64, waiters []alpcWaiter) {
	for _, x := range waiters {
		if end-x.w.t < e.stuckAfter {
			continue
		}
		s := e.alpcStuck(x.tid, x.w, x.server, x.stid, x.port, end)
		s.Rule = "W3"
		s.Evidence = "the client thread waits for the reply to its request (WaitForReply)"
		if x.received {
			s.Detail = "received by the server, no reply (docs/rules.md A6)"
		} else {
			s.Detail = "never received: no server thread took the message (docs/rules.md A6)"
		}
		if x.server != 0 {
			c := e.alpcConv(x.w.pid, x.server, x.port, x.w.t)
			c.m.Pending++
		}
		if e.keepPIDs(s.PID, s.PeerPID) && e.opt.PipeGlob == "" {
			m.Stuck = append(m.Stuck, s)
		}
	}
	for _, s := range e.a.slow {
		if e.keepPIDs(s.PID, s.PeerPID) && e.opt.PipeGlob == "" {
			m.Stuck = append(m.Stuck, s)
		}
	}
	idle := make(map[uint32]int)
	for tid, th := range e.a.thr {
		if !th.idle {
			continue
		}
		idle[th.pid]++
		if !e.keepPIDs(th.pid) || e.opt.PipeGlob != "" {
			continue
		}
		obj := th.port
		if obj == "" {
			obj = "ALPC port"
		}
		m.Idle = append(m.Idle, model.Idle{Kind: "alpc-receive", PID: th.pid, TID: tid, Object: obj,
			Since: ft(th.last), WaitedUS: usOf(end - th.last), Rule: "I4", Inferred: true, Image: e.image(th.pid),
			Evidence: "an ALPC server thread waiting in WaitForNewMessage for its next request"})
	}
	for _, c := range e.a.order {
		c.m.Latency = c.lat.Summary()
		c.m.ServerTime = c.server.Summary()
		c.m.IdleWorkers = idle[c.m.ServerPID]
		c.m.ClientImage, c.m.ServerImage = e.image(c.m.ClientPID), e.image(c.m.ServerPID)
		if e.since != 0 && c.first < e.since {
			if c.m.Calls == 0 && c.m.Pending == 0 && c.last < e.since {
				continue // no activity inside the window
			}
			c.first = max(c.first, e.since)
		}
		c.m.First, c.m.Last = ft(c.first), ft(c.last)
		c.m.Lossy = e.l.overlaps(c.first, c.last)
		if !e.keepPIDs(c.m.ClientPID, c.m.ServerPID) || e.opt.PipeGlob != "" {
			continue
		}
		m.ALPC = append(m.ALPC, c.m)
	}
}

// serverPort guesses, for a request nobody received, the server's port
// (when not known from RPC) and the thread that should have taken it: the
// server's thread that last waited on that port, else its only ALPC thread.
func (e *Engine) serverPort(server uint32, port string) (string, uint32) {
	var best *alpcThread
	var bestTID uint32
	n := 0
	for tid, th := range e.a.thr {
		if th.pid != server || th.port == "" {
			continue
		}
		if port != "" && th.port != port {
			continue
		}
		n++
		if best == nil || th.last > best.last || (th.last == best.last && tid < bestTID) {
			best, bestTID = th, tid
		}
	}
	if best == nil {
		return port, 0
	}
	if port == "" {
		port = best.port
	}
	return port, bestTID
}
