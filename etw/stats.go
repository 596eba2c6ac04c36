package etw

import "strconv"

// Stats are the container facts of a file, as printed by `ipctrace stats`.
// Counts, HeaderKinds and ExtTypes use the corpus truth's names and keys.
type Stats struct {
	Size              int64          `json:"size"`
	Events            int            `json:"events"`
	Counts            map[string]int `json:"counts"`
	HeaderKinds       map[string]int `json:"header_kinds"`
	ExtTypes          map[string]int `json:"extended_item_types"`
	PointerSize       uint32         `json:"pointer_size"`
	OSVersion         string         `json:"os_version"`
	Clock             string         `json:"clock"`
	Compressed        bool           `json:"compressed"`
	CompressionFormat string         `json:"compression_format,omitempty"`
	LoggerName        string         `json:"logger_name"`
	LogFileName       string         `json:"log_file_name"`
	EventsLost        uint32         `json:"events_lost"`
	BuffersLost       uint32         `json:"buffers_lost"`
	Buffers           int            `json:"buffers"`
	CompressedBuffers int            `json:"compressed_buffers"`
	LossyBuffers      []LossyBuffer  `json:"lossy_buffers"`
	EventsPerBuffer   []int          `json:"events_per_buffer"`

	// Times of the first and last records in file order and the extremes,
	// as FILETIMEs and in ISO form; empty when no record has a time.
	FirstTime    int64  `json:"first_time_filetime"`
	LastTime     int64  `json:"last_time_filetime"`
	MinTime      int64  `json:"min_time_filetime"`
	MaxTime      int64  `json:"max_time_filetime"`
	First        string `json:"first_timestamp"`
	Last         string `json:"last_timestamp"`
	Min          string `json:"min_timestamp"`
	Max          string `json:"max_timestamp"`
	FirstRawTime int64  `json:"first_raw_timestamp"`
	LastRawTime  int64  `json:"last_raw_timestamp"`

	// Warnings name every skipped byte range (damaged input).
	Warnings []string `json:"warnings"`
}

// LossyBuffer is a buffer flagged EVENTS_LOST or BUFFER_LOST.
type LossyBuffer struct {
	Off            int64  `json:"offset"`
	SequenceNumber uint64 `json:"sequence"`
	Processor      uint16 `json:"processor"`
	EventsLost     bool   `json:"events_lost"`
	BufferLost     bool   `json:"buffer_lost"`
}

// ComputeStats reads every record of f in file order and summarises the
// file. Damaged parts are skipped and named in Stats.Warnings (I/O errors
// too), so the error is currently always nil. Of the options only Parallel
// applies: buffers are then decompressed on several goroutines.
func ComputeStats(f *File, opts ...Option) (*Stats, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	h := f.Header()
	st := &Stats{
		Size:        f.size,
		HeaderKinds: map[string]int{},
		ExtTypes:    map[string]int{},
		PointerSize: h.PointerSize,
		OSVersion:   h.OSVersion(),
		Clock:       h.ClockType.String(),
		Compressed:  h.Compressed,
		LoggerName:  h.LoggerName,
		LogFileName: h.LogFileName,
		EventsLost:  h.EventsLost,
		BuffersLost: h.BuffersLost,

		LossyBuffers:    []LossyBuffer{},
		EventsPerBuffer: []int{},
		Warnings:        []string{},
	}
	if h.Compressed {
		st.CompressionFormat = CompressionName(h.CompressionFormat)
	}
	dropped := 0
	warn := func(err error) {
		f.warn(err)
		if len(st.Warnings) < maxWarnings {
			st.Warnings = append(st.Warnings, err.Error())
		} else {
			dropped++
		}
	}

	// Records are walked and counted on the loading goroutines, each with
	// its own totals; what depends on file order (times, warnings, the
	// per-buffer lists) is merged here in file order.
	accs := make([]*statsAcc, max(o.workers, 1))
	for i := range accs {
		accs[i] = &statsAcc{counts: map[CountKey]*int{}, extOther: map[uint16]int{}}
	}
	prep := func(w int, im *image) { accs[w].walk(f, im) }
	haveTime := false
	f.images(o.workers, prep, func(im *image) bool {
		for _, err := range [2]error{im.scanErr, im.loadErr} {
			if err != nil {
				warn(err)
			}
		}
		if !im.ok {
			return true
		}
		for _, err := range im.st.errs {
			warn(err)
		}
		b := &im.b
		st.Buffers++
		if b.Compressed {
			st.CompressedBuffers++
		}
		if b.Lossy() {
			st.LossyBuffers = append(st.LossyBuffers, LossyBuffer{
				Off: b.Off, SequenceNumber: b.SequenceNumber, Processor: b.Processor,
				EventsLost: b.EventsLost(), BufferLost: b.BufferLost(),
			})
		}
		bs := &im.st
		st.EventsPerBuffer = append(st.EventsPerBuffer, bs.n)
		st.Events += bs.n
		if bs.timed {
			if !haveTime {
				haveTime = true
				st.FirstTime, st.MinTime, st.MaxTime, st.FirstRawTime = bs.first, bs.min, bs.max, bs.firstRaw
			}
			st.LastTime, st.LastRawTime = bs.last, bs.lastRaw
			st.MinTime = min(st.MinTime, bs.min)
			st.MaxTime = max(st.MaxTime, bs.max)
		}
		return true
	})

	counts := map[CountKey]int{}
	var kinds [256]int
	var exts [64]int
	extOther := map[uint16]int{}
	for _, a := range accs {
		for k, v := range a.counts {
			counts[k] += *v
		}
		for i, v := range a.kinds {
			kinds[i] += v
		}
		for i, v := range a.exts {
			exts[i] += v
		}
		for t, v := range a.extOther {
			extOther[t] += v
		}
	}
	st.Counts = make(map[string]int, len(counts))
	for k, v := range counts {
		st.Counts[k.String()] = v
	}
	for k, v := range kinds {
		if v != 0 {
			st.HeaderKinds[HeaderKind(k).String()] = v
		}
	}
	for t, v := range exts {
		if v != 0 {
			st.ExtTypes[ExtTypeName(uint16(t))] = v
		}
	}
	for t, v := range extOther {
		st.ExtTypes[ExtTypeName(t)] = v
	}
	if dropped > 0 {
		st.Warnings = append(st.Warnings, strconv.FormatUint(uint64(dropped), 10)+" more warnings not shown")
	}
	if haveTime {
		st.First = FormatFiletime(st.FirstTime)
		st.Last = FormatFiletime(st.LastTime)
		st.Min = FormatFiletime(st.MinTime)
		st.Max = FormatFiletime(st.MaxTime)
	}
	return st, nil
}

