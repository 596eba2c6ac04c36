package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/model"
)

// HTML limits: the timeline draws at most htmlMaxSpans spans on at most
// htmlMaxRows thread rows; the page says how many were left out.
const (
	htmlMaxSpans = 2000
	htmlMaxRows  = 80
)

// HTML writes the report as one self-contained XHTML-compatible page: inline
// CSS, no external resources, and a small optional script that sorts table
// columns (the page reads the same without it). It formats the same view
// as Table (NewView), with every column and the details as second lines:
// trace summary and loss, then the sections in the table's order, a
// timeline (when the model has one) before the processes, and warnings.
// Strings from the trace are escaped twice: control and bidirectional
// characters by the view (internal/termsafe), markup by html/template.
// opt.MaxRows limits each table as in Table; Width and Wide do not apply.
func HTML(w io.Writer, m *model.Model, opt TableOptions) error {
	v := buildHTMLView(m, NewView(m), opt)
	bw := bufio.NewWriter(w)
	if err := htmlPage.Execute(bw, v); err != nil {
		return err
	}
	return bw.Flush()
}

// htmlView is what the page template renders.
type htmlView struct {
	Title    string
	Files    []string
	Facts    []Fact
	Loss     *Loss
	HasIPC   bool
	NoIPC    string
	Hint     string
	Alerts   []hAlert
	Nav      []hNav
	Before   []*hTable // stuck
	Dead     *Section
	After    []*hTable // idle, pipes, ALPC, RPC, sections, security
	Timeline *hTimeline
	Procs    *hTable
	Warnings []string
	WarnMore int
}

type hAlert struct{ Class, Text, Href string }

type hNav struct {
	ID, Title string
	Count     int
}

type hTable struct {
	ID, Title string
	Count     int
	Intro     string
	Head      []string
	Rows      []Row
	More      int
	Notes     []string
}

type hTimeline struct {
	Width, Height   int
	LabelW          int
	Rows            []hTLRow
	Ticks           []hTick
	Rects           []hRect
	Spans, Drawn    int
	NotDrawn        int
	Dropped         int64
	RowsLeft        int
	AxisY, PlotEndX int
}

type hTLRow struct {
	Label   string
	Short   string
	Y       int
	TextY   int
	Stripe  bool
	StripeW int
	StripeY int
	StripeH int
}

type hTick struct {
	X     string
	Label string
}

type hRect struct {
	X, Y, W string
	H       int
	Class   string
	Tip     string
}

// htmlBuilder lays out the timeline.
type htmlBuilder struct {
	m    *model.Model
	proc func(pid uint32) string
}

// hTableOf turns a view section into a page table: every column, numbers
// right-aligned, at most opt.MaxRows rows.
func hTableOf(s *Section, opt TableOptions) *hTable {
	t := &hTable{ID: s.ID, Title: s.Title, Count: s.Count, Intro: s.Intro, Notes: s.Notes}
	for _, c := range s.Cols {
		t.Head = append(t.Head, c.Head)
	}
	rows := s.Rows
	if opt.MaxRows > 0 && len(rows) > opt.MaxRows {
		t.More = len(rows) - opt.MaxRows
		rows = rows[:opt.MaxRows]
	}
	for _, r := range rows {
		cells := make([]Cell, len(r.Cells))
		for i, c := range r.Cells {
			if c.Class == "" && i < len(s.Cols) && s.Cols[i].Right {
				c.Class = "n"
			}
			cells[i] = c
		}
		t.Rows = append(t.Rows, Row{Class: r.Class, Cells: cells})
	}
	return t
}

