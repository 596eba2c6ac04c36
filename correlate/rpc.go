package correlate

import (
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/latency"
)

// RPC calls (docs/events.md#rpc): start and stop pair by ActivityId and thread
// within a process; a client call and a server call pair across processes
// by (interface, procnum, endpoint, protocol) and nesting in time, or for
// LRPC by the ALPC request the client thread sent (docs/rules.md R2).

// rpcThread holds the calls open on one thread, oldest first, each known
// by its activity id and side: a call's start and stop come on the same
// thread with the same activity id.
type rpcThread struct {
	calls []rpcOpen
}

type rpcOpen struct {
	act etw.GUID
	c   *rpcCall
}

// maxOpenPerThread bounds the calls open on one thread (stops lost, or
// asynchronous calls); beyond it the oldest is forgotten.
const maxOpenPerThread = 256

// find is the index of the open call (act, server), -1 if none.
func (t *rpcThread) find(act etw.GUID, server bool) int {
	for i := range t.calls {
		if o := &t.calls[i]; o.act == act && o.c.server == server {
			return i
		}
	}
	return -1
}

// remove forgets calls[i], keeping the order (and no stale pointer).
func (t *rpcThread) remove(i int) {
	t.calls = slices.Delete(t.calls, i, i+1)
}

type rpcCall struct {
	iface    etw.GUID
	procnum  uint32
	protocol uint32
	endpoint string
	pid, tid uint32
	t        int64
	server   bool
	peer     uint32 // the other side's PID once matched
	matched  bool
}

type rpcRowKey struct {
	iface          etw.GUID
	procnum        uint32
	protocol       uint32
	endpoint       string
	client, server uint32
}

type rpcRowSlot struct {
	k   rpcRowKey
	row *rpcRow
}

type rpcRow struct {
	m        model.RPC
	lat, srv latency.Hist
}

type rpcThreadSlot struct {
	tid uint32
	t   *rpcThread
}

// thread returns the open calls of thread tid, nil when it has none and
// add is false.
func (r *rpcState) thread(tid uint32, add bool) *rpcThread {
	s := &r.openCache[(tid>>2)%uint32(len(r.openCache))]
	if s.t != nil && s.tid == tid {
		return s.t
	}
	t := r.open[tid]
	if t == nil {
		if !add {
			return nil
		}
		t = &rpcThread{}
		r.open[tid] = t
	}
	*s = rpcThreadSlot{tid, t}
	return t
}

// openCall is the call (act, server) open on thread tid, nil if none.
func (r *rpcState) openCall(act etw.GUID, tid uint32, server bool) *rpcCall {
	if t := r.thread(tid, false); t != nil {
		if i := t.find(act, server); i >= 0 {
			return t.calls[i].c
		}
	}
	return nil
}

// newCall returns a call record from the free list.
func (r *rpcState) newCall() *rpcCall {
	if n := len(r.free); n > 0 {
		c := r.free[n-1]
		r.free = r.free[:n-1]
		return c
	}
	return new(rpcCall)
}

// release returns a stopped call to the free list: no table refers to it
// any more (it left open, onThread and clients at its stop or match).
func (r *rpcState) release(c *rpcCall) {
	if len(r.free) < 1024 {
		r.free = append(r.free, c)
	}
}

type rpcState struct {
	free      []*rpcCall
	open      map[uint32]*rpcThread // thread → its open calls
	openCache [64]rpcThreadSlot     // direct-mapped cache in front of open
	clients   []*rpcCall            // open client calls not yet matched to a server call
	onThread  map[uint32]*rpcCall   // open client call per thread
	rows      map[rpcRowKey]*rpcRow
	rowCache  [64]rpcRowSlot // direct-mapped cache in front of rows
	order     []*rpcRow
}

func (r *rpcState) init() {
	r.open = make(map[uint32]*rpcThread)
	r.onThread = make(map[uint32]*rpcCall)
	r.rows = make(map[rpcRowKey]*rpcRow)
}

