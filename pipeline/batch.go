package pipeline

import (
	"sync/atomic"

	"github.com/ipctrace/ipctrace/decoders"
)

// batchSize is the largest number of events handed at once from a
// decoding goroutine to the correlating one; with many processors batches
// are smaller, so that memory does not grow with the processor count.
const (
	batchSize    = 2048
	minBatchSize = 128
	// batchEvents bounds the events held in all batches of an analysis.
	batchEvents = 32768
)

// batch is a run of decoded events whose Event values are copies owned by
// the batch (the Parser reuses its own storage). Events are appended into
// typed arenas of fixed-size chunks, which never move, so pointers into
// them stay valid. Batches are reused: they keep their chunks.
type batch struct {
	evs []decoders.Decoded
	// With parallel decoding: the merge key of every event and the
	// decoder warnings, each before the event it names.
	keys  []int64
	warns []batchWarn
	// masks routes every event to its consumers (bit k: consumer k).
	masks []uint8
	// refs counts the consumers not yet past the batch once it is merged.
	refs atomic.Int32

	fileCreate  arena[decoders.FileCreate]
	fileSimple  arena[decoders.FileSimpleOp]
	fileRW      arena[decoders.FileReadWrite]
	fileInfo    arena[decoders.FileInfo]
	fileOpEnd   arena[decoders.FileOpEnd]
	fileName    arena[decoders.FileName]
	mapFile     arena[decoders.MapFile]
	alpcMsg     arena[decoders.AlpcMessage]
	alpcWaitNew arena[decoders.AlpcWaitNewMessage]
	alpcUnwait  arena[decoders.AlpcUnwait]
	alpcRaw     arena[decoders.AlpcRaw]
	process     arena[decoders.Process]
	thread      arena[decoders.Thread]
	kproc       arena[decoders.KernelProcessStart]
	kthread     arena[decoders.KernelThread]
	rpcStart    arena[decoders.RPCCallStart]
	rpcStop     arena[decoders.RPCCallStop]
	lost        arena[decoders.LostEvent]
	secSnap     arena[decoders.SecuritySnapshot]
	w32kMsg     arena[decoders.Win32kMessage]
	w32kStop    arena[decoders.Win32kMessageStop]
	w32kDelay   arena[decoders.Win32kUIDelay]
	comCall     arena[decoders.COMCallDelay]
	comModal    arena[decoders.COMCliModalLoopDelay]
}

// arenaChunk is the number of values in one chunk of an arena.
const arenaChunk = 256

// arena holds values in chunks that never grow, so pointers to the values
// stay valid until reset.
type arena[T any] struct {
	chunks [][]T
	ci     int // chunk being filled
}

// put appends a copy of v and returns a pointer to it.
func (a *arena[T]) put(v T) *T {
	p := a.next()
	*p = v
	return p
}

// next returns a pointer to a new value at the end, stale: the caller
// overwrites all of it.
func (a *arena[T]) next() *T {
	for {
		if a.ci < len(a.chunks) {
			c := &a.chunks[a.ci]
			if n := len(*c); n < cap(*c) {
				*c = (*c)[:n+1]
				return &(*c)[n]
			}
			a.ci++
			continue
		}
		a.chunks = append(a.chunks, make([]T, 0, arenaChunk))
	}
}

// reset forgets the values, keeping the chunks.
func (a *arena[T]) reset() {
	for i := range a.chunks {
		a.chunks[i] = a.chunks[i][:0]
		if i >= a.ci {
			break
		}
	}
	a.ci = 0
}

// batchWarn is a decoder warning met before event i of a batch.
type batchWarn struct {
	i int
	s string
}

// newBatch returns a batch of up to n events.
func newBatch(n int) *batch {
	return &batch{evs: make([]decoders.Decoded, 0, n), keys: make([]int64, 0, n), masks: make([]uint8, 0, n)}
}

func (b *batch) reset() {
	b.evs, b.keys, b.masks = b.evs[:0], b.keys[:0], b.masks[:0]
	clear(b.warns)
	b.warns = b.warns[:0]
	b.fileCreate.reset()
	b.fileSimple.reset()
	b.fileRW.reset()
	b.fileInfo.reset()
	b.fileOpEnd.reset()
	b.fileName.reset()
	b.mapFile.reset()
	b.alpcMsg.reset()
	b.alpcWaitNew.reset()
	b.alpcUnwait.reset()
	b.alpcRaw.reset()
	b.process.reset()
	b.thread.reset()
	b.kproc.reset()
	b.kthread.reset()
	b.rpcStart.reset()
	b.rpcStop.reset()
	b.lost.reset()
	b.secSnap.reset()
	b.w32kMsg.reset()
	b.w32kStop.reset()
	b.w32kDelay.reset()
	b.comCall.reset()
	b.comModal.reset()
}

