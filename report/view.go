package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/internal/texttable"
	"github.com/ipctrace/ipctrace/model"
)

// View is the one presentation of a model that the table and HTML
// renderers format, and whose counts JSON and JSON Lines carry: sections,
// rows and cells are built once here (the process set, merged loss
// windows, escaped strings, units), so that every format shows the same
// numbers. Every string taken from the trace is escaped with
// termsafe.String.
type View struct {
	Files []string
	Facts []Fact
	// Loss is nil when the trace reports no loss.
	Loss   *Loss
	HasIPC bool
	// Empty says why there is nothing to show when HasIPC is false, and
	// Hint what to do about it.
	Empty, Hint string
	Sections    []*Section
	Warnings    []string
	Counts      Counts
}

// Fact is one line of the trace summary.
type Fact struct{ Name, Value string }

// Loss is the loss summary: the counters in words, the merged windows,
// and a note when conversations are marked lossy.
type Loss struct {
	Text    string
	Windows []model.Window
	Note    string
}

// Section is one titled part of the report: a table (Cols and Rows) or,
// for deadlocks, a list of cycles.
type Section struct {
	ID, Title string
	// Count is the number in the title: the entities the section stands
	// for (for idle servers, operations; their rows group them by kind).
	Count int
	Intro string
	Cols  []texttable.Column
	Rows  []Row
	List  []Cycle
	// Notes are the footnotes that apply to the rows shown.
	Notes []string
}

// Row is one table row; Class marks it for HTML ("lossy", "stuck", "hot").
type Row struct {
	Class string
	Cells []Cell
}

// Cell is one value: Text (with Inf, an inferred-value marker) is what
// every format shows; Sub, Sort, Tip and Class are HTML details.
type Cell struct {
	Text  string
	Inf   bool
	Sub   string
	Sort  string
	Tip   string
	Class string
}

// Cycle is one deadlock in words.
type Cycle struct {
	Label string // "thread-level" or "probable (process-level)"
	Steps []Step
}

// Step is one waiter of a cycle; the last step repeats the first waiter.
type Step struct{ Who, Object string }

// Counts are the numbers every format agrees on (the test in
// report/counts_test.go checks them in each).
type Counts struct {
	Pipes, ALPC, RPC, Sections, Stuck, Idle, Deadlocks, Security int
	WindowMessages, PostedQueues, HungPumps, COM, Mailslots      int
	// Processes counts the processes shown: those the other sections name.
	Processes int
	// LossWindows counts the merged loss windows.
	LossWindows int
	IPCEvents   int64
}

// HasIPC reports whether the model holds any IPC result: a pipe, ALPC,
// RPC or section conversation, a stuck or idle operation, a deadlock or a
// security object. This is the one definition every format uses (JSON:
// trace.has_ipc). trace.ipc_events does not decide it: that counter
// includes every record outside the trace header, configuration, process,
// thread and image classes, IPC or not.
func HasIPC(m *model.Model) bool {
	return len(m.Pipes)+len(m.ALPC)+len(m.RPC)+len(m.Sections)+len(m.Stuck)+len(m.Idle)+
		len(m.Deadlocks)+len(m.Security)+len(m.WindowMessages)+len(m.PostedQueues)+len(m.HungPumps)+len(m.COM)+len(m.Mailslots) > 0
}

// Footnotes, printed under a section only when a row carries the mark.
const (
	footPipe   = "* inferred: pairing/latency from timing rules, docs/rules.md P4–P9"
	footALPC   = "* inferred: request/reply matching by message id and process pair, docs/rules.md A1–A7"
	footStuck  = "* inferred peer: from pairing and message matching rules, docs/rules.md P4–P6, A6"
	footApprox = "~ percentiles from a histogram (2 significant digits)"
)

// RecordHint tells how to get a trace with IPC events.
const RecordHint = "Record one on Windows, as administrator: ipctrace record -o trace.etl"

// pkey names a process: its PID namespace (0 when there is one) and PID.
type pkey struct {
	ns  int
	pid uint32
}

type builder struct {
	m       *model.Model
	multiNS bool
	names   map[pkey]string
	start   model.Time
	end     model.Time
	approx  bool
	shown   map[pkey]bool
}