func (e *Engine) rpcStart(d *decoders.Decoded, ev *decoders.RPCCallStart) {
	e.touch(d.PID, d.TID, d.Time)
	c := e.r.newCall()
	*c = rpcCall{iface: ev.InterfaceUUID, procnum: ev.ProcNum, protocol: ev.Protocol,
		endpoint: ev.Endpoint, pid: d.PID, tid: d.TID, t: d.Time, server: ev.Server}
	th := e.r.thread(d.TID, true)
	if i := th.find(d.ActivityID, ev.Server); i >= 0 {
		if old := th.calls[i].c; !old.server {
			e.r.dropClient(old) // its stop was never seen
		}
		th.remove(i)
	}
	if len(th.calls) >= maxOpenPerThread {
		old := th.calls[0].c // forgotten, not reused: tables may still name it
		if !old.server {
			e.r.dropClient(old)
			if e.r.onThread[old.tid] == old {
				delete(e.r.onThread, old.tid)
			}
		}
		th.remove(0)
	}
	th.calls = append(th.calls, rpcOpen{d.ActivityID, c})
	if !ev.Server {
		if len(e.r.clients) >= maxOpenRPC {
			e.r.clients = append(e.r.clients[:0], e.r.clients[len(e.r.clients)-maxOpenRPC/2:]...)
		}
		e.r.clients = append(e.r.clients, c)
		e.r.onThread[d.TID] = c
		return
	}
	// The client call whose ALPC request this server thread is handling
	// (docs/rules.md R2); else the latest unmatched client call of the same
	// method in another process (docs/events.md#rpc heuristic).
	same := func(cl *rpcCall) bool {
		return !cl.matched && cl.pid != c.pid && cl.iface == c.iface && cl.procnum == c.procnum &&
			cl.protocol == c.protocol && sameEndpoint(cl.endpoint, c.endpoint)
	}
	var pick *rpcCall
	if th := e.a.thread(d.TID); th != nil && th.servingOK && th.pid == d.PID {
		k := th.serving
		if req, ok := e.a.request(k); ok && req.stid == d.TID {
			if cl := e.r.onThread[req.ctid]; cl != nil && cl.pid == req.client && same(cl) {
				pick = cl
			}
		}
	}
	if pick == nil {
		for i := len(e.r.clients) - 1; i >= 0; i-- {
			if same(e.r.clients[i]) {
				pick = e.r.clients[i]
				break
			}
		}
	}
	if pick == nil {
		return
	}
	pick.matched, c.matched = true, true
	pick.peer, c.peer = c.pid, pick.pid
	for i, cl := range e.r.clients {
		if cl == pick {
			e.r.clients = append(e.r.clients[:i], e.r.clients[i+1:]...)
			break
		}
	}
}

// maxOpenRPC bounds the client calls waiting for a server-side match.
const maxOpenRPC = 4096

func (r *rpcState) dropClient(c *rpcCall) {
	for i, cl := range r.clients {
		if cl == c {
			r.clients = append(r.clients[:i], r.clients[i+1:]...)
			return
		}
	}
}

