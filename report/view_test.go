package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/internal/texttable"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/report"
	"github.com/ipctrace/ipctrace/synth"
)

// t0 is 2025-12-31T00:00:00Z as a FILETIME.
const t0 = model.Time(134116128000000000)

func ms(v float64) model.Time { return t0 + model.Time(v*1e4) }

// constructedModel holds one of everything the view renders, with values
// chosen by hand, so that the renderer goldens do not depend on the
// correlator.
func constructedModel() *model.Model {
	lat := latency.Summary{Count: 12, P50: 9.5, P90: 20, P99: 31.2, Max: 31.2, Mean: 11}
	big := latency.Summary{Count: 3000, P50: 120, P90: 300, P99: 910, Max: 1500, Mean: 150, Approx: true}
	return &model.Model{
		Trace: model.Trace{Files: []string{"a.etl", "b.etl"}, Start: t0, End: ms(50), DurationUS: 50000,
			Events: 5000, IPCEvents: 4200, EventsLost: 12, BuffersLost: 1,
			LossyWindows: []model.Window{
				{Start: ms(10), End: ms(20), Reason: "EVENTS_LOST"}, {Start: ms(15), End: ms(25), Reason: "EVENTS_LOST"},
				{Start: ms(40), End: ms(41), Reason: "BUFFER_LOST"}},
			Namespaces: []model.Namespace{{ID: 1, Files: []string{"a.etl"}, Reason: "separate"},
				{ID: 2, Files: []string{"b.etl"}, Reason: "separate"}},
			Filter: &model.Filter{PIDs: []string{"100"}, Since: ms(1), Excluded: 77}},
		Processes: []model.Process{
			{PID: 100, ParentPID: 4, Image: "server.exe", CommandLine: `C:\srv\server.exe --pipe x`, User: "S-1-5-18", NS: 1},
			{PID: 200, Image: "client.exe", CommandLine: "client.exe", User: "S-1-5-21-1-2-3-1001", NS: 1},
			{PID: 100, Image: "other.exe", User: "S-1-5-19", NS: 2},
			{PID: 300, Image: "unused.exe", NS: 1},
		},
		Pipes: []model.Pipe{
			{NS: 1, Name: `\\.\pipe\a-service-pipe-with-a-rather-long-name-for-fitting`, Instance: 1, ServerPID: 100, ClientPID: 200,
				Pairing: "listen-completion", Confidence: 0.5, Inferred: true,
				ToServer: model.Flow{Ops: 6, Bytes: 672}, ToClient: model.Flow{Ops: 6, Bytes: 2359296},
				Latency: lat, RoundTrip: big, Failures: map[string]int{"PIPE_BUSY": 2}, Impersonated: true, Lossy: true,
				First: ms(2), Last: ms(30), ServerTID: 101, ClientTID: 201, ServerRule: "fsctl"},
			{NS: 2, Name: `\\.\pipe\lonely`, ServerPID: 100, Pairing: "unpaired"},
		},
		ALPC: []model.ALPC{{NS: 1, Port: "LRPC-svc", ClientPID: 200, ServerPID: 100, Calls: 4, Pending: 1, Latency: lat,
			Inferred: true, IdleWorkers: 2, First: ms(3), Last: ms(33)}},
		RPC: []model.RPC{{NS: 1, Interface: "12345678-1234-1234-1234-123456789abc", ProcNum: 3, Endpoint: "LRPC-svc",
			Protocol: "ncalrpc", ClientPID: 200, ServerPID: 100, Calls: 4, Failed: 1, Latency: lat}},
		Sections: []model.Section{{NS: 1, Key: "0xffff8a0a00116d60", Name: `\Device\HarddiskVolume3\data\shared.dat`,
			PIDs: []uint32{100, 200}, Views: 6, Bytes: 2359296, Kind: "file", OverlapUS: 23450, Open: 1}},
		Stuck: []model.Stuck{{Kind: "alpc-reply", PID: 200, TID: 201, Object: "LRPC-svc", Since: ms(30), WaitedUS: 20000,
			PeerPID: 100, PeerTID: 101, PeerLastActivity: ms(31), Inferred: true, Detail: "received by the server, no reply",
			MessageID: 7, Rule: "W2", Evidence: "the server received message 7 and never replied", NS: 1}},
		Idle: []model.Idle{
			{Kind: "pipe-listen", PID: 100, TID: 102, Object: `\\.\pipe\x`, Since: ms(1), WaitedUS: 49000, Rule: "I1", Evidence: "listening", NS: 1},
			{Kind: "pipe-listen", PID: 100, TID: 103, Object: `\\.\pipe\x`, Since: ms(2), WaitedUS: 48000, Rule: "I1", Evidence: "listening", NS: 1},
			{Kind: "alpc-receive", PID: 100, TID: 104, Object: "LRPC-svc", Since: ms(5), WaitedUS: 45000, Rule: "I2", Evidence: "waiting for a message", NS: 1},
		},
		Deadlocks: []model.Cycle{
			{Level: "thread", Cycle: []model.Waiter{{PID: 100, TID: 101, Object: "LRPC-a", NS: 1, WaitedUS: 1000},
				{PID: 200, TID: 201, Object: "LRPC-b", NS: 1}}},
			{Level: "process", Probable: true, Cycle: []model.Waiter{{PID: 100, TID: 101, Object: "LRPC-c", NS: 1},
				{PID: 200, Object: "LRPC-d", NS: 1}}},
		},
		Security: []model.Exposed{{Object: `\Device\NamedPipe\x`, Type: "pipe", Owner: "S-1-5-32-544", OwnerName: "Administrators",
			SDDL: "O:BAG:SYD:(A;;FA;;;WD)", Exposure: []string{"world_writable"}, Severity: "high", Ops: 3, OwnerPID: 100}},
		Warnings: []string{"b.etl: offset 0x1000: skipped 64 bytes"},
	}
}

