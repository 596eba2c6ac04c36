package etw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/internal/shared"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func openBytes(t testing.TB, b []byte) *File {
	t.Helper()
	f, err := NewFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("NewFile: %v", err)
	}
	return f
}

// collect reads all records (cloned) and errors of f.
func collect(f *File, opts ...Option) (recs []Record, errs []error) {
	for r, err := range f.Records(opts...) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, r.Clone())
	}
	return recs, errs
}

func TestRecordKinds(t *testing.T) {
	le := binary.LittleEndian
	prov := MustParseGUID("a0c1853b-5c40-4b15-8766-3cf1c58f985a")
	classGUID := MustParseGUID("9b79ee91-b5fd-41c0-a243-4248e266e9d0")

	// COMPACT64: SYSTEM without kernel/user times (docs/format.md#system-header).
	compact := sysRecord(KindCompact64, 3, 0x1A, 0x21, 1_000_010, []byte{1, 2, 3, 4})
	compact = append(compact[:compactHeaderSize:compactHeaderSize], 1, 2, 3, 4)
	le.PutUint16(compact[4:], uint16(len(compact)))

	// PERFINFO32 with a PEBS index and two PMC counters in Version (docs/format.md#perfinfo-header).
	perf := make([]byte, perfinfoHeaderSize+8+16+4)
	le.PutUint16(perf[0:], 0x8000|0x0200|5)
	perf[2], perf[3] = byte(KindPerfInfo32), 0xC0
	le.PutUint16(perf[4:], uint16(len(perf)))
	perf[6], perf[7] = 46, 0x0F
	le.PutUint64(perf[8:], 1_000_020)
	copy(perf[perfinfoHeaderSize+24:], "ABCD")

	// FULL_HEADER32 (docs/format.md#full-header).
	full := make([]byte, fullHeaderSize+2)
	full[2], full[3] = byte(KindFull32), 0xC0
	full[4], full[5] = 35, 4
	le.PutUint16(full[6:], 7)
	le.PutUint32(full[8:], 11)
	le.PutUint32(full[12:], 12)
	le.PutUint64(full[16:], 1_000_030)
	putGUID(full[0x18:], classGUID)
	copy(full[fullHeaderSize:], "xy")
	le.PutUint16(full[0:], uint16(len(full)))

	// INSTANCE64 (docs/format.md#instance-header).
	inst := make([]byte, instanceHeaderSize+1)
	inst[2], inst[3] = byte(KindInstance64), 0xC0
	inst[4] = 9
	le.PutUint64(inst[16:], 1_000_040)
	putGUID(inst[0x18:], classGUID)
	inst[instanceHeaderSize] = 'z'
	le.PutUint16(inst[0:], uint16(len(inst)))

	// EVENT_HEADER64 with two linked items (docs/format.md#event-header).
	ext := append(extItem(ExtRelatedActivityID, true, bytes.Repeat([]byte{7}, 16)), extItem(ExtEventKey, false, []byte{1, 2, 3, 4, 5, 6, 7, 8})...)
	ev := eventRecord(prov, 4104, 1, 15, 1_000_050, ext, []byte("payload"))

	// MESSAGE with every optional field (docs/format.md#message).
	msg := make([]byte, messageHeaderSize)
	msg[3] = 0x90
	le.PutUint16(msg[4:], 43)
	le.PutUint16(msg[6:], MessageSequence|MessageGUID|MessageTimestamp|MessageSystemInfo|MessagePointer32)
	msg = le.AppendUint32(msg, 77)
	msg, _ = prov.AppendBinary(msg)
	msg = le.AppendUint64(msg, 1_000_060)
	msg = le.AppendUint32(msg, 0xF4)
	msg = le.AppendUint32(msg, 4)
	msg = append(msg, "args"...)
	le.PutUint16(msg[0:], uint16(len(msg)))

	// ERROR record: skipped with a warning.
	errRec := make([]byte, 16)
	errRec[2], errRec[3] = byte(KindError), 0xC0
	le.PutUint16(errRec[0:], 16)

	sys32 := sysRecord(KindSystem32, 2, 0x03, 10, 1_000_070, []byte{9})

	file := buildFile(defaultTestHeader(), [][]byte{compact, perf, full, inst, ev, msg, errRec, sys32})
	f := openBytes(t, file)
	recs, errs := collect(f)
	if len(errs) != 1 || !errors.Is(errs[0], ErrErrorRecord) {
		t.Fatalf("errors = %v, want one ErrErrorRecord", errs)
	}
	var fe *FormatError
	if !errors.As(errs[0], &fe) || !strings.Contains(fe.What, "skipped") {
		t.Errorf("error record warning does not name the skipped range: %v", errs[0])
	}
	want := []struct {
		kind    HeaderKind
		key     string
		raw     int64
		payload string
		ptr     int
	}{
		{KindSystem64, "68fdd900-4a3e-11d1-84f4-0000f80464e3|sys|grp=0x00|op=0|v=2", 1_000_000, "-", 8},
		{KindCompact64, "45d8cccd-539f-4b72-a8b7-5c683142609a|sys|grp=0x1a|op=33|v=3", 1_000_010, "\x01\x02\x03\x04", 8},
		{KindPerfInfo32, "ce1dbfb4-137e-4da6-87b0-3f59aa102cbc|sys|grp=0x0f|op=46|v=5", 1_000_020, "ABCD", 4},
		{KindFull32, "9b79ee91-b5fd-41c0-a243-4248e266e9d0|classic|type=35|v=7", 1_000_030, "xy", 4},
		{KindInstance64, "9b79ee91-b5fd-41c0-a243-4248e266e9d0|classic|type=9|v=0", 1_000_040, "z", 8},
		{KindEvent64, "a0c1853b-5c40-4b15-8766-3cf1c58f985a|event|id=4104|op=15|v=1", 1_000_050, "payload", 8},
		{KindMessage, "a0c1853b-5c40-4b15-8766-3cf1c58f985a|message|id=43", 1_000_060, "args", 4},
		{KindSystem32, "2cb15d1d-5fc1-11d2-abe1-00a0c911f518|sys|grp=0x03|op=10|v=2", 1_000_070, "\x09", 4},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := &recs[i]
		if r.Kind != w.kind || r.CountKey().String() != w.key || r.RawTime != w.raw || (w.payload != "-" && string(r.Payload) != w.payload) || r.PointerSize() != w.ptr {
			t.Errorf("record %d = %v %s raw=%d payload=%q ptr=%d, want %v %s %d %q %d",
				i, r.Kind, r.CountKey(), r.RawTime, r.Payload, r.PointerSize(), w.kind, w.key, w.raw, w.payload, w.ptr)
		}
		// PerfFreq 1e7 and StartTime at the reference: Time = StartTime + raw - ref.
		if wantTime := int64(132000000000000000) + w.raw - 1_000_000; r.Time != wantTime {
			t.Errorf("record %d time = %d, want %d", i, r.Time, wantTime)
		}
	}
	if m := recs[6]; m.ThreadID != 0xF4 || m.ProcessID != 4 {
		t.Errorf("message tid/pid = %#x/%d", m.ThreadID, m.ProcessID)
	}
	if c := recs[1]; c.ThreadID != 100 || c.ProcessID != 200 {
		t.Errorf("compact tid/pid = %d/%d", c.ThreadID, c.ProcessID)
	}
	var items []ExtItem
	for it, err := range recs[5].ExtItems() {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	if len(items) != 2 || items[0].Type != ExtRelatedActivityID || len(items[0].Data) != 16 || items[1].Type != ExtEventKey || len(items[1].Data) != 8 {
		t.Errorf("ext items = %+v", items)
	}
}

func TestExtItemsMalformed(t *testing.T) {
	good := extItem(ExtStackTrace64, true, make([]byte, 24))
	cases := []struct {
		name  string
		ext   []byte
		items int
		err   error
	}{
		{"last without linkage", extItem(ExtSID, false, []byte{1}), 1, nil},
		{"linked past end", good, 1, ErrTruncated},
		{"size below header", append(append([]byte{}, good...), 4, 0, 1, 0, 0, 0, 0, 0), 1, ErrBadSize},
		{"data past size", append(append([]byte{}, good...), 8, 0, 1, 0, 0, 0, 9, 0), 1, ErrBadSize},
	}
	for _, c := range cases {
		r := &Record{Kind: KindEvent64, Ext: c.ext, BufferOffset: 0x1000, Pos: 0x48}
		n := 0
		var gotErr error
		for _, err := range r.ExtItems() {
			if err != nil {
				gotErr = err
				break
			}
			n++
		}
		if n != c.items || !errors.Is(gotErr, c.err) {
			t.Errorf("%s: %d items, err %v; want %d, %v", c.name, n, gotErr, c.items, c.err)
		}
		var fe *FormatError
		if gotErr != nil && (!errors.As(gotErr, &fe) || fe.Off != 0x1000+0x48+eventHeaderSize+int64(len(good))) {
			t.Errorf("%s: error offset: %v", c.name, gotErr)
		}
	}
}

// On-disk item layout verified on airbus__lxcore_kernel.etl (docs/format.md#event-header).
func TestExtItemsCorpus(t *testing.T) {
	f, err := Open(shared.Path(t, "corpus", "airbus__lxcore_kernel.etl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if !r.Kind.IsEventHeader() {
			continue
		}
		var got []ExtItem
		for it, err := range r.ExtItems() {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, it)
		}
		if len(got) != 2 || got[0].Type != ExtProvTraits || len(got[0].Data) != 56 || got[1].Type != ExtEventSchemaTL || len(got[1].Data) != 100 {
			t.Fatalf("items %+v", got)
		}
		if off := len(r.Raw) - len(r.Payload); off != 0x100 {
			t.Errorf("user data at record +%#x, want +0x100", off)
		}
		if !bytes.HasPrefix(got[0].Data[2:], []byte("Microsoft.Windows.Subsystem.LxCore\x00")) {
			t.Errorf("provider traits %q", got[0].Data)
		}
		return
	}
	t.Fatal("no EVENT_HEADER record")
}

