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
	// sel holds, per consumer, the indexes in evs of the events it
	// takes, in order (warnOnly: only the event's warnings).
	sel [][]uint16
	// refs counts the consumers not yet past the batch once it is sent.
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

// newBatch returns a batch of up to n events for the given number of
// consumers.
func newBatch(n, consumers int) *batch {
	b := &batch{evs: make([]decoders.Decoded, 0, n), keys: make([]int64, 0, n), sel: make([][]uint16, consumers)}
	for k := range b.sel {
		b.sel[k] = make([]uint16, 0, n)
	}
	for i, k := range kept {
		b.stores[i] = k.store()
	}
	return b
}

func (b *batch) reset() {
	b.evs, b.keys = b.evs[:0], b.keys[:0]
	for k := range b.sel {
		b.sel[k] = b.sel[k][:0]
	}
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
// (decoders.Parser.Reserve), so it must hold nothing that points into the
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
	// (Parser.Reserve).
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
)

// slotOf is the slot kind of e's event type.
func slotOf(e *decoders.Entry) uint8 {
	if i, ok := keptIndex[reflect.TypeOf(e.New())]; ok && kept[i].direct {
		return uint8(slotDirect + i)
	}
	return slotOwn
}

// reserveRun is the number of values of one type slots reserves at once
// in a batch's store: one call through the store's interface per run, not
// per event.
const reserveRun = 32

// slots is a decoding goroutine's Parser.Reserve: it has every event
// whose type a batch keeps as is decoded straight into the batch being
// filled, and routes each event to its consumers.
type slots struct {
	p *decoders.Parser
	b *batch
	// routes caches, by Entry.Index, the route of the entry's events plus
	// one when known; nilRoute that of events without a value.
	routes   []uint16
	nilRoute uint16
	kinds    []uint8 // slot kind by Entry.Index (slotUnknown: not known yet)
}

// route is route(choose, d) for the event just decoded, asked once per
// layout and once for events without a value (counted only); events
// without a layout (TraceLogging) are asked every time.
func (s *slots) route(choose []Chooser, d *decoders.Decoded) uint8 {
	var r *uint16
	switch i, _ := s.p.Placed(); {
	case d.Event == nil:
		r = &s.nilRoute
	case i < 0:
		return route(choose, d)
	default:
		if i >= len(s.routes) {
			s.routes = append(s.routes, make([]uint16, i+1-len(s.routes))...)
		}
		r = &s.routes[i]
	}
	if *r == 0 {
		*r = uint16(route(choose, d)) + 1
	}
	return uint8(*r - 1)
}

// reserve gives storage for events of e in b's store of e's type when
// that type is kept as is, none otherwise.
func (s *slots) reserve(e *decoders.Entry, dst []decoders.Event) []decoders.Event {
	i := e.Index()
	if i >= len(s.kinds) {
		s.kinds = append(s.kinds, make([]uint8, i+1-len(s.kinds))...)
	}
	if s.kinds[i] == slotUnknown {
		s.kinds[i] = slotOf(e)
	}
	if k := s.kinds[i]; k >= slotDirect {
		return s.b.stores[k-slotDirect].reserve(dst, reserveRun)
	}
	return dst
}

// stored reports whether the event just decoded went into b.
func (s *slots) stored() bool {
	_, ok := s.p.Placed()
	return ok
}

// setBatch makes b the batch that events are decoded into, forgetting the
// storage reserved in the one before.
func (s *slots) setBatch(b *batch) {
	s.b = b
	s.p.Release()
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
		c.Event, c.Layout = nil, 0
		return
	}
	c.Event = b.stores[i].own(c.Event)
}
