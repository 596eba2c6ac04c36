package correlate

import "github.com/ipctrace/ipctrace/model"

// Timeline spans (Options.Timeline): one span per completed pipe read,
// write, listen and flush, ALPC call (client and server side) and RPC
// call, and per operation still open at the end. Flow ids link a write to
// the read that took its first byte, and an ALPC client call to the server
// side that handled it. Renderers such as report.Perfetto draw them.

// defaultMaxSpans bounds the timeline when Options.MaxSpans is 0.
const defaultMaxSpans = 200_000

// span appends one span named prefix+object when the timeline is on and
// not full (the name is only built then).
func (e *Engine) span(pid, tid uint32, cat, prefix, object string, start, end int64, flowOut, flowIn uint64) {
	if !e.opt.Timeline || pid == 0 || pid == anyPID {
		return
	}
	name := prefix + object
	if len(e.spans) >= e.maxSpans {
		e.spansDropped++
		return
	}
	if end < start {
		end = start
	}
	e.spans = append(e.spans, rawSpan{pid: pid, tid: tid, cat: cat, name: name, start: start, end: end,
		flowOut: flowOut, flowIn: flowIn})
}

// newFlow returns a fresh flow id (0 when the timeline is off).
func (e *Engine) newFlow() uint64 {
	if !e.opt.Timeline {
		return 0
	}
	e.flows++
	return e.flows
}

type rawSpan struct {
	pid, tid        uint32
	cat, name       string
	start, end      int64
	flowOut, flowIn uint64
}

func (e *Engine) finishTimeline(m *model.Model) {
	if !e.opt.Timeline {
		return
	}
	m.Timeline = make([]model.Span, 0, len(e.spans))
	for _, s := range e.spans {
		if !e.keepPIDs(s.pid) {
			continue
		}
		m.Timeline = append(m.Timeline, model.Span{PID: s.pid, TID: s.tid, Category: s.cat, Name: s.name,
			StartUS: usOf(s.start - e.first), DurUS: usOf(s.end - s.start), FlowOut: s.flowOut, FlowIn: s.flowIn})
	}
	m.TimelineDropped = e.spansDropped
}
