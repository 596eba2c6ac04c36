package synth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

var update = flag.Bool("update", false, "rewrite testdata/demo.etl and testdata/demo.truth.json")

func generate(t testing.TB, name string, o Options) ([]byte, *model.Model, *Builder) {
	t.Helper()
	var mf memfile.File
	m, b, err := Generate(name, &mf, o)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return mf.Bytes(), m, b
}

// checkReadBack reads the trace and checks every record against the event
// the builder emitted: header facts, key, and the decoded payload.
func checkReadBack(t *testing.T, data []byte, b *Builder) {
	t.Helper()
	f, err := etw.NewFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	perProc := map[uint16][]Emitted{}
	wantKeys := map[string]int{}
	for _, e := range b.Emitted() {
		perProc[e.Processor] = append(perProc[e.Processor], e)
		if !e.TL {
			wantKeys[e.Key.String()]++
		}
	}
	gotKeys := map[string]int{}
	statKeys := map[string]int{}
	p := decoders.NewParser()
	next := map[uint16]int{}
	n := 0
	first := true
	for r, err := range f.Records() {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		statKeys[r.CountKey().String()]++
		if first {
			first = false
			continue // the logfile header event
		}
		list := perProc[r.Processor]
		i := next[r.Processor]
		if i >= len(list) {
			t.Fatalf("extra record on processor %d", r.Processor)
		}
		next[r.Processor]++
		want := list[i]
		if r.Kind != want.Kind || r.Time != want.Time || r.ProcessID != want.PID || r.ThreadID != want.TID || r.ActivityID != want.ActivityID {
			t.Fatalf("record %d: kind %v time %d pid %d tid %d act %v, want %v %d %d %d %v", n, r.Kind, r.Time, r.ProcessID, r.ThreadID, r.ActivityID,
				want.Kind, want.Time, want.PID, want.TID, want.ActivityID)
		}
		d, ok, err := p.Decode(r)
		if !ok || err != nil {
			t.Fatalf("record %d (%s): decoded %v, %v", n, want.Key, ok, err)
		}
		if !want.TL {
			if d.Key != want.Key {
				t.Fatalf("record %d: key %s, want %s", n, d.Key, want.Key)
			}
			gotKeys[d.Key.String()]++
		}
		if !sameEvent(d.Event, want.Event) {
			g, _ := json.Marshal(d.Event)
			w, _ := json.Marshal(want.Event)
			t.Fatalf("record %d (%s): decoded\n%s\nwant\n%s", n, want.Key, g, w)
		}
		n++
	}
	if n != len(b.Emitted()) {
		t.Fatalf("read %d records, emitted %d", n, len(b.Emitted()))
	}
	if !reflect.DeepEqual(gotKeys, wantKeys) {
		t.Errorf("counts by key %v, want %v", gotKeys, wantKeys)
	}
	st, err := etw.ComputeStats(f)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != n+1 {
		t.Errorf("stats counts %d events, want %d", st.Events, n+1)
	}
	total := 0
	for _, c := range st.Counts {
		total += c
	}
	if !reflect.DeepEqual(st.Counts, statKeys) {
		t.Errorf("stats counts by key %v, records give %v", st.Counts, statKeys)
	}
	if total != n+1 || len(st.Warnings) != 0 {
		t.Errorf("stats: %d counted, warnings %v", total, st.Warnings)
	}
	if int64(st.Events) != b.Truth().Trace.Events {
		t.Errorf("truth says %d events, file has %d", b.Truth().Trace.Events, st.Events)
	}
	if st.EventsLost != b.Truth().Trace.EventsLost || st.BuffersLost != b.Truth().Trace.BuffersLost {
		t.Errorf("stats loss %d/%d, truth %d/%d", st.EventsLost, st.BuffersLost, b.Truth().Trace.EventsLost, b.Truth().Trace.BuffersLost)
	}
}

// sameEvent compares a decoded event with the one encoded, through JSON
// (the decoders' events are plain structs; SD bytes compare as base64).
func sameEvent(got, want decoders.Event) bool {
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		return false
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		return false
	}
	return bytes.Equal(g, w)
}

