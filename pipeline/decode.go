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
// into batches; the consuming goroutine merges the batches by time with the
// same merge and key as etw's TimeOrder (docs/format.md#order).

// batchesPerStream is the number of batches each processor's stream may
// hold: one being merged, the others decoded ahead.
const batchesPerStream = 3

// decodedStream is one processor's events, decoded ahead.
type decodedStream struct {
	full chan *batch // decoded batches, in order; closed at the end
	free chan *batch // batches the merge is done with
	cur  *batch
	i    int   // next event of cur
	wi   int   // next warning of cur
	key  int64 // merge key of cur.evs[i]
	ord  int   // processor order, for ties
	m    *merger
}

// decodeStream reads and decodes bufs in order into s.full.
func decodeStream(f *etw.File, name string, bufs []etw.BufferInfo, s *decodedStream, choose []Chooser, sem chan struct{}, stop <-chan struct{}) {
	defer close(s.full)
	br := f.NewBufferReader()
	p := decoders.NewParser()
	p.Want = engineUses
	st := slots{p: p}
	p.Reserve = st.reserve
	key := int64(math.MinInt64)
	b := <-s.free
	b.reset()
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
				s.full <- b
				b = <-s.free
				b.reset()
				st.setBatch(b)
				sem <- struct{}{}
			}
			key = etw.MergeKey(key, rec)
			// Decode in place into the batch's next slot (cap checked above).
			n := len(b.evs)
			b.evs = b.evs[:n+1]
			d := &b.evs[n]
			if _, derr := p.DecodeInto(rec, d); derr != nil {
				b.warns = append(b.warns, batchWarn{i: n,
					s: fmt.Sprintf("%s: buffer at offset %#x, record at %#x: %v", name, rec.BufferOffset, rec.Pos, derr)})
				// The event holds the fields read before the error: count
				// the record, do not correlate it.
				d.Event = nil
			}
			if d.Event == nil || !st.stored() {
				b.own(d) // decoded in the Parser: copy it, or drop it
			}
			b.keys = append(b.keys, key)
			b.masks = append(b.masks, st.route(choose, d))
		}
		<-sem
	}
	if len(b.evs) > 0 {
		s.full <- b
	}
}

// next moves s to its next batch; false at the end of the stream. The
// batch it leaves is handed back to its decoder once the consumer has
// passed the chunk that holds its last event (m.release).
func (s *decodedStream) next() bool {
	if s.cur != nil {
		s.m.release(s, s.cur)
		s.cur = nil
	}
	var b *batch
	var ok bool
	select {
	case b, ok = <-s.full:
	default:
		// The decoder may be waiting for a batch held by a chunk being
		// filled: hand those chunks over before waiting for this stream.
		if !s.m.flushAll() {
			return false
		}
		select {
		case b, ok = <-s.full:
		case <-s.m.stop:
			return false
		}
	}
	s.cur, s.i, s.wi = b, 0, 0
	if ok {
		s.key = b.keys[0]
	}
	return ok
}

// chunkSize is the number of merged events handed at once from the merging
// goroutine to a consuming one.
const chunkSize = 4096

// chunksPerConsumer is the number of chunks there are for each consumer:
// one being filled, some waiting, one being consumed.
const chunksPerConsumer = 4

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

// chunk is a run of merged events for one consumer: pointers into batches,
// the decoder warnings to report before them (first consumer only), and the
// batches whose last event for this consumer lies before a given event.
type chunk struct {
	evs   []*decoders.Decoded
	warns []batchWarn // i indexes evs
	done  []release
}

// release is a batch merged up to evs[after] of a chunk: the consumer hands
// it back there, the last of its consumers to its decoder.
type release struct {
	s     *decodedStream
	b     *batch
	after int
}

// merger fills chunks, one per consumer, in time order on its own
// goroutine, so that merging and correlating run side by side.
type merger struct {
	cur  []*chunk      // per consumer: the chunk being filled
	outs []chan *chunk // per consumer: filled chunks, in order; closed at the end
	free chan *chunk
	stop <-chan struct{}
	// stopped is set once stop is seen; only the merging goroutine reads it.
	stopped bool
}

// release records that b has been merged: every consumer hands it back
// once past its events, the last one to its decoder.
func (m *merger) release(s *decodedStream, b *batch) {
	b.refs.Store(int32(len(m.cur)))
	for _, c := range m.cur {
		c.done = append(c.done, release{s, b, len(c.evs)})
	}
}

