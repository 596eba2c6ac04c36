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
	"unicode/utf8"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/internal/latency"
)

// HTML limits: the timeline draws at most htmlMaxSpans spans on at most
// htmlMaxRows thread rows; the page says how many were left out.
const (
	htmlMaxSpans = 2000
	htmlMaxRows  = 80
)

// Wording shared with the table report.
const (
	noIPCText = "No IPC events in this trace: no named-pipe, ALPC/RPC, shared-section or security-snapshot activity."
	footStuck = "* inferred peer: from pairing and message matching rules, EVENTS.md §3.5, §4.4"
)

// HTML writes the report as one self-contained XHTML-compatible page: inline
// CSS, no external resources, and a small optional script that sorts table
// columns (the page reads the same without it). Sections follow the table
// report: trace summary and loss, stuck operations and deadlocks, pipes,
// ALPC, RPC, sections, security, a timeline (when the model has one), the
// processes involved, and warnings. Every string from the trace is escaped
// by html/template; control and bidirectional-override characters are shown
// as \xNN / \uNNNN. opt.MaxRows limits each table as in Table.
func HTML(w io.Writer, m *model.Model, opt TableOptions) error {
	v := buildHTMLView(m, opt)
	bw := bufio.NewWriter(w)
	if err := htmlPage.Execute(bw, v); err != nil {
		return err
	}
	return bw.Flush()
}

// htmlView is what the page template renders; every string in it is
// already cleaned and formatted.
type htmlView struct {
	Title    string
	Files    []string
	Facts    []hFact
	Loss     bool
	LossText string
	Windows  []model.Window
	LostNote string
	HasIPC   bool
	NoIPC    string
	Hint     string
	Alerts   []hAlert
	Nav      []hNav
	Before   []*hTable // stuck
	Dead     []hCycle
	After    []*hTable // pipes, ALPC, RPC, sections, security
	Timeline *hTimeline
	Procs    *hTable
	Warnings []string
	WarnMore int
}

type hFact struct{ Name, Value string }

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
	Rows      []hRow
	More      int
	Foot      string
}

type hRow struct {
	Class string
	Cells []hCell
}

// hCell is one table cell: Text, an inferred marker, an optional second
// line, a fixed CSS class, a sort key and a tooltip.
type hCell struct {
	Text  string
	Inf   bool
	Sub   string
	Class string
	Sort  string
	Tip   string
}

type hCycle struct{ Steps []hStep }

type hStep struct{ Who, Object string }

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

// htmlBuilder turns the model into an htmlView.
type htmlBuilder struct {
	m     *model.Model
	opt   TableOptions
	names map[uint32]string
	start model.Time // trace start, zero when unparsable
	end   model.Time
}