func TestScenariosReadBack(t *testing.T) {
	for _, name := range Scenarios {
		for _, seed := range []uint64{1, 2, 3} {
			o := Options{Seed: seed, Keep: true}
			switch seed {
			case 2:
				o.Writer.Compress = true
			case 3:
				o.Writer.BufferSize = 4096 // many buffers: processors interleave
			}
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				data, m, b := generate(t, name, o)
				if len(b.Emitted()) == 0 || m == nil {
					t.Fatal("empty scenario")
				}
				checkReadBack(t, data, b)
			})
		}
	}
}

func TestScenario32Bit(t *testing.T) {
	data, _, b := generate(t, "mixed", Options{Seed: 5, Keep: true, Writer: etw.WriterOptions{PointerSize: 4}})
	checkReadBack(t, data, b)
	f, _ := etw.NewFile(bytes.NewReader(data), int64(len(data)))
	if f.Header().PointerSize != 4 {
		t.Errorf("pointer size %d", f.Header().PointerSize)
	}
}

// TestDeterministic: the same seed gives the same bytes and truth; another seed differs.
func TestDeterministic(t *testing.T) {
	a, ma, _ := generate(t, "mixed", Options{Seed: 9})
	b, mb, _ := generate(t, "mixed", Options{Seed: 9})
	c, _, _ := generate(t, "mixed", Options{Seed: 10})
	if !bytes.Equal(a, b) {
		t.Error("same seed, different bytes")
	}
	ja, _ := json.Marshal(ma)
	jb, _ := json.Marshal(mb)
	if !bytes.Equal(ja, jb) {
		t.Error("same seed, different truth")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same bytes")
	}
}