func TestClock(t *testing.T) {
	base := int64(131159502220379266)
	cases := []struct {
		name  string
		h     LogfileHeader
		raw   int64
		want  int64
		isoOf string
	}{
		// perfview__smallEtlFile.etl: PerfFreq 3117777, truth last timestamp.
		{"qpc", LogfileHeader{ClockType: ClockQPC, PerfFreq: 3117777, StartTime: base, HeaderRawTime: 185227195741}, 185227292196, 131159502220688637, "2016-08-17T23:30:22.0688637Z"},
		{"qpc before reference floors", LogfileHeader{ClockType: ClockQPC, PerfFreq: 3, StartTime: 100, HeaderRawTime: 10}, 9, 100 - 3333334, ""},
		{"qpc exact", LogfileHeader{ClockType: ClockQPC, PerfFreq: 3, StartTime: 100, HeaderRawTime: 10}, 13, 100 + 10_000_000, ""},
		{"system time", LogfileHeader{ClockType: ClockSystemTime, StartTime: base, HeaderRawTime: base}, base + 5, base + 5, "2016-08-17T23:30:22.0379271Z"},
		{"cpu cycles", LogfileHeader{ClockType: ClockCPUCycle, CpuSpeedInMHz: 2000, StartTime: 0, HeaderRawTime: 0}, 2000 * 1000, 10000, ""},
		{"qpc huge no overflow", LogfileHeader{ClockType: ClockQPC, PerfFreq: 10_000_001, StartTime: 0, HeaderRawTime: 0}, 1 << 62, 4611685557258832178, ""},
		{"zero frequency", LogfileHeader{ClockType: ClockQPC, PerfFreq: 0, StartTime: 50, HeaderRawTime: 10}, 20, 60, ""},
	}
	for _, c := range cases {
		clk := newClock(&c.h)
		got := clk.filetime(c.raw)
		if got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
		if c.isoOf != "" && FormatFiletime(got) != c.isoOf {
			t.Errorf("%s: %s, want %s", c.name, FormatFiletime(got), c.isoOf)
		}
	}
}

