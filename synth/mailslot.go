package synth

import (
	"cmp"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
	"github.com/ipctrace/ipctrace/model"
)

// Mailslots (docs/rules.md MS1, I3): the reader creates \Device\Mailslot\X
// (FileIo Create, disposition FILE_CREATE), writers open it (FILE_OPEN);
// writes complete at once, with their size in OperationEnd's ExtraInfo.

// Mailslot is one mailslot and its reader's end.
type Mailslot struct {
	Name    string // X of \\.\mailslot\X
	Reader  *Thread
	fo      uint64
	writers map[uint32]*model.MailslotWriter
	msgs    int64
	bytes   int64
	reads   int64
	rbytes  int64
	pending []mailslotRead
}

type mailslotRead struct {
	t  int64
	th *Thread
}

// MailslotWriter is a writer's open end.
type MailslotWriter struct {
	Slot   *Mailslot
	Thread *Thread
	fo     uint64
}

// CreateMailslot is CreateMailslot by th at t; it returns the slot and the
// time the create completed.
func (b *Builder) CreateMailslot(t int64, th *Thread, name string) (*Mailslot, int64) {
	ms := &Mailslot{Name: name, Reader: th, fo: b.addr(), writers: map[uint32]*model.MailslotWriter{}}
	irp := b.create(t, th, ms.fo, ntdefs.MailslotDevice+name, ntdefs.FileCreate, 0x80, 3)
	end := t + b.US(8)
	b.opEnd(end, th, irp, 2, 0) // FILE_CREATED
	if !b.suppress {
		b.mailslots = append(b.mailslots, ms)
	}
	return ms, end
}

// OpenMailslot is CreateFile(\\.\mailslot\X) by a writer.
func (b *Builder) OpenMailslot(t int64, th *Thread, ms *Mailslot) (*MailslotWriter, int64) {
	w := &MailslotWriter{Slot: ms, Thread: th, fo: b.addr()}
	irp := b.create(t, th, w.fo, ntdefs.MailslotDevice+ms.Name, ntdefs.FileOpen, 0x80, 3)
	end := t + b.US(6)
	b.opEnd(end, th, irp, 1, 0) // FILE_OPENED
	return w, end
}

// MailslotWrite writes one message of n bytes; it returns its completion time.
func (b *Builder) MailslotWrite(t int64, w *MailslotWriter, n int64) int64 {
	irp := b.irp(t)
	b.fileio(t, w.Thread, decoders.OpWrite, &decoders.FileReadWrite{Op: decoders.OpWrite, IrpPtr: irp, FileObject: w.fo,
		TTID: w.Thread.TID, IoSize: uint32(n)})
	end := t + b.US(4)
	b.opEnd(end, w.Thread, irp, uint64(n), 0)
	if !b.suppress {
		ms := w.Slot
		wr := ms.writers[w.Thread.Proc.PID]
		if wr == nil {
			wr = &model.MailslotWriter{PID: w.Thread.Proc.PID, Image: w.Thread.Proc.Image}
			ms.writers[w.Thread.Proc.PID] = wr
		}
		wr.Messages++
		wr.Bytes += n
		ms.msgs++
		ms.bytes += n
	}
	return end
}

// MailslotRead is the reader's Read at t taking a message of n bytes at
// done; with done 0 the read stays pending to the end (I3).
func (b *Builder) MailslotRead(t int64, ms *Mailslot, n, done int64) {
	irp := b.irp(t)
	b.fileio(t, ms.Reader, decoders.OpRead, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: irp, FileObject: ms.fo,
		TTID: ms.Reader.TID, IoSize: 424})
	if done == 0 {
		if !b.suppress {
			ms.pending = append(ms.pending, mailslotRead{t, ms.Reader})
		}
		return
	}
	b.opEnd(done, ms.Reader, irp, uint64(n), 0)
	if !b.suppress {
		ms.reads++
		ms.rbytes += n
	}
}

// MailslotReadTimeout is the reader's Read at t that no message satisfied:
// it fails at done with STATUS_IO_TIMEOUT (the mailslot's read timeout).
// A failed read counts nothing.
func (b *Builder) MailslotReadTimeout(t int64, ms *Mailslot, done int64) {
	irp := b.irp(t)
	b.fileio(t, ms.Reader, decoders.OpRead, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: irp, FileObject: ms.fo,
		TTID: ms.Reader.TID, IoSize: 424})
	b.opEnd(done, ms.Reader, irp, 0, ntdefs.StatusIOTimeout)
}

// mailslotTruth adds the mailslots and their readers' idle reads.
func (b *Builder) mailslotTruth(m *model.Model, end int64) {
	for _, ms := range b.mailslots {
		row := model.Mailslot{Name: ntdefs.Win32MailRoot + ms.Name, ReaderPID: ms.Reader.Proc.PID, ReaderTID: ms.Reader.TID,
			ReaderImage: ms.Reader.Proc.Image, Writers: []model.MailslotWriter{}, Messages: ms.msgs, Bytes: ms.bytes,
			Reads: ms.reads, ReadBytes: ms.rbytes, PendingRead: len(ms.pending) > 0, Inferred: true}
		for _, w := range ms.writers {
			row.Writers = append(row.Writers, *w)
		}
		slices.SortFunc(row.Writers, func(a, c model.MailslotWriter) int { return cmp.Compare(a.PID, c.PID) })
		for _, r := range ms.pending {
			m.Idle = append(m.Idle, model.Idle{Kind: "mailslot-read", PID: r.th.Proc.PID, TID: r.th.TID, Object: row.Name,
				Since: model.Time(r.t), WaitedUS: us(end - r.t), Rule: "I3", Inferred: true, Image: r.th.Proc.Image})
		}
		m.Mailslots = append(m.Mailslots, row)
	}
}

// mailslotTwoWriters: a service reads its mailslot; two client processes
// write messages of known sizes every round; at the end the reader's Read
// is pending, waiting for the next message (idle, I3).
func mailslotTwoWriters(base uint32) part {
	id := ids{pid: base, tid: 10 * base}
	var ms *Mailslot
	var w1, w2 *MailslotWriter
	return part{
		rounds: 6,
		setup: func(b *Builder, t int64) int64 {
			pr := id.proc(b, "mailsvc.exe", "mailsvc.exe", sidSystem)
			pa := id.proc(b, "mailer1.exe", "mailer1.exe", sidUser)
			pb := id.proc(b, "mailer2.exe", "mailer2.exe", sidUser)
			reader := id.thread(b, pr)
			var e int64
			ms, e = b.CreateMailslot(t, reader, "ipctrace\\notify")
			w1, e = b.OpenMailslot(e+b.US(10), id.thread(b, pa), ms)
			w2, e = b.OpenMailslot(e+b.US(10), id.thread(b, pb), ms)
			return e
		},
		round: func(b *Builder, t int64, r, n int) int64 {
			// The reader waits first; each write completes its read.
			e1 := b.MailslotWrite(t+b.US(5), w1, 120)
			b.MailslotRead(t, ms, 120, e1+b.US(2))
			r2 := e1 + b.US(10)
			e2 := b.MailslotWrite(r2+b.US(10), w2, 64+int64(r))
			b.MailslotRead(r2, ms, 64+int64(r), e2+b.US(2))
			end := e2 + b.US(10)
			if r == n-1 {
				b.MailslotRead(end, ms, 0, 0)
				end += b.US(5)
			}
			return end
		},
	}
}
