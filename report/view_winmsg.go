package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/internal/texttable"
	"github.com/ipctrace/ipctrace/model"
)

// Sections of window messages and COM (docs/rules.md WM1–WM4, COM1–COM2):
// hung message pumps (beside the stuck operations), SendMessage
// conversations, posted-message queues and COM call delays.

const (
	footWinMsg = "* inferred: Win32k message events paired by queue entry (pqmsg), docs/rules.md WM1–WM3"
	footCOM    = "* inferred: COMRuntime delay events, joined with RPC calls by thread and interface, docs/rules.md COM1–COM2"
)

// hungPumps lists the threads Windows reported as not pumping.
func (b *builder) hungPumps() *Section {
	if len(b.m.HungPumps) == 0 {
		return nil
	}
	s := &Section{ID: "hung-pumps", Title: "Hung message pumps", Count: len(b.m.HungPumps),
		Intro: "Threads whose windows Windows reported as not checking their message queue (MessageCheckDelay) or not taking input (InputProcessDelay).",
		Cols: []texttable.Column{
			{Head: "Process", Shrink: 16}, {Head: "TID", Right: true}, {Head: "Window class", Shrink: 16},
			{Head: "Event", Priority: 2}, {Head: "Reports", Right: true, Priority: 3},
			{Head: "Max delay", Right: true}, {Head: "First .. last", Priority: 4}, {Head: "Image path", Wide: true},
		}}
	for _, h := range b.m.HungPumps {
		path := h.ImagePath
		if path == "" {
			path = h.AppUserModelID
		}
		s.Rows = append(s.Rows, Row{Class: "hot", Cells: []Cell{
			b.procCell(h.NS, h.PID, 0, h.Image, ""), intCell(int64(h.TID)), mono(h.ClassName), text(h.Event),
			intCell(h.Reports), {Text: dur(float64(h.MaxDelayMS) * 1000), Class: "n bad", Sort: strconv.FormatUint(uint64(h.MaxDelayMS), 10)},
			b.span(h.First, h.Last), mono(path),
		}})
	}
	return s
}

