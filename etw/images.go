package etw

import (
	"runtime"
	"sync"
)

// Parallel makes Records read and decompress buffers on n goroutines
// (n <= 0: GOMAXPROCS) while records are still yielded in file order on
// the caller's goroutine (docs/README.md#performance). In file order at most 2n+2 buffers
// are held in memory at a time; with TimeOrder, at most two per processor.
func Parallel(n int) Option {
	return func(o *options) {
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		o.workers = n
	}
}

// image is one buffer of the file with its decoded image.
type image struct {
	idx     int
	b       BufferInfo
	ok      bool  // b is a buffer (else only scanErr is set)
	scanErr error // from the buffer walk (docs/format.md#buffers): a skipped byte range
	img     []byte
	loadErr error // from reading/decompressing the buffer
	l       *bufferLoader
	st      bufStats // filled by ComputeStats's prep
}

// images calls fn for every buffer in file order with its image, loading
// buffers on workers goroutines when workers > 1. fn returns false to stop.
// The image is valid until fn returns. prep, when not nil, is called with
// each loaded image before fn, on the loading goroutine: w (< max(workers,
// 1)) numbers that goroutine, so prep may keep per-goroutine state.
func (f *File) images(workers int, prep func(w int, im *image), fn func(*image) bool) {
	if workers <= 1 {
		s := bufferScanner{f: f}
		l := &bufferLoader{f: f}
		var im image
		for {
			b, ok, err := s.next()
			if !ok && err == nil {
				return
			}
			im = image{b: b, ok: ok, scanErr: err}
			if ok {
				im.img, im.loadErr = l.load(&im.b)
				if prep != nil {
					prep(0, &im)
				}
			}
			if !fn(&im) {
				return
			}
		}
	}

	inflight := 2*workers + 2
	pool := make(chan *bufferLoader, inflight)
	for range inflight {
		pool <- &bufferLoader{f: f}
	}
	jobs := make(chan *image, workers)
	results := make(chan *image, inflight)
	done := make(chan struct{})

	go func() { // the buffer walk is sequential: each header gives the next offset
		defer close(jobs)
		s := bufferScanner{f: f}
		for idx := 0; ; idx++ {
			b, ok, err := s.next()
			if !ok && err == nil {
				return
			}
			im := &image{idx: idx, b: b, ok: ok, scanErr: err}
			if ok {
				select {
				case im.l = <-pool:
				case <-done:
					return
				}
			}
			select {
			case jobs <- im:
			case <-done:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for im := range jobs {
				if im.ok {
					im.img, im.loadErr = im.l.load(&im.b)
					if prep != nil {
						prep(w, im)
					}
				}
				select {
				case results <- im:
				case <-done:
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	defer func() {
		close(done)
		for range results {
		}
	}()

	pending := make(map[int]*image, inflight)
	next := 0
	for im := range results {
		pending[im.idx] = im
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			more := fn(p)
			if p.l != nil {
				pool <- p.l
			}
			if !more {
				return
			}
		}
	}
}