// TestDemo regenerates testdata/demo.etl and its truth in memory and checks
// they are byte-identical to the committed files (-update rewrites them).
func TestDemo(t *testing.T) {
	data, m, _ := generate(t, "mixed", Options{Seed: 1, Writer: etw.WriterOptions{LogFileName: "demo.etl"}})
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	etl := filepath.Join("..", "testdata", "demo.etl")
	tj := filepath.Join("..", "testdata", "demo.truth.json")
	if *update {
		if err := os.WriteFile(etl, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tj, js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(data) >= 1<<20 {
		t.Errorf("demo.etl is %d bytes, want < 1 MiB", len(data))
	}
	old, err := os.ReadFile(etl)
	if err != nil {
		t.Fatalf("%v (run go test ./synth -run TestDemo -update)", err)
	}
	if !bytes.Equal(old, data) {
		t.Errorf("%s differs from the regenerated trace (run with -update if the change is intended)", etl)
	}
	oldj, err := os.ReadFile(tj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(oldj, js) {
		t.Errorf("%s differs from the regenerated truth", tj)
	}
}

func findPipes(m *model.Model, name string) []model.Pipe {
	var out []model.Pipe
	for _, p := range m.Pipes {
		if p.Name == `\\.\pipe\`+name {
			out = append(out, p)
		}
	}
	return out
}

// TestTruthFacts checks facts each scenario is built to show.
func TestTruthFacts(t *testing.T) {
	model := func(name string) *model.Model {
		_, m, _ := generate(t, name, Options{Seed: 1})
		return m
	}
	t.Run("pipe-pingpong", func(t *testing.T) {
		m := model("pipe-pingpong")
		byte, msg := findPipes(m, "ipctrace-pingpong"), findPipes(m, "ipctrace-pingpong-msg")
		if len(byte) != 3 || len(msg) != 2 {
			t.Fatalf("%d byte-mode and %d message-mode conversations", len(byte), len(msg))
		}
		for _, p := range byte {
			if p.Pairing != "filekey" || p.ToServer.Ops != 8 || p.ToServer.Bytes == 0 || p.ToClient.Ops < 8 {
				t.Errorf("byte mode %+v", p)
			}
			if p.Latency.Count != p.ToServer.Ops+p.ToClient.Ops || p.QueueDelay.Count == 0 {
				t.Errorf("latency %+v queue %+v", p.Latency, p.QueueDelay)
			}
		}
		for _, p := range msg {
			if p.Pairing != "filekey" || p.ToClient.Ops != 8 || p.RoundTrip.Count != 8 {
				t.Errorf("message mode %+v", p)
			}
		}
		if len(m.Stuck) != 0 {
			t.Errorf("stuck %+v", m.Stuck)
		}
	})
	t.Run("pipe-transceive", func(t *testing.T) {
		p := findPipes(model("pipe-transceive"), "ipctrace-transact")
		if len(p) != 1 || p[0].ToClient.Ops != 8 || p[0].ToServer.Ops != 8 || p[0].RoundTrip.Count != 8 || p[0].FlushDrain.Count != 2 || p[0].Pairing != "listen-completion" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("pipe-busy", func(t *testing.T) {
		p := findPipes(model("pipe-busy"), "ipctrace-busy")
		if len(p) != 2 || p[1].Failures["PIPE_BUSY"] != 1 || len(p[0].Failures) != 0 || p[1].Pairing != "listen-completion" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("pipe-stuck-read", func(t *testing.T) {
		m := model("pipe-stuck-read")
		if len(m.Stuck) != 1 || m.Stuck[0].Kind != "pipe-read" || m.Stuck[0].WaitedUS < 1000 || m.Stuck[0].PeerPID == 0 || m.Stuck[0].Rule != "W1" {
			t.Errorf("%+v", m.Stuck)
		}
	})
	t.Run("pipe-stuck-listen", func(t *testing.T) {
		m := model("pipe-stuck-listen")
		// No client was refused while it listened: an idle server (I1).
		if len(m.Stuck) != 0 || len(m.Idle) != 1 || m.Idle[0].Kind != "pipe-listen" || m.Idle[0].Rule != "I1" {
			t.Errorf("stuck %+v idle %+v", m.Stuck, m.Idle)
		}
		lonely := findPipes(m, "ipctrace-lonely")
		absent := findPipes(m, "ipctrace-absent")
		if len(lonely) != 1 || lonely[0].Pairing != "unpaired" || len(absent) != 1 || absent[0].Failures["NOT_FOUND"] != 2 {
			t.Errorf("lonely %+v absent %+v", lonely, absent)
		}
	})
	t.Run("busy-machine", func(t *testing.T) {
		m := model("busy-machine")
		if len(m.Stuck) != 1 || m.Stuck[0].Object != `\\.\pipe\hungsvc` || m.Stuck[0].Rule != "W1" || m.Stuck[0].WaitedUS < 1e6 {
			t.Errorf("stuck %+v, want the one hang, over 1 s", m.Stuck)
		}
		kinds := map[string]int{}
		for _, s := range m.Idle {
			kinds[s.Kind+" "+s.Rule]++
		}
		if kinds["pipe-listen I1"] < 30 || kinds["pipe-read I2"] != 4 || kinds["alpc-receive I4"] != 1 {
			t.Errorf("idle by kind %v", kinds)
		}
		np := 0
		for _, r := range m.RPC {
			if r.Protocol == "ncacn_np" && r.Transport == `\\.\pipe\ipctrace-spoolss` && r.Calls > 0 {
				np++
			}
		}
		if np != 1 {
			t.Errorf("RPC over named pipes: %+v", m.RPC)
		}
		if h := model("busy-machine-healthy"); len(h.Stuck) != 0 || len(h.Idle) == 0 {
			t.Errorf("healthy machine: stuck %+v idle %d", h.Stuck, len(h.Idle))
		}
	})
	t.Run("alpc-reentrant", func(t *testing.T) {
		m := model("alpc-reentrant")
		if len(m.Deadlocks) != 1 || m.Deadlocks[0].Level != "process" || !m.Deadlocks[0].Probable || len(m.Deadlocks[0].Cycle) != 2 {
			t.Errorf("deadlocks %+v", m.Deadlocks)
		}
	})
	t.Run("pipe-alpc-cycle", func(t *testing.T) {
		m := model("pipe-alpc-cycle")
		if len(m.Deadlocks) != 1 || m.Deadlocks[0].Level != "thread" || m.Deadlocks[0].Cycle[0].Mechanism != "pipe" || m.Deadlocks[0].Cycle[1].Mechanism != "alpc" {
			t.Errorf("deadlocks %+v", m.Deadlocks)
		}
	})
	t.Run("pipe-impersonate", func(t *testing.T) {
		m := model("pipe-impersonate")
		p := findPipes(m, "ipctrace-imp")
		if len(p) != 3 || !p[0].Impersonated || p[1].Impersonated || p[2].Failures["ACCESS_DENIED"] != 1 || p[2].Pairing != "unpaired" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("alpc-rpc", func(t *testing.T) {
		m := model("alpc-rpc")
		if len(m.ALPC) != 2 || m.ALPC[0].Calls != 20 || m.ALPC[1].Calls != 10 || m.ALPC[0].Pending != 0 || m.ALPC[0].IdleWorkers != 2 {
			t.Errorf("alpc %+v", m.ALPC)
		}
		if len(m.RPC) != 3 {
			t.Fatalf("rpc %+v", m.RPC)
		}
		failed := int64(0)
		for _, r := range m.RPC {
			failed += r.Failed
			if r.Protocol != "ncalrpc" || r.Endpoint != "LRPC-ipctrace-a1" || r.Latency.Count != r.Calls || r.ServerTime.Count != r.Calls {
				t.Errorf("rpc %+v", r)
			}
		}
		if failed != 1 {
			t.Errorf("%d failed calls, want 1", failed)
		}
	})
	t.Run("alpc-stuck", func(t *testing.T) {
		m := model("alpc-stuck")
		if len(m.ALPC) != 1 || m.ALPC[0].Pending != 1 || m.ALPC[0].Calls != 4 || len(m.Stuck) != 1 || m.Stuck[0].Kind != "alpc-reply" {
			t.Errorf("alpc %+v stuck %+v", m.ALPC, m.Stuck)
		}
	})
	t.Run("alpc-no-receiver", func(t *testing.T) {
		m := model("alpc-no-receiver")
		if len(m.ALPC) != 2 || m.ALPC[1].Pending != 1 || m.ALPC[1].Calls != 0 || len(m.Stuck) != 1 {
			t.Errorf("alpc %+v stuck %+v", m.ALPC, m.Stuck)
		}
	})
	t.Run("alpc-deadlock", func(t *testing.T) {
		m := model("alpc-deadlock")
		if len(m.Deadlocks) != 2 || len(m.Deadlocks[0].Cycle) != 2 || len(m.Deadlocks[1].Cycle) != 3 || len(m.Stuck) != 5 {
			t.Errorf("deadlocks %+v stuck %d", m.Deadlocks, len(m.Stuck))
		}
		for _, c := range m.Deadlocks {
			for i, w := range c.Cycle {
				if i > 0 && w.PID < c.Cycle[0].PID {
					t.Errorf("cycle does not start with the lowest PID: %+v", c)
				}
			}
		}
	})
	t.Run("section-shared", func(t *testing.T) {
		m := model("section-shared")
		if len(m.Sections) != 2 {
			t.Fatalf("%+v", m.Sections)
		}
		s, pf := m.Sections[0], m.Sections[1]
		if len(s.PIDs) != 3 || s.Views != 8 || s.Kind != SectionFile || !strings.HasSuffix(s.Name, `shared.dat`) {
			t.Errorf("%+v", s)
		}
		if len(pf.PIDs) != 2 || pf.Views != 2 || pf.Bytes != 0x20000 || pf.Kind != SectionPagefile || pf.Name != "" {
			t.Errorf("%+v", pf)
		}
	})
	t.Run("security", func(t *testing.T) {
		m := model("security")
		if len(m.Security) != 7 {
			t.Fatalf("%d entries", len(m.Security))
		}
		if m.Security[0].SDDL == "" || len(m.Security[0].Exposure) == 0 || m.Security[0].Owner == "" {
			t.Errorf("%+v", m.Security[0])
		}
	})
	t.Run("lossy", func(t *testing.T) {
		m := model("lossy")
		if m.Trace.EventsLost == 0 || m.Trace.BuffersLost != 1 || len(m.Trace.LossyWindows) == 0 {
			t.Errorf("%+v", m.Trace)
		}
		for _, p := range m.Pipes {
			if p.ToServer.Ops != 6 || !p.Lossy {
				t.Errorf("%+v", p)
			}
		}
	})
}

// TestEventsVectors: docs/events.md#vectors D1–D6 go through the builder, the
// writer and the reader and come back as the published bytes.
func TestEventsVectors(t *testing.T) {
	b := NewBuilder(1)
	b.Keep = true
	p := b.Process(1004, 4, "svchost.exe", "svchost.exe", "S-1-5-18")
	th := p.Thread(b, 6700)
	t0 := b.Start() + Millisecond
	b.fileio(t0, th, decoders.OpCreate, &decoders.FileCreate{Op: decoders.OpCreate, IrpPtr: 0xFFFF8A0A12345678, FileObject: 0xFFFF8A0A87654320,
		TTID: 6700, CreateOptions: 0x01000020, FileAttributes: 0x80, ShareAccess: 3, OpenPath: `\Device\NamedPipe\ipctrace-test`})
	b.fileio(t0+1, th, decoders.OpFSControl, &decoders.FileInfo{Op: decoders.OpFSControl, IrpPtr: 0xFFFF8A0A1234A000, FileObject: 0xFFFF8A0A87650010,
		FileKey: 0xFFFF8A0A99990001, TTID: 6704, InfoClass: FsctlPipeListen})
	b.opEnd(t0+2, th, 0xFFFF8A0A1234A000, 0, StatusPipeConnected)
	b.fileio(t0+3, th, decoders.OpWrite, &decoders.FileReadWrite{Op: decoders.OpWrite, IrpPtr: 0xFFFF8A0A1234B000, FileObject: 0xFFFF8A0A87654320,
		FileKey: 0xFFFF8A0A99990000, TTID: 6700, IoSize: 512, IoFlags: 0x00060A00, HasExtraFlags: true})
	b.AlpcWaitForNewMessage(t0+4, th, "epmapper")
	b.RPCStart(t0+5, th, false, "epmapper", &RPCCall{Interface: etw.MustParseGUID("e60c73e6-88f9-11cf-9af1-0020af6e72f4"), ProcNum: 8}, etw.GUID{})
	var mf memfile.File
	if err := b.WriteETL(&mf, etw.WriterOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"D1": "78 56 34 12 0a 8a ff ff 20 43 65 87 0a 8a ff ff 2c 1a 00 00 20 00 00 01 80 00 00 00 03 00 00 00 5c 00 44 00 65 00 76 00 69 00 63 00 65 00 5c 00 4e 00 61 00 6d 00 65 00 64 00 50 00 69 00 70 00 65 00 5c 00 69 00 70 00 63 00 74 00 72 00 61 00 63 00 65 00 2d 00 74 00 65 00 73 00 74 00 00 00",
		"D2": "00 a0 34 12 0a 8a ff ff 10 00 65 87 0a 8a ff ff 01 00 99 99 0a 8a ff ff 00 00 00 00 00 00 00 00 30 1a 00 00 08 00 11 00",
		"D3": "00 a0 34 12 0a 8a ff ff 00 00 00 00 00 00 00 00 b2 00 00 c0",
		"D4": "00 00 00 00 00 00 00 00 00 b0 34 12 0a 8a ff ff 20 43 65 87 0a 8a ff ff 00 00 99 99 0a 8a ff ff 2c 1a 00 00 00 02 00 00 00 0a 06 00 00 00 00 00",
		"D5": "01 00 00 00 65 70 6d 61 70 70 65 72 00",
		"D6": "e6 73 0c e6 f9 88 cf 11 9a f1 00 20 af 6e 72 f4 08 00 00 00 03 00 00 00 00 00 65 00 70 00 6d 00 61 00 70 00 70 00 65 00 72 00 00 00 00 00 06 00 00 00 14 00 00 00 03 00 00 00",
	}
	f, err := etw.NewFile(bytes.NewReader(mf.Bytes()), int64(len(mf.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		name := ""
		switch r.Time - t0 {
		case 0:
			name = "D1"
		case 1:
			name = "D2"
		case 2:
			name = "D3"
		case 3:
			name = "D4"
		case 4:
			name = "D5"
		case 5:
			name = "D6"
		}
		if name != "" && r.ThreadID != 0 && (r.Kind == etw.KindSystem64 || r.Kind == etw.KindEvent64) && r.Group != 0x05 {
			got[name] = spaced(r.Payload)
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
}

func spaced(b []byte) string {
	h := hex.EncodeToString(b)
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// BenchmarkMixed streams the mixed scenario at scales 10 and 50 (about 0.9 and 4.5 MB) to
// io.Discard and reports MB/s and the heap in use at the end. The heap
// does not grow with the scale: `ipctrace synth mixed --scale 13000` writes
// about 1.1 GB in the same memory.
func BenchmarkMixed(b *testing.B) {
	for _, scale := range []int{10, 50} {
		b.Run(fmt.Sprintf("scale=%d", scale), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var size int64
			for i := 0; i < b.N; i++ {
				cw := &countWriter{}
				if _, _, err := Generate("mixed", cw, Options{Seed: 1, Scale: scale}); err != nil {
					b.Fatal(err)
				}
				size = cw.n
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			b.SetBytes(size)
			b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
		})
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