// TestGoldenConstructed renders the constructed model in every text form
// and HTML and compares with testdata/golden/constructed.*.
func TestGoldenConstructed(t *testing.T) {
	m := constructedModel()
	render := map[string]func(*bytes.Buffer) error{
		"constructed.txt":      func(b *bytes.Buffer) error { return report.Table(b, m, report.TableOptions{}) },
		"constructed.80.txt":   func(b *bytes.Buffer) error { return report.Table(b, m, report.TableOptions{Width: 80}) },
		"constructed.wide.txt": func(b *bytes.Buffer) error { return report.Table(b, m, report.TableOptions{Wide: true}) },
		"constructed.html":     func(b *bytes.Buffer) error { return report.HTML(b, m, report.TableOptions{}) },
		"constructed.json":     func(b *bytes.Buffer) error { return report.JSON(b, m) },
	}
	for name, f := range render {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := f(&out); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s differs (run go test ./report -update after checking):\n%s", path, lineDiff(string(want), out.String()))
			}
		})
	}
}

// TestTableFits checks that the table report never passes the width it is
// given, on the constructed model and on the scenarios.
func TestTableFits(t *testing.T) {
	models := map[string]*model.Model{"constructed": constructedModel(), "hostile": hostileModel("\x1b]0;pwned\x07" + strings.Repeat("long", 20))}
	for _, name := range []string{"mixed", "security", "alpc-deadlock"} {
		models[name] = scenarioModel(t, name, 1)
	}
	for name, m := range models {
		for _, width := range []int{120, 100, 80} {
			var out bytes.Buffer
			if err := report.Table(&out, m, report.TableOptions{Width: width}); err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(out.String(), "\n") {
				if w := texttable.Width(line); w > width && !strings.HasPrefix(line, "  ") {
					t.Errorf("%s at %d: line %d is %d wide: %q", name, width, i+1, w, line)
				}
			}
		}
	}
	// The wide view is wider and shows every column.
	var wide bytes.Buffer
	if err := report.Table(&wide, constructedModel(), report.TableOptions{Wide: true}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"First .. last", "Evidence", "User SID", "Round trip µs", "Owner SID"} {
		if !strings.Contains(wide.String(), h) {
			t.Errorf("wide view lacks column %q", h)
		}
	}
	if strings.Contains(wide.String(), "not shown to fit") {
		t.Error("wide view leaves columns out")
	}
}

// TestTableEscapesHostile checks that no control or bidi character from
// the trace reaches the terminal.
func TestTableEscapesHostile(t *testing.T) {
	for _, h := range []string{"\x1b]0;pwned\x07", "\x1b[2J", "a\u202eb", "c1\u009b2J", "bad\xff", "nl\nx\ty\r"} {
		var out bytes.Buffer
		for _, opt := range []report.TableOptions{{}, {Wide: true}} {
			out.Reset()
			if err := report.Table(&out, hostileModel(h), opt); err != nil {
				t.Fatal(err)
			}
			s := out.String()
			for i := 0; i < len(s); i++ {
				if c := s[i]; (c < 0x20 && c != '\n') || c == 0x7f {
					t.Fatalf("%q: control byte %#x at %d reaches the output", h, c, i)
				}
			}
			for _, bad := range []string{"\u202e", "\u009b", "\xff"} {
				if strings.Contains(s, bad) {
					t.Errorf("%q: output holds %q", h, bad)
				}
			}
		}
		if !strings.Contains(out.String(), `\x1b`) && strings.Contains(h, "\x1b") {
			t.Errorf("%q: escape not shown as \\x1b", h)
		}
	}
}