// giveBack is called by each consumer of b when past it.
func giveBack(r release) {
	if r.b.refs.Add(-1) == 0 {
		r.s.free <- r.b // never blocks: free holds every batch of its stream
	}
}

// flush hands consumer k's chunk to it, if it holds anything, and takes an
// empty one; false once stopped. A stopped merger keeps a chunk for each
// consumer, so that every release still reaches the cleanup.
func (m *merger) flush(k int) bool {
	if m.stopped {
		return false
	}
	c := m.cur[k]
	if len(c.evs) == 0 && len(c.done) == 0 {
		return true
	}
	select {
	case m.outs[k] <- c:
	case <-m.stop:
		m.stopped = true
		return false
	}
	select {
	case m.cur[k] = <-m.free:
		return true
	case <-m.stop:
		m.cur[k], m.stopped = &chunk{}, true
		return false
	}
}

// flushAll flushes every consumer's chunk.
func (m *merger) flushAll() bool {
	for k := range m.cur {
		if !m.flush(k) {
			return false
		}
	}
	return true
}

// warnings appends the warnings met before s's current event to the
// first consumer's chunk.
func (m *merger) warnings(s *decodedStream) {
	b := s.cur
	for s.wi < len(b.warns) && b.warns[s.wi].i == s.i {
		c := m.cur[0]
		c.warns = append(c.warns, batchWarn{i: len(c.evs), s: b.warns[s.wi].s})
		s.wi++
	}
}

// merge adds the events of every stream of all in time order
// (kmerge.Heap) to the chunks of the consumers that take them (and the
// warnings met before each to the first consumer's), until the end or a
// stop.
func (m *merger) merge(all []*decodedStream) {
	var h kmerge.Heap
	for i, s := range all {
		if s.next() {
			h.Push(i, s.ord, s.key)
		}
	}
	for h.Len() > 0 {
		s := all[h.Min()]
		b, i := s.cur, s.i
		if s.wi < len(b.warns) {
			m.warnings(s)
		}
		d := &b.evs[i]
		for mask := b.masks[i]; mask != 0; mask &= mask - 1 {
			k := bits.TrailingZeros8(mask)
			c := m.cur[k]
			c.evs = append(c.evs, d)
			if len(c.evs) == chunkSize && !m.flush(k) {
				return
			}
		}
		i++
		s.i = i
		switch {
		case i < len(b.evs):
			h.Fix(b.keys[i])
		case s.next():
			h.Fix(s.key)
		case m.stopped:
			return
		default:
			h.Pop()
		}
	}
}

// recycle empties c and gives it back to the merger.
func (m *merger) recycle(c *chunk) {
	clear(c.evs)
	clear(c.warns)
	c.evs, c.warns, c.done = c.evs[:0], c.warns[:0], c.done[:0]
	m.free <- c // never blocks: free holds every chunk
}

// consume hands the events of each chunk from out to add, the warnings to
// warn (nil: none come), and each batch back once past it. cur and ri say,
// for a cleanup after a panic of add, which chunk was being consumed and
// how many of its releases were done.
func (m *merger) consume(out <-chan *chunk, to adder, warn func(string), cur **chunk, ri *int, stop <-chan struct{}) {
	for c := range out {
		*cur, *ri = c, 0
		wi := 0
		select {
		case <-stop:
			// Stopped: drain, handing every batch back.
		default:
			// due is the first event before which a batch goes back or
			// a warning is reported; the loop checks for them only there.
			due := dueAt(c, *ri, wi)
			for i, d := range c.evs {
				if i == due {
					for *ri < len(c.done) && c.done[*ri].after <= i {
						giveBack(c.done[*ri])
						*ri++
					}
					for wi < len(c.warns) && c.warns[wi].i == i {
						warn(c.warns[wi].s)
						wi++
					}
					due = dueAt(c, *ri, wi)
				}
				to.Add(d)
			}
			// Warnings met after this consumer's last event of the chunk.
			for ; wi < len(c.warns); wi++ {
				warn(c.warns[wi].s)
			}
		}
		for ; *ri < len(c.done); *ri++ {
			giveBack(c.done[*ri])
		}
		*cur = nil
		m.recycle(c)
	}
}

