package correlate

import (
	"cmp"
	"slices"
	"time"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// Live keeps what a live view needs to be rebuilt at any moment: the naming
// events (processes, threads, images, file names) since the start, and the
// IPC events of the last window. Each Model call correlates them in time
// order with a fresh Engine (an Engine is finished once), so memory is
// bounded by the window and the limits, not by the session length.
type Live struct {
	opt    Options
	window int64 // 100 ns units
	lim    LiveLimits
	parser *decoders.Parser
	state  []etw.Record
	recent []etw.Record
	last   int64
	n      LiveCounts
}

// LiveLimits caps the records a Live keeps. Zero fields take the defaults.
type LiveLimits struct {
	Naming int // naming events kept (default 1<<20)
	IPC    int // IPC events kept within the window (default 4<<20)
}

// LiveCounts says what a Live has seen and what its limits dropped.
type LiveCounts struct {
	Events, Undecoded         int64
	DroppedNaming, DroppedIPC int64
	KeptNaming, KeptIPC       int
}

// NewLive returns a Live that shows the conversations of the last window.
func NewLive(opt Options, window time.Duration, lim LiveLimits) *Live {
	if lim.Naming <= 0 {
		lim.Naming = 1 << 20
	}
	if lim.IPC <= 0 {
		lim.IPC = 4 << 20
	}
	return &Live{opt: opt, window: int64(window / 100), lim: lim, parser: decoders.NewParser()}
}

// isNaming reports whether an event names things (kept for the whole session).
func isNaming(ev decoders.Event) bool {
	switch ev.(type) {
	case *decoders.Process, *decoders.Thread, *decoders.Image, *decoders.FileName:
		return true
	}
	return false
}

// Add keeps r if a decoder knows it. r must not alias a reader's buffer
// (use Record.Clone).
func (l *Live) Add(r etw.Record) {
	l.n.Events++
	d, ok, _ := l.parser.Decode(&r)
	if !ok || d.Event == nil {
		l.n.Undecoded++
		return
	}
	l.last = max(l.last, r.Time)
	if isNaming(d.Event) {
		l.state = keep(l.state, r, l.lim.Naming, &l.n.DroppedNaming)
		return
	}
	l.recent = keep(l.recent, r, l.lim.IPC, &l.n.DroppedIPC)
}

// keep appends r, first dropping the oldest quarter when the cap is reached.
func keep(rs []etw.Record, r etw.Record, limit int, dropped *int64) []etw.Record {
	if len(rs) >= limit {
		n := max(len(rs)/4, 1)
		rs = append(rs[:0], rs[n:]...)
		*dropped += int64(n)
	}
	return append(rs, r)
}

// trim drops IPC events older than the window before now.
func (l *Live) trim(now int64) {
	cut := now - l.window
	i := 0
	for i < len(l.recent) && l.recent[i].Time < cut {
		i++
	}
	if i > 0 {
		l.recent = append(l.recent[:0], l.recent[i:]...)
	}
}

// Counts returns what the Live has seen, kept and dropped.
func (l *Live) Counts() LiveCounts {
	c := l.n
	c.KeptNaming, c.KeptIPC = len(l.state), len(l.recent)
	return c
}

// Model correlates the kept events in time order and returns the model of
// the window ending at the newest event seen.
func (l *Live) Model() *model.Model {
	l.trim(l.last)
	byTime := func(a, b etw.Record) int { return cmp.Compare(a.Time, b.Time) }
	slices.SortStableFunc(l.state, byTime)
	slices.SortStableFunc(l.recent, byTime)
	e := New(l.opt)
	p := decoders.NewParser()
	i, j := 0, 0
	for i < len(l.state) || j < len(l.recent) {
		var r *etw.Record
		if j >= len(l.recent) || (i < len(l.state) && l.state[i].Time <= l.recent[j].Time) {
			r = &l.state[i]
			i++
		} else {
			r = &l.recent[j]
			j++
		}
		if d, ok, _ := p.Decode(r); ok && d.Event != nil {
			e.Add(&d)
		}
	}
	return e.Finish()
}
