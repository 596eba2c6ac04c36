package etw

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// truth is the part of ../shared/corpus/truth/<file>.json the reader must reproduce.
type truth struct {
	Size    int64 `json:"size"`
	Summary struct {
		PointerSize  uint32 `json:"pointer_size"`
		OSVersion    string `json:"os_version"`
		Compressed   bool   `json:"compressed"`
		Clock        string `json:"clock"`
		Total        int    `json:"total_events_dissect"`
		First        string `json:"first_timestamp"`
		Last         string `json:"last_timestamp"`
		Min          string `json:"min_timestamp"`
		Max          string `json:"max_timestamp"`
		TotalWalk    int    `json:"total_records_independent_walk"`
		CompressFmt  string `json:"compression_format"`
		CompressFmt_ any    `json:"-"`
	} `json:"summary"`
	Header struct {
		BufferSize         uint32 `json:"BufferSize"`
		Build              uint32 `json:"ProviderVersion(build)"`
		NumberOfProcessors uint32 `json:"NumberOfProcessors"`
		LogFileMode        string `json:"LogFileMode"`
		BuffersWritten     uint32 `json:"BuffersWritten"`
		PointerSize        uint32 `json:"PointerSize"`
		EventsLost         uint32 `json:"EventsLost"`
		BuffersLost        uint32 `json:"BuffersLost"`
		CpuSpeedInMHz      uint32 `json:"CpuSpeedInMHz"`
		PerfFreq           int64  `json:"PerfFreq"`
		StartTimeRaw       int64  `json:"StartTime_raw"`
		StartTime          string `json:"StartTime"`
		EndTime            string `json:"EndTime"`
		BootTime           string `json:"BootTime"`
		ClockType          uint32 `json:"ReservedFlags(clock type)"`
		LoggerName         string `json:"LoggerName"`
		LogFileName        string `json:"LogFileName"`
		Is64               bool   `json:"header_event_is_64bit"`
		HeaderRaw          int64  `json:"header_event_raw_timestamp"`
		TimerResolution    uint32 `json:"TimerResolution"`
	} `json:"logfile_header"`
	Dissect struct {
		Counts          map[string]int `json:"counts"`
		Kinds           map[string]int `json:"header_kind_histogram"`
		ExtTypes        map[string]int `json:"extended_data_item_types"`
		EventsPerBuffer []any          `json:"events_per_buffer"`
		FirstRaw        int64          `json:"first_event_raw_timestamp"`
		LastRaw         int64          `json:"last_event_raw_timestamp"`
	} `json:"dissect_etl"`
	Walk struct {
		ExtTypes map[string]int `json:"extended_data_item_types(linkage-walk)"`
	} `json:"independent_record_walk"`
	Container struct {
		Buffers           int            `json:"buffers_on_disk"`
		CompressedBuffers int            `json:"compressed_buffers"`
		FlagHist          map[string]int `json:"buffer_flag_histogram"`
	} `json:"container"`
}

func loadTruth(t *testing.T, etl string) *truth {
	t.Helper()
	p := filepath.Join(filepath.Dir(etl), "truth", filepath.Base(etl)+".json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("truth: %v", err)
	}
	var tr truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatalf("truth %s: %v", p, err)
	}
	return &tr
}