// TestWords checks units and footnotes: section sizes in MiB like pipe
// bytes, SID names in the processes table as in the security table,
// footnotes only when a row carries their mark.
func TestWords(t *testing.T) {
	var out bytes.Buffer
	m := constructedModel()
	if err := report.Table(&out, m, report.TableOptions{Wide: true}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"2.2 MiB", "6/2.2 MiB", "Local System", "Administrators", "2 loss windows (merged from 3 flagged buffers)",
		"1 conversation overlaps a loss window and is marked", "* inferred:", "~ percentiles from a histogram",
		"filter:    --pid 100 --since " + ms(1).String() + "; 77 IPC events excluded",
		"ns1: a.etl (separate)", "ns1:200 (client.exe)", "probable (process-level)", "Idle servers (3)"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(s, "2359296") && !strings.Contains(s, "User SID") {
		t.Error("raw byte count in the table")
	}
	// Without inferred values, approximate percentiles or lossy
	// conversations, no footnote and no lossy note.
	plain := &model.Model{Trace: model.Trace{Start: t0, End: ms(1), Events: 10, IPCEvents: 5,
		LossyWindows: []model.Window{{Start: t0, End: ms(1), Reason: "EVENTS_LOST"}}},
		Pipes: []model.Pipe{{Name: `\\.\pipe\p`, ServerPID: 1, ClientPID: 2, Pairing: "filekey"}},
		Stuck: []model.Stuck{{Kind: "pipe-read", PID: 1, TID: 2, Object: `\\.\pipe\p`, PeerPID: 2}}}
	out.Reset()
	if err := report.Table(&out, plain, report.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"* inferred", "~ percentiles", "marked \"lossy\""} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("footnote %q without a marked row:\n%s", bad, out.String())
		}
	}
}

// formatCounts are the counts one format shows.
type formatCounts map[string]int64

var titleCount = regexp.MustCompile(`(?m)^(Stuck operations|Deadlocks|Idle servers|Named pipes|ALPC|RPC methods|Shared sections|Security|Processes|Window messages|Posted message queues|Hung message pumps|COM call delays|Mailslots) \((\d+)\)$`)

func tableCounts(t *testing.T, s string) formatCounts {
	c := formatCounts{}
	for _, m := range titleCount.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		c[m[1]] = n
	}
	if m := regexp.MustCompile(`events:\s+\d+ read, (\d+) outside`).FindStringSubmatch(s); m != nil {
		c["ipc_events"], _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := regexp.MustCompile(`(\d+) loss windows?\b`).FindStringSubmatch(s); m != nil {
		c["loss windows"], _ = strconv.ParseInt(m[1], 10, 64)
	}
	c["has ipc"] = b2i(!strings.Contains(s, "No IPC found") && !strings.Contains(s, "The filter left no IPC result"))
	return c
}

var htmlCount = regexp.MustCompile(`<h2>([A-Za-z ]+) <span class="count">\((\d+)\)</span></h2>`)

