package pipeline

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/kmerge"
)

// Parallel decoding: every processor's buffers of every source are read
// and decoded on a goroutine of their own, at most GOMAXPROCS at a time,
// into batches; each consumer, on a goroutine of its own, merges the
// events it takes from every batch by time, with the same merge and key
// as etw's TimeOrder (docs/format.md#order). There is no merging
// goroutine between them: a decoder notes in each batch which events go
// to which consumer, and each consumer merges only its own.

// batchesPerStream is the number of batches each processor's stream may
// hold: those being merged, the others decoded ahead.
const batchesPerStream = 3

// decodedStream is one processor's events, decoded ahead.
type decodedStream struct {
	// full holds, per consumer, every batch, in order; closed at the end.
	// Each can hold every batch of the stream, so a decoder never waits
	// to hand a batch over.
	full []chan *batch
	free chan *batch // batches every consumer is done with
	ord  int         // processor order, for ties
}

// warnOnly marks an entry of a batch's sel[0] whose event the first
// consumer does not take but whose decoder warnings it reports, there in
// the order of events. batchSize stays below it.
const warnOnly = 1 << 15

var _ [warnOnly - batchSize]struct{} // batchSize <= warnOnly

// decodeStream reads and decodes bufs in order and hands each batch to
// every consumer (send), noting in it which events each one takes.
func decodeStream(f *etw.File, name string, bufs []etw.BufferInfo, s *decodedStream, choose []Chooser, sem chan struct{}, stop <-chan struct{}) {
	defer func() {
		for _, c := range s.full {
			close(c)
		}
	}()
	br := f.NewBufferReader()
	p := decoders.NewParser()
	p.Want = engineUses
	st := slots{p: p}
	p.Reserve = st.reserve
	key := int64(math.MinInt64)
	b := s.take(stop)
	if b == nil {
		return
	}
	st.setBatch(b)
	for _, buf := range bufs {
		select {
		case <-stop:
			return
		case sem <- struct{}{}:
		}
		br.Start(buf) // an error is in the File's warnings
		for {
			rec, err := br.Next()
			if rec == nil {
				if err != nil {
					continue // the File keeps every skipped range
				}
				break
			}
			if len(b.evs) == cap(b.evs) {
				<-sem
				s.send(b)
				if b = s.take(stop); b == nil {
					return
				}
				st.setBatch(b)
				select {
				case <-stop:
					return
				case sem <- struct{}{}:
				}
			}
			key = etw.MergeKey(key, rec)
			// Decode in place into the batch's next slot (cap checked above).
			n := len(b.evs)
			b.evs = b.evs[:n+1]
			d := &b.evs[n]
			mask := uint8(0)
			if _, derr := p.DecodeInto(rec, d); derr != nil {
				b.warns = append(b.warns, batchWarn{i: n,
					s: fmt.Sprintf("%s: buffer at offset %#x, record at %#x: %v", name, rec.BufferOffset, rec.Pos, derr)})
				// The event holds the fields read before the error: count
				// the record, do not correlate it.
				d.Event, d.Layout = nil, 0
				mask = 1 // the first consumer reports the warning there
			}
			if d.Event == nil || !st.stored() {
				b.own(d) // decoded in the Parser: copy it, or drop it
			}
			b.keys = append(b.keys, key)
			r := st.route(choose, d)
			if mask&^r != 0 {
				b.sel[0] = append(b.sel[0], uint16(n)|warnOnly)
			}
			for ; r != 0; r &= r - 1 {
				k := bits.TrailingZeros8(r)
				b.sel[k] = append(b.sel[k], uint16(n))
			}
		}
		<-sem
	}
	if len(b.evs) > 0 {
		s.send(b)
	}
}

// take returns an empty batch of s, nil once stopped.
func (s *decodedStream) take(stop <-chan struct{}) *batch {
	select {
	case b := <-s.free:
		b.reset()
		return b
	case <-stop:
		return nil
	}
}

// send hands b to every consumer, those that take none of its events
// included: they learn from it how far the stream has gone, without which
// two consumers could each wait for a stream whose batches all wait for
// the other.
func (s *decodedStream) send(b *batch) {
	b.refs.Store(int32(len(s.full)))
	for _, c := range s.full {
		c <- b // never blocks: each can hold every batch of the stream
	}
}