func buildHTMLView(m *model.Model, opt TableOptions) *htmlView {
	b := &htmlBuilder{m: m, opt: opt, names: map[uint32]string{}}
	for _, p := range m.Processes {
		b.names[p.PID] = clean(p.Image)
	}
	b.start, b.end = m.Trace.Start, m.Trace.End

	v := &htmlView{HasIPC: HasIPC(m), NoIPC: noIPCText, Hint: RecordHint}
	tr := m.Trace
	for _, f := range tr.Files {
		v.Files = append(v.Files, clean(f))
	}
	v.Title = strings.Join(v.Files, ", ")
	if v.Title == "" {
		v.Title = "trace"
	}
	v.Facts = append(v.Facts, hFact{"time", fmt.Sprintf("%s .. %s (%s)", dash(tr.Start.String()), dash(tr.End.String()), dur(tr.DurationUS))})
	if v.HasIPC {
		v.Facts = append(v.Facts, hFact{"events", fmt.Sprintf("%d (%d IPC-related)", tr.Events, tr.IPCEvents)})
	} else {
		v.Facts = append(v.Facts, hFact{"events", strconv.FormatInt(tr.Events, 10)})
	}
	if tr.EventsLost != 0 || tr.BuffersLost != 0 || len(tr.LossyWindows) != 0 || tr.LostEventRecords != 0 {
		v.Loss = true
		v.LossText = fmt.Sprintf("%d events lost, %d buffers lost, %d LostEvent records, %d lossy windows",
			tr.EventsLost, tr.BuffersLost, tr.LostEventRecords, len(tr.LossyWindows))
		for _, w := range mergeWindows(tr.LossyWindows) {
			v.Windows = append(v.Windows, model.Window{Start: w.Start, End: w.End, Reason: clean(w.Reason)})
		}
		v.LostNote = `conversations overlapping a window are marked "lossy"`
	}
	for _, s := range m.Warnings {
		if b.opt.MaxRows > 0 && len(v.Warnings) >= b.opt.MaxRows {
			v.WarnMore++
			continue
		}
		v.Warnings = append(v.Warnings, clean(s))
	}
	if !v.HasIPC {
		return v
	}

	if n := len(m.Stuck); n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"bad", fmt.Sprintf("%d stuck operations", n), "#stuck"})
	}
	if n := len(m.Deadlocks); n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"bad", fmt.Sprintf("%d deadlocks", n), "#deadlocks"})
	}
	if n := b.exposedInUse(); n > 0 {
		v.Alerts = append(v.Alerts, hAlert{"warn", fmt.Sprintf("%d exposed objects carry traffic", n), "#security"})
	}

	if t := b.stuck(); t != nil {
		v.Before = append(v.Before, t)
	}
	for _, c := range m.Deadlocks {
		var hc hCycle
		for _, w := range c.Cycle {
			hc.Steps = append(hc.Steps, hStep{fmt.Sprintf("%s tid %d", b.proc(w.PID), w.TID), clean(w.Object)})
		}
		if len(c.Cycle) > 0 {
			hc.Steps = append(hc.Steps, hStep{Who: fmt.Sprintf("%s tid %d", b.proc(c.Cycle[0].PID), c.Cycle[0].TID)})
		}
		v.Dead = append(v.Dead, hc)
	}
	for _, t := range []*hTable{b.pipes(), b.alpc(), b.rpc(), b.sections(), b.security()} {
		if t != nil {
			v.After = append(v.After, t)
		}
	}
	v.Timeline = b.timeline()
	v.Procs = b.processes()

	for _, t := range v.Before {
		v.Nav = append(v.Nav, hNav{t.ID, t.Title, t.Count})
	}
	if len(v.Dead) > 0 {
		v.Nav = append(v.Nav, hNav{"deadlocks", "Deadlocks", len(v.Dead)})
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

// table finishes a section: applies MaxRows; nil when there are no rows.
func (b *htmlBuilder) table(id, title string, head []string, rows []hRow, foot string) *hTable {
	if len(rows) == 0 {
		return nil
	}
	t := &hTable{ID: id, Title: title, Count: len(rows), Head: head, Rows: rows, Foot: foot}
	if b.opt.MaxRows > 0 && len(rows) > b.opt.MaxRows {
		t.More = len(rows) - b.opt.MaxRows
		t.Rows = rows[:b.opt.MaxRows]
	}
	return t
}

// proc names a process: "1234 (svc.exe)".
func (b *htmlBuilder) proc(pid uint32) string {
	if pid == 0 {
		return "-"
	}
	if n := b.names[pid]; n != "" {
		return fmt.Sprintf("%d (%s)", pid, n)
	}
	return strconv.FormatUint(uint64(pid), 10)
}

func (b *htmlBuilder) procCell(pid, tid uint32, extra string) hCell {
	c := hCell{Text: b.proc(pid), Sort: strconv.FormatUint(uint64(pid), 10)}
	var sub []string
	if tid != 0 {
		sub = append(sub, "tid "+strconv.FormatUint(uint64(tid), 10))
	}
	if extra != "" {
		sub = append(sub, extra)
	}
	c.Sub = strings.Join(sub, " · ")
	return c
}

// offset formats an RFC 3339 time as an offset from the trace start
// ("+4.098 ms"), with the absolute time as tooltip and µs as sort key.
func (b *htmlBuilder) offset(t model.Time) hCell {
	if t.IsZero() {
		return hCell{Text: "-"}
	}
	if b.start.IsZero() {
		return hCell{Text: t.String()}
	}
	us := t.Sub(b.start).US()
	return hCell{Text: "+" + dur(us), Tip: t.String(), Sort: strconv.FormatFloat(us, 'f', 1, 64)}
}

// span formats first..last as offsets.
func (b *htmlBuilder) span(first, last model.Time) hCell {
	f, l := b.offset(first), b.offset(last)
	if first.IsZero() && last.IsZero() {
		return hCell{Text: "-"}
	}
	return hCell{Text: f.Text + " .. " + l.Text, Tip: first.String() + " .. " + last.String(), Sort: f.Sort}
}

func latCell(s latency.Summary, inferred bool) hCell {
	if s.Count == 0 {
		return hCell{Text: "-", Class: "n", Sort: "-1"}
	}
	approx := ""
	if s.Approx {
		approx = " (~: HdrHistogram, 2 significant digits)"
	}
	return hCell{Text: lat(s, ""), Inf: inferred, Class: "n", Sort: num(s.P50),
		Tip: fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s mean=%s µs%s",
			s.Count, num(s.P50), num(s.P90), num(s.P99), num(s.Max), num(s.Mean), approx)}
}

