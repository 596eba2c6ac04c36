package pipeline

import (
	"bytes"
	"reflect"
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
// the batch (the Parser reuses its own storage). Events are stored in
// typed arenas of fixed-size chunks, one per type of kept, which never
// move, so pointers into them stay valid. Batches are reused: they keep
// their chunks.
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

	// stores holds the values of kept[i] at stores[i].
	stores [len(kept)]store
}

// arenaChunk is the number of values in one chunk of an arena.
const arenaChunk = 256

// arena holds values in chunks that never grow, so pointers to the values
// stay valid until reset.
type arena[T any] struct {
	chunks [][]T
	ci     int // chunk being filled
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

// reserve marks the unused values of the chunk being filled (of a new
// chunk when it is full) as used, at most max of them, and returns them,
// stale: the caller overwrites each before use.
func (a *arena[T]) reserve(max int) []T {
	for {
		if a.ci < len(a.chunks) {
			c := &a.chunks[a.ci]
			if n := len(*c); n < cap(*c) {
				m := min(cap(*c), n+max)
				*c = (*c)[:m]
				return (*c)[n:m]
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
	b := &batch{evs: make([]decoders.Decoded, 0, n), keys: make([]int64, 0, n), masks: make([]uint8, 0, n)}
	for i, k := range kept {
		b.stores[i] = k.store()
	}
	return b
}

func (b *batch) reset() {
	b.evs, b.keys, b.masks = b.evs[:0], b.keys[:0], b.masks[:0]
	clear(b.warns)
	b.warns = b.warns[:0]
	for _, s := range b.stores {
		s.reset()
	}
}

// Keeps reports whether batches keep events of ev's type for their
// consumers; the others reach them for counting only, with Event nil.
func Keeps(ev decoders.Event) bool {
	_, ok := keptIndex[reflect.TypeOf(ev)]
	return ok
}

// engineUses reports whether batches keep the events of layout e for the
// engine; the others are only counted, so decoding their payload would be
// wasted (decoders.Parser.Want).
func engineUses(e *decoders.Entry) bool { return Keeps(e.New()) }

// kept is the one list of the event types batches keep for their
// consumers (the engines, and packages fleet and verify, which read a few
// more): every other event is kept for counting only (Event nil). A direct
// type is decoded straight into its arena in the batch
// (decoders.Parser.Store), so it must hold nothing that points into the
// payload (TestDirectTypesHoldNoReferences); the others are decoded in
// the Parser's storage and copied, with cut applied to the copy where it
// aliases the payload.
var kept = [...]keptType{
	direct[decoders.FileCreate](),
	direct[decoders.FileSimpleOp](),
	direct[decoders.FileReadWrite](),
	direct[decoders.FileInfo](),
	direct[decoders.FileOpEnd](),
	direct[decoders.FileName](),
	direct[decoders.MapFile](),
	direct[decoders.AlpcMessage](),
	direct[decoders.AlpcWaitNewMessage](),
	direct[decoders.AlpcUnwait](),
	direct[decoders.Thread](),
	direct[decoders.KernelThread](),
	direct[decoders.RPCCallStart](),
	direct[decoders.RPCCallStop](),
	direct[decoders.LostEvent](),
	direct[decoders.Win32kMessage](),
	direct[decoders.Win32kMessageStop](),
	direct[decoders.Win32kUIDelay](),
	direct[decoders.COMCallDelay](),
	direct[decoders.COMCliModalLoopDelay](),
	direct[decoders.SystemConfigCPU](), // for package fleet: the computer name
	copied(func(r *decoders.AlpcRaw) { r.Payload = nil }),
	copied(func(k *decoders.KernelProcessStart) { k.MandatoryLabel = decoders.SIDField{} }),
	copied(func(s *decoders.SecuritySnapshot) { s.SD = bytes.Clone(s.SD) }),
	copied(func(p *decoders.Process) { p.SID.Raw = nil }), // the SID string stays
	copied[decoders.ProbeMarker](nil),                     // for package verify
}

// keptIndex is the index in kept of each kept type (the pointer type, as
// Decoded.Event holds it).
var keptIndex = func() map[reflect.Type]int {
	m := make(map[reflect.Type]int, len(kept))
	for i, k := range kept {
		if _, dup := m[k.typ]; dup {
			panic("pipeline: " + k.typ.String() + " kept twice")
		}
		m[k.typ] = i
	}
	return m
}()

// keptType is an event type batches keep and how.
type keptType struct {
	typ    reflect.Type // *T
	direct bool
	store  func() store // a batch's store of that type
}

// store is a batch's arena of values of one kept type.
type store interface {
	// reserve appends to dst storage for up to max new values, at least
	// one, each stale: the caller overwrites all of a value before use
	// (Parser.Store).
	reserve(dst []decoders.Event, max int) []decoders.Event
	// own returns a copy of ev, of the store's type, held by the store.
	own(ev decoders.Event) decoders.Event
	reset()
}

// typed is the store of values of type T, cut (when not nil) adjusting
// each copy own makes.
type typed[T any, P interface {
	*T
	decoders.Event
}] struct {
	arena[T]
	cut func(*T)
}

func (s *typed[T, P]) reserve(dst []decoders.Event, max int) []decoders.Event {
	vs := s.arena.reserve(max)
	for i := range vs {
		dst = append(dst, P(&vs[i]))
	}
	return dst
}

func (s *typed[T, P]) own(ev decoders.Event) decoders.Event {
	p := s.arena.next()
	*p = *ev.(P)
	if s.cut != nil {
		s.cut(p)
	}
	return P(p)
}

// direct keeps T, decoded straight into the batch.
func direct[T any, P interface {
	*T
	decoders.Event
}]() keptType {
	return keptType{typ: reflect.TypeFor[P](), direct: true, store: func() store { return &typed[T, P]{} }}
}

// copied keeps T, decoded in the Parser and copied, then cut.
func copied[T any, P interface {
	*T
	decoders.Event
}](cut func(*T)) keptType {
	return keptType{typ: reflect.TypeFor[P](), store: func() store { return &typed[T, P]{cut: cut} }}
}

// Where a batch keeps an event of a layout: decoded straight into the
// store of a direct type (slot kind slotDirect+i for kept[i]), or decoded
// in the Parser and then copied by own (slotOwn), which also drops the
// events of types not kept.
const (
	slotUnknown = iota // not asked yet
	slotOwn
	slotDirect
	numSlots = slotDirect + len(kept)
)

// slotOf is the slot kind of e's event type.
func slotOf(e *decoders.Entry) uint8 {
	if i, ok := keptIndex[reflect.TypeOf(e.New())]; ok && kept[i].direct {
		return uint8(slotDirect + i)
	}
	return slotOwn
}

// reserveRun is the number of values of one type slots reserves at once
// in a batch's store: one interface call per run, not per event.
const reserveRun = 32

// slots is a decoding goroutine's Parser.Store: it decodes every event
// whose type a batch keeps as is straight into the batch being filled.
type slots struct {
	b *batch
	// ready holds, per kept type (kept[i] at ready[i]), storage reserved
	// in b's store: evs[i:] is not used yet. setBatch empties it.
	ready  [len(kept)]reserved
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
	s.kind = k
	if k < slotDirect {
		s.stored = false
		return nil
	}
	s.stored = true
	r := &s.ready[k-slotDirect]
	if r.i == len(r.evs) {
		r.evs, r.i = s.b.stores[k-slotDirect].reserve(r.evs[:0], reserveRun), 0
	}
	ev := r.evs[r.i]
	r.i++
	return ev
}

// reserved is storage reserved in a batch's store for one type.
type reserved struct {
	evs []decoders.Event
	i   int
}

// setBatch makes b the batch that events are decoded into, forgetting the
// storage reserved in the one before.
func (s *slots) setBatch(b *batch) {
	s.b = b
	for i := range s.ready {
		r := &s.ready[i]
		clear(r.evs)
		r.evs, r.i = r.evs[:0], 0
	}
}

// own replaces c.Event, which points into the Parser, with a copy held by
// the batch when the engine uses that type; other events are kept for
// counting only (Event nil). c is an event of the batch, decoded in place.
func (b *batch) own(c *decoders.Decoded) {
	if c.Event == nil {
		return
	}
	i, ok := keptIndex[reflect.TypeOf(c.Event)]
	if !ok {
		c.Event = nil
		return
	}
	c.Event = b.stores[i].own(c.Event)
}
