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

// decode reads and decodes every processor stream of every source on
// worker goroutines and passes the events to add here, in one time order
// (etw.MergeKey; ties to the earlier source, then the lower processor).
// Decoder problems go to warn, each before the event it names.
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
	size := min(batchSize, max(minBatchSize, batchEvents/(batchesPerStream*max(len(groups), 1))))
	all := make([]*decodedStream, 0, len(groups))
	for i, g := range groups {
		s := &decodedStream{full: make(chan *batch, batchesPerStream-1), free: make(chan *batch, batchesPerStream), ord: i}
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
	var live []*decodedStream
	for _, s := range all {
		if s.next() {
			live = append(live, s)
		}
	}
	kmerge.Merge(live, func(s *decodedStream) bool {
		b := s.cur
		for s.wi < len(b.warns) && b.warns[s.wi].i == s.i {
			warn(b.warns[s.wi].s)
			s.wi++
		}
		add(&b.evs[s.i])
		return true
	})
}
