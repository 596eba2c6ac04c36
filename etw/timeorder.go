package etw

import (
	"cmp"
	"slices"
)

// stream is one processor's buffers in SequenceNumber order and a cursor
// on the current one.
type stream struct {
	bufs []BufferInfo
	next int // index of the next buffer to load
	l    bufferLoader
	c    cursor
	r    Record
	key  int64 // merge key of r: its time, or the stream's last time for untimed records
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
			if !s.r.NoTime {
				s.key = s.r.Time
			}
			return true, false
		}
		if s.next >= len(s.bufs) {
			return false, false
		}
		b := s.bufs[s.next]
		s.next++
		img, err := s.l.load(&b)
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
// sort each group by SequenceNumber, k-way merge by timestamp (§1).
func (f *File) timeOrder(yield func(*Record, error) bool) {
	report := func(err error) bool { return yield(nil, err) }
	byProc := map[uint16][]BufferInfo{}
	var procs []uint16
	sc := bufferScanner{f: f}
	for {
		b, ok, err := sc.next()
		if err != nil {
			f.warn(err)
			if !report(err) {
				return
			}
		}
		if !ok {
			if err == nil {
				break
			}
			continue
		}
		if _, seen := byProc[b.Processor]; !seen {
			procs = append(procs, b.Processor)
		}
		byProc[b.Processor] = append(byProc[b.Processor], b)
	}
	slices.Sort(procs)
	streams := make([]*stream, 0, len(procs))
	for _, p := range procs {
		bufs := byProc[p]
		slices.SortStableFunc(bufs, func(a, b BufferInfo) int { return cmp.Compare(a.SequenceNumber, b.SequenceNumber) })
		s := &stream{bufs: bufs, l: bufferLoader{f: f}}
		s.key = minInt64
		ok, stop := s.advance(f, report)
		if stop {
			return
		}
		if ok {
			streams = append(streams, s)
		}
	}
	h := mergeHeap(streams)
	h.init()
	for len(h) > 0 {
		s := h[0]
		if !yield(&s.r, nil) {
			return
		}
		ok, stop := s.advance(f, report)
		if stop {
			return
		}
		if ok {
			h.fix0()
		} else {
			h.pop0()
		}
	}
}

// mergeHeap is a min-heap of streams by (key, processor order).
type mergeHeap []*stream

func (h mergeHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.key != b.key {
		return a.key < b.key
	}
	return a.c.b.Processor < b.c.b.Processor
}

func (h mergeHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h mergeHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h mergeHeap) fix0() { h.down(0) }

func (h *mergeHeap) pop0() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	h.down(0)
}