func TestFormatFiletime(t *testing.T) {
	cases := map[int64]string{
		131159502220379266: "2016-08-17T23:30:22.0379266Z",
		132445973972118091: "2020-09-14T22:49:57.2118091Z",
		134105812840000000: "2025-12-19T01:28:04.0000000Z",
		0:                  "1601-01-01T00:00:00.0000000Z",
	}
	for ft, want := range cases {
		if got := FormatFiletime(ft); got != want {
			t.Errorf("FormatFiletime(%d) = %s, want %s", ft, got, want)
		}
		if ft != 0 && TimeToFiletime(FiletimeToTime(ft)) != ft {
			t.Errorf("round trip of %d", ft)
		}
	}
}

// TimeOrder yields the same records as file order, and on the corpus in
// non-decreasing time.
func TestTimeOrderCorpus(t *testing.T) {
	for _, path := range shared.CorpusFiles(t) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[[2]int64]int{}
		fileInversions := 0
		prev := int64(minInt64)
		for r, err := range f.Records() {
			if err != nil {
				t.Fatal(err)
			}
			counts[[2]int64{r.BufferOffset, int64(r.Pos)}]++
			if r.Time < prev {
				fileInversions++
			}
			prev = r.Time
		}
		prev = minInt64
		n := 0
		for r, err := range f.Records(TimeOrder()) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			k := [2]int64{r.BufferOffset, int64(r.Pos)}
			if counts[k] != 1 {
				t.Errorf("%s: record at %v yielded twice or never in file order", filepath.Base(path), k)
			}
			counts[k]++
			if !r.NoTime {
				if r.Time < prev {
					t.Errorf("%s: time order goes back at buffer %#x +%#x", filepath.Base(path), r.BufferOffset, r.Pos)
				}
				prev = r.Time
			}
		}
		if n != len(counts) {
			t.Errorf("%s: %d records in time order, %d in file order", filepath.Base(path), n, len(counts))
		}
		if filepath.Base(path) == "perfview__net.4.5.2.x64.etl" && fileInversions == 0 {
			t.Errorf("expected file order to go back in time in %s", path)
		}
		f.Close()
	}
}

