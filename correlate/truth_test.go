package correlate_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/synth"
)

// TestSynthTruth runs every synth scenario with several seeds through the
// whole pipeline (ETL writer → reader → decoders → correlate) and compares
// the model with the scenario's truth: every conversation with the right
// processes, counts and bytes, latencies within 1 µs, every stuck
// operation and cycle, and nothing invented.
func TestSynthTruth(t *testing.T) {
	type run struct {
		seed  uint64
		scale int
	}
	// Scale 40 pushes the busiest conversations past latency.ExactLimit
	// samples, into the histogram.
	for _, name := range synth.Scenarios {
		for _, r := range []run{{1, 1}, {2, 1}, {7, 1}, {5, 40}} {
			seed := r.seed
			t.Run(fmt.Sprintf("%s/seed%d/scale%d", name, seed, r.scale), func(t *testing.T) {
				var buf memfile.File
				truth, b, err := synth.Generate(name, &buf, synth.Options{Seed: seed, Scale: r.scale, Keep: true})
				if err != nil {
					t.Fatalf("synth: %v", err)
				}
				if msg := irpReuse(b.Emitted()); msg != "" {
					t.Errorf("synth trace breaks docs/events.md#fileio-identity (an IRP is unique while in flight): %s", msg)
				}
				got, err := correlate.AnalyzeReader(name, bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), correlate.Options{})
				if err != nil {
					t.Fatalf("analyze: %v", err)
				}
				for _, w := range got.Warnings {
					t.Errorf("warning: %s", w)
				}
				for _, d := range compareModels(got, truth) {
					t.Error(d)
				}
			})
		}
	}
}

// irpReuse reports the first FileIo start whose IrpPtr is already in
// flight (started and not yet ended), which no Windows trace can show.
func irpReuse(evs []synth.Emitted) string {
	inFlight := map[uint64]int64{}
	for _, e := range evs {
		var irp uint64
		switch ev := e.Event.(type) {
		case *decoders.FileOpEnd:
			delete(inFlight, ev.IrpPtr)
			continue
		case *decoders.FileCreate:
			irp = ev.IrpPtr
		case *decoders.FileReadWrite:
			irp = ev.IrpPtr
		case *decoders.FileInfo:
			irp = ev.IrpPtr
		case *decoders.FileSimpleOp:
			irp = ev.IrpPtr
		default:
			continue
		}
		if since, ok := inFlight[irp]; ok {
			return fmt.Sprintf("IrpPtr %#x started at %d while the IRP started at %d is pending", irp, e.Time, since)
		}
		inFlight[irp] = e.Time
	}
	return ""
}

