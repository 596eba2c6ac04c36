package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipctrace/ipctrace/model"
)

// Window messages and mailslots: the comparisons for `probe window`
// (docs/rules.md WM1–WM3) and `probe mailslot` (docs/rules.md MS1, I3).
// verify reads the trace with the engine's default options, so every
// operation open at the end of the trace is judged: a SendMessage still
// open is stuck, a mailslot Read still open is idle.

func verifyWindows(r *Result, m *model.Model, e *Expectation, tol Tolerance) {
	for _, w := range e.Windows {
		label := fmt.Sprintf("window %#x: sender %d tid %d → window thread %d tid %d", w.Hwnd, w.SenderPID, w.SenderTID, w.ReceiverPID, w.ReceiverTID)
		var got *model.WindowMessages
		for i := range m.WindowMessages {
			q := &m.WindowMessages[i]
			if q.SenderPID == w.SenderPID && q.SenderTID == w.SenderTID && q.ReceiverPID == w.ReceiverPID && q.ReceiverTID == w.ReceiverTID {
				got = q
				break
			}
		}
		if got == nil {
			others := 0
			for _, q := range m.WindowMessages {
				if q.SenderPID == w.SenderPID && q.ReceiverPID == w.ReceiverPID {
					others++
				}
			}
			if others > 0 {
				r.diff("%s: no SendMessage conversation between these threads (%d between the two processes on other threads)", label, others)
			} else {
				r.diff("%s: no SendMessage conversation in the trace", label)
			}
		} else {
			verifySent(r, m, got, w, label, e, tol)
		}
		verifyPosted(r, m, w, label)
	}
}

// verifySent compares the SendMessage conversation: counts by message,
// the handler's known time as a lower bound, latencies, and the hung send.
func verifySent(r *Result, m *model.Model, got *model.WindowMessages, w Window, label string, e *Expectation, tol Tolerance) {
	before := len(r.Differences)
	// A trace that ended while the hung send was in its handler shows it
	// pending, every other send returned.
	endedInHang := w.Hang != nil && got.Pending == 1 && got.Sent == w.Sent-1
	wantSent, wantPending := w.Sent, int64(0)
	if endedInHang {
		wantSent, wantPending = w.Sent-1, 1
	}
	if got.Sent != wantSent {
		r.diff("%s: %d SendMessage calls returned, expected %d", label, got.Sent, wantSent)
	}
	if got.Pending != wantPending {
		r.diff("%s: %d SendMessage calls open at the end, expected %d", label, got.Pending, wantPending)
	}
	counts := map[uint32]int64{}
	for _, c := range got.Messages {
		counts[c.Message] = c.Count
	}
	for _, c := range w.Messages {
		if counts[c.Message] != c.Count {
			r.diff("%s: %s (%#x) sent %d times, expected %d", label, c.Name, c.Message, counts[c.Message], c.Count)
		}
		delete(counts, c.Message)
	}
	for _, c := range got.Messages {
		if _, extra := counts[c.Message]; extra {
			r.diff("%s: %s (%#x) sent %d times, the probe sent none", label, c.Name, c.Message, c.Count)
		}
	}
	// Every timed handler held its message at least HandlerUS, and the
	// hung one longer: no handler time in the trace can be shorter.
	if w.HandlerUS > 0 {
		switch {
		case got.Handler.Count == 0:
			r.diff("%s: no handler time in the trace (RetrieveSendMessageStart/Stop missing)", label)
		case got.Handler.P50 < w.HandlerUS:
			r.diff("%s: handler time p50 %.1f µs is below the handler's known %.1f µs", label, got.Handler.P50, w.HandlerUS)
		}
	}
	if len(r.Differences) == before {
		r.match("%s: %d sends returned, %d open, by message %s; handler p50 %.1f µs ≥ the handler's known %.1f µs (inferred)",
			label, got.Sent, got.Pending, messageList(got.Messages), got.Handler.P50, w.HandlerUS)
	}
	compareLatency(r, label+": SendMessage latency", got.Latency, e.Latency, tol)
	compareLatency(r, label+": handler time", got.Handler, w.Handler, tol)
	if w.Hang == nil {
		return
	}
	h := w.Hang
	held := time.Duration(h.HeldUS * float64(time.Microsecond)).Round(time.Millisecond)
	hang := fmt.Sprintf("%s: the hung send (%s, handler held %s)", label, messageName(w, h.Message), held)
	if endedInHang {
		var st *model.Stuck
		for i := range m.Stuck {
			s := &m.Stuck[i]
			if s.Kind == "sendmessage" && s.PID == w.SenderPID && s.TID == w.SenderTID {
				st = s
				break
			}
		}
		switch {
		case st == nil:
			r.diff("%s: open at the end of the trace but not reported stuck", hang)
		case st.Rule != "WM1" || st.PeerPID != w.ReceiverPID || st.PeerTID != w.ReceiverTID:
			r.diff("%s: stuck by rule %s on %d tid %d, expected WM1 (in the handler) on the window thread %d tid %d",
				hang, st.Rule, st.PeerPID, st.PeerTID, w.ReceiverPID, w.ReceiverTID)
		default:
			r.match("%s: open at the end of the trace, stuck in the window's handler (WM1, %s waited; inferred)",
				hang, time.Duration(st.WaitedUS*float64(time.Microsecond)).Round(time.Millisecond))
		}
		return
	}
	switch {
	case got.Latency.Max < h.HeldUS:
		r.diff("%s: no SendMessage took that long in the trace (longest %.1f µs)", hang, got.Latency.Max)
	case got.Handler.Max < h.HeldUS:
		r.diff("%s: no handler held its message that long in the trace (longest %.1f µs)", hang, got.Handler.Max)
	default:
		r.match("%s: returned after the release (longest send %.1f ms); the trace ran past the release, so the send is not stuck in it",
			hang, got.Latency.Max/1000)
	}
}