// NewView builds the view of m.
func NewView(m *model.Model) *View {
	b := &builder{m: m, multiNS: len(m.Trace.Namespaces) > 1, names: map[pkey]string{},
		start: m.Trace.Start, end: m.Trace.End}
	for _, p := range m.Processes {
		b.names[b.key(p.NS, p.PID)] = esc(p.Image)
	}
	b.shown = shownProcesses(m, b.multiNS)

	v := &View{HasIPC: HasIPC(m), Hint: RecordHint}
	tr := m.Trace
	for _, f := range tr.Files {
		v.Files = append(v.Files, esc(f))
	}
	b.header(v)
	for _, s := range m.Warnings {
		v.Warnings = append(v.Warnings, esc(s))
	}
	if !v.HasIPC {
		if f := tr.Filter; f != nil {
			v.Empty = fmt.Sprintf("The filter left no IPC result (%d IPC events excluded). Without the filter the trace reports more; run again without it.", f.Excluded)
			v.Hint = ""
		} else {
			v.Empty = fmt.Sprintf("No IPC found in this trace: no named-pipe, ALPC/RPC, shared-section or security-snapshot result among its %d events.", tr.Events)
		}
	}
	for _, s := range []*Section{b.stuck(), b.hungPumps(), b.deadlocks(), b.idle(), b.pipes(), b.alpc(), b.rpc(),
		b.windowMessages(), b.postedQueues(), b.com(), b.mailslots(), b.sections(), b.security(), b.processes()} {
		if s != nil {
			pruneEmpty(s)
			v.Sections = append(v.Sections, s)
		}
	}
	if b.approx {
		// The histogram mark can appear in any latency column.
		for _, s := range v.Sections {
			for _, c := range s.Cols {
				if strings.Contains(c.Head, "µs") && sectionHasApprox(s) {
					s.Notes = append(s.Notes, footApprox)
					break
				}
			}
		}
	}
	v.Counts = Counts{Pipes: len(m.Pipes), ALPC: len(m.ALPC), RPC: len(m.RPC), Sections: len(m.Sections),
		Stuck: len(m.Stuck), Idle: len(m.Idle), Deadlocks: len(m.Deadlocks), Security: len(m.Security),
		Processes: len(b.shown), IPCEvents: tr.IPCEvents,
		WindowMessages: len(m.WindowMessages), PostedQueues: len(m.PostedQueues), HungPumps: len(m.HungPumps), COM: len(m.COM),
		Mailslots: len(m.Mailslots)}
	if v.Loss != nil {
		v.Counts.LossWindows = len(v.Loss.Windows)
	}
	return v
}