// compareModels lists the differences between got and the truth, on the
// fields the truth defines.
func compareModels(got, want *model.Model) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }

	gt, wt := got.Trace, want.Trace
	if gt.Start != wt.Start || gt.End != wt.End || gt.DurationUS != wt.DurationUS {
		add("trace time: got %s..%s (%v µs), want %s..%s (%v µs)", gt.Start, gt.End, gt.DurationUS, wt.Start, wt.End, wt.DurationUS)
	}
	if gt.Events != wt.Events || gt.IPCEvents != wt.IPCEvents {
		add("trace events: got %d/%d IPC, want %d/%d", gt.Events, gt.IPCEvents, wt.Events, wt.IPCEvents)
	}
	if gt.EventsLost != wt.EventsLost || gt.BuffersLost != wt.BuffersLost {
		add("loss counters: got %d/%d, want %d/%d", gt.EventsLost, gt.BuffersLost, wt.EventsLost, wt.BuffersLost)
	}
	sortWin := func(ws []model.Window) []model.Window {
		ws = slices.Clone(ws)
		slices.SortFunc(ws, func(a, b model.Window) int {
			return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), strings.Compare(a.Reason, b.Reason))
		})
		return ws
	}
	if g, w := sortWin(gt.LossyWindows), sortWin(wt.LossyWindows); !reflect.DeepEqual(g, w) && (len(g) > 0 || len(w) > 0) {
		add("lossy windows: got %+v, want %+v", g, w)
	}
	if !reflect.DeepEqual(got.Processes, want.Processes) {
		add("processes: got %+v, want %+v", got.Processes, want.Processes)
	}

	// Pipes.
	pipeKey := func(p model.Pipe) string {
		return fmt.Sprintf("%s|%d|%d|%d|%s", strings.ToLower(p.Name), p.Instance, p.ServerPID, p.ClientPID, failKeys(p.Failures))
	}
	gp, wp := sorted(got.Pipes, pipeKey), sorted(want.Pipes, pipeKey)
	matchLists(add, "pipe", gp, wp, pipeKey, func(g, w model.Pipe) []string {
		var d []string
		if g.Pairing != w.Pairing || g.Inferred != w.Inferred || g.Impersonated != w.Impersonated || g.Lossy != w.Lossy {
			d = append(d, fmt.Sprintf("pairing/inferred/impersonated/lossy got %s/%v/%v/%v want %s/%v/%v/%v",
				g.Pairing, g.Inferred, g.Impersonated, g.Lossy, w.Pairing, w.Inferred, w.Impersonated, w.Lossy))
		}
		if g.ToServer != w.ToServer || g.ToClient != w.ToClient {
			d = append(d, fmt.Sprintf("flows got %+v/%+v want %+v/%+v", g.ToServer, g.ToClient, w.ToServer, w.ToClient))
		}
		if !maps(g.Failures, w.Failures) {
			d = append(d, fmt.Sprintf("failures got %v want %v", g.Failures, w.Failures))
		}
		d = append(d, latDiff("latency", g.Latency, w.Latency)...)
		return d
	})

	alpcKey := func(a model.ALPC) string { return fmt.Sprintf("%s|%d|%d", a.Port, a.ClientPID, a.ServerPID) }
	matchLists(add, "alpc", sorted(got.ALPC, alpcKey), sorted(want.ALPC, alpcKey), alpcKey, func(g, w model.ALPC) []string {
		var d []string
		if g.Calls != w.Calls || g.Pending != w.Pending || g.Inferred != w.Inferred {
			d = append(d, fmt.Sprintf("calls/pending/inferred got %d/%d/%v want %d/%d/%v", g.Calls, g.Pending, g.Inferred, w.Calls, w.Pending, w.Inferred))
		}
		d = append(d, latDiff("latency", g.Latency, w.Latency)...)
		d = append(d, latDiff("server time", g.ServerTime, w.ServerTime)...)
		return d
	})

	rpcKey := func(r model.RPC) string {
		return fmt.Sprintf("%s|%d|%s|%s|%d|%d", r.Interface, r.ProcNum, strings.ToLower(r.Endpoint), r.Protocol, r.ClientPID, r.ServerPID)
	}
	matchLists(add, "rpc", sorted(got.RPC, rpcKey), sorted(want.RPC, rpcKey), rpcKey, func(g, w model.RPC) []string {
		var d []string
		if g.Calls != w.Calls || g.Failed != w.Failed {
			d = append(d, fmt.Sprintf("calls/failed got %d/%d want %d/%d", g.Calls, g.Failed, w.Calls, w.Failed))
		}
		return append(d, latDiff("latency", g.Latency, w.Latency)...)
	})

	secKey := func(s model.Section) string { return s.Key }
	matchLists(add, "section", sorted(got.Sections, secKey), sorted(want.Sections, secKey), secKey, func(g, w model.Section) []string {
		if g.Name != w.Name || !slices.Equal(g.PIDs, w.PIDs) || g.Views != w.Views || g.Bytes != w.Bytes || g.Kind != w.Kind {
			return []string{fmt.Sprintf("got %+v want %+v", g, w)}
		}
		return nil
	})

	stuckKey := func(s model.Stuck) string {
		return fmt.Sprintf("%s|%s|%d|%d|%s", s.Since, s.Kind, s.PID, s.TID, s.Object)
	}
	matchLists(add, "stuck", sorted(got.Stuck, stuckKey), sorted(want.Stuck, stuckKey), stuckKey, func(g, w model.Stuck) []string {
		if g.WaitedUS != w.WaitedUS || g.PeerPID != w.PeerPID || g.PeerTID != w.PeerTID ||
			g.PeerLastActivity != w.PeerLastActivity || g.Inferred != w.Inferred || g.Rule != w.Rule {
			return []string{fmt.Sprintf("got waited %v peer %d/%d last %s inferred %v rule %s; want %v %d/%d %s %v %s",
				g.WaitedUS, g.PeerPID, g.PeerTID, g.PeerLastActivity, g.Inferred, g.Rule,
				w.WaitedUS, w.PeerPID, w.PeerTID, w.PeerLastActivity, w.Inferred, w.Rule)}
		}
		return nil
	})
	idleKey := func(s model.Idle) string {
		return fmt.Sprintf("%s|%s|%d|%d|%s", s.Since, s.Kind, s.PID, s.TID, s.Object)
	}
	matchLists(add, "idle", sorted(got.Idle, idleKey), sorted(want.Idle, idleKey), idleKey, func(g, w model.Idle) []string {
		if g.WaitedUS != w.WaitedUS || g.Rule != w.Rule || g.Inferred != w.Inferred || g.Image != w.Image {
			return []string{fmt.Sprintf("got waited %v rule %s inferred %v image %s; want %v %s %v %s",
				g.WaitedUS, g.Rule, g.Inferred, g.Image, w.WaitedUS, w.Rule, w.Inferred, w.Image)}
		}
		return nil
	})

	cycKey := func(c model.Cycle) string {
		var k []string
		for _, w := range c.Cycle {
			k = append(k, fmt.Sprintf("%d/%d/%s", w.PID, w.TID, w.Object))
		}
		return strings.Join(k, " → ")
	}
	matchLists(add, "deadlock", sorted(got.Deadlocks, cycKey), sorted(want.Deadlocks, cycKey), cycKey, func(g, w model.Cycle) []string {
		if g.Level != w.Level || g.Probable != w.Probable {
			return []string{fmt.Sprintf("level/probable got %s/%v want %s/%v", g.Level, g.Probable, w.Level, w.Probable)}
		}
		for i := range g.Cycle {
			gw, ww := g.Cycle[i], w.Cycle[i]
			gw.NS, ww.NS = 0, 0
			if gw != ww {
				return []string{fmt.Sprintf("waiter %d got %+v want %+v", i, gw, ww)}
			}
		}
		return nil
	})

	wmKey := func(c model.WindowMessages) string {
		return fmt.Sprintf("%d/%d→%d/%d", c.SenderPID, c.SenderTID, c.ReceiverPID, c.ReceiverTID)
	}
	matchLists(add, "window messages", sorted(got.WindowMessages, wmKey), sorted(want.WindowMessages, wmKey), wmKey, func(g, w model.WindowMessages) []string {
		var d []string
		if g.Sent != w.Sent || g.Pending != w.Pending || g.Inferred != w.Inferred || g.SenderImage != w.SenderImage ||
			g.ReceiverImage != w.ReceiverImage || !reflect.DeepEqual(g.Messages, w.Messages) {
			d = append(d, fmt.Sprintf("got sent/pending %d/%d images %s/%s messages %+v; want %d/%d %s/%s %+v", g.Sent, g.Pending,
				g.SenderImage, g.ReceiverImage, g.Messages, w.Sent, w.Pending, w.SenderImage, w.ReceiverImage, w.Messages))
		}
		d = append(d, latDiff("latency", g.Latency, w.Latency)...)
		d = append(d, latDiff("queue wait", g.QueueWait, w.QueueWait)...)
		return append(d, latDiff("handler", g.Handler, w.Handler)...)
	})
	pqKey := func(q model.PostedQueue) string { return fmt.Sprintf("%d/%d", q.PID, q.TID) }
	matchLists(add, "posted queue", sorted(got.PostedQueues, pqKey), sorted(want.PostedQueues, pqKey), pqKey, func(g, w model.PostedQueue) []string {
		var d []string
		if g.Retrieved != w.Retrieved || g.Queued != w.Queued || !slices.Equal(g.Posters, w.Posters) || g.Image != w.Image ||
			g.OldestQueuedUS != w.OldestQueuedUS || g.Inferred != w.Inferred {
			d = append(d, fmt.Sprintf("got %d retrieved %d queued posters %v image %s oldest %v; want %d %d %v %s %v", g.Retrieved, g.Queued,
				g.Posters, g.Image, g.OldestQueuedUS, w.Retrieved, w.Queued, w.Posters, w.Image, w.OldestQueuedUS))
		}
		return append(d, latDiff("queue delay", g.QueueDelay, w.QueueDelay)...)
	})
	hungKey := func(h model.HungPump) string { return fmt.Sprintf("%d/%d|%s|%s", h.PID, h.TID, h.Event, h.ClassName) }
	matchLists(add, "hung pump", sorted(got.HungPumps, hungKey), sorted(want.HungPumps, hungKey), hungKey, func(g, w model.HungPump) []string {
		g.NS, w.NS = 0, 0
		if g != w {
			return []string{fmt.Sprintf("got %+v want %+v", g, w)}
		}
		return nil
	})
	comKey := func(c model.COMCall) string {
		return fmt.Sprintf("%s|%d/%d→%d/%d|%s|%d", c.Kind, c.CallerPID, c.CallerTID, c.TargetPID, c.TargetTID, c.Interface, c.Method)
	}
	matchLists(add, "com", sorted(got.COM, comKey), sorted(want.COM, comKey), comKey, func(g, w model.COMCall) []string {
		var d []string
		d = append(d, latDiff("time", g.Time, w.Time)...)
		gr, wr := g.Results, w.Results
		g.Results, w.Results, g.Time, w.Time, g.NS, w.NS = nil, nil, latency.Summary{}, latency.Summary{}, 0, 0
		if !reflect.DeepEqual(g, w) || fmt.Sprint(gr) != fmt.Sprint(wr) {
			d = append(d, fmt.Sprintf("got %+v %v want %+v %v", g, gr, w, wr))
		}
		return d
	})
	for i := range want.RPC {
		// Interface names: every RPC row of the truth that has one (the
		// key above matches rows by interface UUID).
		w := want.RPC[i]
		if w.InterfaceName == "" {
			continue
		}
		found := false
		for _, g := range got.RPC {
			if g.Interface == w.Interface && g.ProcNum == w.ProcNum && g.ClientPID == w.ClientPID {
				found = g.InterfaceName == w.InterfaceName && g.Method == w.Method
			}
		}
		if !found {
			add("rpc %s #%d: interface name not %q / method %q", w.Interface, w.ProcNum, w.InterfaceName, w.Method)
		}
	}

	secK := func(e model.Exposed) string { return e.Type + "|" + e.Object }
	matchLists(add, "security", sorted(got.Security, secK), sorted(want.Security, secK), secK, func(g, w model.Exposed) []string {
		if g.Owner != w.Owner || g.SDDL != w.SDDL || !slices.Equal(g.Exposure, w.Exposure) || g.Severity != w.Severity {
			return []string{fmt.Sprintf("got %s %s %v %s want %s %s %v %s", g.Owner, g.SDDL, g.Exposure, g.Severity, w.Owner, w.SDDL, w.Exposure, w.Severity)}
		}
		return nil
	})
	return diffs
}

