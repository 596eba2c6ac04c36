package synth

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/model"
)

// stuckOp is an operation that never completes.
type stuckOp struct {
	kind       string
	msgID      uint32 // ALPC message id
	detail     string
	th         *Thread
	object     string
	since      int64
	peer       *Proc
	peerThread *Thread
	rule       string  // docs/rules.md W1–W6
	receiver   *Thread // the thread that received the request, when one did
}

// Deadlock records a wait-for cycle for the truth: each waiter waits on
// the object (port name) served by the next one. Waiters are rotated so
// the lowest PID comes first.
func (b *Builder) Deadlock(waiters ...model.Waiter) {
	if b.suppress || len(waiters) == 0 {
		return
	}
	lo := 0
	for i, w := range waiters {
		if w.PID < waiters[lo].PID {
			lo = i
		}
	}
	c := model.Cycle{Cycle: append(slices.Clone(waiters[lo:]), waiters[:lo]...), Level: "thread", Inferred: true}
	b.cycles = append(b.cycles, c)
}

// ProbableDeadlock records a process-level wait-for cycle (docs/rules.md
// D2): each waiter waits on the next one's process, and some request was
// received by a thread that is not itself seen waiting.
func (b *Builder) ProbableDeadlock(waiters ...model.Waiter) {
	if b.suppress || len(waiters) == 0 {
		return
	}
	b.Deadlock(waiters...)
	c := &b.cycles[len(b.cycles)-1]
	c.Level, c.Probable = "process", true
}

// fillCycles completes each cycle's waiters from the stuck operations
// they are: mechanism, kind, how long and who received the request.
func fillCycles(cycles []model.Cycle, stuck []model.Stuck, receivers map[[2]uint32]uint32) {
	for ci := range cycles {
		c := &cycles[ci]
		waits := map[uint32]bool{}
		for _, w := range c.Cycle {
			waits[w.TID] = true
		}
		for i := range c.Cycle {
			w := &c.Cycle[i]
			for _, s := range stuck {
				if s.PID != w.PID || s.TID != w.TID {
					continue
				}
				w.Kind, w.WaitedUS = s.Kind, s.WaitedUS
				w.Mechanism = "pipe"
				if strings.HasPrefix(s.Kind, "alpc") {
					w.Mechanism = "alpc"
				}
				if s.Kind == "sendmessage" {
					w.Mechanism = "window-message"
				}
				w.ReceiverTID = receivers[[2]uint32{s.PID, s.TID}]
				w.ReceiverWaits = w.ReceiverTID != 0 && stuckThread(stuck, w.ReceiverTID)
				break
			}
		}
	}
}

func stuckThread(stuck []model.Stuck, tid uint32) bool {
	for _, s := range stuck {
		if s.TID == tid {
			return true
		}
	}
	return false
}