func htmlCounts(t *testing.T, s string) formatCounts {
	c := formatCounts{}
	for _, m := range htmlCount.FindAllStringSubmatch(s, -1) {
		if m[1] == "Timeline" || m[1] == "Warnings" {
			continue
		}
		n, _ := strconv.ParseInt(m[2], 10, 64)
		c[m[1]] = n
	}
	if m := regexp.MustCompile(`<dd>\d+ read, (\d+) outside`).FindStringSubmatch(s); m != nil {
		c["ipc_events"], _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := regexp.MustCompile(`(\d+) loss windows?\b`).FindStringSubmatch(s); m != nil {
		c["loss windows"], _ = strconv.ParseInt(m[1], 10, 64)
	}
	c["has ipc"] = b2i(!strings.Contains(s, `class="box empty"`))
	return c
}

type jsonDoc struct {
	Trace struct {
		IPCEvents      int64             `json:"ipc_events"`
		HasIPC         bool              `json:"has_ipc"`
		ProcessesShown int64             `json:"processes_shown"`
		Merged         []json.RawMessage `json:"lossy_windows_merged"`
	} `json:"trace"`
	Processes []struct {
		IPC bool `json:"ipc"`
	} `json:"processes"`
	Pipes, ALPC, RPC, Sections, Stuck, Idle, Deadlocks, Security []json.RawMessage
	WindowMessages                                               []json.RawMessage `json:"window_messages"`
	PostedQueues                                                 []json.RawMessage `json:"posted_queues"`
	HungPumps                                                    []json.RawMessage `json:"hung_pumps"`
	COM                                                          []json.RawMessage `json:"com"`
	Mailslots                                                    []json.RawMessage `json:"mailslots"`
}

func (d *jsonDoc) counts() formatCounts {
	shown := int64(0)
	for _, p := range d.Processes {
		if p.IPC {
			shown++
		}
	}
	c := formatCounts{"Named pipes": int64(len(d.Pipes)), "ALPC": int64(len(d.ALPC)), "RPC methods": int64(len(d.RPC)),
		"Shared sections": int64(len(d.Sections)), "Stuck operations": int64(len(d.Stuck)), "Idle servers": int64(len(d.Idle)),
		"Deadlocks": int64(len(d.Deadlocks)), "Security": int64(len(d.Security)), "Processes": d.Trace.ProcessesShown,
		"ipc_events": d.Trace.IPCEvents, "loss windows": int64(len(d.Trace.Merged)), "has ipc": b2i(d.Trace.HasIPC),
		"Window messages": int64(len(d.WindowMessages)), "Posted message queues": int64(len(d.PostedQueues)),
		"Hung message pumps": int64(len(d.HungPumps)), "COM call delays": int64(len(d.COM)), "Mailslots": int64(len(d.Mailslots))}
	if shown != d.Trace.ProcessesShown {
		c["processes flagged ipc"] = shown
	}
	return c
}

func jsonlCounts(t *testing.T, s string) formatCounts {
	c := formatCounts{}
	kinds := map[string]string{report.KindPipe: "Named pipes", report.KindALPC: "ALPC", report.KindRPC: "RPC methods",
		report.KindSection: "Shared sections", report.KindStuck: "Stuck operations", report.KindIdle: "Idle servers",
		report.KindDeadlock: "Deadlocks", report.KindSecurity: "Security",
		report.KindWindowMessages: "Window messages", report.KindPostedQueue: "Posted message queues",
		report.KindHungPump: "Hung message pumps", report.KindCOM: "COM call delays", report.KindMailslot: "Mailslots"}
	for _, k := range kinds {
		c[k] = 0
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var obj struct {
			Kind           string            `json:"kind"`
			IPC            bool              `json:"ipc"`
			IPCEvents      int64             `json:"ipc_events"`
			HasIPC         bool              `json:"has_ipc"`
			ProcessesShown int64             `json:"processes_shown"`
			Merged         []json.RawMessage `json:"lossy_windows_merged"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("JSONL line: %v", err)
		}
		switch obj.Kind {
		case report.KindTrace:
			c["ipc_events"], c["loss windows"], c["has ipc"] = obj.IPCEvents, int64(len(obj.Merged)), b2i(obj.HasIPC)
			c["processes_shown"] = obj.ProcessesShown
		case report.KindProcess:
			if obj.IPC {
				c["Processes"]++
			}
		default:
			if k, ok := kinds[obj.Kind]; ok {
				c[k]++
			}
		}
	}
	if c["processes_shown"] == c["Processes"] {
		delete(c, "processes_shown")
	}
	return c
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// viewCounts is the reference: the view's own counts.
func viewCounts(m *model.Model) formatCounts {
	v := report.NewView(m).Counts
	return formatCounts{"Named pipes": int64(v.Pipes), "ALPC": int64(v.ALPC), "RPC methods": int64(v.RPC),
		"Shared sections": int64(v.Sections), "Stuck operations": int64(v.Stuck), "Idle servers": int64(v.Idle),
		"Deadlocks": int64(v.Deadlocks), "Security": int64(v.Security), "Processes": int64(v.Processes),
		"ipc_events": v.IPCEvents, "loss windows": int64(v.LossWindows), "has ipc": b2i(report.HasIPC(m)),
		"Window messages": int64(v.WindowMessages), "Posted message queues": int64(v.PostedQueues),
		"Hung message pumps": int64(v.HungPumps), "COM call delays": int64(v.COM), "Mailslots": int64(v.Mailslots)}
}

// checkCounts renders m in table, HTML, JSON and JSONL and checks that
// each shows the view's counts. Table and HTML leave empty sections out:
// a missing title counts 0.
func checkCounts(t *testing.T, m *model.Model) {
	t.Helper()
	want := viewCounts(m)
	var tb, hb, jb, lb bytes.Buffer
	if err := report.Table(&tb, m, report.TableOptions{MaxRows: 3}); err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(&hb, m, report.TableOptions{MaxRows: 3}); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&jb, m); err != nil {
		t.Fatal(err)
	}
	if err := report.JSONL(&lb, m); err != nil {
		t.Fatal(err)
	}
	var doc jsonDoc
	if err := json.Unmarshal(jb.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	formats := map[string]formatCounts{"table": tableCounts(t, tb.String()), "html": htmlCounts(t, hb.String()),
		"json": doc.counts(), "jsonl": jsonlCounts(t, lb.String())}
	for name, got := range formats {
		for k, w := range want {
			g, ok := got[k]
			if !ok && (name == "table" || name == "html") && k != "ipc_events" && k != "has ipc" {
				g = 0 // an empty section is not printed
			}
			if g != w {
				t.Errorf("%s: %s = %d, want %d", name, k, g, w)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: unexpected count %s = %d", name, k, got[k])
			}
		}
	}
}

// TestCountsAgree renders every synth scenario, the constructed model, an
// empty model and corpus traces in table, HTML, JSON and JSON Lines and
// checks the same counts in each (issue: one view).
func TestCountsAgree(t *testing.T) {
	for _, name := range synth.Scenarios {
		t.Run(name, func(t *testing.T) { checkCounts(t, scenarioModel(t, name, 1)) })
	}
	t.Run("constructed", func(t *testing.T) { checkCounts(t, constructedModel()) })
	t.Run("no IPC", func(t *testing.T) {
		m := &model.Model{Trace: model.Trace{Start: t0, End: ms(5), Events: 19, IPCEvents: 19},
			Processes: []model.Process{{PID: 4, Image: "System"}}}
		checkCounts(t, m)
		if report.HasIPC(m) {
			t.Error("a model without IPC results has IPC")
		}
	})
	t.Run("filtered empty", func(t *testing.T) {
		checkCounts(t, &model.Model{Trace: model.Trace{Events: 19, IPCEvents: 19, Filter: &model.Filter{Process: "nosuch.exe", Excluded: 19}}})
	})
	dir, ok := shared.Dir()
	if !ok {
		t.Log("no ../shared: corpus part skipped")
		return
	}
	for _, f := range []string{"airbus__AMSITrace.etl", "hw3d__trace.etl", "perfview__smallEtlFile.etl", "krabsetw__powershell.etl"} {
		path := filepath.Join(dir, "corpus", f)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("corpus file %s: %v", f, err)
			continue
		}
		t.Run(f, func(t *testing.T) {
			m, err := correlate.AnalyzeFiles([]string{path}, correlate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, m)
		})
	}
}

// TestHTMLFits1400 estimates the narrowest width each HTML table can take
// (its min-content width: the longest unbreakable run of each column at
// 7 px per character — the table font is 12.6 px, whose characters average
// well under 7 px — plus padding and borders) and checks that it fits a
// 1400 px window less the page margins. Names wrap anywhere (td.m), other
// cells at spaces.
func TestHTMLFits1400(t *testing.T) {
	for _, m := range []*model.Model{constructedModel(), scenarioModel(t, "mixed", 1)} {
		v := report.NewView(m)
		for _, s := range v.Sections {
			if s.List != nil {
				continue
			}
			px := 0
			for i, c := range s.Cols {
				w := longestWord(c.Head)
				for _, r := range s.Rows {
					cell := r.Cells[i]
					if cell.Class == "m" {
						w = max(w, min(texttable.Width(cell.Text), 12))
						continue
					}
					w = max(w, longestWord(cell.Text), longestWord(cell.Sub))
				}
				px += w*7 + 17
			}
			if px > 1400-42 {
				t.Errorf("%s table needs about %d px", s.Title, px)
			}
		}
	}
}

func longestWord(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		n = max(n, texttable.Width(w))
	}
	return n
}

func ExampleNewView() {
	v := report.NewView(&model.Model{Pipes: []model.Pipe{{Name: `\\.\pipe\x`, ServerPID: 1}},
		Processes: []model.Process{{PID: 1, Image: "srv.exe"}, {PID: 2, Image: "idle.exe"}}})
	fmt.Println(v.Counts.Pipes, v.Counts.Processes, v.HasIPC)
	// Output: 1 1 true
}

func BenchmarkTable(b *testing.B) {
	m := timelineModel(b, "mixed", 1)
	var out bytes.Buffer
	if err := report.Table(&out, m, report.TableOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := report.Table(&out, m, report.TableOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