func failKeys(m map[string]int) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(ks)
	return strings.Join(ks, ",")
}

func maps(a, b map[string]int) bool { return failKeys(a) == failKeys(b) }

func sorted[T any](s []T, key func(T) string) []T {
	s = slices.Clone(s)
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return s
}

// matchLists pairs items by key and reports missing, invented and differing ones.
func matchLists[T any](add func(string, ...any), what string, got, want []T, key func(T) string, diff func(g, w T) []string) {
	gm := map[string][]T{}
	for _, g := range got {
		gm[key(g)] = append(gm[key(g)], g)
	}
	for _, w := range want {
		k := key(w)
		if len(gm[k]) == 0 {
			add("%s missing: %+v", what, w)
			continue
		}
		g := gm[k][0]
		gm[k] = gm[k][1:]
		for _, d := range diff(g, w) {
			add("%s %s: %s", what, k, d)
		}
	}
	for _, g := range got {
		if rest := gm[key(g)]; len(rest) > 0 {
			add("%s invented: %+v", what, rest[0])
			gm[key(g)] = rest[1:]
		}
	}
}

// latDiff compares two summaries: counts exactly, values within 1 µs.
func latDiff(what string, g, w latency.Summary) []string {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1 }
	if g.Count != w.Count || !near(g.P50, w.P50) || !near(g.P90, w.P90) || !near(g.P99, w.P99) ||
		!near(g.Max, w.Max) || !near(g.Mean, w.Mean) {
		return []string{fmt.Sprintf("%s got %+v want %+v", what, g, w)}
	}
	return nil
}

