// Package kmerge is the one k-way merge of ipctrace: it merges ordered
// streams by an int64 key, ties broken by a fixed stream order. The .etl
// reader merges a file's processor streams with it (docs/format.md#order)
// and the pipeline merges decoded streams of every processor of every file
// of a namespace with it, so both orders are the same by construction.
package kmerge

import "github.com/ipctrace/ipctrace/internal/minheap"

// Stream is one ordered input. Key and Order describe the current item;
// Next moves to the next one and reports false at the end of the stream.
// A stream is positioned on its first item before it is handed to Merge.
type Stream interface {
	Key() int64
	Order() int
	Next() bool
}

type item[S Stream] struct {
	key int64
	ord int
	s   S
}

func less[S Stream](a, b *item[S]) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.ord < b.ord
}

// Merge calls emit with the stream holding the smallest (Key, Order) item
// until every stream is exhausted or emit returns false. Streams must be
// positioned on their first item; empty streams must be left out. emit
// must not advance the stream: Merge does, after emit returns.
func Merge[S Stream](streams []S, emit func(S) bool) {
	h := make([]item[S], 0, len(streams))
	for _, s := range streams {
		h = append(h, item[S]{s.Key(), s.Order(), s})
	}
	minheap.Init(h, less[S])
	for len(h) > 0 {
		s := h[0].s
		if !emit(s) {
			return
		}
		if s.Next() {
			h[0].key = s.Key()
			minheap.Down(h, 0, less[S])
			continue
		}
		h = minheap.Pop(h, less[S])
	}
}