func TestCloneDoesNotAlias(t *testing.T) {
	file := buildFile(defaultTestHeader(), [][]byte{eventRecord(GUID{Data1: 1}, 1, 0, 0, 1_000_001,
		extItem(ExtEventKey, false, []byte{1, 2, 3, 4, 5, 6, 7, 8}), []byte("data"))})
	f := openBytes(t, file)
	var c Record
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind.IsEventHeader() {
			c = r.Clone()
		}
	}
	for i := range file {
		file[i] = 0xAA
	}
	if string(c.Payload) != "data" || len(c.Ext) != 16 || c.Ext[8] != 1 {
		t.Errorf("clone changed with the buffer: payload %q ext %x", c.Payload, c.Ext)
	}
	if &c.Payload[0] != &c.Raw[len(c.Raw)-4] {
		t.Errorf("clone payload does not point into clone raw")
	}
}

func readCorpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "corpus", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Parallel decoding yields exactly the file-order records, and stopping
// early leaves no goroutine behind.
func TestParallel(t *testing.T) {
	for _, name := range []string{"perfview__net.4.5.2.x64.etl", "airbus__ShutdownPerfDiagLogger.etl"} {
		data := readCorpus(t, name)
		want, _ := recordIDs(t, data)
		f := openBytes(t, data)
		var got []recID
		for r, err := range f.Records(Parallel(3)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, recID{r.BufferOffset, r.Pos, r.RawTime})
		}
		sameIDs(t, name+" parallel", got, want)
		var seq, par []recID
		for r, err := range f.Records(TimeOrder()) {
			if err != nil {
				t.Fatal(err)
			}
			seq = append(seq, recID{r.BufferOffset, r.Pos, r.RawTime})
		}
		for r, err := range f.Records(TimeOrder(), Parallel(3)) {
			if err != nil {
				t.Fatal(err)
			}
			par = append(par, recID{r.BufferOffset, r.Pos, r.RawTime})
		}
		sameIDs(t, name+" time order parallel", par, seq)
		st1, _ := ComputeStats(f)
		st2, _ := ComputeStats(f, Parallel(2))
		if st1.Events != st2.Events || len(st1.Counts) != len(st2.Counts) || st1.Max != st2.Max || st1.Last != st2.Last {
			t.Errorf("%s: parallel stats differ", name)
		}

		before := runtime.NumGoroutine()
		for _, opts := range [][]Option{{Parallel(4)}, {Parallel(4), TimeOrder()}} {
			n := 0
			for range f.Records(opts...) {
				if n++; n == 1000 {
					break
				}
			}
		}
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if g := runtime.NumGoroutine(); g > before {
			t.Errorf("%s: %d goroutines after an early break, %d before", name, g, before)
		}
	}
}

