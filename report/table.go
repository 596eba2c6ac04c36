package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/model"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ipctrace/ipctrace/internal/latency"
)

// TableOptions tune the table report.
type TableOptions struct {
	// MaxRows limits the rows of each section (0: all); the number of rows
	// left out is printed below the section.
	MaxRows int
}

// Footnotes printed under tables holding inferred values.
const (
	footPipe = "* inferred: pairing/latency from timing rules, EVENTS.md §3.5–3.6"
	footALPC = "* inferred: request/reply matching by message id and process pair, EVENTS.md §4"
)

// RecordHint tells how to get a trace with IPC events.
const RecordHint = "Record one on Windows, as administrator: ipctrace record -o trace.etl"

// Table writes the human report: trace summary and loss first, then pipes,
// ALPC/RPC, sections, stuck operations and deadlocks, security, and the
// processes involved.
func Table(w io.Writer, m *model.Model, opt TableOptions) error {
	tr := &tabler{w: w, m: m, opt: opt, names: map[uint32]string{}}
	for _, p := range m.Processes {
		tr.names[p.PID] = p.Image
	}
	tr.summary()
	if !HasIPC(m) {
		tr.printf("\nNo IPC events in this trace: no named-pipe, ALPC/RPC, shared-section or security-snapshot activity.\n%s\n", RecordHint)
		return tr.err
	}
	tr.pipes()
	tr.alpc()
	tr.rpc()
	tr.sections()
	tr.stuck()
	tr.security()
	tr.processes()
	return tr.err
}

// processes lists the processes that appear in the sections above.
func (t *tabler) processes() {
	used := map[uint32]bool{}
	for _, p := range t.m.Pipes {
		used[p.ServerPID], used[p.ClientPID] = true, true
	}
	for _, a := range t.m.ALPC {
		used[a.ServerPID], used[a.ClientPID] = true, true
	}
	for _, r := range t.m.RPC {
		used[r.ServerPID], used[r.ClientPID] = true, true
	}
	for _, s := range t.m.Sections {
		for _, p := range s.PIDs {
			used[p] = true
		}
	}
	for _, s := range t.m.Stuck {
		used[s.PID], used[s.PeerPID] = true, true
	}
	var rows [][]string
	for _, p := range t.m.Processes {
		if !used[p.PID] {
			continue
		}
		parent := "-"
		if p.ParentPID != 0 {
			parent = strconv.FormatUint(uint64(p.ParentPID), 10)
		}
		rows = append(rows, []string{strconv.FormatUint(uint64(p.PID), 10), parent, dash(p.Image), dash(p.User), dash(p.CommandLine)})
	}
	t.table("Processes", []string{"PID", "Parent", "Image", "User", "Command line"}, rows, "")
}

// HasIPC reports whether the model holds any IPC result.
func HasIPC(m *model.Model) bool {
	return len(m.Pipes)+len(m.ALPC)+len(m.RPC)+len(m.Sections)+len(m.Stuck)+len(m.Deadlocks)+len(m.Security) > 0
}

type tabler struct {
	w     io.Writer
	m     *model.Model
	opt   TableOptions
	names map[uint32]string
	err   error
}

func (t *tabler) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// table renders one section with an ASCII border (stable for golden files).
func (t *tabler) table(title string, header []string, rows [][]string, foot string) {
	if len(rows) == 0 {
		return
	}
	t.printf("\n%s (%d)\n", title, len(rows))
	if t.err != nil {
		return
	}
	left := 0
	if t.opt.MaxRows > 0 && len(rows) > t.opt.MaxRows {
		left = len(rows) - t.opt.MaxRows
		rows = rows[:t.opt.MaxRows]
	}
	tb := tablewriter.NewTable(t.w,
		tablewriter.WithRendition(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	tb.Header(hdr...)
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = c
		}
		if err := tb.Append(cells...); err != nil {
			t.err = err
			return
		}
	}
	if err := tb.Render(); err != nil {
		t.err = err
		return
	}
	if left > 0 {
		t.printf("… %d more rows (use -o json for all)\n", left)
	}
	if foot != "" {
		t.printf("%s\n", foot)
	}
}

// proc names a process: "1234 (svc.exe)".
func (t *tabler) proc(pid uint32) string {
	if pid == 0 {
		return "-"
	}
	if n := t.names[pid]; n != "" {
		return fmt.Sprintf("%d (%s)", pid, n)
	}
	return strconv.FormatUint(uint64(pid), 10)
}