// verifyPosted compares the window thread's posted-message queue.
func verifyPosted(r *Result, m *model.Model, w Window, label string) {
	if w.Posted == 0 {
		return
	}
	var q *model.PostedQueue
	for i := range m.PostedQueues {
		if m.PostedQueues[i].PID == w.ReceiverPID && m.PostedQueues[i].TID == w.ReceiverTID {
			q = &m.PostedQueues[i]
			break
		}
	}
	if q == nil {
		r.diff("%s: no posted-message queue of the window thread in the trace (%d posted)", label, w.Posted)
		return
	}
	before := len(r.Differences)
	if !slices.Contains(q.Posters, w.SenderPID) {
		r.diff("%s: posted queue: the sender %d is not among its posters %v", label, w.SenderPID, q.Posters)
	}
	others := slices.ContainsFunc(q.Posters, func(p uint32) bool { return p != w.SenderPID })
	switch {
	case !others && q.Retrieved != w.Retrieved:
		r.diff("%s: posted queue: %d messages retrieved, expected %d", label, q.Retrieved, w.Retrieved)
	case others && q.Retrieved < w.Retrieved:
		r.diff("%s: posted queue: %d messages retrieved, expected at least %d (posters %v)", label, q.Retrieved, w.Retrieved, q.Posters)
	case others:
		r.note("%s: posted queue: %d messages retrieved, %d of them the probe's; the others came from pids %v (the thread's other windows)",
			label, q.Retrieved, w.Retrieved, q.Posters)
	}
	if q.Queued != 0 {
		r.diff("%s: posted queue: %d messages still queued at the end, expected none", label, q.Queued)
	}
	if len(r.Differences) == before {
		r.match("%s: posted queue: %d retrieved, none left queued, queue delay p50 %.1f µs (inferred)", label, q.Retrieved, q.QueueDelay.P50)
	}
}

