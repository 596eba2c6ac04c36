package correlate

import "github.com/ipctrace/ipctrace/decoders"

// Splitting a namespace between two engines (docs/ARCHITECTURE.md#performance).
//
// Correlation is one ordered pass, but its mechanisms do not look at each
// other's state while events arrive, except RPC, which joins ALPC requests
// (docs/rules.md R2), and COM, which joins RPC calls. So pipes, mailslots,
// sections and window messages go on one side, ALPC, RPC and COM (the
// message family, the heavier share of an IPC-heavy trace) on the other.
// Analyze runs two engines on the ordered events, on two goroutines, each
// choosing its events (Wants): one takes everything but the message
// family, and counts it for the trace; the other the message family; both
// take the process and thread tables, which every mechanism reads. At the
// end the first absorbs the second's state and finishes alone, so
// cross-mechanism results (the wait graph and its cycles, RPC over named
// pipes) see everything, as with one engine. The timeline (-o perfetto)
// numbers its flows across mechanisms, so it keeps one engine.

// part is an engine's share of the work.
type part uint8

const (
	partAll      part = iota // one engine does everything
	partFiles                // all but the message family; loss, snapshots
	partMessages             // ALPC, RPC, COM
)

// newSplit returns the two engines of a split namespace. They must be run
// with pipeline.RunSplit, which hands each only the events it Wants.
func newSplit(opt Options) (files, messages *Engine) {
	files, messages = New(opt), New(opt)
	files.part, messages.part = partFiles, partMessages
	return files, messages
}

// Wants makes an engine a pipeline.Chooser: of a split pair, the file
// engine takes every event but the message family's, the message engine
// that family and the process and thread tables.
func (e *Engine) Wants(d *decoders.Decoded) bool {
	switch e.part {
	case partFiles:
		return classOf(d.Event) != classMessage
	case partMessages:
		c := classOf(d.Event)
		return c == classMessage || c == classTable
	}
	return true
}

// addMessages is Add for the message engine: the process and thread tables
// and the message family, whose events it also counts for the trace (the
// file engine counts the rest).
func (e *Engine) addMessages(d *decoders.Decoded) {
	k := e.kindOfDecoded(d)
	switch classes[k] {
	case classTable:
		e.table(d)
		return
	case classMessage:
	default:
		return
	}
	e.count(d, k)
	if e.inWindow(d) {
		e.dispatch(d, k)
	}
}

// absorb takes over the message engine m's state once both have seen every
// event; e then finishes as one engine would.
func (e *Engine) absorb(m *Engine) {
	e.a, e.r, e.c = m.a, m.r, m.c
	e.excluded += m.excluded
	e.events += m.events
	e.ipcEvents += m.ipcEvents
	if m.first != 0 && (e.first == 0 || m.first < e.first) {
		e.first = m.first
	}
	e.last = max(e.last, m.last)
	// Both built the tables from the same events; activity (touch) differs.
	for pid, mp := range m.procs {
		p := e.procs[pid]
		if p == nil {
			e.setProc(mp)
			continue
		}
		if mp.last > p.last {
			p.last, p.lastTID = mp.last, mp.lastTID
		}
	}
	for tid, pid := range m.threads {
		if _, ok := e.threads[tid]; !ok {
			e.setThread(tid, pid)
		}
	}
	e.part = partAll
}