func (t *tabler) summary() {
	tr := t.m.Trace
	t.printf("Trace\n")
	if len(tr.Files) > 0 {
		t.printf("  files:     %s\n", strings.Join(tr.Files, ", "))
	}
	t.printf("  time:      %s .. %s (%s)\n", dash(tr.Start.String()), dash(tr.End.String()), dur(tr.DurationUS))
	if HasIPC(t.m) {
		t.printf("  events:    %d (%d IPC-related)\n", tr.Events, tr.IPCEvents)
	} else {
		t.printf("  events:    %d\n", tr.Events)
	}
	if tr.EventsLost == 0 && tr.BuffersLost == 0 && len(tr.LossyWindows) == 0 && tr.LostEventRecords == 0 {
		t.printf("  loss:      no loss\n")
	} else {
		t.printf("  loss:      %d events lost, %d buffers lost, %d LostEvent records, %d lossy windows\n",
			tr.EventsLost, tr.BuffersLost, tr.LostEventRecords, len(tr.LossyWindows))
		for _, w := range mergeWindows(tr.LossyWindows) {
			t.printf("             %s .. %s  %s\n", w.Start, w.End, w.Reason)
		}
		t.printf("             conversations overlapping a window are marked \"lossy\"\n")
	}
	if n := tr.KernelFileIgnored; n > 0 {
		t.printf("  sources:   %d Microsoft-Windows-Kernel-File I/O events ignored: the same operations came as kernel FileIo events\n", n)
	}
	if n := len(t.m.Warnings); n > 0 {
		t.printf("  warnings:  %d (reader/decoder problems; see stderr or -o json)\n", n)
	}
}

func (t *tabler) pipes() {
	var rows [][]string
	inferred := false
	for _, p := range t.m.Pipes {
		star := ""
		if p.Inferred && p.Pairing != "unpaired" {
			star, inferred = "*", true
		}
		pairing := p.Pairing + star
		if p.Confidence > 0 && p.Confidence < 1 {
			pairing += fmt.Sprintf(" (%.0f%%)", p.Confidence*100)
		}
		inst := "-"
		if p.Instance > 0 {
			inst = strconv.Itoa(p.Instance)
		}
		var notes []string
		if p.Impersonated {
			notes = append(notes, "impersonated")
		}
		if p.Lossy {
			notes = append(notes, "lossy")
		}
		rows = append(rows, []string{p.Name, inst, t.proc(p.ServerPID), t.proc(p.ClientPID), pairing,
			flow(p.ToServer), flow(p.ToClient), lat(p.Latency, star), lat(p.RoundTrip, star),
			failures(p.Failures), strings.Join(notes, ",")})
	}
	foot := ""
	if inferred {
		foot = footPipe
	}
	t.table("Named pipes", []string{"Pipe", "Inst", "Server", "Client", "Pairing", "To server ops/bytes",
		"To client ops/bytes", "Read latency µs p50/p99/max", "Round trip µs p50/max", "Failures", "Notes"}, rows, foot)
}

func (t *tabler) alpc() {
	var rows [][]string
	inferred := false
	for _, a := range t.m.ALPC {
		star := ""
		if a.Inferred {
			star, inferred = "*", true
		}
		notes := ""
		if a.Lossy {
			notes = "lossy"
		}
		rows = append(rows, []string{dash(a.Port), t.proc(a.ClientPID), t.proc(a.ServerPID),
			strconv.FormatInt(a.Calls, 10), strconv.FormatInt(a.Pending, 10), lat(a.Latency, star),
			lat(a.ServerTime, star), strconv.Itoa(a.IdleWorkers), notes})
	}
	foot := ""
	if inferred {
		foot = footALPC
	}
	t.table("ALPC", []string{"Port", "Client", "Server", "Calls", "Pending", "Call latency µs p50/p99/max",
		"Server time µs p50/p99/max", "Idle workers", "Notes"}, rows, foot)
}