// dueAt is the index in c.evs of the first event before which a release
// (from ri on) or a warning (from wi on) of c is due, -1 when none is.
func dueAt(c *chunk, ri, wi int) int {
	due := -1
	if ri < len(c.done) {
		due = c.done[ri].after
	}
	if wi < len(c.warns) && (due < 0 || c.warns[wi].i < due) {
		due = c.warns[wi].i
	}
	return due
}

// adder is what a consumer of decode is: a Sink's Add, called through the
// interface (a method value would add a call per event).
type adder interface {
	Add(d *decoders.Decoded)
}

// decode reads and decodes every processor stream of every source on
// worker goroutines, merges them on another, and passes the events, in one
// time order (etw.MergeKey; ties to the earlier source, then the lower
// processor), to each of adds: adds[0] here, every other on a goroutine of
// its own. choose[k], when not nil, picks the events adds[k] gets (nil
// choose: every add gets every event). Decoder problems go to warn, here,
// each before the event it names. A panic of any add stops everything;
// decode then panics with it here.
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
	m := &merger{free: make(chan *chunk, chunksPerConsumer*len(adds)), stop: stop}
	for range adds {
		m.outs = append(m.outs, make(chan *chunk, chunksPerConsumer-2))
		m.cur = append(m.cur, &chunk{evs: make([]*decoders.Decoded, 0, chunkSize)})
		for range chunksPerConsumer - 1 {
			m.free <- &chunk{evs: make([]*decoders.Decoded, 0, chunkSize)}
		}
	}
	size := min(batchSize, max(minBatchSize, batchEvents/(batchesPerStream*max(len(groups), 1))))
	all := make([]*decodedStream, 0, len(groups))
	for i, g := range groups {
		s := &decodedStream{full: make(chan *batch, batchesPerStream-1), free: make(chan *batch, batchesPerStream), ord: i, m: m}
		// A small stream gets small batches: records take 24 bytes or more.
		var bytes int64
		for _, b := range g.bufs {
			bytes += int64(b.Size)
		}
		n := int(min(int64(size), max(minBatchSize, bytes/24)))
		for range batchesPerStream {
			s.free <- newBatch(n)
		}
		src := srcs[g.src]
		go decodeStream(src.File, src.Name, g.bufs, s, choose[:len(adds)], sem, stop)
		all = append(all, s)
	}
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		defer func() {
			for _, out := range m.outs {
				close(out)
			}
		}()
		m.merge(all)
		m.flushAll()
	}()

	// The other consumers. After a panic of one, stop everything and
	// keep draining, so that every batch still goes back.
	var others sync.WaitGroup
	var panicked atomic.Pointer[any]
	for k := 1; k < len(adds); k++ {
		others.Add(1)
		go func() {
			defer others.Done()
			var cur *chunk
			ri := 0
			defer func() {
				if r := recover(); r != nil {
					panicked.CompareAndSwap(nil, &r)
					stopAll()
					m.drain(cur, ri, m.outs[k])
				}
			}()
			m.consume(m.outs[k], adds[k], nil, &cur, &ri, stop)
		}()
	}

	// On return (adds[0] may panic) stop the merger and the decoders and
	// drain every channel, so no goroutine stays blocked.
	var cur *chunk
	ri := 0
	defer func() {
		stopAll()
		m.drain(cur, ri, m.outs[0])
		others.Wait()
		<-merged
		for _, c := range m.cur {
			for _, r := range c.done {
				giveBack(r)
			}
		}
		for _, s := range all {
			if s.cur != nil {
				// Merged no further than s.cur: no chunk holds it.
				s.free <- s.cur
			}
			for b := range s.full {
				s.free <- b
			}
		}
	}()
	m.consume(m.outs[0], adds[0], warn, &cur, &ri, stop)
	others.Wait() // before the deferred stop: they may still be consuming
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
}

// drain hands back, after a panic of a consumer, the batches of the chunk
// it was consuming (cur, from release ri on) and of every chunk still
// coming on out.
func (m *merger) drain(cur *chunk, ri int, out <-chan *chunk) {
	if cur != nil {
		for _, r := range cur.done[ri:] {
			giveBack(r)
		}
	}
	for c := range out {
		for _, r := range c.done {
			giveBack(r)
		}
	}
}
