package synth

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/decoders/rpcif"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/winmsg"
	"github.com/ipctrace/ipctrace/model"
)

// Window messages and COM call delays (docs/events.md#window-messages,
// docs/events.md#com): the Win32k MessagePump and UIUnresponsiveness events
// and the COMRuntime delay events, with the truth of docs/rules.md WM1–WM4
// and COM1–COM2.

// Window is a window owned by a thread.
type Window struct {
	Hwnd   uint64
	Thread *Thread
	Class  string
}

// Window returns a new window of th with class name class.
func (b *Builder) Window(th *Thread, class string) *Window {
	b.nextHwnd += 0x2A
	return &Window{Hwnd: 0x10000 + b.nextHwnd, Thread: th, Class: class}
}

// winmsgState is the Builder's window-message and COM truth.
type winmsgState struct {
	nextHwnd uint64
	wmConvs  map[wmKey]*wmConvTruth
	wmOrder  []wmKey
	wmQueues []*wmQueueTruth
	wmPosted []*PostedMessage
	hung     []model.HungPump
	comRows  map[comKey]*comTruth
	comOrder []comKey

	mailslots []*Mailslot // mailslot.go
}

type wmKey struct{ spid, stid, rpid, rtid uint32 }

type wmConvTruth struct {
	sent, pending       int64
	first, last         int64 // first send, last return
	msgs                map[uint32]int64
	lat, queue, handler latency.Hist
}

type wmQueueTruth struct {
	th        *Thread
	retrieved int64
	delay     latency.Hist
	posters   map[uint32]bool
	queued    int64
	oldest    int64
}

// PostedMessage is a message posted to a window and not yet retrieved.
type PostedMessage struct {
	pqmsg  uint64
	w      *Window
	msg    uint32
	t      int64
	poster *Thread
	lost   bool // posted while loss was simulated
}

func (b *Builder) win32k(t int64, th *Thread, id uint16, keyword uint64, ev decoders.Event) {
	b.emitManifest(t, decoders.Win32kGUID, id, 0, 4, 0, 0, keyword, th.Proc.PID, th.TID, th.Processor(), etw.GUID{}, ev)
}

func (b *Builder) wmConv(s, r *Thread) *wmConvTruth {
	k := wmKey{s.Proc.PID, s.TID, r.Proc.PID, r.TID}
	if b.wmConvs == nil {
		b.wmConvs = map[wmKey]*wmConvTruth{}
	}
	c := b.wmConvs[k]
	if c == nil {
		c = &wmConvTruth{msgs: map[uint32]int64{}}
		b.wmConvs[k] = c
		b.wmOrder = append(b.wmOrder, k)
	}
	return c
}

// span widens the conversation's first send and last return.
func (c *wmConvTruth) span(start, end int64) {
	if c.first == 0 || start < c.first {
		c.first = start
	}
	c.last = max(c.last, end)
}

func (b *Builder) wmQueue(th *Thread) *wmQueueTruth {
	for _, q := range b.wmQueues {
		if q.th == th {
			return q
		}
	}
	q := &wmQueueTruth{th: th, posters: map[uint32]bool{}}
	b.wmQueues = append(b.wmQueues, q)
	return q
}

// sendStart emits SendMessageStart (60) on the sender.
func (b *Builder) sendStart(t int64, sender *Thread, w *Window, msg uint32, pq uint64) {
	b.act(t, sender)
	b.win32k(t, sender, decoders.Win32kSendMessageStartID, decoders.Win32kKeywordMessagePump, &decoders.Win32kMessage{
		ID: decoders.Win32kSendMessageStartID, Pqmsg: pq, Hwnd: w.Hwnd, WParam: b.pv(0x10), LParam: b.pv(0x7FF000001000), Message: msg,
		ReceiverPID: w.Thread.Proc.PID, ReceiverTID: w.Thread.TID})
}

// retrieveSend emits RetrieveSendMessageStart (62) on the window's thread.
func (b *Builder) retrieveSend(t int64, w *Window, msg uint32, pq uint64) {
	b.act(t, w.Thread)
	b.win32k(t, w.Thread, decoders.Win32kRetrieveSendMessageStartID, decoders.Win32kKeywordMessagePump, &decoders.Win32kMessage{
		ID: decoders.Win32kRetrieveSendMessageStartID, Pqmsg: pq, Hwnd: w.Hwnd, WParam: b.pv(0x10), LParam: b.pv(0x7FF000001000), Message: msg})
}

