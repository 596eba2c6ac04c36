package correlate

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/winmsg"
	"github.com/ipctrace/ipctrace/model"
)

// Window messages (docs/events.md#window-messages, docs/rules.md WM1–WM4).
// The Win32k MessagePump events of one message share its queue entry,
// pqmsg:
//
//	sender:   SendMessageStart (60: hwnd, message, receiver PID/TID) … SendMessageStop (70)
//	receiver: RetrieveSendMessageStart (62) … RetrieveSendMessageStop (83)
//	poster:   QueuePostMessage (59)
//	receiver: RetrievePostMessage (61)
//
// A send open at the end is stuck: WM1 when the receiver retrieved it (its
// handler had not returned), WM2 when it never did (the receiving thread
// was not pumping). Both are owed waits from the sender thread to the
// receiver thread in the wait-for graph. No real trace with these events
// has been seen: every rule is inferred from the manifest's names.

// maxOpenWM bounds the sends and posts waiting for their other events: a
// trace that never shows the stops cannot grow the tables without end.
const maxOpenWM = 1 << 16

type wmSend struct {
	spid, stid uint32
	rpid, rtid uint32
	msg        uint32
	hwnd       uint64
	pq         uint64
	t          int64
	retrieved  int64 // RetrieveSendMessageStart time, 0 until then
	handled    int64 // RetrieveSendMessageStop time, 0 until then
	out        bool  // started before the --since window
	flow       uint64
}

type wmPost struct {
	ppid, ptid uint32
	hwnd       uint64
	t          int64
	msg        uint32
	flow       uint64
}

type wmConvKey struct{ spid, stid, rpid, rtid uint32 }

type wmConv struct {
	m                   model.WindowMessages
	lat, queue, handler latency.Hist
	msgs                map[uint32]int64 // sends per message number, returned or open
	first, last         int64
}

type wmQueue struct {
	pid, tid  uint32
	retrieved int64
	delay     latency.Hist
	posters   map[uint32]bool
	queued    int64
	oldest    int64 // time of the oldest message still queued
}

type hungKey struct {
	pid, tid uint32
	event    string
	class    string
}

type wmState struct {
	// Open sends and queued posts by pqmsg, held by value: one per message,
	// so pointers would cost an allocation per message.
	sends   map[uint64]wmSend
	posts   map[uint64]wmPost
	windows map[uint64]wmThread
	convs   map[wmConvKey]*wmConv
	order   []*wmConv
	queues  map[wmThread]*wmQueue
	qorder  []*wmQueue
	hung    map[hungKey]*model.HungPump
	horder  []*model.HungPump
}

// wmThread is a thread that owns windows.
type wmThread struct{ pid, tid uint32 }

func (w *wmState) init() {
	w.sends = make(map[uint64]wmSend)
	w.posts = make(map[uint64]wmPost)
	w.windows = make(map[uint64]wmThread)
	w.convs = make(map[wmConvKey]*wmConv)
	w.queues = make(map[wmThread]*wmQueue)
	w.hung = make(map[hungKey]*model.HungPump)
}