func messageList(ms []model.MessageCount) string {
	parts := make([]string, len(ms))
	for i, c := range ms {
		parts[i] = fmt.Sprintf("%s ×%d", c.Name, c.Count)
	}
	return strings.Join(parts, ", ")
}

func messageName(w Window, msg uint32) string {
	for _, c := range w.Messages {
		if c.Message == msg {
			return c.Name
		}
	}
	return fmt.Sprintf("%#x", msg)
}

func verifyMailslots(r *Result, m *model.Model, e *Expectation) {
	for _, x := range e.Mailslots {
		label := "mailslot " + x.Name
		var got *model.Mailslot
		for i := range m.Mailslots {
			if strings.EqualFold(m.Mailslots[i].Name, x.Name) {
				got = &m.Mailslots[i]
				break
			}
		}
		if got == nil {
			r.diff("%s: not in the trace", label)
			continue
		}
		before := len(r.Differences)
		if got.ReaderPID != x.ReaderPID || got.ReaderTID != x.ReaderTID {
			r.diff("%s: reader %d tid %d, expected %d tid %d", label, got.ReaderPID, got.ReaderTID, x.ReaderPID, x.ReaderTID)
		}
		seen := map[uint32]bool{}
		for _, w := range x.Writers {
			seen[w.PID] = true
			i := slices.IndexFunc(got.Writers, func(g model.MailslotWriter) bool { return g.PID == w.PID })
			if i < 0 {
				r.diff("%s: writer %d (pid %d) not in the trace (%d messages expected)", label, w.Writer, w.PID, w.Messages)
				continue
			}
			g := got.Writers[i]
			if g.Messages != w.Messages {
				r.diff("%s: writer %d (pid %d): %d messages, expected %d", label, w.Writer, w.PID, g.Messages, w.Messages)
			}
			if g.Bytes != w.Bytes {
				r.diff("%s: writer %d (pid %d): %d bytes, expected %d", label, w.Writer, w.PID, g.Bytes, w.Bytes)
			}
		}
		for _, g := range got.Writers {
			if !seen[g.PID] {
				r.diff("%s: unexpected writer pid %d (%d messages, %d bytes)", label, g.PID, g.Messages, g.Bytes)
			}
		}
		if got.Messages != x.Messages || got.Bytes != x.Bytes {
			r.diff("%s: %d messages of %d bytes in all, expected %d of %d", label, got.Messages, got.Bytes, x.Messages, x.Bytes)
		}
		if got.Reads != x.Reads || got.ReadBytes != x.ReadBytes {
			r.diff("%s: the reader read %d messages, %d bytes; expected %d, %d", label, got.Reads, got.ReadBytes, x.Reads, x.ReadBytes)
		}
		if len(r.Differences) == before {
			r.match("%s: reader %d, %d writers, %d messages, %d bytes written and read (inferred)",
				label, got.ReaderPID, len(got.Writers), got.Messages, got.Bytes)
		}
		// The reader's last Read: idle, never stuck.
		for _, s := range m.Stuck {
			if strings.EqualFold(s.Object, x.Name) {
				r.diff("%s: reported stuck (%s by pid %d, rule %s): a mailslot reader is idle (I3), never stuck", label, s.Kind, s.PID, s.Rule)
			}
		}
		idle := fmt.Sprintf("%s: the reader's last Read (idle %s, nothing left to read)", label,
			time.Duration(x.IdleUS*float64(time.Microsecond)).Round(time.Millisecond))
		if !got.PendingRead {
			r.match("%s: timed out within the trace; nothing was pending at its end", idle)
			continue
		}
		i := slices.IndexFunc(m.Idle, func(d model.Idle) bool {
			return d.Kind == "mailslot-read" && d.PID == x.ReaderPID && strings.EqualFold(d.Object, x.Name)
		})
		if i < 0 {
			r.diff("%s: pending at the end of the trace but not reported idle (I3)", idle)
		} else {
			r.match("%s: pending at the end of the trace, idle (rule %s), not stuck (inferred)", idle, m.Idle[i].Rule)
		}
	}
}