func buildHTMLView(m *model.Model, view *View, opt TableOptions) *htmlView {
	v := &htmlView{Files: view.Files, Facts: view.Facts, Loss: view.Loss, HasIPC: view.HasIPC,
		NoIPC: view.Empty, Hint: view.Hint}
	v.Title = strings.Join(v.Files, ", ")
	if v.Title == "" {
		v.Title = "trace"
	}
	// Facts other than files and warnings (shown on their own).
	var facts []Fact
	for _, f := range v.Facts {
		if f.Name != "files" && f.Name != "warnings" {
			facts = append(facts, f)
		}
	}
	v.Facts = facts
	for _, s := range view.Warnings {
		if opt.MaxRows > 0 && len(v.Warnings) >= opt.MaxRows {
			v.WarnMore++
			continue
		}
		v.Warnings = append(v.Warnings, s)
	}
	if !v.HasIPC {
		return v
	}
	if n := view.Counts.Stuck; n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"bad", fmt.Sprintf("%d stuck operations", n), "#stuck"})
	}
	if n := view.Counts.Deadlocks; n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"bad", fmt.Sprintf("%d deadlocks", n), "#deadlocks"})
	}
	if n := exposedInUse(m); n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"warn", fmt.Sprintf("%d exposed objects carry traffic", n), "#security"})
	}
	for _, s := range view.Sections {
		switch s.ID {
		case "stuck":
			v.Before = append(v.Before, hTableOf(s, opt))
		case "deadlocks":
			v.Dead = s
		case "processes":
			v.Procs = hTableOf(s, opt)
		default:
			v.After = append(v.After, hTableOf(s, opt))
		}
	}
	names := map[uint32]string{}
	for _, p := range m.Processes {
		names[p.PID] = esc(p.Image)
	}
	hb := &htmlBuilder{m: m, proc: func(pid uint32) string {
		if n := names[pid]; n != "" {
			return fmt.Sprintf("%d (%s)", pid, n)
		}
		return strconv.FormatUint(uint64(pid), 10)
	}}
	v.Timeline = hb.timeline()

	for _, t := range v.Before {
		v.Nav = append(v.Nav, hNav{t.ID, t.Title, t.Count})
	}
	if v.Dead != nil {
		v.Nav = append(v.Nav, hNav{"deadlocks", "Deadlocks", v.Dead.Count})
	}
	for _, t := range v.After {
		v.Nav = append(v.Nav, hNav{t.ID, t.Title, t.Count})
	}
	if v.Timeline != nil {
		v.Nav = append(v.Nav, hNav{"timeline", "Timeline", v.Timeline.Spans})
	}
	if v.Procs != nil {
		v.Nav = append(v.Nav, hNav{v.Procs.ID, v.Procs.Title, v.Procs.Count})
	}
	if len(m.Warnings) > 0 {
		v.Nav = append(v.Nav, hNav{"warnings", "Warnings", len(m.Warnings)})
	}
	return v
}

// Timeline geometry (SVG user units = CSS pixels).
const (
	tlLabelW = 300
	tlPlotW  = 1000
	tlRowH   = 16
	tlTop    = 24
	// tlLabelRunes is the longest thread label that fits tlLabelW.
	tlLabelRunes = 46
)