func (e *Engine) win32kMessage(d *decoders.Decoded, ev *decoders.Win32kMessage) {
	e.touch(d.PID, d.TID, d.Time)
	w := &e.w
	switch ev.ID {
	case decoders.Win32kSendMessageStartID:
		if ev.ReceiverTID != 0 {
			w.windows[ev.Hwnd] = wmThread{ev.ReceiverPID, ev.ReceiverTID}
		}
		if _, ok := w.sends[ev.Pqmsg]; !ok && len(w.sends) >= maxOpenWM {
			return
		}
		w.sends[ev.Pqmsg] = wmSend{spid: d.PID, stid: d.TID, rpid: ev.ReceiverPID, rtid: ev.ReceiverTID,
			msg: ev.Message, hwnd: ev.Hwnd, pq: ev.Pqmsg, t: d.Time, out: e.out, flow: e.newFlow()}
	case decoders.Win32kRetrieveSendMessageStartID:
		if s, ok := w.sends[ev.Pqmsg]; ok && s.retrieved == 0 {
			s.retrieved = d.Time
			if s.rtid == 0 {
				s.rpid, s.rtid = d.PID, d.TID
			}
			w.sends[ev.Pqmsg] = s
		}
		w.windows[ev.Hwnd] = wmThread{d.PID, d.TID}
	case decoders.Win32kQueuePostMessageID:
		if _, ok := w.posts[ev.Pqmsg]; !ok && len(w.posts) >= maxOpenWM {
			return
		}
		w.posts[ev.Pqmsg] = wmPost{ppid: d.PID, ptid: d.TID, hwnd: ev.Hwnd, t: d.Time, msg: ev.Message, flow: e.newFlow()}
	case decoders.Win32kRetrievePostMessageID:
		w.windows[ev.Hwnd] = wmThread{d.PID, d.TID}
		p, ok := w.posts[ev.Pqmsg]
		if !ok {
			return
		}
		delete(w.posts, ev.Pqmsg)
		if e.opt.Timeline {
			name := winmsg.MessageName(p.msg)
			e.span(p.ppid, p.ptid, "window-message", "postmessage ", name, p.t, p.t, p.flow, 0)
			e.span(d.PID, d.TID, "window-message", "retrieve ", name, d.Time, d.Time, 0, p.flow)
		}
		if e.out {
			return
		}
		q := e.wmQueue(wmThread{d.PID, d.TID})
		q.retrieved++
		q.delay.Record(d.Time - p.t)
		if p.ppid != 0 && p.ppid != anyPID {
			q.posters[p.ppid] = true
		}
	}
}

func (e *Engine) win32kStop(d *decoders.Decoded, ev *decoders.Win32kMessageStop) {
	e.touch(d.PID, d.TID, d.Time)
	s, ok := e.w.sends[ev.Pqmsg]
	if !ok {
		return
	}
	switch ev.ID {
	case decoders.Win32kRetrieveSendMessageStopID:
		if s.retrieved != 0 && s.handled == 0 {
			s.handled = d.Time
			e.w.sends[ev.Pqmsg] = s
		}
	case decoders.Win32kSendMessageStopID:
		if d.TID != s.stid {
			return
		}
		delete(e.w.sends, ev.Pqmsg)
		if e.opt.Timeline {
			name := winmsg.MessageName(s.msg)
			e.span(s.spid, s.stid, "window-message", "sendmessage ", name, s.t, d.Time, s.flow, 0)
			if s.retrieved != 0 {
				e.span(s.rpid, s.rtid, "window-message", "handler ", name, s.retrieved, max(s.handled, s.retrieved), 0, s.flow)
			}
		}
		if s.out || e.out {
			return
		}
		c := e.wmConv(&s)
		c.m.Sent++
		c.msgs[s.msg]++
		c.lat.Record(d.Time - s.t)
		if s.retrieved != 0 {
			c.queue.Record(s.retrieved - s.t)
			if s.handled != 0 {
				c.handler.Record(s.handled - s.retrieved)
			}
		}
		c.first = min(c.first, s.t)
		c.last = max(c.last, d.Time)
	}
}

func (e *Engine) wmConv(s *wmSend) *wmConv {
	k := wmConvKey{s.spid, s.stid, s.rpid, s.rtid}
	c := e.w.convs[k]
	if c == nil {
		c = &wmConv{m: model.WindowMessages{SenderPID: s.spid, SenderTID: s.stid, ReceiverPID: s.rpid, ReceiverTID: s.rtid, Inferred: true},
			msgs: map[uint32]int64{}, first: s.t}
		e.w.convs[k] = c
		e.w.order = append(e.w.order, c)
	}
	return c
}

func (e *Engine) wmQueue(th wmThread) *wmQueue {
	q := e.w.queues[th]
	if q == nil {
		q = &wmQueue{pid: th.pid, tid: th.tid, posters: map[uint32]bool{}}
		e.w.queues[th] = q
		e.w.qorder = append(e.w.qorder, q)
	}
	return q
}