// Chooser is a Sink that takes only some events: RunSplit hands it those
// for which Wants is true and no others. Wants is asked on a decoding
// goroutine, after decoding; it must not keep d, and must answer by the Go
// type of d.Event alone (nil included), for its answer is kept per type.
type Chooser interface {
	Wants(d *decoders.Decoded) bool
}

// route is the set of consumers (bit k: consumer k; nil: that consumer
// takes every event) that take d.
func route(choose []Chooser, d *decoders.Decoded) uint8 {
	var m uint8
	for k, c := range choose {
		if c == nil || c.Wants(d) {
			m |= 1 << k
		}
	}
	return m
}

// maxConsumers is the most consumers decode serves (the bits of a route).
const maxConsumers = 8

// place is one consumer's place in one decoded stream.
type place struct {
	in  <-chan *batch
	s   *decodedStream
	b   *batch   // the batch being merged; nil between batches
	sel []uint16 // b.sel of the consumer
	j   int      // next entry of sel
	wi  int      // next warning of b
	// last is, while b is nil, the merge key of the last event of the
	// batch before: the stream's next event for the consumer comes no
	// earlier.
	last int64
	// touched sums what consume loads of events ahead (touchAhead), so
	// that the loads are kept.
	touched uint16
}

// touchAhead is how many of a stream's events ahead of the one being
// handed over consume loads early.
const touchAhead = 2

// key is the merge key of p's next event; last between batches.
func (p *place) key() int64 {
	if p.b == nil {
		return p.last
	}
	return p.b.keys[p.sel[p.j]&^warnOnly]
}

// fetched is what place.fetch found.
type fetched uint8

const (
	fetchedEvents fetched = iota // a batch holding events of the consumer
	fetchedNone                  // no batch yet, or one without its events (p.last moved on)
	fetchedEnd                   // the end of the stream
	fetchedStop                  // decode was stopped
)

// fetch moves p to its stream's next batch for consumer k, waiting for it
// when wait is set. A batch without events of k goes back at once.
func (p *place) fetch(k int, wait bool, stop <-chan struct{}) fetched {
	var b *batch
	var ok bool
	select {
	case b, ok = <-p.in:
	case <-stop:
		return fetchedStop
	default:
		if !wait {
			return fetchedNone
		}
		select {
		case b, ok = <-p.in:
		case <-stop:
			return fetchedStop
		}
	}
	if !ok {
		return fetchedEnd
	}
	p.b, p.sel, p.j, p.wi = b, b.sel[k], 0, 0
	if len(p.sel) == 0 {
		p.done()
		return fetchedNone
	}
	return fetchedEvents
}

// done hands p's batch back, the last of its consumers to its decoder.
func (p *place) done() {
	b := p.b
	p.last = b.keys[len(b.keys)-1]
	p.b, p.sel = nil, nil
	if b.refs.Add(-1) == 0 {
		p.s.free <- b // never blocks: free holds every batch of its stream
	}
}

// move is what consume does with p's stream after a fetch: Fix it at the
// next event or, between batches, at p.last (to wait for the next batch
// once the stream comes first), or Pop it at its end; false on a stop.
func move(h *kmerge.Heap, p *place, f fetched) bool {
	switch f {
	case fetchedStop:
		return false
	case fetchedEnd:
		h.Pop()
	default:
		h.Fix(p.key())
	}
	return true
}