// engineUses reports whether batches keep the events of layout e for the
// engine; the others are only counted, so decoding their payload would be
// wasted (decoders.Parser.Want).
func engineUses(e *decoders.Entry) bool {
	b := newBatch(1)
	b.add(&decoders.Decoded{Event: e.New()})
	return b.evs[0].Event != nil
}

// Where a batch keeps an event type: decoded straight into one of its
// arenas (decoders.Parser.Store), or decoded in the Parser and then copied
// by own, for the types own must adjust (payload aliases) or that are rare.
const (
	slotUnknown = iota // not asked yet
	slotOwn            // own copies it (or drops it)
	slotFileCreate
	slotFileSimple
	slotFileRW
	slotFileInfo
	slotFileOpEnd
	slotFileName
	slotMapFile
	slotAlpcMsg
	slotAlpcWaitNew
	slotAlpcUnwait
	slotProcess
	slotThread
	slotKThread
	slotRPCStart
	slotRPCStop
	slotLost
	slotW32kMsg
	slotW32kStop
	slotW32kDelay
	slotCOMCall
	slotCOMModal
	numSlots
)

// slotOf is the slot kind of e's event type.
func slotOf(e *decoders.Entry) uint8 {
	switch e.New().(type) {
	case *decoders.FileCreate:
		return slotFileCreate
	case *decoders.FileSimpleOp:
		return slotFileSimple
	case *decoders.FileReadWrite:
		return slotFileRW
	case *decoders.FileInfo:
		return slotFileInfo
	case *decoders.FileOpEnd:
		return slotFileOpEnd
	case *decoders.FileName:
		return slotFileName
	case *decoders.MapFile:
		return slotMapFile
	case *decoders.AlpcMessage:
		return slotAlpcMsg
	case *decoders.AlpcWaitNewMessage:
		return slotAlpcWaitNew
	case *decoders.AlpcUnwait:
		return slotAlpcUnwait
	case *decoders.Process:
		return slotProcess
	case *decoders.Thread:
		return slotThread
	case *decoders.KernelThread:
		return slotKThread
	case *decoders.RPCCallStart:
		return slotRPCStart
	case *decoders.RPCCallStop:
		return slotRPCStop
	case *decoders.LostEvent:
		return slotLost
	case *decoders.Win32kMessage:
		return slotW32kMsg
	case *decoders.Win32kMessageStop:
		return slotW32kStop
	case *decoders.Win32kUIDelay:
		return slotW32kDelay
	case *decoders.COMCallDelay:
		return slotCOMCall
	case *decoders.COMCliModalLoopDelay:
		return slotCOMModal
	}
	return slotOwn
}

// slot returns the storage for the next event of slot kind k (nil for
// slotOwn): a value of b's arena of that type, valid until b is reset.
func (b *batch) slot(k uint8) decoders.Event {
	switch k {
	case slotFileCreate:
		return b.fileCreate.next()
	case slotFileSimple:
		return b.fileSimple.next()
	case slotFileRW:
		return b.fileRW.next()
	case slotFileInfo:
		return b.fileInfo.next()
	case slotFileOpEnd:
		return b.fileOpEnd.next()
	case slotFileName:
		return b.fileName.next()
	case slotMapFile:
		return b.mapFile.next()
	case slotAlpcMsg:
		return b.alpcMsg.next()
	case slotAlpcWaitNew:
		return b.alpcWaitNew.next()
	case slotAlpcUnwait:
		return b.alpcUnwait.next()
	case slotProcess:
		return b.process.next()
	case slotThread:
		return b.thread.next()
	case slotKThread:
		return b.kthread.next()
	case slotRPCStart:
		return b.rpcStart.next()
	case slotRPCStop:
		return b.rpcStop.next()
	case slotLost:
		return b.lost.next()
	case slotW32kMsg:
		return b.w32kMsg.next()
	case slotW32kStop:
		return b.w32kStop.next()
	case slotW32kDelay:
		return b.w32kDelay.next()
	case slotCOMCall:
		return b.comCall.next()
	case slotCOMModal:
		return b.comModal.next()
	}
	return nil
}