// uiDelayNames names the hung-window events for HungPump.Event.
var uiDelayNames = map[uint16]string{
	decoders.Win32kInputProcessDelayID:          "InputProcessDelay",
	decoders.Win32kMessageCheckDelayID:          "MessageCheckDelay",
	decoders.Win32kImmersiveInputProcessDelayID: "ImmersiveInputProcessDelay",
	decoders.Win32kImmersiveMessageCheckDelayID: "ImmersiveMessageCheckDelay",
}

// win32kDelay records a hung-pump report (docs/rules.md WM4), grouped per
// thread, event and window class.
func (e *Engine) win32kDelay(d *decoders.Decoded, ev *decoders.Win32kUIDelay) {
	if e.out {
		return
	}
	name := uiDelayNames[ev.ID]
	if name == "" {
		return
	}
	k := hungKey{d.PID, d.TID, name, ev.ClassName}
	h := e.w.hung[k]
	if h == nil {
		if len(e.w.hung) >= maxOpenWM {
			return
		}
		h = &model.HungPump{PID: d.PID, TID: d.TID, Event: name, ClassName: ev.ClassName, TopLevel: ev.TopLevelClassName,
			ImagePath: ev.ImagePath, AppUserModelID: ev.AppUserModelID, First: ft(d.Time), Inferred: true}
		e.w.hung[k] = h
		e.w.horder = append(e.w.horder, h)
	}
	h.Reports++
	h.Last = ft(d.Time)
	delay := ev.DelayTimeMs
	if ev.ID == decoders.Win32kInputProcessDelayID || ev.ID == decoders.Win32kImmersiveInputProcessDelayID {
		delay = ev.TimeSinceOldestInputMs
	}
	h.MaxDelayMS = max(h.MaxDelayMS, delay)
}

// wmObject names the object a sender waits on: the message and the window.
func wmObject(msg uint32, hwnd uint64) string {
	return fmt.Sprintf("%s to hwnd %#x", winmsg.MessageName(msg), hwnd)
}

// wmStuckRule judges an open SendMessage (docs/rules.md WM1, WM2).
func wmStuckRule(s *wmSend) (rule, detail string) {
	if s.retrieved != 0 && s.handled == 0 {
		return "WM1", "the receiving thread is inside its handler for the message"
	}
	if s.retrieved != 0 {
		return "WM1", "the receiving thread handled the message; SendMessage had not returned"
	}
	return "WM2", "never retrieved: the receiving thread did not pump its messages"
}

// wmWaits adds the graph's edges for the open sends at least --stuck-after
// long: sender thread → receiver thread, one per sender thread. A thread
// blocks in one SendMessage at a time: of nested ones (a handler that
// sends in turn) the latest is the one it waits in; and a trace whose
// stops are missing cannot make a thread the source of many edges.
func (e *Engine) wmWaits(edges []waitEdge, end int64) []waitEdge {
	latest := make(map[waitNode]*wmSend)
	for _, s := range e.w.sends {
		s := &s
		if s.rtid == 0 || end-s.t < e.stuckAfter {
			continue
		}
		n := waitNode{s.spid, s.stid}
		if l := latest[n]; l == nil || s.t > l.t || (s.t == l.t && s.pq > l.pq) {
			latest[n] = s
		}
	}
	for n, s := range latest {
		edges = append(edges, waitEdge{n, waitNode{s.rpid, s.rtid}, wmObject(s.msg, s.hwnd),
			"window-message", "sendmessage", end - s.t})
	}
	return edges
}