func (t *tabler) rpc() {
	var rows [][]string
	for _, r := range t.m.RPC {
		rows = append(rows, []string{r.Interface, strconv.FormatUint(uint64(r.ProcNum), 10), dash(r.Endpoint),
			r.Protocol, t.proc(r.ClientPID), t.proc(r.ServerPID), strconv.FormatInt(r.Calls, 10),
			strconv.FormatInt(r.Failed, 10), lat(r.Latency, "")})
	}
	t.table("RPC methods", []string{"Interface", "Proc", "Endpoint", "Protocol", "Client", "Server", "Calls",
		"Failed", "Latency µs p50/p99/max"}, rows, "")
}

func (t *tabler) sections() {
	var rows [][]string
	for _, s := range t.m.Sections {
		pids := make([]string, len(s.PIDs))
		for i, p := range s.PIDs {
			pids[i] = t.proc(p)
		}
		rows = append(rows, []string{s.Key, dash(s.Name), dash(s.Kind), strings.Join(pids, ", "),
			strconv.FormatInt(s.Views, 10), strconv.FormatUint(s.Bytes, 10), dur(s.OverlapUS)})
	}
	t.table("Shared sections", []string{"Key", "Name", "Kind", "Processes", "Views", "View bytes", "Overlap"}, rows, "")
}

func (t *tabler) stuck() {
	var rows [][]string
	inferred := false
	for _, s := range t.m.Stuck {
		star := ""
		if s.Inferred {
			star, inferred = "*", true
		}
		peer := "-"
		if s.PeerPID != 0 {
			peer = t.proc(s.PeerPID)
			if s.PeerTID != 0 {
				peer += fmt.Sprintf(" tid %d", s.PeerTID)
			}
			peer += star
		}
		rows = append(rows, []string{s.Kind, fmt.Sprintf("%s tid %d", t.proc(s.PID), s.TID), s.Object, s.Since.String(),
			dur(s.WaitedUS), peer, dash(s.PeerLastActivity.String()), s.Detail})
	}
	foot := ""
	if inferred {
		foot = "* inferred peer: from pairing and message matching rules, EVENTS.md §3.5, §4.4"
	}
	t.table("Stuck operations", []string{"Kind", "Waiter", "Waits on", "Since", "Waited", "Peer",
		"Peer last activity", "Detail"}, rows, foot)
	if len(t.m.Deadlocks) > 0 {
		t.printf("\nDeadlocks (%d)\n", len(t.m.Deadlocks))
		for i, c := range t.m.Deadlocks {
			var parts []string
			for _, w := range c.Cycle {
				parts = append(parts, fmt.Sprintf("%s tid %d waits on %s", t.proc(w.PID), w.TID, w.Object))
			}
			if len(c.Cycle) > 0 {
				parts = append(parts, fmt.Sprintf("%s tid %d", t.proc(c.Cycle[0].PID), c.Cycle[0].TID))
			}
			t.printf("  %d. %s\n", i+1, strings.Join(parts, " → "))
		}
	}
}

func (t *tabler) security() {
	var rows [][]string
	for _, e := range t.m.Security {
		owner := e.Owner
		if e.OwnerName != "" {
			owner = e.OwnerName + " (" + e.Owner + ")"
		}
		sddl := e.SDDL
		if e.Error != "" {
			sddl = "error: " + e.Error
		}
		rows = append(rows, []string{e.Object, e.Type, dash(owner), dash(e.Severity), dash(strings.Join(e.Exposure, ", ")),
			strconv.FormatInt(e.Ops, 10), sddl})
	}
	t.table("Security", []string{"Object", "Type", "Owner", "Severity", "Exposure", "Ops", "SDDL"}, rows, "")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func flow(f model.Flow) string {
	return fmt.Sprintf("%d / %s", f.Ops, bytesStr(f.Bytes))
}

func bytesStr(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// lat formats a latency summary as p50/p99/max (µs); "~" marks histogram values.
func lat(s latency.Summary, star string) string {
	if s.Count == 0 {
		return "-"
	}
	approx := ""
	if s.Approx {
		approx = "~"
	}
	return fmt.Sprintf("%s%s/%s/%s (n=%d)%s", approx, num(s.P50), num(s.P99), num(s.Max), s.Count, star)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// dur formats microseconds for people.
func dur(us float64) string {
	switch {
	case us >= 1e6:
		return strconv.FormatFloat(us/1e6, 'f', 3, 64) + " s"
	case us >= 1e3:
		return strconv.FormatFloat(us/1e3, 'f', 3, 64) + " ms"
	}
	return strconv.FormatFloat(us, 'f', 1, 64) + " µs"
}

func failures(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