// timeline lays out up to htmlMaxSpans spans, one row per (process,
// thread), stuck spans first so that they are never the ones left out.
func (b *htmlBuilder) timeline() *hTimeline {
	if len(b.m.Timeline) == 0 {
		return nil
	}
	type key struct{ pid, tid uint32 }
	spans := slices.Clone(b.m.Timeline)
	slices.SortStableFunc(spans, func(x, y model.Span) int {
		return cmp.Or(cmp.Compare(boolRank(x.Category != "stuck"), boolRank(y.Category != "stuck")),
			cmp.Compare(x.StartUS, y.StartUS), cmp.Compare(y.DurUS, x.DurUS),
			cmp.Compare(x.PID, y.PID), cmp.Compare(x.TID, y.TID))
	})
	total := b.m.Trace.DurationUS
	for _, s := range spans {
		total = max(total, s.StartUS+s.DurUS)
	}
	if total <= 0 {
		total = 1
	}

	tl := &hTimeline{Spans: len(spans), Dropped: b.m.TimelineDropped, LabelW: tlLabelW}
	// Rows: the threads of the drawn spans, by process then thread.
	rowOf := map[key]int{}
	var drawn []model.Span
	var keys []key
	for _, s := range spans {
		k := key{s.PID, s.TID}
		if _, ok := rowOf[k]; !ok {
			if len(keys) >= htmlMaxRows || len(drawn) >= htmlMaxSpans {
				continue
			}
			rowOf[k] = -1
			keys = append(keys, k)
		}
		if len(drawn) >= htmlMaxSpans {
			continue
		}
		drawn = append(drawn, s)
	}
	slices.SortFunc(keys, func(x, y key) int { return cmp.Or(cmp.Compare(x.pid, y.pid), cmp.Compare(x.tid, y.tid)) })
	for i, k := range keys {
		rowOf[k] = i
		y := tlTop + i*tlRowH
		label := fmt.Sprintf("%s tid %d", b.proc(k.pid), k.tid)
		short := label
		if r := []rune(label); len(r) > tlLabelRunes {
			short = string(r[:tlLabelRunes-1]) + "…"
		}
		tl.Rows = append(tl.Rows, hTLRow{
			Label: label, Short: short, Y: y, TextY: y + tlRowH - 4,
			Stripe: i%2 == 1, StripeW: tlLabelW + tlPlotW, StripeY: y, StripeH: tlRowH,
		})
	}
	allThreads := map[key]bool{}
	for _, s := range spans {
		allThreads[key{s.PID, s.TID}] = true
	}
	tl.RowsLeft = len(allThreads) - len(keys)
	tl.Drawn = len(drawn)
	tl.NotDrawn = len(spans) - len(drawn)
	tl.Width = tlLabelW + tlPlotW + 10
	tl.Height = tlTop + len(keys)*tlRowH + 4
	tl.AxisY = tlTop - 6
	tl.PlotEndX = tlLabelW + tlPlotW
	for i := 0; i <= 5; i++ {
		us := total * float64(i) / 5
		tl.Ticks = append(tl.Ticks, hTick{X: px(tlLabelW + tlPlotW*float64(i)/5), Label: "+" + dur(us)})
	}
	for _, s := range drawn {
		row := rowOf[key{s.PID, s.TID}]
		x := tlLabelW + tlPlotW*s.StartUS/total
		w := max(tlPlotW*s.DurUS/total, 1)
		class := "c-other"
		switch s.Category {
		case "pipe", "alpc", "rpc", "stuck":
			class = "c-" + s.Category
		}
		tl.Rects = append(tl.Rects, hRect{X: px(x), Y: px(float64(tlTop + row*tlRowH + 2)), W: px(w), H: tlRowH - 4,
			Class: class, Tip: fmt.Sprintf("%s — %s tid %d, +%s for %s", esc(s.Name), b.proc(s.PID), s.TID, dur(s.StartUS), dur(s.DurUS))})
	}
	return tl
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// px formats an SVG coordinate with one decimal.
func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// htmlPage is XHTML-compatible (every element closed, no named entities)
// so that an XML parser can check it. The script and style hold no "<" or
// "&" for the same reason.
var htmlPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>ipctrace report: {{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 1.5em 2em; color: #1d2430; background: #fff; }
h1 { font-size: 1.5em; margin: 0.8em 0 0.2em; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.4em; border-bottom: 2px solid #d8dee8; padding-bottom: 0.15em; }
h2 .count { color: #6a7385; font-weight: normal; }
code, .m { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: 0.92em; }
.files { color: #4a5365; margin: 0; }
nav { position: sticky; top: 0; background: #f4f6fa; border-bottom: 1px solid #d8dee8; padding: 0.4em 0.6em; margin: 0.6em -1.5em 0; z-index: 2; }
nav a { margin-right: 1.1em; color: #1f4fa3; text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; margin: 0.5em 0; }
dl.facts dt { color: #6a7385; }
dl.facts dd { margin: 0; }
.box { border-radius: 6px; padding: 0.6em 0.9em; margin: 0.6em 0; }
.box.ok { background: #eaf7ee; border: 1px solid #9fd5ae; }
.box.loss { background: #fdecea; border: 2px solid #d93025; }
.box.loss strong { color: #a50e0e; font-size: 1.1em; }
.box.empty { background: #f4f6fa; border: 1px solid #c7cedb; }
.box ul { margin: 0.3em 0 0; }
.alerts a { display: inline-block; margin: 0.2em 0.6em 0.2em 0; padding: 0.25em 0.7em; border-radius: 1em; font-weight: 600; text-decoration: none; }
.alerts a.bad { background: #d93025; color: #fff; }
.alerts a.warn { background: #f29900; color: #fff; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0; max-width: 100%; }
th, td { border: 1px solid #d8dee8; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eef1f6; cursor: pointer; }
td.m { overflow-wrap: anywhere; max-width: 22em; }
th[data-dir="asc"]::after { content: " \25B2"; }
th[data-dir="desc"]::after { content: " \25BC"; }
tbody tr:nth-child(even) { background: #f9fafc; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td small { color: #6a7385; }
tr.lossy td:first-child { border-left: 4px solid #f29900; }
tr.stuck td.bad, td.bad { color: #a50e0e; font-weight: 600; }
td.warn { color: #9a5b00; }
tr.hot { background: #fff4e5; }
.sev { font-weight: 600; text-align: center; }
.sev-critical { background: #8b0000; color: #fff; }
.sev-high { background: #d93025; color: #fff; }
.sev-medium { background: #f29900; color: #fff; }
.sev-low { background: #fbe8a6; }
.sev-info { background: #e3ecfa; }
.sev-none { background: #e6f4ea; color: #2d6a3e; }
.inf { color: #8a4baf; font-weight: 700; cursor: help; }
.foot { color: #5a6375; font-size: 0.88em; margin: 0.2em 0; }
.intro { color: #4a5365; margin: 0.2em 0 0.5em; }
ol.dead li { margin: 0.3em 0; }
ol.dead .who { font-weight: 600; }
ol.dead .arrow { color: #a50e0e; font-weight: 700; margin: 0 0.35em; }
svg.tl { background: #fff; border: 1px solid #d8dee8; }
svg.tl text { font: 11px system-ui, sans-serif; fill: #1d2430; }
svg.tl .stripe { fill: #f4f6fa; }
svg.tl .grid { stroke: #d8dee8; }
svg.tl .c-pipe { fill: #1f77b4; }
svg.tl .c-alpc { fill: #2ca02c; }
svg.tl .c-rpc { fill: #9467bd; }
svg.tl .c-stuck { fill: #d62728; }
svg.tl .c-other { fill: #7f7f7f; }
.legend span { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: middle; margin: 0 0.3em 0 0.9em; }
.legend .c-pipe { background: #1f77b4; } .legend .c-alpc { background: #2ca02c; }
.legend .c-rpc { background: #9467bd; } .legend .c-stuck { background: #d62728; }
ul.warnings li { font-family: ui-monospace, Consolas, monospace; font-size: 0.9em; }
footer { margin-top: 2em; color: #6a7385; font-size: 0.85em; border-top: 1px solid #d8dee8; padding-top: 0.5em; }
</style>
</head>
<body>
<h1>ipctrace report</h1>
<p class="files">{{range $i, $f := .Files}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}</p>
{{if .Nav}}<nav>{{range .Nav}}<a href="#{{.ID}}">{{.Title}} ({{.Count}})</a>{{end}}</nav>
{{end}}
<section id="trace">
<h2>Trace</h2>
<dl class="facts">{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}{{if .Warnings}}<dt>warnings</dt><dd><a href="#warnings">{{len .Warnings}}{{if .WarnMore}}+{{.WarnMore}}{{end}} reader/decoder problems</a></dd>{{end}}</dl>
{{with .Loss}}<div class="box loss"><strong>Loss: {{.Text}}</strong>
{{if .Windows}}<ul>{{range .Windows}}<li><code>{{.Start}} .. {{.End}}</code> {{.Reason}}</li>{{end}}</ul>{{end}}
{{if .Note}}<p class="foot">{{.Note}}</p>{{end}}</div>
{{else}}<div class="box ok">loss: no loss</div>
{{end}}{{if .Alerts}}<p class="alerts">{{range .Alerts}}<a class="{{.Class}}" href="{{.Href}}">{{.Text}}</a>{{end}}</p>
{{end}}</section>
{{if not .HasIPC}}<div class="box empty"><p>{{.NoIPC}}</p>{{if .Hint}}<p><code>{{.Hint}}</code></p>{{end}}</div>
{{end}}{{range .Before}}{{template "table" .}}{{end}}{{with .Dead}}<section id="deadlocks">
<h2>{{.Title}} <span class="count">({{.Count}})</span></h2>
<p class="intro">{{.Intro}}</p>
<ol class="dead">{{range .List}}<li>{{if .Label}}<strong>{{.Label}}:</strong> {{end}}{{range $i, $s := .Steps}}{{if $i}}<span class="arrow">→</span>{{end}}<span class="who">{{$s.Who}}</span>{{if $s.Object}} waits on <code>{{$s.Object}}</code>{{end}}{{end}}</li>
{{end}}</ol>
{{range .Notes}}<p class="foot">{{.}}</p>
{{end}}</section>
{{end}}{{range .After}}{{template "table" .}}{{end}}{{with .Timeline}}<section id="timeline">
<h2>Timeline <span class="count">({{.Spans}} spans)</span></h2>
<p class="legend">One row per thread; time from the trace start.<span class="c-pipe"></span>pipe<span class="c-alpc"></span>ALPC<span class="c-rpc"></span>RPC<span class="c-stuck"></span>stuck</p>
{{if or .NotDrawn .Dropped}}<p class="foot">{{if .NotDrawn}}{{.NotDrawn}} of {{.Spans}} spans not drawn (at most {{.Drawn}} spans on {{len .Rows}} thread rows{{if .RowsLeft}}; {{.RowsLeft}} threads left out{{end}}). {{end}}{{if .Dropped}}{{.Dropped}} spans were left out of the model by its span limit. {{end}}Use -o perfetto for every span.</p>
{{end}}<div class="scroll"><svg xmlns="http://www.w3.org/2000/svg" class="tl" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Rows}}{{if .Stripe}}<rect class="stripe" x="0" y="{{.StripeY}}" width="{{.StripeW}}" height="{{.StripeH}}"/>{{end}}<text x="4" y="{{.TextY}}">{{.Short}}<title>{{.Label}}</title></text>
{{end}}{{$tl := .}}{{range .Ticks}}<line class="grid" x1="{{.X}}" y1="{{$tl.AxisY}}" x2="{{.X}}" y2="{{$tl.Height}}"/><text x="{{.X}}" y="12" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Rects}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Tip}}</title></rect>
{{end}}</svg></div>
</section>
{{end}}{{with .Procs}}{{template "table" .}}{{end}}{{if .Warnings}}<section id="warnings">
<h2>Warnings <span class="count">({{len .Warnings}}{{if .WarnMore}}+{{.WarnMore}}{{end}})</span></h2>
<ul class="warnings">{{range .Warnings}}<li>{{.}}</li>
{{end}}</ul>{{if .WarnMore}}
<p class="foot">… {{.WarnMore}} more (use -o json for all)</p>{{end}}
</section>
{{end}}<footer><span class="inf">*</span> inferred (docs/rules.md P4–P9, A1–A7); ~ marks HdrHistogram percentiles (2 significant digits). Hover a value for details; click a column header to sort. Generated by ipctrace report.</footer>
<script>
(function () {
  function key(c) {
    var s = c.getAttribute('data-sort');
    if (s === null) s = c.textContent;
    var n = parseFloat(s.replace(/^[~+]/, ''));
    return isNaN(n) ? s.toLowerCase() : n;
  }
  document.querySelectorAll('table.sortable th').forEach(function (th) {
    th.addEventListener('click', function () {
      var body = th.closest('table').tBodies[0];
      var i = Array.prototype.indexOf.call(th.parentNode.children, th);
      var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
      th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[i]), y = key(b.cells[i]);
        if (typeof x !== typeof y) return (typeof x === 'number' ? -1 : 1) * dir;
        return (x > y ? 1 : y > x ? -1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
</script>
</body>
</html>
{{define "table"}}<section id="{{.ID}}">
<h2>{{.Title}} <span class="count">({{.Count}})</span></h2>
{{if .Intro}}<p class="intro">{{.Intro}}</p>
{{end}}<div class="scroll"><table class="sortable">
<thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr{{if .Class}} class="{{.Class}}"{{end}}>{{range .Cells}}<td{{if .Class}} class="{{.Class}}"{{end}}{{if .Sort}} data-sort="{{.Sort}}"{{end}}{{if .Tip}} title="{{.Tip}}"{{end}}>{{.Text}}{{if .Inf}}<span class="inf" title="inferred">*</span>{{end}}{{if .Sub}}<br/><small>{{.Sub}}</small>{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{if .More}}<p class="foot">… {{.More}} more rows (use -o json for all)</p>
{{end}}{{range .Notes}}<p class="foot">{{.}}</p>
{{end}}</section>
{{end}}`))