func TestCorpusMatchesTruth(t *testing.T) {
	for _, path := range shared.CorpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			tr := loadTruth(t, path)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, err := ComputeStats(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Warnings) != 0 {
				t.Errorf("warnings on an intact file: %q", st.Warnings)
			}
			if st.Events != tr.Summary.Total {
				t.Errorf("events = %d, truth %d", st.Events, tr.Summary.Total)
			}
			compareMaps(t, "counts", st.Counts, tr.Dissect.Counts)
			compareMaps(t, "header kinds", st.HeaderKinds, tr.Dissect.Kinds)
			// The truth's dissect histogram ignores the Linkage bit and can
			// count user data as items of type 0 (docs/format.md#event-header, docs/format.md);
			// the linkage walk is the reference, and the two must agree on
			// every type except those spurious 0 entries.
			compareMaps(t, "extended item types", st.ExtTypes, tr.Walk.ExtTypes)
			for k, v := range tr.Dissect.ExtTypes {
				if k != "0" && st.ExtTypes[k] != v {
					t.Errorf("extended item type %s = %d, dissect %d", k, st.ExtTypes[k], v)
				}
			}
			// The truth lists events per buffer, cut with "..." for long files.
			for i, v := range tr.Dissect.EventsPerBuffer {
				n, isNum := v.(float64)
				if !isNum {
					break
				}
				if i >= len(st.EventsPerBuffer) || st.EventsPerBuffer[i] != int(n) {
					t.Errorf("events per buffer = %v, truth %v", st.EventsPerBuffer, tr.Dissect.EventsPerBuffer)
					break
				}
			}
			if st.PointerSize != tr.Summary.PointerSize {
				t.Errorf("pointer size = %d, truth %d", st.PointerSize, tr.Summary.PointerSize)
			}
			if st.OSVersion != tr.Summary.OSVersion {
				t.Errorf("os version = %q, truth %q", st.OSVersion, tr.Summary.OSVersion)
			}
			if st.Compressed != tr.Summary.Compressed {
				t.Errorf("compressed = %v, truth %v", st.Compressed, tr.Summary.Compressed)
			}
			if st.Clock != tr.Summary.Clock {
				t.Errorf("clock = %q, truth %q", st.Clock, tr.Summary.Clock)
			}
			if st.Buffers != tr.Container.Buffers || st.CompressedBuffers != tr.Container.CompressedBuffers {
				t.Errorf("buffers = %d (%d compressed), truth %d (%d)", st.Buffers, st.CompressedBuffers, tr.Container.Buffers, tr.Container.CompressedBuffers)
			}
			for name, got := range map[string][2]string{
				"first": {st.First, tr.Summary.First},
				"last":  {st.Last, tr.Summary.Last},
				"min":   {st.Min, tr.Summary.Min},
				"max":   {st.Max, tr.Summary.Max},
			} {
				if got[0] != got[1] {
					t.Errorf("%s timestamp = %s, truth %s", name, got[0], got[1])
				}
			}
			if st.FirstRawTime != tr.Dissect.FirstRaw || st.LastRawTime != tr.Dissect.LastRaw {
				t.Errorf("first/last raw = %d/%d, truth %d/%d", st.FirstRawTime, st.LastRawTime, tr.Dissect.FirstRaw, tr.Dissect.LastRaw)
			}

			h := f.Header()
			th := tr.Header
			mode, _ := strconv.ParseUint(th.LogFileMode, 0, 32)
			checks := []struct {
				name      string
				got, want any
			}{
				{"BufferSize", h.BufferSize, th.BufferSize},
				{"build", h.ProviderVersion, th.Build},
				{"NumberOfProcessors", h.NumberOfProcessors, th.NumberOfProcessors},
				{"LogFileMode", h.LogFileMode, uint32(mode)},
				{"BuffersWritten", h.BuffersWritten, th.BuffersWritten},
				{"PointerSize", h.PointerSize, th.PointerSize},
				{"EventsLost", h.EventsLost, th.EventsLost},
				{"BuffersLost", h.BuffersLost, th.BuffersLost},
				{"CpuSpeedInMHz", h.CpuSpeedInMHz, th.CpuSpeedInMHz},
				{"PerfFreq", h.PerfFreq, th.PerfFreq},
				{"StartTime", h.StartTime, th.StartTimeRaw},
				{"StartTime ISO", FormatFiletime(h.StartTime), th.StartTime},
				{"BootTime ISO", FormatFiletime(h.BootTime), th.BootTime},
				{"ClockType", uint32(h.ClockType), th.ClockType},
				{"LoggerName", h.LoggerName, th.LoggerName},
				{"LogFileName", h.LogFileName, th.LogFileName},
				{"64-bit header", h.HeaderKind == KindSystem64, th.Is64},
				{"header raw time", h.HeaderRawTime, th.HeaderRaw},
				{"TimerResolution", h.TimerResolution, th.TimerResolution},
			}
			if h.EndTime != 0 {
				checks = append(checks, struct {
					name      string
					got, want any
				}{"EndTime ISO", FormatFiletime(h.EndTime), th.EndTime})
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("header %s = %v, truth %v", c.name, c.got, c.want)
				}
			}
		})
	}
}