// consume merges consumer k's events of every stream of all in time order
// (kmerge.Heap, a stream going on without a Fix while it comes before the
// others) and hands them to add, and, for the first consumer (warn not
// nil), the decoder warnings, each before the event it names, until the
// end or a stop. A batch goes back once the consumer is past its events.
func consume(k int, all []*decodedStream, to adder, warn func(string), stop <-chan struct{}) {
	ps := make([]place, len(all))
	var h kmerge.Heap
	for i, s := range all {
		p := &ps[i]
		p.in, p.s = s.full[k], s
		// The first batch of every stream comes to every consumer.
		switch p.fetch(k, true, stop) {
		case fetchedStop:
			return
		case fetchedEnd:
			continue
		}
		h.Push(i, s.ord, p.key())
	}
	for h.Len() > 0 {
		p := &ps[h.Min()]
		if p.b == nil {
			// Between batches, and no other stream comes first: wait.
			if !move(&h, p, p.fetch(k, true, stop)) {
				return
			}
			continue
		}
		bk, bo, bounded := h.Bound()
		ord := p.s.ord
		b, sel, j := p.b, p.sel, p.j
		touched := p.touched
		for {
			e := sel[j]
			n := int(e &^ warnOnly)
			if ahead := j + touchAhead; ahead < len(sel) {
				// Load an event to come, so that its line, written on
				// the decoder's core, is on its way here while this one
				// is correlated (a prefetch; the value is not used).
				touched += b.evs[sel[ahead]&^warnOnly].Layout
			}
			if warn != nil {
				for p.wi < len(b.warns) && b.warns[p.wi].i <= n {
					warn(b.warns[p.wi].s)
					p.wi++
				}
			}
			if e&warnOnly == 0 {
				to.Add(&b.evs[n])
			}
			j++
			if j == len(sel) || bounded && !kmerge.Before(b.keys[sel[j]&^warnOnly], ord, bk, bo) {
				break
			}
		}
		p.touched = touched
		if j < len(sel) {
			p.j = j
			h.Fix(p.key())
			continue
		}
		p.done()
		if !move(&h, p, p.fetch(k, false, stop)) {
			return
		}
	}
}

// adder is what a consumer of decode is: a Sink's Add, called through the
// interface (a method value would add a call per event).
type adder interface {
	Add(d *decoders.Decoded)
}

// decode reads and decodes every processor stream of every source on
// worker goroutines and passes the events, in one time order
// (etw.MergeKey; ties to the earlier source, then the lower processor),
// to each of adds: adds[0] here, every other on a goroutine of its own,
// each merging its own events. choose[k], when not nil, picks the events
// adds[k] gets (nil choose: every add gets every event). Decoder problems
// go to warn, here, each before the event it names. A panic of any add
// stops everything; decode then panics with it here.
func decode(srcs []Source, warn func(string), choose []Chooser, adds ...adder) {
	if len(adds) > maxConsumers {
		panic("pipeline: too many consumers")
	}
	if len(choose) < len(adds) {
		choose = append(choose, make([]Chooser, len(adds)-len(choose))...)
	}
	type group struct {
		src  int
		bufs []etw.BufferInfo
	}
	var groups []group
	for i, src := range srcs {
		for _, bufs := range src.File.ProcessorBuffers() {
			groups = append(groups, group{i, bufs})
		}
	}
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopAll := func() { stopOnce.Do(func() { close(stop) }) }
	size := min(batchSize, max(minBatchSize, batchEvents/(batchesPerStream*max(len(groups), 1))))
	all := make([]*decodedStream, 0, len(groups))
	var workers sync.WaitGroup
	for i, g := range groups {
		s := &decodedStream{free: make(chan *batch, batchesPerStream), ord: i}
		for range adds {
			s.full = append(s.full, make(chan *batch, batchesPerStream))
		}
		// A small stream gets small batches: records take 24 bytes or more.
		var bytes int64
		for _, b := range g.bufs {
			bytes += int64(b.Size)
		}
		n := int(min(int64(size), max(minBatchSize, bytes/24)))
		for range batchesPerStream {
			s.free <- newBatch(n, len(adds))
		}
		src := srcs[g.src]
		workers.Go(func() { decodeStream(src.File, src.Name, g.bufs, s, choose[:len(adds)], sem, stop) })
		all = append(all, s)
	}

	// The other consumers. After a panic of one, stop everything.
	var others sync.WaitGroup
	var panicked atomic.Pointer[any]
	for k := 1; k < len(adds); k++ {
		others.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					panicked.CompareAndSwap(nil, &r)
					stopAll()
				}
			}()
			consume(k, all, adds[k], nil, stop)
		})
	}

	// On return (adds[0] may panic) stop the decoders and the other
	// consumers, and wait for them, so no goroutine stays behind.
	defer func() {
		stopAll()
		others.Wait()
		workers.Wait()
	}()
	consume(0, all, adds[0], warn, stop)
	others.Wait() // before the deferred stop: they may still be consuming
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
}
