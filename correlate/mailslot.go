package correlate

import (
	"cmp"
	"slices"
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
	"github.com/ipctrace/ipctrace/model"
)

// Mailslots (docs/rules.md MS1, I3): FileIo on \Device\Mailslot\X. The
// reader creates the mailslot (Create with disposition FILE_CREATE, as
// CreateMailslot does); writers open it (FILE_OPEN). Ends are followed by
// FileObject from their Create's completion; reads and writes complete by
// IRP in OperationEnd, whose ExtraInfo is the byte count. A read still
// pending at the end is the reader waiting for mail: idle (I3), never a
// wait edge. Every rule is inferred: no trace with mailslot I/O is known.

type mailslotEnd struct {
	slot     *mailslot
	reader   bool
	pid, tid uint32
}

type mailslotOp struct {
	create bool
	end    *mailslotEnd // reads and writes
	// creates: the slot, the end to make and its FileObject
	slot *mailslot
	fo   uint64
	t    int64
	pid  uint32
	tid  uint32
	read bool
	disp uint8
}

type mailslot struct {
	m       model.Mailslot
	writers map[uint32]*model.MailslotWriter
	pending map[uint64]mailslotOp // reads in flight, by IRP
	flows   []uint64              // timeline: flows of messages written and not yet read
}

type mailslotState struct {
	ends  map[uint64]*mailslotEnd // by FileObject
	ops   map[uint64]mailslotOp   // by IRP
	slots map[string]*mailslot    // by lower-case name
	order []*mailslot
}

func (s *mailslotState) init() {
	s.ends = make(map[uint64]*mailslotEnd)
	s.ops = make(map[uint64]mailslotOp)
	s.slots = make(map[string]*mailslot)
}

// mailslotCreate notes a Create of a mailslot path.
func (e *Engine) mailslotCreate(d *decoders.Decoded, ev *decoders.FileCreate) {
	const dev = ntdefs.MailslotDevice
	if len(ev.OpenPath) <= len(dev) || !strings.EqualFold(ev.OpenPath[:len(dev)], dev) {
		return
	}
	info := decoders.ClassifyPath(ev.OpenPath)
	if info.Kind != decoders.PathMailslot || info.Win32 == "" {
		return
	}
	k := strings.ToLower(info.Win32)
	sl := e.ms.slots[k]
	if sl == nil {
		if len(e.ms.slots) >= maxOpenWM {
			return
		}
		sl = &mailslot{m: model.Mailslot{Name: info.Win32, Writers: []model.MailslotWriter{}, Inferred: true},
			writers: map[uint32]*model.MailslotWriter{}, pending: map[uint64]mailslotOp{}}
		e.ms.slots[k] = sl
		e.ms.order = append(e.ms.order, sl)
	}
	if len(e.ms.ops) >= maxOpenWM {
		return
	}
	pid := e.pidOf(ev.TTID, d.PID)
	e.touch(pid, ev.TTID, d.Time)
	e.ms.ops[ev.IrpPtr] = mailslotOp{create: true, slot: sl, fo: ev.FileObject, t: d.Time, pid: pid, tid: ev.TTID, disp: ev.Disposition()}
}

// mailslotReadWrite notes a read or write on a mailslot end.
func (e *Engine) mailslotReadWrite(d *decoders.Decoded, ev *decoders.FileReadWrite) {
	if len(e.ms.ends) == 0 {
		return
	}
	en := e.ms.ends[ev.FileObject]
	if en == nil || len(e.ms.ops) >= maxOpenWM {
		return
	}
	if ev.TTID != 0 {
		en.tid = ev.TTID
	}
	e.touch(en.pid, en.tid, d.Time)
	op := mailslotOp{end: en, t: d.Time, pid: en.pid, tid: en.tid, read: ev.Op == decoders.OpRead}
	e.ms.ops[ev.IrpPtr] = op
	if op.read && en.reader {
		en.slot.pending[ev.IrpPtr] = op
	}
}

// mailslotOpEnd completes a mailslot Create, Read or Write.
func (e *Engine) mailslotOpEnd(d *decoders.Decoded, ev *decoders.FileOpEnd) {
	if len(e.ms.ops) == 0 {
		return
	}
	op, ok := e.ms.ops[ev.IrpPtr]
	if !ok {
		return
	}
	delete(e.ms.ops, ev.IrpPtr)
	e.touch(op.pid, op.tid, d.Time)
	ok = ntSuccess(ev.Status)
	if op.create {
		if !ok {
			return
		}
		en := &mailslotEnd{slot: op.slot, reader: op.disp == ntdefs.FileCreate, pid: op.pid, tid: op.tid}
		if en.reader {
			op.slot.m.ReaderPID, op.slot.m.ReaderTID = op.pid, op.tid
		}
		e.ms.ends[op.fo] = en
		return
	}
	sl := op.end.slot
	delete(sl.pending, ev.IrpPtr)
	if !ok || e.out {
		return
	}
	n := int64(ev.ExtraInfo)
	if e.opt.Timeline {
		if op.read {
			var in uint64
			if len(sl.flows) > 0 {
				in, sl.flows = sl.flows[0], sl.flows[1:]
			}
			e.span(op.pid, op.tid, "mailslot", "mailslot read ", sl.m.Name, op.t, d.Time, 0, in)
		} else {
			f := e.newFlow()
			if len(sl.flows) < 1024 {
				sl.flows = append(sl.flows, f)
			}
			e.span(op.pid, op.tid, "mailslot", "mailslot write ", sl.m.Name, op.t, d.Time, f, 0)
		}
	}
	if op.read {
		if op.end.reader {
			sl.m.Reads++
			sl.m.ReadBytes += n
		}
		return
	}
	w := sl.writers[op.pid]
	if w == nil {
		w = &model.MailslotWriter{PID: op.pid}
		sl.writers[op.pid] = w
	}
	w.Messages++
	w.Bytes += n
	sl.m.Messages++
	sl.m.Bytes += n
}

func (e *Engine) finishMailslots(m *model.Model, end int64) {
	for _, sl := range e.ms.order {
		pids := []uint32{sl.m.ReaderPID}
		for pid := range sl.writers {
			pids = append(pids, pid)
		}
		if !e.keepPIDs(pids...) || e.opt.PipeGlob != "" {
			continue
		}
		ms := sl.m
		ms.ReaderImage = e.image(ms.ReaderPID)
		ms.Writers = []model.MailslotWriter{}
		for _, w := range sl.writers {
			wc := *w
			wc.Image = e.image(w.PID)
			ms.Writers = append(ms.Writers, wc)
		}
		slices.SortFunc(ms.Writers, func(a, b model.MailslotWriter) int { return cmp.Compare(a.PID, b.PID) })
		var reads []mailslotOp
		for _, op := range sl.pending {
			reads = append(reads, op)
		}
		slices.SortFunc(reads, func(a, b mailslotOp) int { return cmp.Compare(a.t, b.t) })
		for _, op := range reads {
			ms.PendingRead = true
			if end-op.t < e.stuckAfter {
				continue
			}
			m.Idle = append(m.Idle, model.Idle{Kind: "mailslot-read", PID: op.pid, TID: op.tid, Object: ms.Name,
				Since: ft(op.t), WaitedUS: usOf(end - op.t), Rule: "I3", Inferred: true, Image: e.image(op.pid),
				Evidence: "the mailslot's reader waiting for the next message"})
		}
		m.Mailslots = append(m.Mailslots, ms)
	}
}