func intCell(n int64) hCell {
	return hCell{Text: strconv.FormatInt(n, 10), Class: "n"}
}

func flowCell(f model.Flow) hCell {
	return hCell{Text: flow(f), Class: "n", Sort: strconv.FormatInt(f.Bytes, 10),
		Tip: fmt.Sprintf("%d operations, %d bytes", f.Ops, f.Bytes)}
}

func (b *htmlBuilder) stuck() *hTable {
	var rows []hRow
	inferred := false
	for _, s := range b.m.Stuck {
		inferred = inferred || s.Inferred
		peer := hCell{Text: "-"}
		if s.PeerPID != 0 {
			peer = b.procCell(s.PeerPID, s.PeerTID, "")
			peer.Inf = s.Inferred
		}
		last := b.offset(s.PeerLastActivity)
		if t := s.PeerLastActivity; !t.IsZero() && !b.end.IsZero() {
			last.Sub = dur(b.end.Sub(t).US()) + " before the trace ends"
		}
		detail := clean(s.Detail)
		if s.MessageID != 0 {
			detail = strings.TrimPrefix(detail+"; message id "+strconv.FormatUint(uint64(s.MessageID), 10), "; ")
		}
		rows = append(rows, hRow{Class: "stuck", Cells: []hCell{
			{Text: clean(s.Kind), Class: "bad"},
			b.procCell(s.PID, s.TID, ""),
			{Text: clean(s.Object), Class: "m"},
			b.offset(s.Since),
			{Text: dur(s.WaitedUS), Class: "n", Sort: num(s.WaitedUS)},
			peer,
			last,
			{Text: dash(detail)},
		}})
	}
	foot := ""
	if inferred {
		foot = footStuck
	}
	t := b.table("stuck", "Stuck operations", []string{"Kind", "Waiter", "Waits on", "Since", "Waited", "Peer",
		"Peer last activity", "Detail"}, rows, foot)
	if t != nil {
		t.Intro = "Operations still waiting at the end of the trace (or longer than --stuck-after): who waits, on what, on whom, and since when."
	}
	return t
}

