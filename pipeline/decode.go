package pipeline

import (
	"fmt"
	"math"
	"runtime"

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
// goroutine to the consuming one.
const chunkSize = 4096

// chunks is the number of chunks in flight: one being filled, one being
// consumed, one waiting.
const chunks = 10

// chunk is a run of merged events: pointers into batches, the decoder
// warnings to report before them, and the batches whose last event is in
// this chunk or an earlier one, free once the consumer is past it.
type chunk struct {
	evs   []*decoders.Decoded
	warns []batchWarn // i indexes evs
	done  []release
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
	out  chan *chunk // filled chunks, in order; closed at the end
	free chan *chunk
	stop <-chan struct{}
	// stopped is set once stop is seen; only the merging goroutine reads it.
	stopped bool
}

// release records that b's events have all been merged: the consumer
// hands b back as soon as it reaches the chunk's next event.
func (m *merger) release(s *decodedStream, b *batch) {
	m.cur.done = append(m.cur.done, release{s, b, len(m.cur.evs)})
}

// flush hands the chunk being filled to the consumer, if it holds
// anything, and takes an empty one; false once stopped. A stopped merger
// keeps a chunk, so that every release still reaches the cleanup.
func (m *merger) flush() bool {
	if m.stopped {
		return false
	}
	if len(m.cur.evs) == 0 && len(m.cur.done) == 0 {
		return true
	}
	select {
	case m.out <- m.cur:
	case <-m.stop:
		m.stopped = true
		return false
	}
	select {
	case m.cur = <-m.free:
		return true
	case <-m.stop:
		m.cur, m.stopped = &chunk{}, true
		return false
	}
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
// worker goroutines, merges them on another, and passes the events to add
// here, in one time order (etw.MergeKey; ties to the earlier source, then
// the lower processor). Decoder problems go to warn, each before the event
// it names.
func decode(srcs []Source, warn func(string), add func(*decoders.Decoded)) {
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
	m := &merger{out: make(chan *chunk, chunks-2), free: make(chan *chunk, chunks), stop: stop}
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
		defer close(m.out)
		var live []*decodedStream
		for _, s := range all {
			if s.next() {
				live = append(live, s)
			}
		}
		kmerge.Merge(live, m.add)
		m.flush()
	}()
	// The chunk being consumed and how many of its batches went back: on a
	// panic of add, the others must still go back.
	var c *chunk
	ri := 0
	// On return (add may panic) stop the merger and the decoders and drain
	// every channel, so no goroutine stays blocked.
	defer func() {
		close(stop)
		if c != nil {
			for _, r := range c.done[ri:] {
				r.s.free <- r.b
			}
		}
		for c := range m.out {
			for _, r := range c.done {
				r.s.free <- r.b // never blocks: free holds every batch
			}
		}
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
	for next := range m.out {
		c, ri = next, 0
		wi := 0
		for i, d := range c.evs {
			for ri < len(c.done) && c.done[ri].after <= i {
				c.done[ri].s.free <- c.done[ri].b
				ri++
			}
			for wi < len(c.warns) && c.warns[wi].i == i {
				warn(c.warns[wi].s)
				wi++
			}
			add(d)
		}
		for _, r := range c.done[ri:] {
			r.s.free <- r.b
		}
		c = nil
		clear(next.evs)
		clear(next.warns)
		next.evs, next.warns, next.done = next.evs[:0], next.warns[:0], next.done[:0]
		m.free <- next
	}
}