func (e *Engine) finishWinMsg(m *model.Model, end int64) {
	w := &e.w
	// Open sends: pending in their conversation, stuck when long enough.
	var open []*wmSend
	for _, s := range w.sends {
		open = append(open, &s)
	}
	slices.SortFunc(open, func(a, b *wmSend) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.stid, b.stid))
	})
	for _, s := range open {
		c := e.wmConv(s)
		c.m.Pending++
		c.msgs[s.msg]++
		if s.t < c.first || c.first == 0 {
			c.first = s.t
		}
		if s.retrieved != 0 {
			c.queue.Record(s.retrieved - s.t)
		}
		if end-s.t < e.stuckAfter || !e.keepPIDs(s.spid, s.rpid) || e.opt.PipeGlob != "" {
			continue
		}
		rule, detail := wmStuckRule(s)
		st := model.Stuck{Kind: "sendmessage", PID: s.spid, TID: s.stid, Object: wmObject(s.msg, s.hwnd), Since: ft(s.t),
			WaitedUS: usOf(end - s.t), PeerPID: s.rpid, PeerTID: s.rtid, Inferred: true, Detail: detail, Rule: rule,
			Evidence: fmt.Sprintf("SendMessageStart without SendMessageStop; %s", detail)}
		if last, _ := e.procLast(s.rpid); last != 0 {
			st.PeerLastActivity = ft(last)
		}
		m.Stuck = append(m.Stuck, st)
		if e.opt.Timeline {
			e.span(s.spid, s.stid, "window-message", "sendmessage ", winmsg.MessageName(s.msg), s.t, end, s.flow, 0)
			if s.retrieved != 0 {
				e.span(s.rpid, s.rtid, "window-message", "handler ", winmsg.MessageName(s.msg), s.retrieved, end, 0, s.flow)
			}
		}
	}
	for _, c := range w.order {
		if !e.keepPIDs(c.m.SenderPID, c.m.ReceiverPID) || e.opt.PipeGlob != "" {
			continue
		}
		c.m.Latency, c.m.QueueWait, c.m.Handler = c.lat.Summary(), c.queue.Summary(), c.handler.Summary()
		c.m.SenderImage, c.m.ReceiverImage = e.image(c.m.SenderPID), e.image(c.m.ReceiverPID)
		c.m.First, c.m.Last = ft(c.first), ft(c.last)
		c.m.Messages = []model.MessageCount{}
		for msg, n := range c.msgs {
			c.m.Messages = append(c.m.Messages, model.MessageCount{Message: msg, Name: winmsg.MessageName(msg), Count: n})
		}
		slices.SortFunc(c.m.Messages, func(a, b model.MessageCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message))
		})
		m.WindowMessages = append(m.WindowMessages, c.m)
	}
	// Posts still queued: to the thread that owns the window, when known.
	var queued []*wmPost
	for _, p := range w.posts {
		queued = append(queued, &p)
	}
	slices.SortFunc(queued, func(a, b *wmPost) int { return cmp.Compare(a.t, b.t) })
	for _, p := range queued {
		th, ok := w.windows[p.hwnd]
		if !ok || p.t < e.since {
			continue
		}
		q := e.wmQueue(th)
		q.queued++
		if q.oldest == 0 || p.t < q.oldest {
			q.oldest = p.t
		}
		if p.ppid != 0 && p.ppid != anyPID {
			q.posters[p.ppid] = true
		}
	}
	for _, q := range w.qorder {
		if !e.keepPIDs(q.pid) || e.opt.PipeGlob != "" {
			continue
		}
		pq := model.PostedQueue{PID: q.pid, TID: q.tid, Image: e.image(q.pid), Retrieved: q.retrieved, Queued: q.queued,
			Posters: []uint32{}, QueueDelay: q.delay.Summary(), Inferred: true}
		for pid := range q.posters {
			pq.Posters = append(pq.Posters, pid)
		}
		slices.Sort(pq.Posters)
		if q.oldest != 0 {
			pq.OldestQueuedUS = usOf(end - q.oldest)
		}
		m.PostedQueues = append(m.PostedQueues, pq)
	}
	for _, h := range w.horder {
		if !e.keepPIDs(h.PID) || e.opt.PipeGlob != "" {
			continue
		}
		h.Image = e.image(h.PID)
		m.HungPumps = append(m.HungPumps, *h)
	}
	slices.SortStableFunc(m.HungPumps, func(a, b model.HungPump) int { return cmp.Compare(b.MaxDelayMS, a.MaxDelayMS) })
}
