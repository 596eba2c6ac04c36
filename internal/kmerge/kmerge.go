// Package kmerge is the one k-way merge of ipctrace: it merges ordered
// streams by an int64 key, ties broken by a fixed stream order. The .etl
// reader merges a file's processor streams with it (docs/format.md#order)
// and the pipeline merges decoded streams of every processor of every file
// of a namespace with it, so both orders are the same by construction.
package kmerge

// Stream is one ordered input. Key and Order describe the current item;
// Next moves to the next one and reports false at the end of the stream.
// A stream is positioned on its first item before it is handed to Merge.
type Stream interface {
	Key() int64
	Order() int
	Next() bool
}

// Merge calls emit with the stream holding the smallest (Key, Order) item
// until every stream is exhausted or emit returns false. Streams must be
// positioned on their first item; empty streams must be left out. emit
// must not advance the stream: Merge does, after emit returns.
func Merge[S Stream](streams []S, emit func(S) bool) {
	var h Heap
	for i, s := range streams {
		h.Push(i, s.Order(), s.Key())
	}
	for h.Len() > 0 {
		s := streams[h.Min()]
		if !emit(s) {
			return
		}
		if s.Next() {
			h.Fix(s.Key())
			continue
		}
		h.Pop()
	}
}

// Heap is the merge order itself, for callers that advance their streams
// without method calls (the pipeline's merge runs once per event): a binary
// min-heap of each live stream's current key and order, which names the
// stream, by the index given to Push, that comes next. It is written out
// for its one item type rather than with container/heap, whose interface
// call per comparison and per swap shows at that rate.
type Heap struct {
	h []item
}

type item struct {
	key int64
	ord int
	i   int
}

func less(a, b *item) bool { return Before(a.key, a.ord, b.key, b.ord) }

// Push adds stream i, of tie order ord, positioned on an item of key key.
func (h *Heap) Push(i, ord int, key int64) {
	h.h = append(h.h, item{key, ord, i})
	for j := len(h.h) - 1; j > 0; {
		p := (j - 1) / 2
		if !less(&h.h[j], &h.h[p]) {
			break
		}
		h.h[j], h.h[p] = h.h[p], h.h[j]
		j = p
	}
}

// Len is the number of live streams.
func (h *Heap) Len() int { return len(h.h) }

// Min is the index of the stream holding the smallest (key, order) item.
// The heap must not be empty.
func (h *Heap) Min() int { return h.h[0].i }

// Bound is the smallest (key, order) of the streams other than Min; ok is
// false when Min is the only one. Stream Min may go on emitting while its
// items come before Bound (Before), without a Fix per item.
func (h *Heap) Bound() (key int64, ord int, ok bool) {
	s := h.h
	switch len(s) {
	case 0, 1:
		return 0, 0, false
	case 2:
		return s[1].key, s[1].ord, true
	}
	m := &s[1]
	if less(&s[2], m) {
		m = &s[2]
	}
	return m.key, m.ord, true
}

// Before reports whether an item of key key and order ord comes before one
// of bkey and bord: the merge order, ties to the lower order.
func Before(key int64, ord int, bkey int64, bord int) bool {
	return key < bkey || key == bkey && ord < bord
}

// Fix records that stream Min has moved to an item of key key.
func (h *Heap) Fix(key int64) {
	h.h[0].key = key
	h.down()
}

// Pop removes stream Min, which has ended.
func (h *Heap) Pop() {
	n := len(h.h) - 1
	h.h[0] = h.h[n]
	h.h = h.h[:n]
	h.down()
}

// down moves h[0] down until neither child is less than it.
func (h *Heap) down() {
	s := h.h
	n := len(s)
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(&s[r], &s[l]) {
			m = r
		}
		if !less(&s[m], &s[i]) {
			return
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
}