// tidText is " tid N", or "" when the thread is not known.
func tidText(tid uint32) string {
	if tid == 0 {
		return ""
	}
	return " tid " + strconv.FormatUint(uint64(tid), 10)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// pruneEmpty removes the optional columns in which no row has a value
// ("-" or empty everywhere), in every format alike.
func pruneEmpty(s *Section) {
	if s == nil || len(s.Rows) == 0 {
		return
	}
	keep := make([]bool, len(s.Cols))
	for i, c := range s.Cols {
		keep[i] = c.Priority == 0 && !c.Wide
	}
	for _, r := range s.Rows {
		for i, c := range r.Cells {
			if i < len(keep) && c.Text != "-" && c.Text != "" {
				keep[i] = true
			}
		}
	}
	var cols []texttable.Column
	for i, c := range s.Cols {
		if keep[i] {
			cols = append(cols, c)
		}
	}
	if len(cols) == len(s.Cols) {
		return
	}
	for k, r := range s.Rows {
		var cells []Cell
		for i, c := range r.Cells {
			if i < len(keep) && keep[i] {
				cells = append(cells, c)
			}
		}
		s.Rows[k].Cells = cells
	}
	s.Cols = cols
}

func sectionHasApprox(s *Section) bool {
	for _, r := range s.Rows {
		for _, c := range r.Cells {
			if strings.HasPrefix(c.Text, "~") {
				return true
			}
		}
	}
	return false
}

// shownProcesses is the process set: every process that a pipe, ALPC,
// RPC or section conversation, a stuck or idle operation, a deadlock or a
// security object names, and that the process table holds.
func shownProcesses(m *model.Model, multiNS bool) map[pkey]bool {
	key := func(ns int, pid uint32) pkey {
		if !multiNS {
			ns = 0
		}
		return pkey{ns, pid}
	}
	used := map[pkey]bool{}
	add := func(ns int, pids ...uint32) {
		for _, p := range pids {
			if p != 0 {
				used[key(ns, p)] = true
			}
		}
	}
	for _, p := range m.Pipes {
		add(p.NS, p.ServerPID, p.ClientPID)
	}
	for _, a := range m.ALPC {
		add(a.NS, a.ServerPID, a.ClientPID)
	}
	for _, r := range m.RPC {
		add(r.NS, r.ServerPID, r.ClientPID)
	}
	for _, s := range m.Sections {
		add(s.NS, s.PIDs...)
	}
	for _, s := range m.Stuck {
		add(s.NS, s.PID, s.PeerPID)
	}
	for _, s := range m.Idle {
		add(s.NS, s.PID)
	}
	for _, c := range m.Deadlocks {
		for _, w := range c.Cycle {
			add(w.NS, w.PID)
		}
	}
	for _, c := range m.WindowMessages {
		add(c.NS, c.SenderPID, c.ReceiverPID)
	}
	for _, q := range m.PostedQueues {
		add(q.NS, q.PID)
		add(q.NS, q.Posters...)
	}
	for _, h := range m.HungPumps {
		add(h.NS, h.PID)
	}
	for _, c := range m.COM {
		add(c.NS, c.CallerPID, c.TargetPID)
	}
	for _, ms := range m.Mailslots {
		add(ms.NS, ms.ReaderPID)
		for _, w := range ms.Writers {
			add(ms.NS, w.PID)
		}
	}
	ownerPIDs := map[uint32]bool{}
	for _, e := range m.Security {
		if e.OwnerPID != 0 {
			ownerPIDs[e.OwnerPID] = true
		}
	}
	shown := map[pkey]bool{}
	for _, p := range m.Processes {
		k := key(p.NS, p.PID)
		if used[k] || ownerPIDs[p.PID] { // security objects carry no namespace
			shown[k] = true
		}
	}
	return shown
}

// ProcessShown reports whether the view lists process p (JSON: the
// per-process "ipc" flag).
func processShown(shown map[pkey]bool, multiNS bool, p *model.Process) bool {
	ns := p.NS
	if !multiNS {
		ns = 0
	}
	return shown[pkey{ns, p.PID}]
}

func esc(s string) string { return termsafe.String(s) }

func (b *builder) key(ns int, pid uint32) pkey {
	if !b.multiNS {
		ns = 0
	}
	return pkey{ns, pid}
}

// proc names a process: "1234 (svc.exe)", with its namespace ("ns2:1234")
// when the input spans several.
func (b *builder) proc(ns int, pid uint32) string {
	if pid == 0 {
		return "-"
	}
	id := strconv.FormatUint(uint64(pid), 10)
	if b.multiNS {
		id = "ns" + strconv.Itoa(ns) + ":" + id
	}
	if n := b.names[b.key(ns, pid)]; n != "" {
		return id + " (" + n + ")"
	}
	return id
}

func (b *builder) procCell(ns int, pid, tid uint32, image, extra string) Cell {
	c := Cell{Text: b.proc(ns, pid), Sort: strconv.FormatUint(uint64(pid), 10)}
	if image != "" && pid != 0 && b.names[b.key(ns, pid)] == "" {
		c.Text += " (" + esc(image) + ")"
	}
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

// offset formats a time as an offset from the trace start ("+4.098 ms"),
// with the absolute time as tooltip.
func (b *builder) offset(t model.Time) Cell {
	if t.IsZero() {
		return Cell{Text: "-"}
	}
	if b.start.IsZero() {
		return Cell{Text: t.String()}
	}
	us := t.Sub(b.start).US()
	return Cell{Text: "+" + dur(us), Tip: t.String(), Sort: strconv.FormatFloat(us, 'f', 1, 64), Class: "n"}
}

func (b *builder) span(first, last model.Time) Cell {
	if first.IsZero() && last.IsZero() {
		return Cell{Text: "-"}
	}
	f, l := b.offset(first), b.offset(last)
	return Cell{Text: f.Text + " .. " + l.Text, Tip: first.String() + " .. " + last.String(), Sort: f.Sort}
}

func (b *builder) latCell(s latency.Summary, inferred bool) Cell {
	if s.Count == 0 {
		return Cell{Text: "-", Class: "n", Sort: "-1"}
	}
	if s.Approx {
		b.approx = true
	}
	return Cell{Text: lat(s), Inf: inferred, Class: "n", Sort: num(s.P50),
		Tip: fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s mean=%s µs",
			s.Count, num(s.P50), num(s.P90), num(s.P99), num(s.Max), num(s.Mean))}
}

func intCell(n int64) Cell { return Cell{Text: strconv.FormatInt(n, 10), Class: "n"} }

func flowCell(f model.Flow) Cell {
	return Cell{Text: flow(f), Class: "n", Sort: strconv.FormatInt(f.Bytes, 10),
		Tip: fmt.Sprintf("%d operations, %d bytes", f.Ops, f.Bytes)}
}

func text(s string) Cell { return Cell{Text: dash(esc(s))} }

func mono(s string) Cell { return Cell{Text: dash(esc(s)), Class: "m"} }

func (b *builder) header(v *View) {
	tr := b.m.Trace
	if len(v.Files) > 0 {
		v.Facts = append(v.Facts, Fact{"files", strings.Join(v.Files, ", ")})
	}
	v.Facts = append(v.Facts, Fact{"time", fmt.Sprintf("%s .. %s (%s)", dash(tr.Start.String()), dash(tr.End.String()), dur(tr.DurationUS))})
	v.Facts = append(v.Facts, Fact{"events", fmt.Sprintf("%d read, %d outside the header, process, thread and image records", tr.Events, tr.IPCEvents)})
	if b.multiNS {
		for _, ns := range tr.Namespaces {
			files := make([]string, len(ns.Files))
			for i, f := range ns.Files {
				files[i] = esc(f)
			}
			v.Facts = append(v.Facts, Fact{"namespace", fmt.Sprintf("ns%d: %s (%s)", ns.ID, strings.Join(files, ", "), esc(ns.Reason))})
		}
	}
	if f := tr.Filter; f != nil {
		v.Facts = append(v.Facts, Fact{"filter", filterText(f)})
	}
	merged := mergeWindows(tr.LossyWindows)
	if tr.EventsLost != 0 || tr.BuffersLost != 0 || len(tr.LossyWindows) != 0 || tr.LostEventRecords != 0 {
		l := &Loss{Text: fmt.Sprintf("%d events lost, %d buffers lost, %d LostEvent records, %s",
			tr.EventsLost, tr.BuffersLost, tr.LostEventRecords, plural(len(merged), "loss window", "loss windows"))}
		if len(merged) != len(tr.LossyWindows) {
			l.Text += fmt.Sprintf(" (merged from %d flagged buffers)", len(tr.LossyWindows))
		}
		for _, w := range merged {
			l.Windows = append(l.Windows, model.Window{Start: w.Start, End: w.End, Reason: esc(w.Reason)})
		}
		if n := b.lossyCount(); n > 0 {
			l.Note = "1 conversation overlaps a loss window and is marked \"lossy\""
			if n > 1 {
				l.Note = strconv.Itoa(n) + " conversations overlap a loss window and are marked \"lossy\""
			}
		}
		v.Loss = l
	}
	if n := tr.KernelFileIgnored; n > 0 {
		v.Facts = append(v.Facts, Fact{"sources", fmt.Sprintf("%d Microsoft-Windows-Kernel-File I/O events ignored: the same operations came as kernel FileIo events", n)})
	}
	if n := len(b.m.Warnings); n > 0 {
		v.Facts = append(v.Facts, Fact{"warnings", fmt.Sprintf("%d (reader/decoder problems; see stderr or -o json)", n)})
	}
}

func (b *builder) lossyCount() int {
	n := 0
	for _, p := range b.m.Pipes {
		if p.Lossy {
			n++
		}
	}
	for _, a := range b.m.ALPC {
		if a.Lossy {
			n++
		}
	}
	return n
}

// filterText says which filter applies, in the flags' words.
func filterText(f *model.Filter) string {
	var parts []string
	if len(f.PIDs) > 0 {
		parts = append(parts, "--pid "+esc(strings.Join(f.PIDs, ",")))
	}
	if f.Process != "" {
		parts = append(parts, "--process "+esc(f.Process))
	}
	if f.Pipe != "" {
		parts = append(parts, "--pipe "+esc(f.Pipe))
	}
	if !f.Since.IsZero() {
		parts = append(parts, "--since "+f.Since.String())
	}
	if !f.Until.IsZero() {
		parts = append(parts, "--until "+f.Until.String())
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	return fmt.Sprintf("%s; %d IPC events excluded", strings.Join(parts, " "), f.Excluded)
}

func (b *builder) stuck() *Section {
	if len(b.m.Stuck) == 0 {
		return nil
	}
	s := &Section{ID: "stuck", Title: "Stuck operations", Count: len(b.m.Stuck),
		Intro: "Operations still waiting at the end of the trace (or longer than --stuck-after): who waits, on what, on whom, and since when.",
		Cols: []texttable.Column{
			{Head: "Kind"}, {Head: "Waiter", Shrink: 16}, {Head: "TID", Right: true}, {Head: "Waits on", Shrink: 16},
			{Head: "Since", Right: true, Priority: 3}, {Head: "Waited", Right: true},
			{Head: "Peer", Shrink: 14, Priority: 1}, {Head: "Peer TID", Right: true, Priority: 2},
			{Head: "Peer last seen", Right: true, Priority: 4},
			{Head: "Rule", Priority: 5}, {Head: "Detail", Shrink: 24, Priority: 6}, {Head: "Evidence", Wide: true},
		}}
	inferred := false
	for _, st := range b.m.Stuck {
		peer, peerTID := Cell{Text: "-"}, Cell{Text: "-"}
		if st.PeerPID != 0 {
			peer = b.procCell(st.NS, st.PeerPID, 0, "", "")
			peer.Inf = st.Inferred
			inferred = inferred || st.Inferred
		}
		if st.PeerTID != 0 {
			peerTID = intCell(int64(st.PeerTID))
		}
		last := b.offset(st.PeerLastActivity)
		if t := st.PeerLastActivity; !t.IsZero() && !b.end.IsZero() {
			last.Sub = dur(b.end.Sub(t).US()) + " before the trace ends"
		}
		detail := esc(st.Detail)
		if st.MessageID != 0 {
			detail = strings.TrimPrefix(detail+"; message id "+strconv.FormatUint(uint64(st.MessageID), 10), "; ")
		}
		s.Rows = append(s.Rows, Row{Class: "stuck", Cells: []Cell{
			{Text: esc(st.Kind), Class: "bad"}, b.procCell(st.NS, st.PID, 0, "", ""), intCell(int64(st.TID)),
			mono(st.Object), b.offset(st.Since),
			{Text: dur(st.WaitedUS), Class: "n", Sort: num(st.WaitedUS)}, peer, peerTID, last,
			text(st.Rule), {Text: dash(detail)}, text(st.Evidence),
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footStuck)
	}
	return s
}

func (b *builder) deadlocks() *Section {
	if len(b.m.Deadlocks) == 0 {
		return nil
	}
	s := &Section{ID: "deadlocks", Title: "Deadlocks", Count: len(b.m.Deadlocks),
		Intro: "Each thread waits on the object served by the next one. Process-level cycles are probable deadlocks: what the receiving thread waits on is not in the trace."}
	probable := 0
	for _, c := range b.m.Deadlocks {
		var cy Cycle
		switch {
		case c.Probable || c.Level == "process":
			cy.Label = "probable (process-level)"
			probable++
		case c.Level != "":
			cy.Label = esc(c.Level) + "-level"
		}
		for _, w := range c.Cycle {
			who := b.proc(w.NS, w.PID) + tidText(w.TID)
			obj := esc(w.Object)
			if w.WaitedUS > 0 {
				obj += " (" + dur(w.WaitedUS) + ")"
			}
			cy.Steps = append(cy.Steps, Step{who, obj})
		}
		if len(c.Cycle) > 0 {
			w := c.Cycle[0]
			cy.Steps = append(cy.Steps, Step{Who: b.proc(w.NS, w.PID) + tidText(w.TID)})
		}
		s.List = append(s.List, cy)
	}
	if probable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d of %d are probable: process-level cycles (docs/rules.md D2)", probable, len(b.m.Deadlocks)))
	}
	return s
}

// idle groups the idle operations by kind: servers waiting for work are
// normal, so the table counts them and JSON lists them.
func (b *builder) idle() *Section {
	if len(b.m.Idle) == 0 {
		return nil
	}
	s := &Section{ID: "idle", Title: "Idle servers", Count: len(b.m.Idle),
		Intro: "Operations open at the end that nobody waits on: servers waiting for their next client or request. Not stuck; -o json lists each.",
		Cols: []texttable.Column{{Head: "Kind"}, {Head: "Count", Right: true}, {Head: "Processes", Shrink: 24},
			{Head: "Longest wait", Right: true, Priority: 1}, {Head: "Rule", Priority: 2}}}
	type group struct {
		kind    string
		n       int
		procs   []string
		longest float64
		rules   []string
	}
	var groups []*group
	byKind := map[string]*group{}
	for _, it := range b.m.Idle {
		g := byKind[it.Kind]
		if g == nil {
			g = &group{kind: it.Kind}
			byKind[it.Kind] = g
			groups = append(groups, g)
		}
		g.n++
		p := b.proc(it.NS, it.PID)
		if it.Image != "" && b.names[b.key(it.NS, it.PID)] == "" {
			p += " (" + esc(it.Image) + ")"
		}
		if !slices.Contains(g.procs, p) {
			g.procs = append(g.procs, p)
		}
		g.longest = max(g.longest, it.WaitedUS)
		if r := esc(it.Rule); r != "" && !slices.Contains(g.rules, r) {
			g.rules = append(g.rules, r)
		}
	}
	slices.SortStableFunc(groups, func(x, y *group) int { return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.kind, y.kind)) })
	for _, g := range groups {
		s.Rows = append(s.Rows, Row{Cells: []Cell{
			{Text: esc(g.kind)}, intCell(int64(g.n)), {Text: strings.Join(g.procs, ", ")},
			{Text: dur(g.longest), Class: "n", Sort: num(g.longest)}, {Text: dash(strings.Join(g.rules, ", "))},
		}})
	}
	return s
}

// pipePrefix is left out of pipe names in the pipes table (its header
// says so); JSON keeps the full name.
const pipePrefix = `\\.\pipe\`

func (b *builder) pipes() *Section {
	if len(b.m.Pipes) == 0 {
		return nil
	}
	s := &Section{ID: "pipes", Title: "Named pipes", Count: len(b.m.Pipes), Cols: []texttable.Column{
		{Head: `Pipe (\\.\pipe\)`, Shrink: 16}, {Head: "Inst", Right: true, Priority: 6},
		{Head: "Server", Shrink: 16}, {Head: "Client", Shrink: 16},
		{Head: "Pairing", Priority: 5},
		{Head: "To server", Right: true, Priority: 3}, {Head: "To client", Right: true, Priority: 3},
		{Head: "Read µs p50/p99/max", Right: true, Priority: 1},
		{Head: "Round trip µs", Right: true, Priority: 7},
		{Head: "Connect wait µs", Right: true, Wide: true}, {Head: "Flush drain µs", Right: true, Wide: true},
		{Head: "Failures, notes", Shrink: 12, Priority: 2},
		{Head: "First .. last", Wide: true},
	}}
	inferred := false
	for _, p := range b.m.Pipes {
		inf := p.Inferred && p.Pairing != "unpaired"
		inferred = inferred || inf
		pairing := Cell{Text: esc(p.Pairing), Inf: inf}
		if p.Confidence > 0 && p.Confidence < 1 {
			pairing.Text += fmt.Sprintf(" %.0f%%", p.Confidence*100)
			pairing.Tip = "confidence: 1 / the number of instances that could have taken the client"
		}
		inst := Cell{Text: "-", Class: "n", Sort: "0"}
		if p.Instance > 0 {
			inst = intCell(int64(p.Instance))
		}
		srvExtra, cliExtra := "", ""
		if p.ServerRule != "" {
			srvExtra = "role: " + esc(p.ServerRule)
		}
		if p.ClientRule != "" {
			cliExtra = "role: " + esc(p.ClientRule)
		}
		read := b.latCell(p.Latency, inf)
		if p.QueueDelay.Count > 0 {
			read.Sub = "queued: " + lat(p.QueueDelay)
		}
		var notes []string
		class := ""
		fail := Cell{}
		if len(p.Failures) > 0 {
			notes = append(notes, failures(p.Failures))
			fail.Class = "warn"
		}
		if p.Impersonated {
			notes = append(notes, "impersonated")
		}
		if p.Lossy {
			notes = append(notes, "lossy")
			class = "lossy"
		}
		fail.Text = dash(strings.Join(notes, ", "))
		name := mono(strings.TrimPrefix(p.Name, pipePrefix))
		name.Tip = esc(p.Name)
		s.Rows = append(s.Rows, Row{Class: class, Cells: []Cell{
			name, inst,
			b.procCell(p.NS, p.ServerPID, p.ServerTID, p.ServerImage, srvExtra),
			b.procCell(p.NS, p.ClientPID, p.ClientTID, p.ClientImage, cliExtra),
			pairing, flowCell(p.ToServer), flowCell(p.ToClient), read, b.latCell(p.RoundTrip, inf),
			b.latCell(p.ConnectWait, inf), b.latCell(p.FlushDrain, inf), fail, b.span(p.First, p.Last),
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footPipe)
	}
	return s
}

func (b *builder) alpc() *Section {
	if len(b.m.ALPC) == 0 {
		return nil
	}
	s := &Section{ID: "alpc", Title: "ALPC", Count: len(b.m.ALPC), Cols: []texttable.Column{
		{Head: "Port", Shrink: 16}, {Head: "Client", Shrink: 14}, {Head: "Server", Shrink: 14},
		{Head: "Calls", Right: true}, {Head: "Pending", Right: true},
		{Head: "Call µs p50/p99/max", Right: true, Priority: 1},
		{Head: "Server µs p50/p99/max", Right: true, Priority: 4},
		{Head: "Idle workers", Right: true, Priority: 3}, {Head: "Notes", Priority: 2},
		{Head: "First .. last", Wide: true},
	}}
	inferred := false
	for _, a := range b.m.ALPC {
		inferred = inferred || a.Inferred
		class, notes := "", ""
		if a.Lossy {
			class, notes = "lossy", "lossy"
		}
		pending := intCell(a.Pending)
		if a.Pending > 0 {
			pending.Class = "n bad"
		}
		s.Rows = append(s.Rows, Row{Class: class, Cells: []Cell{
			mono(a.Port), b.procCell(a.NS, a.ClientPID, 0, a.ClientImage, ""), b.procCell(a.NS, a.ServerPID, 0, a.ServerImage, ""),
			intCell(a.Calls), pending, b.latCell(a.Latency, a.Inferred), b.latCell(a.ServerTime, a.Inferred),
			intCell(int64(a.IdleWorkers)), {Text: notes}, b.span(a.First, a.Last),
		}})
	}
	if inferred {
		s.Notes = append(s.Notes, footALPC)
	}
	return s
}

func (b *builder) rpc() *Section {
	if len(b.m.RPC) == 0 {
		return nil
	}
	s := &Section{ID: "rpc", Title: "RPC methods", Count: len(b.m.RPC), Cols: []texttable.Column{
		{Head: "Interface", Shrink: 13}, {Head: "Proc", Right: true}, {Head: "Endpoint", Shrink: 14, Priority: 2},
		{Head: "Protocol", Priority: 4}, {Head: "Client", Shrink: 14}, {Head: "Server", Shrink: 14},
		{Head: "Calls", Right: true}, {Head: "Failed", Right: true, Priority: 3},
		{Head: "Latency µs p50/p99/max", Right: true, Priority: 1},
		{Head: "Server µs p50/p99/max", Right: true, Priority: 5},
	}}
	for _, r := range b.m.RPC {
		failed := intCell(r.Failed)
		if r.Failed > 0 {
			failed.Class = "n warn"
		}
		iface, proc := mono(r.Interface), intCell(int64(r.ProcNum))
		if r.InterfaceName != "" {
			iface = Cell{Text: esc(r.InterfaceName), Tip: esc(r.Interface), Class: "m"}
		}
		if r.Method != "" {
			proc.Tip = esc(r.Method)
		}
		s.Rows = append(s.Rows, Row{Cells: []Cell{
			iface, proc, mono(r.Endpoint), text(r.Protocol),
			b.procCell(r.NS, r.ClientPID, 0, "", ""), b.procCell(r.NS, r.ServerPID, 0, "", ""),
			intCell(r.Calls), failed, b.latCell(r.Latency, false), b.latCell(r.ServerTime, false),
		}})
	}
	return s
}

func (b *builder) sections() *Section {
	if len(b.m.Sections) == 0 {
		return nil
	}
	s := &Section{ID: "sections", Title: "Shared sections", Count: len(b.m.Sections), Cols: []texttable.Column{
		{Head: "Key", Priority: 3}, {Head: "Name", Shrink: 20}, {Head: "Kind", Priority: 2},
		{Head: "Processes", Shrink: 20}, {Head: "Views", Right: true}, {Head: "View bytes", Right: true},
		{Head: "Overlap", Right: true, Priority: 1}, {Head: "Open views", Right: true, Priority: 4},
		{Head: "First .. last", Wide: true},
	}}
	for _, sec := range b.m.Sections {
		pids := make([]string, len(sec.PIDs))
		for i, p := range sec.PIDs {
			pids[i] = b.proc(sec.NS, p)
		}
		s.Rows = append(s.Rows, Row{Cells: []Cell{
			mono(sec.Key), mono(sec.Name), text(sec.Kind), {Text: dash(strings.Join(pids, ", "))}, intCell(sec.Views),
			{Text: bytesStr(sec.Bytes), Class: "n", Sort: strconv.FormatUint(sec.Bytes, 10),
				Tip: strconv.FormatUint(sec.Bytes, 10) + " bytes"},
			{Text: dur(sec.OverlapUS), Class: "n", Sort: num(sec.OverlapUS)}, intCell(sec.Open), b.span(sec.First, sec.Last),
		}})
	}
	return s
}

// sevRank orders severities for sorting and for "exposed and in use".
var sevRank = map[string]int{"none": 0, "info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

func sevClass(s string) string {
	if _, ok := sevRank[s]; ok {
		return "sev sev-" + s
	}
	return "sev"
}

// exposedInUse counts objects with a medium or worse verdict that the
// trace shows in use (exposure joined with traffic).
func exposedInUse(m *model.Model) int {
	n := 0
	for _, e := range m.Security {
		if sevRank[e.Severity] >= sevRank["medium"] && e.Ops > 0 {
			n++
		}
	}
	return n
}

// sidCell names a SID string the way the Security table names owners
// (secdesc.Name, as correlate fills Exposed.OwnerName): "Local System",
// or the SID itself when it has no well-known name; the SID is the tip.
func sidCell(sid string) Cell {
	if sid == "" {
		return Cell{Text: "-"}
	}
	if s, err := secdesc.ParseSID(sid, nil); err == nil {
		if n := secdesc.Name(s); n != "" {
			return Cell{Text: esc(n), Tip: esc(sid)}
		}
	}
	return Cell{Text: esc(sid), Class: "m"}
}

func (b *builder) security() *Section {
	if len(b.m.Security) == 0 {
		return nil
	}
	s := &Section{ID: "security", Title: "Security", Count: len(b.m.Security),
		Intro: "Security descriptors captured by record --security, with who may connect, read or write, joined with the operations this trace saw on each object.",
		Cols: []texttable.Column{
			{Head: "Object", Shrink: 20}, {Head: "Type"}, {Head: "Owner", Shrink: 14, Priority: 2},
			{Head: "Severity"}, {Head: "Exposure", Shrink: 20, Priority: 1}, {Head: "Ops", Right: true},
			{Head: "SDDL", Shrink: 20, Priority: 3}, {Head: "Owner SID", Wide: true}, {Head: "Summary", Wide: true},
		}}
	for _, e := range b.m.Security {
		owner := Cell{Text: dash(esc(e.Owner)), Class: "m"}
		if e.OwnerName != "" {
			owner = Cell{Text: esc(e.OwnerName), Tip: esc(e.Owner)}
		}
		if e.OwnerPID != 0 {
			owner.Sub = "process " + b.proc(0, e.OwnerPID)
		}
		sev := Cell{Text: dash(esc(e.Severity)), Class: sevClass(e.Severity), Sort: strconv.Itoa(sevRank[e.Severity])}
		ops := intCell(e.Ops)
		class := ""
		if sevRank[e.Severity] >= sevRank["medium"] && e.Ops > 0 {
			class, ops.Sub = "hot", "exposed and in use"
		}
		sddl := mono(e.SDDL)
		if e.Error != "" {
			sddl = Cell{Text: "error: " + esc(e.Error), Class: "warn"}
		}
		exposure := make([]string, len(e.Exposure))
		for i, x := range e.Exposure {
			exposure[i] = esc(x)
		}
		s.Rows = append(s.Rows, Row{Class: class, Cells: []Cell{
			mono(e.Object), text(e.Type), owner, sev, {Text: dash(strings.Join(exposure, ", "))}, ops, sddl,
			mono(e.Owner), text(e.Summary),
		}})
	}
	return s
}

func (b *builder) processes() *Section {
	if len(b.shown) == 0 {
		return nil
	}
	s := &Section{ID: "processes", Title: "Processes", Count: len(b.shown)}
	if b.multiNS {
		s.Cols = append(s.Cols, texttable.Column{Head: "NS", Right: true})
	}
	s.Cols = append(s.Cols, texttable.Column{Head: "PID", Right: true}, texttable.Column{Head: "Parent", Right: true, Priority: 3},
		texttable.Column{Head: "Image", Shrink: 14}, texttable.Column{Head: "User", Shrink: 14, Priority: 1},
		texttable.Column{Head: "Command line", Shrink: 20, Priority: 2}, texttable.Column{Head: "User SID", Wide: true})
	for i := range b.m.Processes {
		p := &b.m.Processes[i]
		if !b.shown[b.key(p.NS, p.PID)] {
			continue
		}
		parent := Cell{Text: "-", Class: "n", Sort: "0"}
		if p.ParentPID != 0 {
			parent = intCell(int64(p.ParentPID))
		}
		var cells []Cell
		if b.multiNS {
			cells = append(cells, intCell(int64(p.NS)))
		}
		cells = append(cells, intCell(int64(p.PID)), parent, text(p.Image), sidCell(p.User), mono(p.CommandLine), mono(p.User))
		s.Rows = append(s.Rows, Row{Cells: cells})
	}
	return s
}
