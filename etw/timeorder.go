package etw

import (
	"cmp"
	"iter"
	"slices"
	"sync"

	"github.com/ipctrace/ipctrace/internal/kmerge"
)

// stream is one processor's buffers in SequenceNumber order and a cursor
// on the current one.
type stream struct {
	bufs []BufferInfo
	next int // index of the next buffer to load
	l    bufferLoader
	c    cursor
	r    Record
	key  int64 // merge key of r (MergeKey)

	// For Next, as a kmerge.Stream.
	f       *File
	report  func(error) bool
	stopped *bool

	// With Parallel, buffers are loaded ahead by a feeder goroutine.
	feed chan *image
	pool chan *bufferLoader
	cur  *image
}

// feedStream loads s's buffers in order into s.feed, holding at most
// cap(s.pool) images, and one worker slot from sem while loading.
func (s *stream) feedStream(sem chan struct{}, done <-chan struct{}) {
	defer close(s.feed)
	for _, b := range s.bufs {
		var l *bufferLoader
		select {
		case l = <-s.pool:
		case <-done:
			return
		}
		select {
		case sem <- struct{}{}:
		case <-done:
			return
		}
		im := &image{b: b, ok: true, l: l}
		im.img, im.loadErr = l.load(&im.b)
		<-sem
		select {
		case s.feed <- im:
		case <-done:
			return
		}
	}
}

// advance moves s to its next record. It returns false when s is exhausted.
// Errors met on the way are passed to report, which returns false to stop.
func (s *stream) advance(f *File, report func(error) bool) (ok, stop bool) {
	for {
		ok, err := s.c.next(f, &s.r)
		if err != nil {
			f.warn(err)
			if !report(err) {
				return false, true
			}
			continue
		}
		if ok {
			s.key = MergeKey(s.key, &s.r)
			return true, false
		}
		var b BufferInfo
		var img []byte
		if s.feed != nil {
			if s.cur != nil {
				s.pool <- s.cur.l // the records of cur are no longer visible
				s.cur = nil
			}
			im, ok := <-s.feed
			if !ok {
				return false, false
			}
			s.cur, b, img, err = im, im.b, im.img, im.loadErr
		} else {
			if s.next >= len(s.bufs) {
				return false, false
			}
			b = s.bufs[s.next]
			s.next++
			img, err = s.l.load(&b)
		}
		if err != nil {
			f.warn(err)
			if !report(err) {
				return false, true
			}
		}
		s.c = cursor{b: b, img: img, pos: BufferHeaderSize}
	}
}

// timeOrder implements Records(TimeOrder()): group buffers by processor,
// sort each group by SequenceNumber, k-way merge by timestamp (docs/format.md#buffers).
func (f *File) timeOrder(workers int, yield func(*Record, error) bool) {
	report := func(err error) bool { return yield(nil, err) }
	groups, ok := f.groupBuffers(report)
	if !ok {
		return
	}
	var sem chan struct{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(done)
		wg.Wait()
	}()
	if workers > 1 {
		sem = make(chan struct{}, workers)
	}
	streams := make([]*stream, 0, len(groups))
	for _, bufs := range groups {
		s := &stream{bufs: bufs, l: bufferLoader{f: f}}
		s.key = minInt64
		if sem != nil {
			s.feed = make(chan *image)
			s.pool = make(chan *bufferLoader, 2)
			s.pool <- &bufferLoader{f: f}
			s.pool <- &bufferLoader{f: f}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.feedStream(sem, done)
			}()
		}
		ok, stop := s.advance(f, report)
		if stop {
			return
		}
		if ok {
			streams = append(streams, s)
		}
	}
	stopped := false
	for _, st := range streams {
		st.f, st.report, st.stopped = f, report, &stopped
	}
	kmerge.Merge(streams, func(s *stream) bool {
		return !stopped && yield(&s.r, nil)
	})
}