func pipeDisplay(name string) string { return `\\.\pipe\` + name }

func us(ticks int64) float64 { return float64(ticks) / 10 }

// buildTruth assembles the Model (definitions: package doc).
func (b *Builder) buildTruth() *model.Model {
	m := &model.Model{
		Processes: []model.Process{}, Pipes: []model.Pipe{}, ALPC: []model.ALPC{}, RPC: []model.RPC{},
		Sections: []model.Section{}, Stuck: []model.Stuck{}, Idle: []model.Idle{}, Deadlocks: []model.Cycle{}, Security: []model.Exposed{},
	}
	end := b.lastTime
	m.Trace = model.Trace{
		Start: model.Time(b.start), End: model.Time(end), DurationUS: us(end - b.start),
		Events: b.events, IPCEvents: b.ipcEvents, EventsLost: b.lostEvents, BuffersLost: b.lostBufs,
		LossyWindows: append([]model.Window{}, b.windows...),
	}
	slices.SortStableFunc(m.Trace.LossyWindows, func(a, c model.Window) int {
		if a.Start != c.Start {
			return cmp.Compare(a.Start, c.Start)
		}
		return cmp.Compare(a.End, c.End)
	})
	for _, p := range b.procs {
		m.Processes = append(m.Processes, model.Process{PID: p.PID, ParentPID: p.ParentPID, Image: p.Image, CommandLine: p.CommandLine, User: p.UserSID})
	}
	slices.SortFunc(m.Processes, func(a, c model.Process) int { return int(a.PID) - int(c.PID) })

	lossy := func(first, last int64) bool {
		for _, w := range b.windowTimes {
			if first <= w[1] && last >= w[0] {
				return true
			}
		}
		return false
	}

	// Failures: to the first later conversation of the same client and name, else unpaired.
	type failKey struct {
		name string
		pid  uint32
	}
	unpaired := map[failKey]map[string]int{}
	span := map[failKey][2]int64{}
	var unpairedOrder []failKey
	for _, f := range b.failures {
		var conv *pipeConv
		for _, c := range b.pipeConvs {
			if c.clientPID == f.clientPID && strings.EqualFold(c.name, f.name) && c.clientOpen > f.t {
				conv = c
				break
			}
		}
		if conv != nil {
			if conv.failures == nil {
				conv.failures = map[string]int{}
			}
			conv.failures[f.what]++
			continue
		}
		k := failKey{strings.ToLower(f.name), f.clientPID}
		if unpaired[k] == nil {
			unpaired[k] = map[string]int{}
			unpairedOrder = append(unpairedOrder, k)
		}
		unpaired[k][f.what]++
		sp, ok := span[k]
		if !ok {
			sp = [2]int64{f.t, f.end}
		}
		span[k] = [2]int64{min(sp[0], f.t), max(sp[1], f.end)}
	}
	for _, c := range b.pipeConvs {
		p := model.Pipe{Name: pipeDisplay(c.name), Instance: c.instance, ServerPID: c.serverPID, ClientPID: c.clientPID,
			Pairing: c.pairing, Inferred: true, ToServer: model.Flow{Ops: c.toServer.ops, Bytes: c.toServer.bytes},
			ToClient: model.Flow{Ops: c.toClient.ops, Bytes: c.toClient.bytes}, Latency: c.lat.Summary(),
			Failures: map[string]int{}, Impersonated: c.impersonated, Lossy: lossy(c.first, c.last),
			First: model.Time(c.first), Last: model.Time(c.last), Confidence: 1,
			ServerTID: c.serverTID, ClientTID: c.clientTID, ServerImage: c.serverImage, ClientImage: c.clientImage,
			ServerRule: "fsctl", ClientRule: "disposition",
			RoundTrip: c.roundTrip.Summary(), QueueDelay: c.queueDelay.Summary(), FlushDrain: c.flushDrain.Summary(),
			ConnectWait: c.connectWait.Summary()}
		for k, v := range c.failures {
			p.Failures[k] = v
		}
		m.Pipes = append(m.Pipes, p)
	}
	for _, k := range unpairedOrder {
		name := k.name
		for _, f := range b.failures {
			if strings.EqualFold(f.name, k.name) {
				name = f.name
				break
			}
		}
		m.Pipes = append(m.Pipes, model.Pipe{Name: pipeDisplay(name), ClientPID: k.pid, Pairing: "unpaired", Inferred: true, Failures: unpaired[k],
			Lossy: lossy(span[k][0], span[k][1]), First: model.Time(span[k][0]), Last: model.Time(span[k][1])})
	}
	// Instances that never connected and stuck pipe operations.
	for _, pn := range sortedPipeNames(b.pipeNames) {
		for _, srv := range pn.listening {
			m.Pipes = append(m.Pipes, model.Pipe{Name: pipeDisplay(srv.Name), Instance: srv.Instance, ServerPID: srv.Thread.Proc.PID,
				Pairing: "unpaired", Inferred: true, Failures: map[string]int{}, Lossy: lossy(srv.created, srv.listen.t),
				First: model.Time(srv.created), Last: model.Time(srv.lastOp)})
		}
	}
	for _, s := range b.stuck {
		m.Stuck = append(m.Stuck, b.stuckEntry(s, end))
	}
	for _, e := range b.openEnds {
		for _, r := range e.reads {
			kind := "pipe-read"
			if r.transceive {
				kind = "pipe-transceive"
			}
			var peer *Proc
			var peerTh *Thread
			if e.peer != nil {
				peer = e.peer.Thread.Proc
				peerTh = b.threads[e.peer.lastTID]
				if e.peer.Server && e.peer.readTID != 0 {
					peerTh = b.threads[e.peer.readTID]
				}
			}
			op := stuckOp{kind: kind, th: r.th, object: pipeDisplay(e.Name), since: r.t, peer: peer, peerThread: peerTh}
			if rule, owed := e.classifyRead(r); owed {
				op.rule = rule
				m.Stuck = append(m.Stuck, b.stuckEntry(op, end))
			} else {
				m.Idle = append(m.Idle, b.idleEntry(op, rule, end))
			}
		}
		if e.listen != nil {
			op := stuckOp{kind: "pipe-listen", th: e.listen.th, object: pipeDisplay(e.Name), since: e.listen.t}
			if bl := e.pn.busyLast; bl != 0 && bl >= e.listen.t-b.US(1e6) {
				op.rule = "W5"
				m.Stuck = append(m.Stuck, b.stuckEntry(op, end))
			} else {
				m.Idle = append(m.Idle, b.idleEntry(op, "I1", end))
			}
		}
	}
	for _, p := range b.procs {
		for _, th := range p.threads {
			if th.lastALPC != opWaitNew {
				continue
			}
			obj := th.waitPort
			if obj == "" {
				obj = "ALPC port"
			}
			m.Idle = append(m.Idle, model.Idle{Kind: "alpc-receive", PID: p.PID, TID: th.TID, Object: obj,
				Since: model.Time(th.lastALPCTime), WaitedUS: us(end - th.lastALPCTime), Rule: "I4", Inferred: true, Image: p.Image})
		}
	}
	slices.SortStableFunc(m.Idle, func(a, c model.Idle) int {
		return cmp.Or(cmp.Compare(a.Since, c.Since), cmp.Compare(a.PID, c.PID), cmp.Compare(a.TID, c.TID))
	})
	slices.SortStableFunc(m.Stuck, func(a, c model.Stuck) int { return cmp.Compare(a.Since, c.Since) })

	for _, k := range b.alpcOrder {
		c := b.alpcConvs[k]
		first, last := c.first, c.last
		for _, t := range c.pendingAt {
			// The engine notes a pending request at the end, after the
			// completed calls: it becomes the conversation's last time.
			if first == 0 || t < first {
				first = t
			}
			last = t
		}
		m.ALPC = append(m.ALPC, model.ALPC{Port: k.port, ClientPID: k.client, ServerPID: k.server, Calls: c.calls, Pending: c.pending,
			First: model.Time(first), Last: model.Time(last), Lossy: lossy(first, last),
			Latency: c.lat.Summary(), ServerTime: c.server.Summary(), Inferred: true,
			IdleWorkers: b.idleWorkers(k.server), ClientImage: b.image(k.client), ServerImage: b.image(k.server)})
	}
	for _, k := range b.rpcOrder {
		c := b.rpcs[k]
		r := model.RPC{Interface: k.iface.String(), ProcNum: k.procnum, Endpoint: k.endpoint, Protocol: "ncalrpc",
			ClientPID: k.client, ServerPID: k.server, Calls: c.calls, Failed: c.failed, Latency: c.lat.Summary(),
			ServerTime: c.server.Summary()}
		if k.pipe != "" {
			r.Protocol, r.Transport = "ncacn_np", pipeDisplay(k.pipe)
		}
		m.RPC = append(m.RPC, r)
	}
	for _, s := range b.sections {
		if len(s.pids) < 2 {
			continue
		}
		first, last, overlap, open := s.timeline(end)
		m.Sections = append(m.Sections, model.Section{Key: fmt.Sprintf("%#x", s.Key), Name: s.Name, PIDs: sortedPIDs(s.pids),
			Views: s.count, Bytes: s.bytes, Kind: s.Kind, First: model.Time(first), Last: model.Time(last),
			OverlapUS: us(overlap), Open: open})
	}
	b.winmsgTruth(m, end)
	m.Deadlocks = append(m.Deadlocks, b.cycles...)
	receivers := map[[2]uint32]uint32{}
	for _, s := range b.stuck {
		if s.receiver != nil {
			receivers[[2]uint32{s.th.Proc.PID, s.th.TID}] = s.receiver.TID
		}
	}
	for _, e := range b.openEnds {
		if e.peer != nil && e.peer.Server && e.peer.owes {
			for _, r := range e.reads {
				receivers[[2]uint32{r.th.Proc.PID, r.th.TID}] = e.peer.readTID
			}
		}
	}
	fillCycles(m.Deadlocks, m.Stuck, receivers)
	m.Security = append(m.Security, b.security...)
	return m
}

func (b *Builder) stuckEntry(s stuckOp, end int64) model.Stuck {
	st := model.Stuck{Kind: s.kind, PID: s.th.Proc.PID, TID: s.th.TID, Object: s.object, Since: model.Time(s.since),
		WaitedUS: us(end - s.since), Inferred: true, MessageID: s.msgID, Detail: s.detail, Rule: s.rule}
	if s.peer != nil {
		st.PeerPID = s.peer.PID
		if s.peerThread != nil {
			st.PeerTID = s.peerThread.TID
		}
		if s.peer.last != 0 {
			st.PeerLastActivity = model.Time(s.peer.last)
		}
	}
	return st
}

func sortedPipeNames(m map[string]*pipeName) []*pipeName {
	out := make([]*pipeName, 0, len(m))
	for _, pn := range m {
		out = append(out, pn)
	}
	slices.SortFunc(out, func(a, c *pipeName) int { return strings.Compare(a.name, c.name) })
	return out
}

// idleWorkers counts the threads of process pid whose last ALPC event is
// WaitForNewMessage.
func (b *Builder) idleWorkers(pid uint32) int {
	n := 0
	for _, p := range b.procs {
		if p.PID != pid {
			continue
		}
		for _, th := range p.threads {
			if th.lastALPC == opWaitNew {
				n++
			}
		}
	}
	return n
}

func (b *Builder) image(pid uint32) string {
	for _, p := range b.procs {
		if p.PID == pid {
			return p.Image
		}
	}
	return ""
}

// classifyRead says whether a read still pending at the end is owed, by
// the rules of docs/rules.md (W1, W2, I2), from the scenario's own state.
func (e *PipeEnd) classifyRead(r *pendingRead) (rule string, owed bool) {
	switch {
	case r.transceive:
		return "W2", true
	case e.Server && e.owes:
		return "W1", true
	case e.Server:
		return "I2", false
	case e.reqStart != 0 && e.reqStart <= r.t:
		return "W1", true
	}
	return "I2", false
}

func (b *Builder) idleEntry(s stuckOp, rule string, end int64) model.Idle {
	return model.Idle{Kind: s.kind, PID: s.th.Proc.PID, TID: s.th.TID, Object: s.object, Since: model.Time(s.since),
		WaitedUS: us(end - s.since), Rule: rule, Inferred: true, Image: b.image(s.th.Proc.PID)}
}
