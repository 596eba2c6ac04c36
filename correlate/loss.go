package correlate

import (
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/etw"
)

// Loss accounting (docs/rules.md#loss, docs/events.md#lost-events): counters from
// the logfile header, LostEvent records, and the time windows of buffers
// flagged EVENTS_LOST or BUFFER_LOST.

type lossWindow struct {
	start, end int64
	reason     string
}

type lossState struct {
	eventsLost, buffersLost uint32
	windows                 []lossWindow
}

// record notes a LostEvent record at time t.
func (l *lossState) record(t int64) {
	l.add(t, t, "LostEvent record")
}

func (l *lossState) add(start, end int64, reason string) {
	if end < start {
		start, end = end, start
	}
	l.windows = append(l.windows, lossWindow{start, end, reason})
}

// overlaps reports whether [a, b] overlaps a lossy window.
func (l *lossState) overlaps(a, b int64) bool {
	for _, w := range l.windows {
		if a <= w.end && b >= w.start {
			return true
		}
	}
	return false
}

// SetLoss adds the trace-level counters of a logfile header.
func (e *Engine) SetLoss(eventsLost, buffersLost uint32) {
	e.l.eventsLost += eventsLost
	e.l.buffersLost += buffersLost
}

// SetHeader adds the loss counters of a file's logfile header.
func (e *Engine) SetHeader(h etw.LogfileHeader) { e.SetLoss(h.EventsLost, h.BuffersLost) }

// AddBuffer notes one buffer of the trace: a buffer flagged EVENTS_LOST or
// BUFFER_LOST makes its time range a lossy window.
func (e *Engine) AddBuffer(b etw.BufferInfo) {
	if !b.Lossy() {
		return
	}
	var reason string
	switch {
	case b.EventsLost() && b.BufferLost():
		reason = "EVENTS_LOST|BUFFER_LOST"
	case b.BufferLost():
		reason = "BUFFER_LOST"
	default:
		reason = "EVENTS_LOST"
	}
	start, end := b.FirstTime, b.LastTime
	if start == 0 && end == 0 {
		return
	}
	e.l.add(start, end, reason)
}

func (e *Engine) finishLoss(m *model.Model) {
	ws := slices.Clone(e.l.windows)
	slices.SortStableFunc(ws, func(a, b lossWindow) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	m.Trace.EventsLost = e.l.eventsLost
	m.Trace.BuffersLost = e.l.buffersLost
	m.Trace.LostEventRecords = e.lostRecords
	m.Trace.LossyWindows = []model.Window{}
	for _, w := range ws {
		m.Trace.LossyWindows = append(m.Trace.LossyWindows, model.Window{Start: ft(w.start), End: ft(w.end), Reason: w.reason})
	}
}