func (b *htmlBuilder) pipes() *hTable {
	var rows []hRow
	inferred := false
	for _, p := range b.m.Pipes {
		inf := p.Inferred && p.Pairing != "unpaired"
		inferred = inferred || inf
		pairing := hCell{Text: clean(p.Pairing), Inf: inf}
		if p.Confidence > 0 && p.Confidence < 1 {
			pairing.Sub = fmt.Sprintf("confidence %.0f%%", p.Confidence*100)
		}
		inst := hCell{Text: "-", Class: "n", Sort: "0"}
		if p.Instance > 0 {
			inst = hCell{Text: strconv.Itoa(p.Instance), Class: "n"}
		}
		srvExtra, cliExtra := "", ""
		if p.ServerRule != "" {
			srvExtra = "role: " + clean(p.ServerRule)
		}
		if p.ClientRule != "" {
			cliExtra = "role: " + clean(p.ClientRule)
		}
		server, client := b.procCell(p.ServerPID, p.ServerTID, srvExtra), b.procCell(p.ClientPID, p.ClientTID, cliExtra)
		if p.ServerImage != "" && b.names[p.ServerPID] == "" {
			server.Text += " (" + clean(p.ServerImage) + ")"
		}
		if p.ClientImage != "" && b.names[p.ClientPID] == "" {
			client.Text += " (" + clean(p.ClientImage) + ")"
		}
		read := latCell(p.Latency, inf)
		if p.QueueDelay.Count > 0 {
			read.Sub = "queued: " + lat(p.QueueDelay, "")
		}
		var notes []string
		class := ""
		if p.Impersonated {
			notes = append(notes, "impersonated")
		}
		if p.Lossy {
			notes = append(notes, "lossy")
			class = "lossy"
		}
		fail := hCell{Text: cleanFailures(p.Failures)}
		if len(p.Failures) > 0 {
			fail.Class = "warn"
		}
		rows = append(rows, hRow{Class: class, Cells: []hCell{
			{Text: clean(p.Name), Class: "m"}, inst, server, client, pairing,
			flowCell(p.ToServer), flowCell(p.ToClient), read, latCell(p.RoundTrip, inf),
			latCell(p.ConnectWait, inf), latCell(p.FlushDrain, inf), fail,
			{Text: strings.Join(notes, ", ")}, b.span(p.First, p.Last),
		}})
	}
	foot := ""
	if inferred {
		foot = footPipe
	}
	return b.table("pipes", "Named pipes", []string{"Pipe", "Inst", "Server", "Client", "Pairing", "To server ops / bytes",
		"To client ops / bytes", "Read latency µs p50/p99/max", "Round trip µs p50/p99/max", "Connect wait µs",
		"Flush drain µs", "Failures", "Notes", "First .. last"}, rows, foot)
}

func (b *htmlBuilder) alpc() *hTable {
	var rows []hRow
	inferred := false
	for _, a := range b.m.ALPC {
		inferred = inferred || a.Inferred
		class, notes := "", ""
		if a.Lossy {
			class, notes = "lossy", "lossy"
		}
		client, server := b.procCell(a.ClientPID, 0, ""), b.procCell(a.ServerPID, 0, "")
		if a.ClientImage != "" && b.names[a.ClientPID] == "" {
			client.Text += " (" + clean(a.ClientImage) + ")"
		}
		if a.ServerImage != "" && b.names[a.ServerPID] == "" {
			server.Text += " (" + clean(a.ServerImage) + ")"
		}
		pending := intCell(a.Pending)
		if a.Pending > 0 {
			pending.Class = "n bad"
		}
		rows = append(rows, hRow{Class: class, Cells: []hCell{
			{Text: dash(clean(a.Port)), Class: "m"}, client, server, intCell(a.Calls), pending,
			latCell(a.Latency, a.Inferred), latCell(a.ServerTime, a.Inferred), intCell(int64(a.IdleWorkers)),
			{Text: notes}, b.span(a.First, a.Last),
		}})
	}
	foot := ""
	if inferred {
		foot = footALPC
	}
	return b.table("alpc", "ALPC", []string{"Port", "Client", "Server", "Calls", "Pending", "Call latency µs p50/p99/max",
		"Server time µs p50/p99/max", "Idle workers", "Notes", "First .. last"}, rows, foot)
}

func (b *htmlBuilder) rpc() *hTable {
	var rows []hRow
	for _, r := range b.m.RPC {
		failed := intCell(r.Failed)
		if r.Failed > 0 {
			failed.Class = "n warn"
		}
		rows = append(rows, hRow{Cells: []hCell{
			{Text: clean(r.Interface), Class: "m"}, intCell(int64(r.ProcNum)), {Text: dash(clean(r.Endpoint)), Class: "m"},
			{Text: dash(clean(r.Protocol))}, b.procCell(r.ClientPID, 0, ""), b.procCell(r.ServerPID, 0, ""),
			intCell(r.Calls), failed, latCell(r.Latency, false), latCell(r.ServerTime, false),
		}})
	}
	return b.table("rpc", "RPC methods", []string{"Interface", "Proc", "Endpoint", "Protocol", "Client", "Server",
		"Calls", "Failed", "Latency µs p50/p99/max", "Server time µs p50/p99/max"}, rows, "")
}