func (b *Builder) msgStop(t int64, th *Thread, id uint16, pq uint64) {
	b.act(t, th)
	b.win32k(t, th, id, decoders.Win32kKeywordMessagePump, &decoders.Win32kMessageStop{ID: id, Pqmsg: pq})
}

// SendMessage is one SendMessage from sender to window w that the window's
// thread retrieves after queue, handles in handler and returns from:
//
//	sender:   SendMessageStart(60) ……………………………………… SendMessageStop(70)
//	receiver:        RetrieveSendMessageStart(62) … Stop(83)
//
// It returns the time SendMessage returned.
func (b *Builder) SendMessage(t int64, sender *Thread, w *Window, msg uint32, queue, handler int64) int64 {
	pq := b.pv(b.addr()) // drawn first: the jitter sequence of the scenarios stays as it was
	r := t + queue
	h := r + handler
	end := h + b.US(3)
	b.sendMessage(pq, t, sender, w, msg, r, h, end)
	return end
}

// SendMessageAt is SendMessage with every time given: sent at t, retrieved
// by the window's thread at retrieved, its handler returning at handled,
// SendMessage returning at end (t ≤ retrieved ≤ handled ≤ end), as a probe
// measured them.
func (b *Builder) SendMessageAt(t int64, sender *Thread, w *Window, msg uint32, retrieved, handled, end int64) {
	b.sendMessage(b.pv(b.addr()), t, sender, w, msg, retrieved, handled, end)
}

func (b *Builder) sendMessage(pq uint64, t int64, sender *Thread, w *Window, msg uint32, retrieved, handled, end int64) {
	b.sendStart(t, sender, w, msg, pq)
	b.retrieveSend(retrieved, w, msg, pq)
	b.msgStop(handled, w.Thread, decoders.Win32kRetrieveSendMessageStopID, pq)
	b.msgStop(end, sender, decoders.Win32kSendMessageStopID, pq)
	if !b.suppress {
		c := b.wmConv(sender, w.Thread)
		c.sent++
		c.msgs[msg]++
		c.span(t, end)
		c.lat.Record(end - t)
		c.queue.Record(retrieved - t)
		c.handler.Record(handled - retrieved)
	}
}

// SendMessageStuck is a SendMessage that never returns: the window's thread
// retrieves it after queue and never leaves its handler (retrieved,
// docs/rules.md WM1), or never retrieves it (WM2).
func (b *Builder) SendMessageStuck(t int64, sender *Thread, w *Window, msg uint32, retrieved bool, queue int64) {
	pq := b.pv(b.addr())
	b.sendStart(t, sender, w, msg, pq)
	if retrieved {
		b.retrieveSend(t+queue, w, msg, pq)
	}
	if b.suppress {
		return
	}
	c := b.wmConv(sender, w.Thread)
	c.pending++
	c.msgs[msg]++
	c.span(t, 0)
	rule, detail := "WM2", "never retrieved: the receiving thread did not pump its messages"
	if retrieved {
		c.queue.Record(queue)
		rule, detail = "WM1", "the receiving thread is inside its handler for the message"
	}
	b.stuck = append(b.stuck, stuckOp{kind: "sendmessage", th: sender, detail: detail,
		object: WindowMessageObject(msg, w), since: t,
		peer: w.Thread.Proc, peerThread: w.Thread, rule: rule, receiver: w.Thread})
}

// WindowMessageObject is the Stuck object of a SendMessage of msg to w,
// as the report names it.
func WindowMessageObject(msg uint32, w *Window) string {
	return fmt.Sprintf("%s to hwnd %#x", winmsg.MessageName(msg), w.Hwnd)
}

// PostMessage emits QueuePostMessage (59) by poster for window w at t.
func (b *Builder) PostMessage(t int64, poster *Thread, w *Window, msg uint32) *PostedMessage {
	pq := b.pv(b.addr())
	b.act(t, poster)
	b.win32k(t, poster, decoders.Win32kQueuePostMessageID, decoders.Win32kKeywordMessagePump, &decoders.Win32kMessage{
		ID: decoders.Win32kQueuePostMessageID, Pqmsg: pq, Hwnd: w.Hwnd, WParam: b.pv(1), Message: msg})
	p := &PostedMessage{pqmsg: pq, w: w, msg: msg, t: t, poster: poster, lost: b.suppress}
	if !b.suppress {
		b.wmPosted = append(b.wmPosted, p)
	}
	return p
}