// Key, Order and Next make a stream a kmerge.Stream: the merge key is
// MergeKey's, ties go to the lower processor number.
func (s *stream) Key() int64 { return s.key }
func (s *stream) Order() int { return int(s.c.b.Processor) }
func (s *stream) Next() bool {
	if *s.stopped {
		return false
	}
	ok, stop := s.advance(s.f, s.report)
	if stop {
		*s.stopped = true
	}
	return ok
}

// groupBuffers walks the buffers of f and groups them by processor,
// processors ascending, each group in SequenceNumber order (docs/format.md#buffers). Errors
// are recorded and passed to report, which returns false to stop (ok false).
func (f *File) groupBuffers(report func(error) bool) (groups [][]BufferInfo, ok bool) {
	byProc := map[uint16][]BufferInfo{}
	var procs []uint16
	for _, st := range f.steps() {
		b, ok, err := st.b, st.ok, st.err
		if err != nil {
			f.warn(err)
			if !report(err) {
				return nil, false
			}
		}
		if !ok {
			continue
		}
		if _, seen := byProc[b.Processor]; !seen {
			procs = append(procs, b.Processor)
		}
		byProc[b.Processor] = append(byProc[b.Processor], b)
	}
	slices.Sort(procs)
	for _, p := range procs {
		bufs := byProc[p]
		slices.SortStableFunc(bufs, func(a, b BufferInfo) int { return cmp.Compare(a.SequenceNumber, b.SequenceNumber) })
		groups = append(groups, bufs)
	}
	return groups, true
}

// ProcessorBuffers returns the buffers of f grouped by processor,
// processors ascending, each group in SequenceNumber order: the streams
// that TimeOrder merges (docs/format.md#buffers). A caller can read each group on its own
// goroutine with a BufferReader and merge the results by time, as
// TimeOrder does: a record without a time sorts with the last timed record
// before it in its group. Errors met are recorded in Warnings.
func (f *File) ProcessorBuffers() [][]BufferInfo {
	groups, _ := f.groupBuffers(func(error) bool { return true })
	return groups
}

// BufferReader reads the records of single buffers, reusing its storage.
// It is not safe for concurrent use; use one per goroutine.
type BufferReader struct {
	f *File
	l bufferLoader
	r Record
	c cursor // the buffer Start began
}

// NewBufferReader returns a BufferReader for f.
func (f *File) NewBufferReader() *BufferReader {
	return &BufferReader{f: f, l: bufferLoader{f: f}}
}

// Records yields the records of buffer b in order, with the same meaning
// and lifetime as those of File.Records: the *Record and its slices are
// valid until the loop continues, and, as the buffer's storage is reused,
// no longer than the next call of Records or Start. Errors are recorded
// in the File's Warnings and yielded with a nil record.
func (br *BufferReader) Records(b BufferInfo) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		if err := br.Start(b); err != nil && !yield(nil, err) {
			return
		}
		for {
			r, err := br.Next()
			if r == nil && err == nil {
				return
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

// Start begins reading buffer b, record by record, with Next: the pull
// form of Records, for a loop hot enough that the call per record of an
// iterator shows. An error loading the buffer is recorded in the File's
// Warnings and returned; Next then has no records.
func (br *BufferReader) Start(b BufferInfo) error {
	img, err := br.l.load(&b)
	if err != nil {
		br.f.warn(err)
	}
	br.c = cursor{b: b, img: img, pos: BufferHeaderSize}
	return err
}

// Next returns the next record of the buffer Start began, valid as those
// Records yields, or nil at its end. An error is recorded in the File's
// Warnings and returned with a nil record; reading goes on after it.
func (br *BufferReader) Next() (*Record, error) {
	ok, err := br.c.next(br.f, &br.r)
	if err != nil {
		br.f.warn(err)
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	return &br.r, nil
}

// MergeKey is the key by which records of several processor streams are
// merged into time order (docs/format.md#order): the record's time, or for
// a record without one (NoTime) the key of the record before it in its
// stream (prev), so it keeps its place after that record. Ties between
// streams go to the lower processor, then to the earlier file.
func MergeKey(prev int64, r *Record) int64 {
	if r.NoTime {
		return prev
	}
	return r.Time
}
