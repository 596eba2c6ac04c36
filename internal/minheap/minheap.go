// Package minheap holds the sift-down of a binary min-heap over a slice, shared
// by the k-way merges that order events in time: the reader's (records of
// per-processor buffer streams, docs/format.md#buffers) and the correlator's
// (decoded batches of the same streams). It is a few lines rather than
// container/heap because the merges run once per event, where an interface
// call per comparison and per swap shows.
package minheap

// Init orders h as a min-heap by less.
func Init[T any](h []T, less func(a, b *T) bool) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		Down(h, i, less)
	}
}

// Down moves h[i] down until neither child is less than it.
func Down[T any](h []T, i int, less func(a, b *T) bool) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(&h[r], &h[l]) {
			m = r
		}
		if !less(&h[m], &h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// Pop removes the minimum h[0] and returns the shortened heap.
func Pop[T any](h []T, less func(a, b *T) bool) []T {
	n := len(h) - 1
	h[0] = h[n]
	var zero T
	h[n] = zero // let the removed element be collected
	h = h[:n]
	Down(h, 0, less)
	return h
}