// countSlot is one entry of the count cache of ComputeStats.
type countSlot struct {
	k CountKey
	c *int
}

// slot returns the count cache index of k.
func (k *CountKey) slot() uint8 {
	h := k.GUID.Data1 ^ uint32(k.ID)<<5 ^ uint32(k.Opcode)*0x9E3779B1 ^ uint32(k.Group)<<11 ^ uint32(k.Version)<<17 ^ uint32(k.Class)<<27
	h ^= h >> 16
	return uint8(h ^ h>>8)
}

// bufStats are the facts of one buffer's records that depend on file order.
type bufStats struct {
	n                       int
	timed                   bool // a record carries a time
	first, firstRaw         int64
	last, lastRaw, min, max int64
	errs                    []error // skipped ranges, in order
}

// statsAcc holds the order-independent totals of one loading goroutine.
type statsAcc struct {
	r        Record
	counts   map[CountKey]*int
	cache    [256]countSlot // direct-mapped cache in front of counts
	kcache   [256]kernelSlot
	kinds    [256]int
	exts     [64]int
	extOther map[uint16]int
}

// kernelSlot caches the counter of one kernel (group, opcode, version).
type kernelSlot struct {
	k uint32
	c *int
}

// count returns the counter of k, created at 0, through the cache. The
// caller increments it.
func (a *statsAcc) count(k CountKey) *int {
	s := &a.cache[k.slot()]
	if s.c != nil && s.k == k {
		return s.c
	}
	c := a.counts[k]
	if c == nil {
		c = new(int)
		a.counts[k] = c
	}
	*s = countSlot{k, c}
	return c
}

// walk reads the records of im, adding them to a and to im.st.
func (a *statsAcc) walk(f *File, im *image) {
	bs := &im.st
	r := &a.r
	c := cursor{b: im.b, img: im.img, pos: BufferHeaderSize}
	for {
		ok, err := c.next(f, r)
		if err != nil {
			bs.errs = append(bs.errs, err)
			continue
		}
		if !ok {
			return
		}
		bs.n++
		if r.Kind.IsKernel() {
			// The key of a kernel record is (group, opcode, version):
			// a cache on those spares building and comparing a CountKey.
			kk := uint32(r.Group)<<24 | uint32(r.Opcode)<<16 | uint32(r.Version)
			if s := &a.kcache[(kk*0x9E3779B1)>>24]; s.c != nil && s.k == kk {
				*s.c++
			} else {
				c := a.count(r.CountKey())
				*c++
				*s = kernelSlot{kk, c}
			}
		} else {
			*a.count(r.CountKey())++
		}
		a.kinds[r.Kind]++
		for p := 0; p < len(r.Ext); {
			it, size, last, err := parseExtItem(r.Ext[p:])
			if err != nil {
				break // parseRecord validated the chain
			}
			if int(it.Type) < len(a.exts) {
				a.exts[it.Type]++
			} else {
				a.extOther[it.Type]++
			}
			p += size
			if last {
				break
			}
		}
		if r.NoTime {
			continue
		}
		if !bs.timed {
			bs.timed = true
			bs.first, bs.firstRaw, bs.min, bs.max = r.Time, r.RawTime, r.Time, r.Time
		}
		bs.last, bs.lastRaw = r.Time, r.RawTime
		bs.min = min(bs.min, r.Time)
		bs.max = max(bs.max, r.Time)
	}
}