// RetrievePost emits RetrievePostMessage (61) on the window's thread at t.
func (b *Builder) RetrievePost(t int64, p *PostedMessage) {
	th := p.w.Thread
	b.act(t, th)
	b.win32k(t, th, decoders.Win32kRetrievePostMessageID, decoders.Win32kKeywordMessagePump, &decoders.Win32kMessage{
		ID: decoders.Win32kRetrievePostMessageID, Pqmsg: p.pqmsg, Hwnd: p.w.Hwnd, WParam: b.pv(1), Message: p.msg})
	if b.suppress || p.lost {
		return
	}
	i := slices.Index(b.wmPosted, p)
	if i >= 0 {
		b.wmPosted = slices.Delete(b.wmPosted, i, i+1)
	}
	q := b.wmQueue(th)
	q.retrieved++
	q.delay.Record(t - p.t)
	q.posters[p.poster.Proc.PID] = true
}

// HungPump emits a hung-window report on th for window w: MessageCheckDelay
// (38) when check, else InputProcessDelay (37), with delayMS as
// DelayTimeMs (38) or TimeSinceOldestInputMs (37).
func (b *Builder) HungPump(t int64, th *Thread, w *Window, check bool, delayMS uint32) {
	id, name := decoders.Win32kInputProcessDelayID, "InputProcessDelay"
	ev := &decoders.Win32kUIDelay{Flags: 0x19, TimeSinceInputRemoveMs: delayMS, ClassName: w.Class, TopLevelClassName: w.Class,
		ImagePath: `C:\Windows\System32\` + th.Proc.Image, MessageID: 0x100}
	if check {
		id, name = decoders.Win32kMessageCheckDelayID, "MessageCheckDelay"
		ev.DelayTimeMs = delayMS
	} else {
		ev.TimeSinceOldestInputMs = delayMS
	}
	ev.ID = id
	b.win32k(t, th, id, decoders.Win32kKeywordUIUnresponsiveness, ev)
	if b.suppress {
		return
	}
	for i := range b.hung {
		h := &b.hung[i]
		if h.PID == th.Proc.PID && h.TID == th.TID && h.Event == name && h.ClassName == w.Class {
			h.Reports++
			h.Last = model.Time(t)
			h.MaxDelayMS = max(h.MaxDelayMS, delayMS)
			return
		}
	}
	b.hung = append(b.hung, model.HungPump{PID: th.Proc.PID, TID: th.TID, Event: name, ClassName: w.Class, TopLevel: w.Class,
		Image: th.Proc.Image, ImagePath: ev.ImagePath, Reports: 1, MaxDelayMS: delayMS, First: model.Time(t), Last: model.Time(t), Inferred: true})
}

type comKey struct {
	kind                   string
	cpid, ctid, tpid, ttid uint32
	iface                  etw.GUID
	method                 uint32
}

type comTruth struct {
	calls, failed, joined int64
	results               map[string]int64
	time                  latency.Hist
	endpoint              string
}

func (b *Builder) comRow(k comKey) *comTruth {
	if b.comRows == nil {
		b.comRows = map[comKey]*comTruth{}
	}
	c := b.comRows[k]
	if c == nil {
		c = &comTruth{results: map[string]int64{}}
		b.comRows[k] = c
		b.comOrder = append(b.comOrder, k)
	}
	return c
}

// COMCallDelay emits ComCallDelay (2) on caller at t: a COM call to target
// on interface iid, method, that took ms milliseconds and returned hr.
// rpcPort names the endpoint of the RPC call it is to be joined with
// (docs/rules.md COM2): the caller's RPC call on the same interface that
// ended just before t; "" when there is none.
func (b *Builder) COMCallDelay(t int64, caller, target *Thread, iid etw.GUID, method, ms, hr uint32, rpcPort string) {
	b.act(t, caller)
	b.emitManifest(t, decoders.COMRuntimeGUID, decoders.COMCallDelayID, 0, 4, 0, 0, decoders.COMKeywordComCallWaitAnalysis,
		caller.Proc.PID, caller.TID, caller.Processor(), etw.GUID{}, &decoders.COMCallDelay{CallTimeMs: ms, CallResult: hr,
			TargetThreadID: target.TID, TargetProcessID: target.Proc.PID, TargetMethod: method, TargetInterface: iid})
	if b.suppress {
		return
	}
	c := b.comRow(comKey{"call-delay", caller.Proc.PID, caller.TID, target.Proc.PID, target.TID, iid, method})
	c.calls++
	if int32(hr) < 0 {
		c.failed++
	}
	c.results[rpcif.HRESULTLabel(hr)]++
	c.time.Record(int64(ms) * Millisecond)
	if rpcPort != "" {
		c.joined++
		c.endpoint = rpcPort
	}
}

// COMModalLoop emits CliModalLoopDelay (1) on th: ms in the modal loop.
func (b *Builder) COMModalLoop(t int64, th *Thread, ms uint32) {
	b.act(t, th)
	b.emitManifest(t, decoders.COMRuntimeGUID, decoders.COMCliModalLoopDelayID, 0, 4, 0, 0, decoders.COMKeywordCliModalLoop,
		th.Proc.PID, th.TID, th.Processor(), etw.GUID{}, &decoders.COMCliModalLoopDelay{BlockTimeMs: ms, TotalTimeMs: ms + 5})
	if b.suppress {
		return
	}
	c := b.comRow(comKey{kind: "modal-loop", cpid: th.Proc.PID, ctid: th.TID})
	c.calls++
	c.time.Record(int64(ms) * Millisecond)
}

// winmsgTruth adds the window-message, COM and mailslot sections to the truth.
func (b *Builder) winmsgTruth(m *model.Model, end int64) {
	b.mailslotTruth(m, end)
	for _, k := range b.wmOrder {
		c := b.wmConvs[k]
		wm := model.WindowMessages{SenderPID: k.spid, SenderTID: k.stid, ReceiverPID: k.rpid, ReceiverTID: k.rtid,
			SenderImage: b.image(k.spid), ReceiverImage: b.image(k.rpid), Sent: c.sent, Pending: c.pending,
			Messages: []model.MessageCount{}, Latency: c.lat.Summary(), QueueWait: c.queue.Summary(), Handler: c.handler.Summary(), Inferred: true,
			First: model.Time(c.first), Last: model.Time(c.last)}
		for msg, n := range c.msgs {
			wm.Messages = append(wm.Messages, model.MessageCount{Message: msg, Name: winmsg.MessageName(msg), Count: n})
		}
		slices.SortFunc(wm.Messages, func(a, c model.MessageCount) int {
			return cmp.Or(cmp.Compare(c.Count, a.Count), cmp.Compare(a.Message, c.Message))
		})
		m.WindowMessages = append(m.WindowMessages, wm)
	}
	for _, p := range b.wmPosted {
		q := b.wmQueue(p.w.Thread)
		q.queued++
		if q.oldest == 0 || p.t < q.oldest {
			q.oldest = p.t
		}
		q.posters[p.poster.Proc.PID] = true
	}
	for _, q := range b.wmQueues {
		pq := model.PostedQueue{PID: q.th.Proc.PID, TID: q.th.TID, Image: q.th.Proc.Image, Retrieved: q.retrieved, Queued: q.queued,
			Posters: sortedPIDs(q.posters), QueueDelay: q.delay.Summary(), Inferred: true}
		if q.oldest != 0 {
			pq.OldestQueuedUS = us(end - q.oldest)
		}
		m.PostedQueues = append(m.PostedQueues, pq)
	}
	m.HungPumps = append(m.HungPumps, b.hung...)
	for _, k := range b.comOrder {
		c := b.comRows[k]
		row := model.COMCall{Kind: k.kind, CallerPID: k.cpid, CallerTID: k.ctid, TargetPID: k.tpid, TargetTID: k.ttid, Method: k.method,
			CallerImage: b.image(k.cpid), TargetImage: b.image(k.tpid), Calls: c.calls, Failed: c.failed, Results: c.results,
			Time: c.time.Summary(), RPCJoined: c.joined, RPCEndpoint: c.endpoint, Inferred: true}
		if k.kind == "call-delay" {
			row.Interface = k.iface.String()
			if it, ok := rpcif.Lookup(k.iface); ok {
				row.InterfaceName, row.MethodName = it.Name, it.Method(k.method)
			}
		}
		if c.endpoint != "" {
			row.RPCProtocol = "ncalrpc"
		}
		if len(row.Results) == 0 {
			row.Results = nil
		}
		m.COM = append(m.COM, row)
	}
	for i := range m.RPC {
		r := &m.RPC[i]
		if g, err := etw.ParseGUID(r.Interface); err == nil {
			if it, ok := rpcif.Lookup(g); ok {
				r.InterfaceName, r.Method = it.Name, it.Method(r.ProcNum)
			}
		}
	}
}