// TestDemoTruth checks the embedded demo trace against the truth synth
// wrote beside it.
func TestDemoTruth(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "demo.truth.json"))
	if err != nil {
		t.Skipf("no demo truth: %v", err)
	}
	var truth model.Model
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	got, err := correlate.AnalyzeFiles([]string{filepath.Join("..", "testdata", "demo.etl")}, correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range compareModels(got, &truth) {
		t.Error(d)
	}
}

// TestAnalyzeSeveralFiles merges two traces by time.
func TestAnalyzeSeveralFiles(t *testing.T) {
	dir, err := os.MkdirTemp("", "ipctrace-correlate")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var paths []string
	var events int64
	var stuck int
	for _, name := range []string{"alpc-stuck", "pipe-stuck-listen"} {
		p := filepath.Join(dir, name+".etl")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		truth, _, err := synth.Generate(name, f, synth.Options{Seed: 3})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		events += truth.Trace.Events
		stuck += len(truth.Stuck)
		paths = append(paths, p)
	}
	m, err := correlate.AnalyzeFiles(append(paths, filepath.Join(dir, "missing.etl")), correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Trace.Events != events || len(m.Stuck) != stuck || len(m.Trace.Files) != 2 {
		t.Errorf("merged: %d events, %d stuck, files %v; want %d, %d, 2 files", m.Trace.Events, len(m.Stuck), m.Trace.Files, events, stuck)
	}
	if len(m.Warnings) == 0 || !strings.Contains(m.Warnings[0], "missing.etl") {
		t.Errorf("no warning for the missing file: %v", m.Warnings)
	}
	if _, err := correlate.AnalyzeFiles([]string{filepath.Join(dir, "missing.etl")}, correlate.Options{}); !errors.Is(err, correlate.ErrNoInput) {
		t.Errorf("no readable file: err %v, want ErrNoInput", err)
	}
}

// TestNamespaces checks docs/rules.md F1: two traces that reuse PIDs for
// different programs (two machines) stay apart, while one session split
// into two files is one namespace.
func TestNamespaces(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) (string, *model.Model) {
		p := filepath.Join(dir, name+".etl")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		truth, _, err := synth.Generate(name, f, synth.Options{Seed: 3})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		return p, truth
	}
	p1, t1 := write("pipe-stuck-read")
	p2, t2 := write("alpc-stuck")
	m, err := correlate.AnalyzeFiles([]string{p1, p2}, correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Trace.Namespaces) != 2 || m.Trace.Namespaces[0].Reason != "separate" {
		t.Fatalf("namespaces %+v, want two separate ones", m.Trace.Namespaces)
	}
	if len(m.Deadlocks) != 0 || len(m.Stuck) != len(t1.Stuck)+len(t2.Stuck) || len(m.Pipes) != len(t1.Pipes) || len(m.ALPC) != len(t2.ALPC) {
		t.Errorf("joined across files: %d deadlocks, %d stuck, %d pipes, %d alpc", len(m.Deadlocks), len(m.Stuck), len(m.Pipes), len(m.ALPC))
	}
	images := map[int]map[uint32]string{1: {}, 2: {}}
	for _, p := range m.Processes {
		images[p.NS][p.PID] = p.Image
	}
	for ns, truth := range map[int]*model.Model{1: t1, 2: t2} {
		for _, p := range truth.Processes {
			if images[ns][p.PID] != p.Image {
				t.Errorf("namespace %d pid %d: image %q, want %q", ns, p.PID, images[ns][p.PID], p.Image)
			}
		}
	}
	for _, s := range m.Stuck {
		if s.NS == 0 {
			t.Errorf("stuck without namespace: %+v", s)
		}
	}
	// Every section of a namespace's model survives the merge.
	p3, t3 := write("winmsg-send")
	m3, err := correlate.AnalyzeFiles([]string{p1, p3}, correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(t3.WindowMessages) == 0 || len(m3.WindowMessages) != len(t3.WindowMessages) {
		t.Errorf("window-message conversations: %d after the merge, %d in the file", len(m3.WindowMessages), len(t3.WindowMessages))
	}
	for _, w := range m3.WindowMessages {
		if w.NS != 2 {
			t.Errorf("window messages of the second file in namespace %d", w.NS)
		}
	}

	// One session in two files: split the records of one trace by time.
	whole, wt := write("mixed")
	src, err := etw.Open(whole)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	h := src.Header()
	var recs []etw.Record
	for r, err := range src.Records(etw.TimeOrder()) {
		if err == nil {
			c := *r
			c.Payload = slices.Clone(r.Payload)
			recs = append(recs, c)
		}
	}
	var parts []string
	for i, half := range [][]etw.Record{recs[1 : len(recs)/2], recs[len(recs)/2:]} {
		p := filepath.Join(dir, fmt.Sprintf("split%d.etl", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := etw.NewWriter(f, etw.WriterOptions{StartTime: half[0].Time, BootTime: h.BootTime, PerfFreq: h.PerfFreq,
			NumberOfProcessors: h.NumberOfProcessors, Build: h.ProviderVersion})
		if err != nil {
			t.Fatal(err)
		}
		for i := range half { // recs[0], the source's header event, is left out
			if err := w.WriteRecord(&half[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		parts = append(parts, p)
	}
	ms, err := correlate.AnalyzeFiles(parts, correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Trace.Namespaces) != 1 || ms.Trace.Namespaces[0].Reason != "same boot" {
		t.Fatalf("split session: namespaces %+v, want one", ms.Trace.Namespaces)
	}
	if len(ms.Pipes) != len(wt.Pipes) || len(ms.Stuck) != len(wt.Stuck) || len(ms.Deadlocks) != len(wt.Deadlocks) || len(ms.Processes) != len(wt.Processes) {
		t.Errorf("split session: %d pipes %d stuck %d deadlocks %d processes, want %d %d %d %d",
			len(ms.Pipes), len(ms.Stuck), len(ms.Deadlocks), len(ms.Processes), len(wt.Pipes), len(wt.Stuck), len(wt.Deadlocks), len(wt.Processes))
	}
}
