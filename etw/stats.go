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
	counts := map[CountKey]*int{}
	var lastKey CountKey
	var lastCount *int
	var kinds [256]int
	var exts [64]int
	extOther := map[uint16]int{}
	haveTime := false
	dropped := 0
	warn := func(err error) {
		f.warn(err)
		if len(st.Warnings) < maxWarnings {
			st.Warnings = append(st.Warnings, err.Error())
		} else {
			dropped++
		}
	}

	var r Record
	f.images(o.workers, func(im *image) bool {
		for _, err := range [2]error{im.scanErr, im.loadErr} {
			if err != nil {
				warn(err)
			}
		}
		if !im.ok {
			return true
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
		n := 0
		c := cursor{b: *b, img: im.img, pos: BufferHeaderSize}
		for {
			ok, err := c.next(f, &r)
			if err != nil {
				warn(err)
				continue
			}
			if !ok {
				break
			}
			n++
			if k := r.CountKey(); lastCount != nil && k == lastKey {
				*lastCount++
			} else {
				c := counts[k]
				if c == nil {
					c = new(int)
					counts[k] = c
				}
				*c++
				lastKey, lastCount = k, c
			}
			kinds[r.Kind]++
			for p := 0; p < len(r.Ext); {
				it, size, last, err := parseExtItem(r.Ext[p:])
				if err != nil {
					break // parseRecord validated the chain
				}
				if int(it.Type) < len(exts) {
					exts[it.Type]++
				} else {
					extOther[it.Type]++
				}
				p += size
				if last {
					break
				}
			}
			if r.NoTime {
				continue
			}
			if !haveTime {
				haveTime = true
				st.FirstTime, st.MinTime, st.MaxTime, st.FirstRawTime = r.Time, r.Time, r.Time, r.RawTime
			}
			st.LastTime, st.LastRawTime = r.Time, r.RawTime
			st.MinTime = min(st.MinTime, r.Time)
			st.MaxTime = max(st.MaxTime, r.Time)
		}
		st.EventsPerBuffer = append(st.EventsPerBuffer, n)
		st.Events += n
		return true
	})

	st.Counts = make(map[string]int, len(counts))
	for k, v := range counts {
		st.Counts[k.String()] = *v
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