func sameEndpoint(a, b string) bool {
	return strings.EqualFold(strings.TrimLeft(a, `\`), strings.TrimLeft(b, `\`))
}

func (e *Engine) rpcStop(d *decoders.Decoded, ev *decoders.RPCCallStop) {
	e.touch(d.PID, d.TID, d.Time)
	th := e.r.thread(d.TID, false)
	if th == nil {
		return
	}
	i := th.find(d.ActivityID, ev.Server)
	if i < 0 {
		return
	}
	c := th.calls[i].c
	th.remove(i)
	defer e.r.release(c)
	dur := d.Time - c.t
	if e.opt.Timeline {
		side := "rpc client "
		if c.server {
			side = "rpc server "
		}
		e.span(c.pid, c.tid, "rpc", side, c.iface.String()+" #"+itoa(uint64(c.procnum)), c.t, d.Time, 0, 0)
	}
	if !c.server {
		if e.r.onThread[c.tid] == c {
			delete(e.r.onThread, c.tid)
		}
		if !c.matched {
			e.r.dropClient(c)
			if c.protocol == 3 { // LRPC: the ALPC request names the server
				c.peer = e.a.lastServerOf(c.pid, c.tid)
			}
		}
		if e.out {
			return
		}
		row := e.rpcRow(c, c.pid, c.peer)
		row.m.Calls++
		row.lat.Record(dur)
		if ev.Status != 0 {
			row.m.Failed++
		}
		return
	}
	if e.out {
		return
	}
	if c.matched {
		row := e.rpcRow(c, c.peer, c.pid)
		row.srv.Record(dur)
		return
	}
	// A server call whose client is not in the trace.
	row := e.rpcRow(c, 0, c.pid)
	row.m.Calls++
	row.lat.Record(dur)
	row.srv.Record(dur)
	if ev.Status != 0 {
		row.m.Failed++
	}
}

func (e *Engine) rpcRow(c *rpcCall, client, server uint32) *rpcRow {
	k := rpcRowKey{c.iface, c.procnum, c.protocol, c.endpoint, client, server}
	slot := &e.r.rowCache[(c.iface.Data1^c.procnum*0x9E3779B1^client*0x85EBCA6B^server*0xC2B2AE35)>>26]
	if slot.row != nil && slot.k == k {
		return slot.row
	}
	row := e.r.rows[k]
	if row == nil {
		row = &rpcRow{m: model.RPC{Interface: c.iface.String(), ProcNum: c.procnum, Endpoint: c.endpoint,
			Protocol: protocolName(c.protocol), ClientPID: client, ServerPID: server}}
		e.r.rows[k] = row
		e.r.order = append(e.r.order, row)
	}
	*slot = rpcRowSlot{k, row}
	return row
}

// rpcEndpoint is the LRPC endpoint of the client call open on tid, "" if none.
func (e *Engine) rpcEndpoint(tid uint32) string {
	if c := e.r.onThread[tid]; c != nil && c.protocol == 3 {
		return c.endpoint
	}
	return ""
}

func protocolName(p uint32) string {
	switch p {
	case 1:
		return "ncacn_ip_tcp"
	case 2:
		return "ncacn_np"
	case 3:
		return "ncalrpc"
	case 4:
		return "ncacn_http"
	}
	return "protocol-" + itoa(uint64(p))
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

func (e *Engine) finishRPC(m *model.Model) {
	for _, row := range e.r.order {
		row.m.Latency = row.lat.Summary()
		row.m.ServerTime = row.srv.Summary()
		if row.m.Protocol == "ncacn_np" {
			row.m.Transport = pipeTransport(m.Pipes, row.m)
		}
		if !e.keepPIDs(row.m.ClientPID, row.m.ServerPID) {
			continue
		}
		if e.opt.PipeGlob != "" && (row.m.Protocol != "ncacn_np" || !e.keepPipe(row.m.Endpoint)) {
			continue
		}
		m.RPC = append(m.RPC, row.m)
	}
}

// pipeTransport is the pipe conversation carrying the ncacn_np calls of
// row (docs/rules.md R3): the endpoint \pipe\X names the pipe, and the
// conversation is between the same client and server processes.
func pipeTransport(pipes []model.Pipe, row model.RPC) string {
	ep := row.Endpoint
	for _, prefix := range []string{`\pipe\`, `\PIPE\`, `\\.\pipe\`} {
		if strings.HasPrefix(ep, prefix) {
			ep = ep[len(prefix):]
			break
		}
	}
	want := `\\.\pipe\` + ep
	for _, p := range pipes {
		if strings.EqualFold(p.Name, want) && p.ServerPID == row.ServerPID && p.ClientPID == row.ClientPID {
			return p.Name
		}
	}
	return ""
}
