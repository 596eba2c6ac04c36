package report_test

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/report"
	"github.com/ipctrace/ipctrace/synth"
)

// timelineModel generates a synth scenario and correlates it with the
// timeline on, as `ipctrace report -o html` does.
func timelineModel(t testing.TB, name string, seed uint64) *model.Model {
	t.Helper()
	var buf memfile.File
	if _, _, err := synth.Generate(name, &buf, synth.Options{Seed: seed}); err != nil {
		t.Fatalf("synth %s: %v", name, err)
	}
	m, err := correlate.AnalyzeReader(name+".etl", bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())),
		correlate.Options{Timeline: true})
	if err != nil {
		t.Fatalf("analyze %s: %v", name, err)
	}
	return m
}

func renderHTMLErr(m *model.Model) string {
	var out bytes.Buffer
	if err := report.HTML(&out, m, report.TableOptions{}); err != nil {
		return err.Error()
	}
	return out.String()
}

func renderHTML(t testing.TB, m *model.Model, opt report.TableOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := report.HTML(&out, m, opt); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestGoldenHTML compares the HTML report of a few scenarios with
// testdata/golden/<scenario>.html (regenerate with go test ./report -update).
// End to end, like TestGoldenTables; "lossy" covers a page without a
// timeline. Constructed-model pages are in view_test.go.
func TestGoldenHTML(t *testing.T) {
	for _, c := range []struct {
		name     string
		timeline bool
	}{
		{"pipe-pingpong", true},
		{"lossy", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var m *model.Model
			if c.timeline {
				m = timelineModel(t, c.name, 1)
			} else {
				m = scenarioModel(t, c.name, 1)
			}
			got := renderHTML(t, m, report.TableOptions{})
			checkXHTML(t, got)
			path := filepath.Join("testdata", "golden", c.name+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update)", err)
			}
			if got != string(want) {
				t.Errorf("HTML for %s differs from %s (run go test ./report -update after checking):\n%s", c.name, path, lineDiff(string(want), got))
			}
			// Deterministic: a second rendering is byte-identical.
			if again := renderHTML(t, m, report.TableOptions{}); again != got {
				t.Error("two renderings of the same model differ")
			}
		})
	}
}

// checkXHTML parses the page with encoding/xml in strict mode (every
// element closed and properly nested, only XML entities) and checks that it
// is self-contained: one inline script, no element or attribute that loads
// anything. It returns the element structure (see structure).
func checkXHTML(t *testing.T, page string) []string {
	t.Helper()
	elems, err := structure(page)
	if err != nil {
		t.Fatalf("not well-formed XHTML: %v", err)
	}
	scripts := 0
	for _, e := range elems {
		name, _, _ := strings.Cut(e, " ")
		switch name {
		case "script":
			scripts++
		case "link", "iframe", "object", "embed", "img", "image", "use", "foreignObject", "base", "form", "audio", "video":
			t.Errorf("page is not self-contained: element %q", e)
		}
		for _, a := range strings.Fields(e)[1:] {
			if a == "src" || strings.HasPrefix(a, "on") || a == "style" {
				t.Errorf("page has a %q attribute: %q", a, e)
			}
		}
	}
	if scripts != 1 {
		t.Errorf("%d <script> elements, want exactly the sorting script", scripts)
	}
	for _, bad := range []string{"@import", "url(", `href="http`, `href="//`, `href="javascript`} {
		if strings.Contains(page, bad) {
			t.Errorf("page is not self-contained: contains %q", bad)
		}
	}
	return elems
}

