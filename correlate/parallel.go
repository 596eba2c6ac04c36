package correlate

import (
	"fmt"
	"math"
	"runtime"

	"github.com/ipctrace/ipctrace/internal/minheap"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// Parallel decoding (DESIGN.md §5): every processor's buffers are read and
// decoded on a goroutine of their own, at most GOMAXPROCS at a time, into
// batches; the correlating goroutine merges the batches by time exactly as
// etw's TimeOrder merges records: by timestamp, then by processor, a record
// without a time keeping its place after the last timed record of its
// processor (ETL-FORMAT.md §1).

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
}

// decodeStream reads and decodes bufs in order into s.full.
func decodeStream(f *etw.File, name string, bufs []etw.BufferInfo, s *decodedStream, sem chan struct{}, stop <-chan struct{}) {
	defer close(s.full)
	br := f.NewBufferReader()
	p := decoders.NewParser()
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
			if !rec.NoTime {
				key = rec.Time
			}
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

// next moves s to its next batch; false at the end of the stream.
func (s *decodedStream) next() bool {
	if s.cur != nil {
		s.free <- s.cur
	}
	b, ok := <-s.full
	s.cur, s.i, s.wi = b, 0, 0
	if ok {
		s.key = b.keys[0]
	}
	return ok
}

// decodeParallel decodes f on worker goroutines and passes its events to
// add here, in time order. Decoder problems go to warn.
func decodeParallel(f *etw.File, name string, warn func(string), add func(*decoders.Decoded)) {
	groups := f.ProcessorBuffers()
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	stop := make(chan struct{})
	size := min(batchSize, max(minBatchSize, batchEvents/(batchesPerStream*max(len(groups), 1))))
	h := make(streamHeap, 0, len(groups))
	all := make([]*decodedStream, 0, len(groups))
	for i, bufs := range groups {
		s := &decodedStream{full: make(chan *batch, batchesPerStream-1), free: make(chan *batch, batchesPerStream), ord: i}
		// A small stream gets small batches: records take 24 bytes or more.
		var bytes int64
		for _, b := range bufs {
			bytes += int64(b.Size)
		}
		n := int(min(int64(size), max(minBatchSize, bytes/24)))
		for range batchesPerStream {
			s.free <- newBatch(n)
		}
		go decodeStream(f, name, bufs, s, sem, stop)
		all = append(all, s)
	}
	// On return (add may panic) stop the decoders and drain every stream,
	// so no goroutine stays blocked.
	defer func() {
		close(stop)
		for _, s := range all {
			for b := range s.full {
				s.free <- b // never blocks: free holds every batch
			}
		}
	}()
	for _, s := range all {
		if s.next() {
			h = append(h, heapItem{s.key, s.ord, s})
		}
	}
	minheap.Init(h, lessItem)
	for len(h) > 0 {
		s := h[0].s
		b := s.cur
		for s.wi < len(b.warns) && b.warns[s.wi].i == s.i {
			warn(b.warns[s.wi].s)
			s.wi++
		}
		add(&b.evs[s.i])
		s.i++
		if s.i < len(b.evs) {
			h[0].key = b.keys[s.i]
			minheap.Down(h, 0, lessItem)
			continue
		}
		if s.next() {
			h[0].key = s.key
			minheap.Down(h, 0, lessItem)
			continue
		}
		h = minheap.Pop(h, lessItem)
	}
}

// streamHeap is a min-heap of streams by (key, processor order); the
// keys are kept in the heap for locality.
type streamHeap []heapItem

type heapItem struct {
	key int64
	ord int
	s   *decodedStream
}

// lessItem orders heap items by key, then processor order.
func lessItem(a, b *heapItem) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.ord < b.ord
}