func compareMaps(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s[%s] = %d, truth %d", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s[%s] = %d, not in truth", what, k, v)
		}
	}
}

// Buffer headers match the truth's container section.
func TestCorpusBuffers(t *testing.T) {
	for _, path := range shared.CorpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), "truth", filepath.Base(path)+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var tr struct {
				Container struct {
					Sizes   map[string]int `json:"buffer_sizes"`
					Flags   map[string]int `json:"buffer_flag_histogram"`
					Procs   map[string]int `json:"processor_index_histogram"`
					First   []BufferTruth  `json:"first_buffers"`
					Trailer int64          `json:"trailing_bytes_after_last_buffer"`
				} `json:"container"`
				Dissect struct {
					PerBuffer []any `json:"events_per_buffer"`
				} `json:"dissect_etl"`
			}
			if err := json.Unmarshal(raw, &tr); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sizes, flags, procs := map[string]int{}, map[string]int{}, map[string]int{}
			var got []BufferInfo
			for b, err := range f.Buffers() {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, b)
				sizes[strconv.Itoa(int(b.Size))]++
				flags["0x"+strconv.FormatUint(uint64(b.Flags), 16)]++
				procs[strconv.Itoa(int(b.Processor))]++
			}
			truthFlags := map[string]int{}
			for k, v := range tr.Container.Flags {
				truthFlags[strings.Fields(k)[0]] = v // "0x21 FLUSH_MARKER|PROC_INDEX"
			}
			// The truth keeps the 8 most frequent sizes only.
			listed := 0
			for k, v := range tr.Container.Sizes {
				listed += v
				if sizes[k] != v {
					t.Errorf("buffer size %s: %d buffers, truth %d", k, sizes[k], v)
				}
			}
			if listed == len(got) && len(sizes) != len(tr.Container.Sizes) {
				t.Errorf("buffer sizes %v, truth %v", sizes, tr.Container.Sizes)
			}
			compareMaps(t, "buffer flags", flags, truthFlags)
			compareMaps(t, "processor index", procs, tr.Container.Procs)
			for i, w := range tr.Container.First {
				if i >= len(got) {
					t.Fatalf("only %d buffers", len(got))
				}
				b := got[i]
				g := BufferTruth{b.Off, b.Size, b.SavedOffset, b.CurrentOffset, b.TimeStamp, b.SequenceNumber,
					b.Processor, b.LoggerID, b.State, b.Offset, b.Flags, b.Type}
				if g != w {
					t.Errorf("buffer %d = %+v, truth %+v", i, g, w)
				}
			}
			for i, v := range tr.Dissect.PerBuffer {
				if n, ok := v.(float64); ok && got[i].Records != int(n) {
					t.Errorf("buffer %d: %d records, truth %v", i, got[i].Records, n)
				}
			}
			if last := got[len(got)-1]; last.Off+int64(last.Size)+tr.Container.Trailer != f.Size() {
				t.Errorf("last buffer ends at %#x, file size %#x", last.Off+int64(last.Size), f.Size())
			}
		})
	}
}

// BufferTruth is one entry of the truth's container.first_buffers.
type BufferTruth struct {
	Off            int64  `json:"file_offset"`
	Size           uint32 `json:"BufferSize"`
	SavedOffset    uint32 `json:"SavedOffset"`
	CurrentOffset  uint32 `json:"CurrentOffset"`
	TimeStamp      int64  `json:"TimeStamp"`
	SequenceNumber uint64 `json:"SequenceNumber"`
	Processor      uint16 `json:"ProcessorIndex"`
	LoggerID       uint16 `json:"LoggerId"`
	State          uint32 `json:"State"`
	Offset         uint32 `json:"Offset"`
	Flags          uint16 `json:"BufferFlag"`
	Type           uint16 `json:"BufferType"`
}