func TestLossyBuffers(t *testing.T) {
	h := defaultTestHeader()
	h.is64 = false
	file := buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 5, 1, 1_000_001, nil)}, [][]byte{sysRecord(KindSystem64, 2, 5, 2, 1_000_002, nil)})
	binary.LittleEndian.PutUint16(file[2*testBufSize+0x34:], BufferFlagProcIndex|BufferFlagEventsLost|BufferFlagBufferLost)
	f := openBytes(t, file)
	if hd := f.Header(); hd.HeaderKind != KindSystem32 || hd.PointerSize != 4 || hd.LoggerName != "TestLogger" || hd.LogFileName != "C:\\test.etl" {
		t.Errorf("32-bit header: %+v", hd)
	}
	st, err := ComputeStats(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []LossyBuffer{{Off: 2 * testBufSize, SequenceNumber: 2, Processor: 1, EventsLost: true, BufferLost: true}}
	if len(st.LossyBuffers) != 1 || st.LossyBuffers[0] != want[0] {
		t.Errorf("lossy buffers %+v, want %+v", st.LossyBuffers, want)
	}
	if st.Events != 3 || st.Counts["3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c|sys|grp=0x05|op=2|v=2"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// countingReader counts the reads of exactly one buffer header.
type countingReader struct {
	r       io.ReaderAt
	headers int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == BufferHeaderSize {
		c.headers++
	}
	return c.r.ReadAt(p, off)
}

// The buffer headers are walked once per File, however many of
// ProcessorBuffers, LossyBuffers and Buffers ask, and each gives the same
// buffers as before, the skipped ranges included.
func TestBufferWalkOnce(t *testing.T) {
	h := defaultTestHeader()
	file := buildFile(h, [][]byte{sysRecord(KindSystem64, 2, 5, 1, 1_000_001, nil)}, [][]byte{sysRecord(KindSystem64, 2, 5, 2, 1_000_002, nil)})
	binary.LittleEndian.PutUint16(file[2*testBufSize+0x34:], BufferFlagProcIndex|BufferFlagEventsLost)
	file = append(file, 1, 2, 3) // trailing bytes: a skipped range
	cr := &countingReader{r: bytes.NewReader(file)}
	f, err := NewFile(cr, int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	opened := cr.headers
	for range 2 {
		groups := f.ProcessorBuffers()
		if n := len(groups); n != 2 {
			t.Fatalf("%d processor groups, want 2", n)
		}
		var lossy, errs int
		for b, err := range f.LossyBuffers() {
			if err != nil {
				errs++
				continue
			}
			if !b.Lossy() || b.Records != 1 {
				t.Errorf("lossy buffer %+v", b)
			}
			lossy++
		}
		if lossy != 1 || errs != 1 {
			t.Errorf("LossyBuffers: %d buffers, %d errors; want 1 and 1 (the trailing bytes)", lossy, errs)
		}
		var all int
		for _, err := range f.Buffers() {
			if err == nil {
				all++
			}
		}
		if all != 3 {
			t.Errorf("Buffers: %d buffers, want 3", all)
		}
	}
	if walks := cr.headers - opened; walks != 3 {
		t.Errorf("%d buffer headers read after NewFile for a file of 3 buffers, want 3 (one walk)", walks)
	}
	if n := len(f.Warnings()); n != 1 {
		t.Errorf("warnings %v, want the trailing bytes once", f.Warnings())
	}
}