// structure returns the first XML error of page, or its elements in
// document order, each as its name followed by its sorted attribute names.
// It also checks that the root element is <html> with <head> and <body>.
func structure(page string) ([]string, error) {
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = true
	var elems, children []string
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if depth == 0 && len(elems) > 0 {
				return nil, fmt.Errorf("second root element <%s>", x.Name.Local)
			}
			if depth == 1 {
				children = append(children, x.Name.Local)
			}
			attrs := make([]string, 0, len(x.Attr))
			for _, a := range x.Attr {
				attrs = append(attrs, a.Name.Local)
			}
			slices.Sort(attrs)
			elems = append(elems, strings.Join(append([]string{x.Name.Local}, attrs...), " "))
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%d unclosed elements", depth)
	}
	if len(elems) == 0 || !strings.HasPrefix(elems[0], "html") || strings.Join(children, ",") != "head,body" {
		return nil, fmt.Errorf("root %v with children %v, want <html> with head, body", elems[:min(1, len(elems))], children)
	}
	return elems, nil
}

func wellFormed(page string) error {
	_, err := structure(page)
	return err
}

// TestHTMLWellFormed renders every scenario (with and without timeline),
// an empty model and a truncated one, and parses each page.
func TestHTMLWellFormed(t *testing.T) {
	for _, name := range synth.Scenarios {
		t.Run(name, func(t *testing.T) {
			checkXHTML(t, renderHTML(t, timelineModel(t, name, 2), report.TableOptions{}))
			checkXHTML(t, renderHTML(t, scenarioModel(t, name, 2), report.TableOptions{MaxRows: 1}))
		})
	}
	t.Run("empty", func(t *testing.T) {
		checkXHTML(t, renderHTML(t, &model.Model{}, report.TableOptions{}))
	})
	// The checker itself rejects what it must.
	for _, bad := range []string{
		`<html><head></head><body><p>x</body></html>`,
		`<html><head></head><body>&nbsp;</body></html>`,
		`<html><head><meta charset="utf-8"></head><body></body></html>`,
		`<html><head></head><body>a & b</body></html>`,
	} {
		if wellFormed(bad) == nil {
			t.Errorf("checker accepts %q", bad)
		}
	}
}