// slots is a decoding goroutine's Parser.Store: it decodes every event
// whose type a batch keeps as is straight into the batch being filled.
type slots struct {
	b      *batch
	kinds  []uint8 // by Entry.Index
	stored bool    // the last event asked for went into b
	kind   uint8   // and its slot kind
	// routes caches the route of each slot kind (at slotUnknown: of events
	// without a value), plus one when known.
	routes [numSlots]uint16
}

// route is route(choose, d) for the event just decoded, asked once per
// slot kind and once for events without a value (counted only); the rare
// types own copies are asked every time.
func (s *slots) route(choose []Chooser, d *decoders.Decoded) uint8 {
	k := uint8(slotUnknown) // d.Event nil: the routes slot no kind uses
	switch {
	case d.Event == nil:
	case s.stored:
		k = s.kind
	default:
		return route(choose, d)
	}
	r := s.routes[k]
	if r == 0 {
		r = uint16(route(choose, d)) + 1
		s.routes[k] = r
	}
	return uint8(r - 1)
}

func (s *slots) store(e *decoders.Entry) decoders.Event {
	i := e.Index()
	if i >= len(s.kinds) {
		s.kinds = append(s.kinds, make([]uint8, i+1-len(s.kinds))...)
	}
	k := s.kinds[i]
	if k == slotUnknown {
		k = slotOf(e)
		s.kinds[i] = k
	}
	ev := s.b.slot(k)
	s.stored, s.kind = ev != nil, k
	return ev
}

// add appends d, copying its Event when the engine uses that type; other
// events are kept for counting only (Event nil).
func (b *batch) add(d *decoders.Decoded) {
	b.evs = append(b.evs, *d)
	b.own(&b.evs[len(b.evs)-1])
}

// own replaces c.Event, which points into the Parser, with a copy held by
// the batch when the engine uses that type; other events are kept for
// counting only (Event nil). c is an event of the batch, decoded in place.
func (b *batch) own(c *decoders.Decoded) {
	switch ev := c.Event.(type) {
	case *decoders.FileCreate:
		c.Event = b.fileCreate.put(*ev)
	case *decoders.FileSimpleOp:
		c.Event = b.fileSimple.put(*ev)
	case *decoders.FileReadWrite:
		c.Event = b.fileRW.put(*ev)
	case *decoders.FileInfo:
		c.Event = b.fileInfo.put(*ev)
	case *decoders.FileOpEnd:
		c.Event = b.fileOpEnd.put(*ev)
	case *decoders.FileName:
		c.Event = b.fileName.put(*ev)
	case *decoders.MapFile:
		c.Event = b.mapFile.put(*ev)
	case *decoders.AlpcMessage:
		c.Event = b.alpcMsg.put(*ev)
	case *decoders.AlpcWaitNewMessage:
		c.Event = b.alpcWaitNew.put(*ev)
	case *decoders.AlpcUnwait:
		c.Event = b.alpcUnwait.put(*ev)
	case *decoders.AlpcRaw:
		c.Event = b.alpcRaw.put(decoders.AlpcRaw{Op: ev.Op})
	case *decoders.Process:
		c.Event = b.process.put(*ev)
	case *decoders.Thread:
		c.Event = b.thread.put(*ev)
	case *decoders.KernelProcessStart:
		k := *ev
		k.MandatoryLabel = decoders.SIDField{} // aliases the payload
		c.Event = b.kproc.put(k)
	case *decoders.KernelThread:
		c.Event = b.kthread.put(*ev)
	case *decoders.RPCCallStart:
		c.Event = b.rpcStart.put(*ev)
	case *decoders.RPCCallStop:
		c.Event = b.rpcStop.put(*ev)
	case *decoders.LostEvent:
		c.Event = b.lost.put(*ev)
	case *decoders.SecuritySnapshot:
		sn := *ev
		sn.SD = append([]byte(nil), ev.SD...) // aliases the payload
		c.Event = b.secSnap.put(sn)
	case *decoders.Win32kMessage:
		c.Event = b.w32kMsg.put(*ev)
	case *decoders.Win32kMessageStop:
		c.Event = b.w32kStop.put(*ev)
	case *decoders.Win32kUIDelay:
		c.Event = b.w32kDelay.put(*ev) // strings are copies, not payload aliases
	case *decoders.COMCallDelay:
		c.Event = b.comCall.put(*ev)
	case *decoders.COMCliModalLoopDelay:
		c.Event = b.comModal.put(*ev)
	case *decoders.SystemConfigCPU:
		cp := *ev // about once per trace: its computer name (package fleet)
		c.Event = &cp
	default:
		c.Event = nil
	}
}