func (b *htmlBuilder) sections() *hTable {
	var rows []hRow
	for _, s := range b.m.Sections {
		pids := make([]string, len(s.PIDs))
		for i, p := range s.PIDs {
			pids[i] = b.proc(p)
		}
		rows = append(rows, hRow{Cells: []hCell{
			{Text: clean(s.Key), Class: "m"}, {Text: dash(clean(s.Name)), Class: "m"}, {Text: dash(clean(s.Kind))},
			{Text: strings.Join(pids, ", ")}, intCell(s.Views),
			{Text: bytesStr(int64(min(s.Bytes, 1<<62))), Class: "n", Sort: strconv.FormatUint(s.Bytes, 10),
				Tip: strconv.FormatUint(s.Bytes, 10) + " bytes"},
			{Text: dur(s.OverlapUS), Class: "n", Sort: num(s.OverlapUS)}, intCell(s.Open), b.span(s.First, s.Last),
		}})
	}
	return b.table("sections", "Shared sections", []string{"Key", "Name", "Kind", "Processes", "Views", "View bytes",
		"Overlap", "Open views", "First .. last"}, rows, "")
}

// sevRank orders severities for sorting; sevClass maps them to CSS classes.
var sevRank = map[string]int{"none": 0, "info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

func sevClass(s string) string {
	if _, ok := sevRank[s]; ok {
		return "sev sev-" + s
	}
	return "sev"
}

// exposedInUse counts objects with a medium or worse verdict that the
// trace shows in use (exposure joined with traffic, USERS.md §2.4).
func (b *htmlBuilder) exposedInUse() int {
	n := 0
	for _, e := range b.m.Security {
		if sevRank[e.Severity] >= sevRank["medium"] && e.Ops > 0 {
			n++
		}
	}
	return n
}

func (b *htmlBuilder) security() *hTable {
	var rows []hRow
	for _, e := range b.m.Security {
		owner := hCell{Text: dash(clean(e.Owner)), Class: "m"}
		if e.OwnerName != "" {
			owner = hCell{Text: clean(e.OwnerName), Sub: clean(e.Owner)}
		}
		if e.OwnerPID != 0 {
			owner.Sub = strings.TrimPrefix(owner.Sub+" · process "+b.proc(e.OwnerPID), " · ")
		}
		sev := hCell{Text: dash(clean(e.Severity)), Class: sevClass(e.Severity), Sort: strconv.Itoa(sevRank[e.Severity])}
		ops := intCell(e.Ops)
		class := ""
		if sevRank[e.Severity] >= sevRank["medium"] && e.Ops > 0 {
			class, ops.Sub = "hot", "exposed and in use"
		}
		sddl := hCell{Text: dash(clean(e.SDDL)), Class: "m"}
		if e.Error != "" {
			sddl = hCell{Text: "error: " + clean(e.Error), Class: "warn"}
		}
		exposure := make([]string, len(e.Exposure))
		for i, x := range e.Exposure {
			exposure[i] = clean(x)
		}
		rows = append(rows, hRow{Class: class, Cells: []hCell{
			{Text: clean(e.Object), Class: "m"}, {Text: clean(e.Type)}, owner, sev,
			{Text: dash(strings.Join(exposure, ", ")), Sub: clean(e.Summary)}, ops, sddl,
		}})
	}
	t := b.table("security", "Security and exposure", []string{"Object", "Type", "Owner", "Severity", "Exposure",
		"Ops", "SDDL"}, rows, "")
	if t != nil {
		t.Intro = "Security descriptors captured by record --security, with who may connect, read or write, joined with the operations this trace saw on each object."
	}
	return t
}

// processes lists the processes that the sections above name.
func (b *htmlBuilder) processes() *hTable {
	used := map[uint32]bool{}
	for _, p := range b.m.Pipes {
		used[p.ServerPID], used[p.ClientPID] = true, true
	}
	for _, a := range b.m.ALPC {
		used[a.ServerPID], used[a.ClientPID] = true, true
	}
	for _, r := range b.m.RPC {
		used[r.ServerPID], used[r.ClientPID] = true, true
	}
	for _, s := range b.m.Sections {
		for _, p := range s.PIDs {
			used[p] = true
		}
	}
	for _, s := range b.m.Stuck {
		used[s.PID], used[s.PeerPID] = true, true
	}
	for _, e := range b.m.Security {
		used[e.OwnerPID] = true
	}
	var rows []hRow
	for _, p := range b.m.Processes {
		if !used[p.PID] {
			continue
		}
		parent := hCell{Text: "-", Class: "n", Sort: "0"}
		if p.ParentPID != 0 {
			parent = intCell(int64(p.ParentPID))
		}
		rows = append(rows, hRow{Cells: []hCell{intCell(int64(p.PID)), parent, {Text: dash(clean(p.Image))},
			{Text: dash(clean(p.User)), Class: "m"}, {Text: dash(clean(p.CommandLine)), Class: "m"}}})
	}
	return b.table("processes", "Processes", []string{"PID", "Parent", "Image", "User", "Command line"}, rows, "")
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
			Class: class, Tip: fmt.Sprintf("%s — %s tid %d, +%s for %s", clean(s.Name), b.proc(s.PID), s.TID, dur(s.StartUS), dur(s.DurUS))})
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