// hostileModel puts markup, quotes, control and bidi characters in every
// string that comes from a trace.
func hostileModel(h string) *model.Model {
	lat := latency.Summary{Count: 2, P50: 1, P90: 2, P99: 2, Max: 2, Mean: 1.5}
	return &model.Model{
		Trace: model.Trace{Files: []string{h + ".etl"}, Start: 134116128000000000, End: 134116128000001000,
			DurationUS: 100, Events: 9, IPCEvents: 8, EventsLost: 1,
			LossyWindows: []model.Window{{Start: 134116128000000000, End: 134116128000000500, Reason: h}}},
		Processes: []model.Process{{PID: 10, Image: h, CommandLine: h, User: h}, {PID: 20, Image: "b.exe"}},
		Pipes: []model.Pipe{{Name: `\\.\pipe\` + h, Instance: 1, ServerPID: 10, ClientPID: 20, Pairing: h,
			Confidence: 0.5, Inferred: true, Latency: lat, RoundTrip: lat, QueueDelay: lat,
			Failures: map[string]int{h: 1}, ServerRule: h, ClientRule: h, ServerImage: h, ClientImage: h}},
		ALPC:      []model.ALPC{{Port: h, ClientPID: 20, ServerPID: 30, ClientImage: h, ServerImage: h, Calls: 1, Inferred: true, Latency: lat}},
		RPC:       []model.RPC{{Interface: h, Endpoint: h, Protocol: h, ClientPID: 20, Calls: 1, Latency: lat}},
		Sections:  []model.Section{{Key: h, Name: h, Kind: h, PIDs: []uint32{10, 20}, Views: 2}},
		Stuck:     []model.Stuck{{Kind: h, PID: 10, TID: 11, Object: h, PeerPID: 20, Detail: h, Inferred: true}},
		Deadlocks: []model.Cycle{{Cycle: []model.Waiter{{PID: 10, TID: 11, Object: h}, {PID: 20, TID: 21, Object: h}}}},
		Security: []model.Exposed{{Object: h, Type: h, Owner: h, OwnerName: h, SDDL: h, Exposure: []string{h},
			Severity: h, Summary: h, Ops: 3}, {Object: "x", Error: h, Severity: "high", Ops: 1}},
		Timeline: []model.Span{{PID: 10, TID: 11, Category: h, Name: h, StartUS: 1, DurUS: 5},
			{PID: 20, TID: 21, Category: "stuck", Name: h, StartUS: 2, DurUS: 98}},
		Warnings: []string{h},
	}
}

// TestHTMLEscapesHostile checks that names, command lines and SDDL from a
// hostile trace cannot inject markup or break the document.
func TestHTMLEscapesHostile(t *testing.T) {
	for _, h := range []string{
		`evil"><script>alert('x')</script>`,
		`</td></tr></table><img src=x onerror="alert(1)">`,
		`a&b<!--c--><![CDATA[d]]>&amp;'"`,
		"ctl\x00\x01\x1b[31m\x7f\u0085 bidi\u202egnp.exe \ufffe end",
		"bad utf8 \xff\xfe\xc0",
		`</title></style></svg><svg onload=alert(1)>`,
	} {
		t.Run(fmt.Sprintf("%.12q", h), func(t *testing.T) {
			page := renderHTML(t, hostileModel(h), report.TableOptions{})
			got := checkXHTML(t, page)
			if strings.Contains(page, h) {
				t.Errorf("the raw hostile string %q appears in the page", h)
			}
			// The same elements and attributes as with a harmless string:
			// nothing was injected.
			if want := checkXHTML(t, renderHTML(t, hostileModel("x"), report.TableOptions{})); !slices.Equal(got, want) {
				t.Errorf("hostile strings change the page structure: %d elements, want %d", len(got), len(want))
			}
			for _, frag := range []string{"<script>alert", "<img", "<svg onload", "\u202e", "\x1b", "\x00"} {
				if strings.Contains(page, frag) {
					t.Errorf("page contains %q", frag)
				}
			}
		})
	}
	// Escaped, not dropped: the text is still there for the reader.
	page := renderHTML(t, hostileModel(`<script>x</script>`), report.TableOptions{})
	if n := strings.Count(page, "&lt;script&gt;x&lt;/script&gt;"); n < 20 {
		t.Errorf("escaped hostile string shown %d times, want it in every field (>= 20)", n)
	}
	if !strings.Contains(renderHTML(t, hostileModel("a\u202eb\x01c"), report.TableOptions{}), `a\u202eb\x01c`) {
		t.Error("control and bidi characters are not shown as escapes")
	}
}

// FuzzHTML renders models whose strings are arbitrary and checks that the
// page stays well-formed and that markup in the input never reaches it.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{"", "pipe", `<script>"'&`, "\x00\x01\u202e", "\xff", "]]>", "</svg>"} {
		for sel := range uint8(numHostileParts) {
			f.Add(sel, s)
		}
	}
	// The page of the benign string, per part: computed once, not per exec.
	want := make([][]string, numHostileParts)
	for sel := range want {
		w, err := structure(renderHTMLErr(hostilePart("x", uint8(sel))))
		if err != nil {
			f.Fatal(err)
		}
		want[sel] = w
	}
	f.Fuzz(func(t *testing.T, sel uint8, h string) {
		// One part of the model carries h per exec, and h is cut at 128
		// bytes: a whole hostile page took milliseconds to render and parse.
		h = h[:min(len(h), 128)]
		sel %= numHostileParts
		var out bytes.Buffer
		if err := report.HTML(&out, hostilePart(h, sel), report.TableOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := structure(out.String())
		if err != nil {
			t.Fatalf("input %q in part %d: %v", h, sel, err)
		}
		// Markup in the input must not add elements or attributes. (Only
		// for inputs with "<": others can be keywords such as a severity
		// or a time that legitimately change the page.)
		if strings.Contains(h, "<") && !slices.Equal(got, want[sel]) {
			t.Fatalf("input %q in part %d changes the page structure", h, sel)
		}
	})
}

// numHostileParts is the number of parts hostilePart can make hostile.
const numHostileParts = 11

// hostilePart is a model holding only one part (sel < numHostileParts) of
// hostileModel(h): the trace, processes, pipes, ALPC, RPC, sections, stuck
// waits, deadlocks, security, timeline or warnings. Small pages keep
// FuzzHTML fast; TestHTMLEscapesHostile renders the whole hostile model.
func hostilePart(h string, sel uint8) *model.Model {
	bad := hostileModel(h)
	m := &model.Model{Trace: model.Trace{Files: []string{"x.etl"}, Start: bad.Trace.Start, End: bad.Trace.End, DurationUS: bad.Trace.DurationUS}}
	switch sel {
	case 0:
		m.Trace = bad.Trace
	case 1:
		m.Processes = bad.Processes
	case 2:
		m.Pipes = bad.Pipes
	case 3:
		m.ALPC = bad.ALPC
	case 4:
		m.RPC = bad.RPC
	case 5:
		m.Sections = bad.Sections
	case 6:
		m.Stuck = bad.Stuck
	case 7:
		m.Deadlocks = bad.Deadlocks
	case 8:
		m.Security = bad.Security
	case 9:
		m.Timeline = bad.Timeline
	default:
		m.Warnings = bad.Warnings
	}
	return m
}

// TestHTMLContent checks the page structure on the mixed scenario: loss at
// the top, stuck operations and deadlocks before the conversations, the
// inferred markers and footnotes, severity colours and the timeline.
func TestHTMLContent(t *testing.T) {
	m := timelineModel(t, "mixed", 3)
	page := renderHTML(t, m, report.TableOptions{})
	order := []string{`id="trace"`, `class="box loss"`, `id="stuck"`, `id="deadlocks"`, `id="pipes"`, `id="alpc"`,
		`id="rpc"`, `id="sections"`, `id="security"`, `id="timeline"`, `id="processes"`}
	last := -1
	for _, s := range order {
		i := strings.Index(page, s)
		if i < 0 {
			t.Errorf("page lacks %s", s)
			continue
		}
		if i < last {
			t.Errorf("%s is out of order", s)
		}
		last = i
	}
	for _, want := range []string{
		"* inferred: pairing/latency from timing rules, docs/rules.md P4–P9",
		"* inferred: request/reply matching by message id and process pair, docs/rules.md A1–A7",
		"* inferred peer: from pairing and message matching rules, docs/rules.md P4–P6, A6",
		`<span class="inf" title="inferred">*</span>`,
		fmt.Sprintf("Loss: %d events lost, %d buffers lost", m.Trace.EventsLost, m.Trace.BuffersLost),
		mergedWindow(m.Trace.LossyWindows),
		`class="sev sev-high"`, `class="sev sev-none"`,
		fmt.Sprintf("%d stuck operations", len(m.Stuck)), fmt.Sprintf("%d deadlocks", len(m.Deadlocks)),
		`<tr class="lossy">`, `<svg xmlns="http://www.w3.org/2000/svg" class="tl"`, `class="c-stuck"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "no loss") {
		t.Error("a lossy trace says no loss")
	}
	// Every pipe, ALPC conversation and stuck operation has a row.
	for _, p := range m.Pipes {
		if !strings.Contains(page, p.Name) {
			t.Errorf("pipe %s missing", p.Name)
		}
	}
	if got, want := strings.Count(page, `<tr class="stuck">`), len(m.Stuck); got != want {
		t.Errorf("%d stuck rows, want %d", got, want)
	}
	if got, want := strings.Count(page, "<rect class=\"c-"), len(m.Timeline); got != want {
		t.Errorf("%d timeline rectangles, want %d (every span, below the cap)", got, want)
	}

	// Without a timeline there is no timeline section.
	if page := renderHTML(t, scenarioModel(t, "mixed", 3), report.TableOptions{}); strings.Contains(page, `id="timeline"`) {
		t.Error("timeline section without spans")
	}

	// A trace without IPC says so, how to record one, and no loss.
	page = renderHTML(t, &model.Model{Trace: model.Trace{Events: 3}}, report.TableOptions{})
	for _, want := range []string{"No IPC found in this trace: no named-pipe, ALPC/RPC, shared-section or security-snapshot result among its 3 events.",
		report.RecordHint, "no loss"} {
		if !strings.Contains(page, want) {
			t.Errorf("empty page lacks %q", want)
		}
	}
	if strings.Contains(page, "<table") || strings.Contains(page, "<nav>") {
		t.Error("empty page has tables or navigation")
	}

	// MaxRows truncates and says so.
	page = renderHTML(t, m, report.TableOptions{MaxRows: 2})
	if got := strings.Count(page, `<tr class="stuck">`); got != 2 {
		t.Errorf("MaxRows 2: %d stuck rows", got)
	}
	if !strings.Contains(page, fmt.Sprintf("… %d more rows (use -o json for all)", len(m.Stuck)-2)) {
		t.Error("MaxRows does not announce the rows left out")
	}
}

// TestHTMLTimelineCap checks that a huge timeline is capped, that stuck
// spans are always drawn, and that the page says how many were omitted.
func TestHTMLTimelineCap(t *testing.T) {
	m := &model.Model{Trace: model.Trace{Start: 134116128000000000, DurationUS: 1e6}, TimelineDropped: 7,
		Pipes: []model.Pipe{{Name: `\\.\pipe\p`, ServerPID: 1, ClientPID: 2, Pairing: "filekey"}}}
	const n = 5000
	for i := range n {
		m.Timeline = append(m.Timeline, model.Span{PID: uint32(1 + i%200), TID: uint32(i % 200), Category: "pipe",
			Name: "read", StartUS: float64(i) * 100, DurUS: 50})
	}
	m.Timeline = append(m.Timeline, model.Span{PID: 999, TID: 1, Category: "stuck", Name: "pipe-read late",
		StartUS: 999000, DurUS: 1000})
	long := strings.Repeat("verylongimagename", 6) + ".exe"
	m.Processes = []model.Process{{PID: 999, Image: long}}
	page := renderHTML(t, m, report.TableOptions{})
	checkXHTML(t, page)
	if !strings.Contains(page, "…<title>999 ("+long+") tid 1</title>") {
		t.Error("a long thread label is not shortened with its full text as tooltip")
	}
	rects := strings.Count(page, `<rect class="c-`)
	if rects == 0 || rects > 2000 {
		t.Errorf("%d rectangles drawn, want 1..2000", rects)
	}
	if !strings.Contains(page, `<rect class="c-stuck"`) {
		t.Error("the stuck span was not drawn")
	}
	if !strings.Contains(page, fmt.Sprintf("%d of %d spans not drawn", n+1-rects, n+1)) {
		t.Errorf("page does not say how many spans were omitted")
	}
	if !strings.Contains(page, "threads left out") || !strings.Contains(page, "7 spans were left out of the model") {
		t.Error("page does not name the threads and model spans left out")
	}
	if rows := strings.Count(page, `<text x="4"`); rows > 80 {
		t.Errorf("%d thread rows, want <= 80", rows)
	}
}

func BenchmarkHTML(b *testing.B) {
	m := timelineModel(b, "mixed", 1)
	var out bytes.Buffer
	if err := report.HTML(&out, m, report.TableOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := report.HTML(io.Discard, m, report.TableOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// mergedWindow is "start .. end" of the first merged loss window: the
// windows that overlap the earliest one, joined.
func mergedWindow(ws []model.Window) string {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b model.Window) int { return cmp.Compare(a.Start, b.Start) })
	start, end := ws[0].Start, ws[0].End
	for _, w := range ws[1:] {
		if w.Start <= end {
			end = max(end, w.End)
		}
	}
	return start.String() + " .. " + end.String()
}