// windowMessages lists the SendMessage conversations.
func (b *builder) windowMessages() *Section {
	if len(b.m.WindowMessages) == 0 {
		return nil
	}
	s := &Section{ID: "window-messages", Title: "Window messages", Count: len(b.m.WindowMessages),
		Intro: "SendMessage calls from one thread to another thread's windows: the messages, the time until SendMessage returned, until the receiver took the message, and in its handler.",
		Cols: []texttable.Column{
			{Head: "Sender", Shrink: 14}, {Head: "Receiver", Shrink: 14}, {Head: "Messages", Shrink: 18, Priority: 2},
			{Head: "Sent", Right: true}, {Head: "Pending", Right: true},
			{Head: "Latency µs p50/p99/max", Right: true, Priority: 1},
			{Head: "Queue µs p50/p99/max", Right: true, Priority: 4},
			{Head: "Handler µs p50/p99/max", Right: true, Priority: 3},
			{Head: "First .. last", Wide: true},
		}}
	inferred := false
	for _, c := range b.m.WindowMessages {
		inferred = inferred || c.Inferred
		pending := intCell(c.Pending)
		class := ""
		if c.Pending > 0 {
			pending.Class, class = "n bad", "hot"
		}
		s.Rows = append(s.Rows, Row{Class: class, Cells: []Cell{
			b.procCell(c.NS, c.SenderPID, c.SenderTID, c.SenderImage, ""),
			b.procCell(c.NS, c.ReceiverPID, c.ReceiverTID, c.ReceiverImage, ""),
			messagesCell(c.Messages), intCell(c.Sent), pending,
			b.latCell(c.Latency, c.Inferred), b.latCell(c.QueueWait, c.Inferred), b.latCell(c.Handler, c.Inferred),
			b.span(c.First, c.Last),
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footWinMsg)
	}
	return s
}

// messagesCell is "WM_COPYDATA×8, WM_USER+5×4": the two most sent
// messages, with the rest counted, all in the tooltip.
func messagesCell(ms []model.MessageCount) Cell {
	var all, shown []string
	for i, m := range ms {
		s := esc(m.Name) + "×" + strconv.FormatInt(m.Count, 10)
		all = append(all, s)
		if i < 2 {
			shown = append(shown, s)
		}
	}
	t := strings.Join(shown, ", ")
	if n := len(ms) - len(shown); n > 0 {
		t += fmt.Sprintf(" +%d", n)
	}
	return Cell{Text: dash(t), Tip: strings.Join(all, ", ")}
}

// postedQueues lists the posted-message queues per receiving thread.
func (b *builder) postedQueues() *Section {
	if len(b.m.PostedQueues) == 0 {
		return nil
	}
	s := &Section{ID: "posted-queues", Title: "Posted message queues", Count: len(b.m.PostedQueues),
		Intro: "Messages posted (PostMessage) to a thread's windows: how long they waited in its queue, and how many it had not taken at the end.",
		Cols: []texttable.Column{
			{Head: "Thread", Shrink: 16}, {Head: "Posters", Shrink: 16, Priority: 2},
			{Head: "Retrieved", Right: true}, {Head: "Still queued", Right: true},
			{Head: "Queue µs p50/p99/max", Right: true, Priority: 1}, {Head: "Oldest queued", Right: true, Priority: 3},
		}}
	inferred := false
	for _, q := range b.m.PostedQueues {
		inferred = inferred || q.Inferred
		var posters []string
		for _, p := range q.Posters {
			posters = append(posters, b.proc(q.NS, p))
		}
		queued := intCell(q.Queued)
		class := ""
		if q.Queued > 0 {
			queued.Class, class = "n bad", "hot"
		}
		oldest := Cell{Text: "-", Class: "n"}
		if q.OldestQueuedUS > 0 {
			oldest = Cell{Text: dur(q.OldestQueuedUS), Class: "n", Sort: num(q.OldestQueuedUS)}
		}
		s.Rows = append(s.Rows, Row{Class: class, Cells: []Cell{
			b.procCell(q.NS, q.PID, q.TID, q.Image, ""), {Text: dash(strings.Join(posters, ", "))},
			intCell(q.Retrieved), queued, b.latCell(q.QueueDelay, q.Inferred), oldest,
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footWinMsg)
	}
	return s
}

// com lists the COM call delays.
func (b *builder) com() *Section {
	if len(b.m.COM) == 0 {
		return nil
	}
	s := &Section{ID: "com", Title: "COM call delays", Count: len(b.m.COM),
		Intro: "Slow COM calls Windows reported on the calling thread (ComCallDelay) and client threads held in COM's modal loop (CliModalLoopDelay).",
		Cols: []texttable.Column{
			{Head: "Caller", Shrink: 14}, {Head: "Target", Shrink: 14}, {Head: "Interface", Shrink: 16},
			{Head: "Method", Shrink: 12, Priority: 2}, {Head: "Calls", Right: true}, {Head: "Failed", Right: true, Priority: 3},
			{Head: "Time µs p50/p99/max", Right: true, Priority: 1}, {Head: "Results", Shrink: 16, Priority: 4},
			{Head: "RPC", Shrink: 12, Priority: 5},
		}}
	inferred := false
	for _, c := range b.m.COM {
		inferred = inferred || c.Inferred
		iface, method := Cell{Text: "modal loop"}, Cell{Text: "-"}
		if c.Kind != "modal-loop" {
			iface = mono(c.Interface)
			if c.InterfaceName != "" {
				iface = Cell{Text: esc(c.InterfaceName), Tip: esc(c.Interface), Class: "m"}
			}
			method = Cell{Text: strconv.FormatUint(uint64(c.Method), 10)}
			if c.MethodName != "" {
				method.Text = esc(c.MethodName)
			}
		}
		failed := intCell(c.Failed)
		if c.Failed > 0 {
			failed.Class = "n warn"
		}
		var res []string
		for k, n := range c.Results {
			res = append(res, fmt.Sprintf("%s×%d", esc(k), n))
		}
		slices.Sort(res)
		rpc := Cell{Text: "-"}
		if c.RPCJoined > 0 {
			rpc = Cell{Text: fmt.Sprintf("%d via %s", c.RPCJoined, esc(c.RPCEndpoint)), Tip: esc(c.RPCProtocol)}
		}
		s.Rows = append(s.Rows, Row{Cells: []Cell{
			b.procCell(c.NS, c.CallerPID, c.CallerTID, c.CallerImage, ""),
			b.procCell(c.NS, c.TargetPID, c.TargetTID, c.TargetImage, ""),
			iface, method, intCell(c.Calls), failed, b.latCell(c.Time, c.Inferred),
			{Text: dash(strings.Join(res, ", "))}, rpc,
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footCOM)
	}
	return s
}

// mailslots lists the mailslots: one reader, its writers, messages and bytes.
func (b *builder) mailslots() *Section {
	if len(b.m.Mailslots) == 0 {
		return nil
	}
	s := &Section{ID: "mailslots", Title: "Mailslots", Count: len(b.m.Mailslots),
		Intro: "One reader (the process that created the mailslot), any number of writers; a reader waiting for mail is idle, not stuck.",
		Cols: []texttable.Column{
			{Head: "Mailslot (\\\\.\\mailslot\\)", Shrink: 16}, {Head: "Reader", Shrink: 14}, {Head: "Writers", Shrink: 24, Priority: 2},
			{Head: "Messages", Right: true}, {Head: "Bytes", Right: true}, {Head: "Read", Right: true, Priority: 3},
			{Head: "Reader waiting", Priority: 1},
		}}
	inferred := false
	for _, ms := range b.m.Mailslots {
		inferred = inferred || ms.Inferred
		var ws []string
		for _, w := range ms.Writers {
			ws = append(ws, fmt.Sprintf("%s×%d", b.proc(ms.NS, w.PID), w.Messages))
		}
		waiting := "no"
		if ms.PendingRead {
			waiting = "yes (idle, I3)"
		}
		name := strings.TrimPrefix(ms.Name, `\\.\mailslot\`)
		s.Rows = append(s.Rows, Row{Cells: []Cell{
			{Text: dash(esc(name)), Class: "m", Tip: esc(ms.Name)},
			{Text: b.proc(ms.NS, ms.ReaderPID), Inf: ms.Inferred, Sub: strings.TrimSpace(tidText(ms.ReaderTID))},
			{Text: dash(strings.Join(ws, ", "))}, intCell(ms.Messages),
			{Text: strconv.FormatInt(ms.Bytes, 10) + " B", Class: "n", Sort: strconv.FormatInt(ms.Bytes, 10)},
			intCell(ms.Reads), {Text: waiting},
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footMailslot)
	}
	return s
}

const footMailslot = "* inferred: reader and writers from the create disposition, docs/rules.md MS1"
