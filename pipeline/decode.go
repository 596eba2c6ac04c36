package pipeline

import (
	"fmt"
	"math"
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
func decodeStream(f *etw.File, name string, bufs []etw.BufferInfo, s *decodedStream, sem chan struct{}, stop <-chan struct{}) {
	defer close(s.full)
	br := f.NewBufferReader()
	p := decoders.NewParser()
	p.Want = engineUses
	key := int64(math.MinInt64)
	b := <-s.free
	b.reset()
	for _, buf := range bufs {
		select {
		case <-stop:
			return
		case sem <- struct{}{}:
		}
		for rec, err := range br.Records(buf) {
			if err != nil {
				continue // the File keeps every skipped range
			}
			if len(b.evs) == cap(b.evs) {
				<-sem
				s.full <- b
				b = <-s.free
				b.reset()
				sem <- struct{}{}
			}
			key = etw.MergeKey(key, rec)
			// Decode in place into the batch's next slot (cap checked above).
			b.evs = b.evs[:len(b.evs)+1]
			d := &b.evs[len(b.evs)-1]
			if _, derr := p.DecodeInto(rec, d); derr != nil {
				b.warns = append(b.warns, batchWarn{i: len(b.evs) - 1,
					s: fmt.Sprintf("%s: buffer at offset %#x, record at %#x: %v", name, rec.BufferOffset, rec.Pos, derr)})
				// The event holds the fields read before the error: count
				// the record, do not correlate it.
				d.Event = nil
			}
			b.own(d)
			b.keys = append(b.keys, key)
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
	}
	var b *batch
	var ok bool
	select {
	case b, ok = <-s.full:
	default:
		// The decoder may be waiting for a batch held by the chunk being
		// filled: hand that chunk over before waiting for this stream.
		if !s.m.flush() {
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

// Key, Order and Next make a decodedStream a kmerge.Stream.
func (s *decodedStream) Key() int64 { return s.key }
func (s *decodedStream) Order() int { return s.ord }
func (s *decodedStream) Next() bool {
	s.i++
	if s.i < len(s.cur.evs) {
		s.key = s.cur.keys[s.i]
		return true
	}
	return s.next()
}

// chunkSize is the number of merged events handed at once from the merging
// goroutine to the consuming ones.
const chunkSize = 4096

// chunks is the number of chunks there are: enough for one being filled,
// some waiting and one being consumed by each consumer.
const chunks = 8

// chunk is a run of merged events: pointers into batches, the decoder
// warnings to report before them, and the batches whose last event is in
// this chunk or an earlier one, free once every consumer is past it.
type chunk struct {
	evs   []*decoders.Decoded
	warns []batchWarn // i indexes evs
	done  []release
	// refs counts the consumers not yet done with the chunk; released, how
	// many of done went back early (one consumer only).
	refs     atomic.Int32
	released int
}

type release struct {
	s     *decodedStream
	b     *batch
	after int // b's events all precede evs[after]
}

// merger fills chunks in time order on its own goroutine, so that merging
// and correlating run side by side.
type merger struct {
	cur  *chunk
	outs []chan *chunk // per consumer: filled chunks, in order; closed at the end
	free chan *chunk
	stop <-chan struct{}
	// stopped is set once stop is seen; only the merging goroutine reads it.
	stopped bool
}

// release records that b's events have all been merged: it goes back once
// the consumers are past them.
func (m *merger) release(s *decodedStream, b *batch) {
	m.cur.done = append(m.cur.done, release{s, b, len(m.cur.evs)})
}

// flush hands the chunk being filled to every consumer, if it holds
// anything, and takes an empty one; false once stopped. A stopped merger
// keeps a chunk, so that every release still reaches the cleanup.
func (m *merger) flush() bool {
	if m.stopped {
		return false
	}
	if len(m.cur.evs) == 0 && len(m.cur.done) == 0 {
		return true
	}
	c := m.cur
	c.refs.Store(int32(len(m.outs)))
	for i, out := range m.outs {
		select {
		case out <- c:
		case <-m.stop:
			// The consumers not reached will never be done with c.
			for range m.outs[i:] {
				m.done(c)
			}
			m.cur, m.stopped = &chunk{}, true
			return false
		}
	}
	select {
	case m.cur = <-m.free:
		return true
	case <-m.stop:
		m.cur, m.stopped = &chunk{}, true
		return false
	}
}

// done is called once by each consumer of c when it is past c: the last one
// hands c's batches back to their decoders and c to the merger.
func (m *merger) done(c *chunk) {
	if c.refs.Add(-1) != 0 {
		return
	}
	for _, r := range c.done[c.released:] {
		r.s.free <- r.b // never blocks: free holds every batch of its stream
	}
	clear(c.evs)
	clear(c.warns)
	c.evs, c.warns, c.done, c.released = c.evs[:0], c.warns[:0], c.done[:0], 0
	m.free <- c // never blocks: free holds every chunk
}

// add appends s's current event, and the warnings met before it.
func (m *merger) add(s *decodedStream) bool {
	if m.stopped {
		return false
	}
	b := s.cur
	for s.wi < len(b.warns) && b.warns[s.wi].i == s.i {
		m.cur.warns = append(m.cur.warns, batchWarn{i: len(m.cur.evs), s: b.warns[s.wi].s})
		s.wi++
	}
	m.cur.evs = append(m.cur.evs, &b.evs[s.i])
	if len(m.cur.evs) == chunkSize {
		return m.flush()
	}
	return true
}

// decode reads and decodes every processor stream of every source on
// worker goroutines, merges them on another, and passes the events, in one
// time order (etw.MergeKey; ties to the earlier source, then the lower
// processor), to each of adds: adds[0] here, every other on a goroutine of
// its own. Decoder problems go to warn, here, each before the event it
// names. A panic of any add stops everything; decode then panics with it
// here.
func decode(srcs []Source, warn func(string), adds ...func(*decoders.Decoded)) {
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
	m := &merger{free: make(chan *chunk, chunks), stop: stop}
	for range adds {
		m.outs = append(m.outs, make(chan *chunk, 2))
	}
	for range chunks - 1 {
		m.free <- &chunk{evs: make([]*decoders.Decoded, 0, chunkSize)}
	}
	m.cur = &chunk{evs: make([]*decoders.Decoded, 0, chunkSize)}
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
		go decodeStream(src.File, src.Name, g.bufs, s, sem, stop)
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
		var live []*decodedStream
		for _, s := range all {
			if s.next() {
				live = append(live, s)
			}
		}
		kmerge.Merge(live, m.add)
		m.flush()
	}()

	// The other consumers. After a panic of one, stop everything and
	// keep draining, so that every chunk still goes back.
	var others sync.WaitGroup
	var panicked atomic.Pointer[any]
	for k := 1; k < len(adds); k++ {
		others.Add(1)
		go func() {
			defer others.Done()
			var cur *chunk
			defer func() {
				if r := recover(); r != nil {
					panicked.CompareAndSwap(nil, &r)
					stopAll()
					if cur != nil {
						m.done(cur)
					}
					for c := range m.outs[k] {
						m.done(c)
					}
				}
			}()
			for c := range m.outs[k] {
				cur = c
				select {
				case <-stop:
				default:
					for _, d := range c.evs {
						adds[k](d)
					}
				}
				cur = nil
				m.done(c)
			}
		}()
	}

	// The chunk being consumed here and how many of its batches went back:
	// on a panic of adds[0], the others must still go back.
	var c *chunk
	ri := 0
	single := len(adds) == 1
	// On return (adds[0] may panic) stop the merger and the decoders and
	// drain every channel, so no goroutine stays blocked.
	defer func() {
		stopAll()
		if c != nil {
			c.released = ri
			m.done(c)
		}
		for c := range m.outs[0] {
			m.done(c)
		}
		others.Wait()
		<-merged
		for _, r := range m.cur.done {
			r.s.free <- r.b
		}
		for _, s := range all {
			for b := range s.full {
				s.free <- b
			}
		}
	}()
	for next := range m.outs[0] {
		c, ri = next, 0
		wi := 0
		for i, d := range c.evs {
			// With one consumer, a batch goes back as soon as it is past.
			for single && ri < len(c.done) && c.done[ri].after <= i {
				c.done[ri].s.free <- c.done[ri].b
				ri++
			}
			for wi < len(c.warns) && c.warns[wi].i == i {
				warn(c.warns[wi].s)
				wi++
			}
			adds[0](d)
		}
		c.released = ri
		c = nil
		m.done(next)
	}
	others.Wait() // before the deferred stop: they may still be consuming
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
}