func cleanFailures(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[clean(k)] += v
	}
	return failures(c)
}

// clean makes a string from a trace safe to show: invalid UTF-8 becomes
// U+FFFD, control characters become \xNN and characters that XML forbids
// or that reorder text (bidirectional overrides) become \uNNNN, so that a
// hostile name can neither break the document nor disguise itself.
// html/template escapes markup after that.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if needsEscape(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			sb.WriteRune(utf8.RuneError)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			fmt.Fprintf(&sb, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func needsEscape(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	case r == 0xfffe || r == 0xffff:
		return true
	}
	return false
}

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
table { border-collapse: collapse; font-size: 0.9em; margin: 0.3em 0; }
th, td { border: 1px solid #d8dee8; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eef1f6; cursor: pointer; white-space: nowrap; }
th[data-dir="asc"]::after { content: " \25B2"; }
th[data-dir="desc"]::after { content: " \25BC"; }
tbody tr:nth-child(even) { background: #f9fafc; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
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
{{if .Loss}}<div class="box loss"><strong>Loss: {{.LossText}}</strong>
{{if .Windows}}<ul>{{range .Windows}}<li><code>{{.Start}} .. {{.End}}</code> {{.Reason}}</li>{{end}}</ul>{{end}}
<p class="foot">{{.LostNote}}</p></div>
{{else}}<div class="box ok">loss: no loss</div>
{{end}}{{if .Alerts}}<p class="alerts">{{range .Alerts}}<a class="{{.Class}}" href="{{.Href}}">{{.Text}}</a>{{end}}</p>
{{end}}</section>
{{if not .HasIPC}}<div class="box empty"><p>{{.NoIPC}}</p><p><code>{{.Hint}}</code></p></div>
{{end}}{{range .Before}}{{template "table" .}}{{end}}{{if .Dead}}<section id="deadlocks">
<h2>Deadlocks <span class="count">({{len .Dead}})</span></h2>
<p class="intro">Each thread waits on the object served by the next one.</p>
<ol class="dead">{{range .Dead}}<li>{{range $i, $s := .Steps}}{{if $i}}<span class="arrow">→</span>{{end}}<span class="who">{{$s.Who}}</span>{{if $s.Object}} waits on <code>{{$s.Object}}</code>{{end}}{{end}}</li>
{{end}}</ol>
</section>
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
{{end}}<footer><span class="inf">*</span> inferred (EVENTS.md §3.5–3.6, §4); ~ marks HdrHistogram percentiles (2 significant digits). Hover a value for details; click a column header to sort. Generated by ipctrace report.</footer>
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
{{end}}{{if .Foot}}<p class="foot">{{.Foot}}</p>
{{end}}</section>
{{end}}`))
