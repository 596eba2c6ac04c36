package verify

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/internal/termsafe"
)

// Tolerance bounds the difference between a trace-derived latency and the
// probe's own measurement: |trace − probe| ≤ max(Abs, Rel × probe).
type Tolerance struct {
	Abs time.Duration
	Rel float64
}

// DefaultTolerance is max(50 µs, 20%).
var DefaultTolerance = Tolerance{Abs: 50 * time.Microsecond, Rel: 0.20}

func (t Tolerance) String() string {
	return fmt.Sprintf("max(%d µs, %g%%)", t.Abs.Microseconds(), t.Rel*100)
}

// allows reports whether got is within the tolerance of want (µs).
func (t Tolerance) allows(got, want float64) bool {
	lim := math.Max(float64(t.Abs)/float64(time.Microsecond), t.Rel*want)
	return math.Abs(got-want) <= lim
}

// Result is the outcome of Verify.
type Result struct {
	Kind      string `json:"kind"`
	Tolerance string `json:"tolerance"`
	// Differences are the mismatches, one precise sentence each; empty
	// when the trace shows exactly the probe's traffic.
	Differences []string `json:"differences"`
	// Matched are the checks that passed, one sentence each.
	Matched []string `json:"matched"`
	// Notes are facts that are neither (latency not comparable, …).
	Notes []string     `json:"notes,omitempty"`
	Rules []RuleResult `json:"rules"`
}

// OK reports whether no difference was found.
func (r *Result) OK() bool { return len(r.Differences) == 0 }

func (r *Result) diff(format string, args ...any) {
	r.Differences = append(r.Differences, fmt.Sprintf(format, args...))
}
func (r *Result) match(format string, args ...any) {
	r.Matched = append(r.Matched, fmt.Sprintf(format, args...))
}
func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Verify compares the model of a trace with what the probe did. rules may
// be nil (no event-level checks were made).
func Verify(m *model.Model, e *Expectation, rules *Rules, tol Tolerance) *Result {
	r := &Result{Kind: e.Kind, Tolerance: tol.String(), Differences: []string{}, Matched: []string{}}
	if rules != nil {
		r.Rules = rules.ResultsFor(e.Kind)
		if mk := rules.Markers(); mk["start"]+mk["stop"] > 0 {
			r.note("marker events of probe %s: %d start, %d stop", e.ID, mk["start"], mk["stop"])
		} else if e.ID != "" {
			r.note("no marker event of probe %s in the trace (the session did not enable the IpcTrace provider)", e.ID)
		}
	}
	if e.Skipped != "" {
		r.note("the probe was skipped: %s", e.Skipped)
		return r
	}
	verifyLoss(r, m)
	verifyProcesses(r, m, e)
	switch e.Kind {
	case KindPipe:
		verifyPipes(r, m, e, tol)
	case KindSection:
		verifySections(r, m, e)
	case KindRPC:
		verifyRPC(r, m, e, tol)
	case KindConnect:
		verifyConnect(r, m, e)
	case KindWindow:
		verifyWindows(r, m, e, tol)
	case KindMailslot:
		verifyMailslots(r, m, e)
	}
	return r
}

func verifyLoss(r *Result, m *model.Model) {
	t := m.Trace
	if t.EventsLost > 0 {
		r.diff("trace: %d events lost", t.EventsLost)
	}
	if t.BuffersLost > 0 {
		r.diff("trace: %d buffers lost", t.BuffersLost)
	}
	for _, w := range t.LossyWindows {
		r.diff("trace: events may be missing from %s to %s (%s)", w.Start, w.End, w.Reason)
	}
	if t.EventsLost == 0 && t.BuffersLost == 0 && len(t.LossyWindows) == 0 {
		r.match("trace: nothing lost")
	}
}

func verifyProcesses(r *Result, m *model.Model, e *Expectation) {
	for _, p := range e.Processes {
		if !slices.ContainsFunc(m.Processes, func(q model.Process) bool { return q.PID == p.PID }) {
			r.diff("process %d (%s): not in the trace", p.PID, roleName(p))
		} else {
			r.match("process %d (%s): present", p.PID, roleName(p))
		}
	}
}

func roleName(p Process) string {
	if p.Client > 0 {
		return fmt.Sprintf("%s %d", p.Role, p.Client)
	}
	return p.Role
}

func verifyPipes(r *Result, m *model.Model, e *Expectation, tol Tolerance) {
	used := make([]bool, len(m.Pipes))
	for i, p := range e.Pipes {
		label := fmt.Sprintf("pipe %s client %d", p.Name, p.ClientPID)
		var got *model.Pipe
		for j := range m.Pipes {
			q := &m.Pipes[j]
			if !used[j] && strings.EqualFold(q.Name, p.Name) && q.ClientPID == p.ClientPID {
				got, used[j] = q, true
				break
			}
		}
		if got == nil {
			r.diff("%s: no conversation in the trace (client %d missing)", label, p.Client)
			continue
		}
		before := len(r.Differences)
		if got.ServerPID != p.ServerPID {
			r.diff("%s: server pid %d, expected %d", label, got.ServerPID, p.ServerPID)
		}
		flow := func(dir string, g model.Flow, f Flow) {
			if g.Ops != f.Ops {
				r.diff("%s: %s ops %d, expected %d", label, dir, g.Ops, f.Ops)
			}
			if g.Bytes != f.Bytes {
				r.diff("%s: %s bytes %d, expected %d", label, dir, g.Bytes, f.Bytes)
			}
		}
		flow(ToServer, got.ToServer, p.ToServer)
		flow(ToClient, got.ToClient, p.ToClient)
		if got.Pairing == "" || got.Pairing == "unpaired" {
			r.diff("%s: server and client ends not paired", label)
		}
		if got.Lossy {
			r.diff("%s: falls in a lossy window", label)
		}
		if len(r.Differences) == before {
			r.match("%s: server %d, to_server %d ops/%d bytes, to_client %d ops/%d bytes, paired by %s (inferred, confidence %.2f)",
				label, got.ServerPID, got.ToServer.Ops, got.ToServer.Bytes, got.ToClient.Ops, got.ToClient.Bytes, got.Pairing, got.Confidence)
		}
		want := expectedPipeLatency(e, i)
		compareLatency(r, label+": read latency", got.Latency, want, tol)
	}
	// Conversations on the probe's pipe that the probe did not make.
	for j, q := range m.Pipes {
		if used[j] || len(e.Pipes) == 0 || !strings.EqualFold(q.Name, e.Pipes[0].Name) {
			continue
		}
		r.diff("pipe %s: unexpected conversation, server %d client %d (to_server %d ops, to_client %d ops)",
			q.Name, q.ServerPID, q.ClientPID, q.ToServer.Ops, q.ToClient.Ops)
	}
}

// expectedPipeLatency is the probe-measured counterpart of the trace's
// read latency (docs/rules.md P7): for each message whose first read was
// posted before the write started, read end − write start.
func expectedPipeLatency(e *Expectation, conv int) latency.Summary {
	var h latency.Hist
	for _, sends := range []struct{ dir string }{{ToServer}, {ToClient}} {
		writes := map[int]Operation{}
		reads := map[int]Operation{}
		for _, op := range e.Ops {
			if op.Conv != conv || op.Dir != sends.dir || op.Status != 0 {
				continue
			}
			switch {
			case op.Kind == OpWrite || (op.Kind == OpTransact && sends.dir == ToServer):
				writes[op.Seq] = op
			case op.Kind == OpRead:
				if _, ok := reads[op.Seq]; !ok {
					reads[op.Seq] = op
				}
			}
		}
		if sends.dir == ToClient {
			// The reply half of a transact is the client's read.
			for _, op := range e.Ops {
				if op.Conv == conv && op.Kind == OpTransact && op.Status == 0 {
					reads[op.Seq] = op
				}
			}
		}
		for seq, w := range writes {
			rd, ok := reads[seq]
			if !ok || rd.Start >= w.Start {
				continue
			}
			h.Record(e.Clock.Ticks(rd.End - w.Start))
		}
	}
	return h.Summary()
}

// compareLatency compares p50 of the trace with p50 of the probe.
func compareLatency(r *Result, label string, got, want latency.Summary, tol Tolerance) {
	switch {
	case want.Count == 0:
		r.note("%s: not comparable (the probe saw no pending read)", label)
	case got.Count == 0:
		r.diff("%s: none in the trace, probe measured %d (p50 %.1f µs)", label, want.Count, want.P50)
	case !tol.allows(got.P50, want.P50):
		r.diff("%s: p50 %.1f µs in the trace, probe measured %.1f µs (tolerance %s)", label, got.P50, want.P50, tol)
	default:
		r.match("%s: p50 %.1f µs in the trace, probe measured %.1f µs, within %s (inferred)", label, got.P50, want.P50, tol)
	}
}

func verifySections(r *Result, m *model.Model, e *Expectation) {
	for _, s := range e.Sections {
		base := s.Name[strings.LastIndexByte(s.Name, '\\')+1:]
		label := "section " + s.Name
		var got *model.Section
		for j := range m.Sections {
			q := &m.Sections[j]
			if base != "" && strings.Contains(strings.ToLower(q.Name), strings.ToLower(base)) {
				got = q
				break
			}
		}
		if got == nil {
			// Page-file-backed sections may have no name in the trace: find
			// the one mapped by exactly the probe's processes.
			for j := range m.Sections {
				q := &m.Sections[j]
				if samePIDs(q.PIDs, s.PIDs) {
					if got != nil {
						r.note("%s: several unnamed sections are mapped by pids %v; using the first", label, s.PIDs)
						break
					}
					got = q
				}
			}
		}
		if got == nil {
			r.diff("%s: not in the trace (no section mapped by pids %v)", label, s.PIDs)
			continue
		}
		before := len(r.Differences)
		for _, pid := range s.PIDs {
			if !slices.Contains(got.PIDs, pid) {
				r.diff("%s: not mapped by pid %d", label, pid)
			}
		}
		if got.Views != s.Views {
			r.diff("%s: views %d, expected %d", label, got.Views, s.Views)
		}
		if want := uint64(s.Views * s.ViewSize); got.Bytes != want {
			r.diff("%s: view bytes %d, expected %d", label, got.Bytes, want)
		}
		if len(r.Differences) == before {
			r.match("%s: key %s mapped by pids %v, %d views, %d bytes", label, got.Key, got.PIDs, got.Views, got.Bytes)
		}
	}
}

func samePIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range b {
		if !slices.Contains(a, p) {
			return false
		}
	}
	return true
}

func verifyRPC(r *Result, m *model.Model, e *Expectation, tol Tolerance) {
	for _, x := range e.RPC {
		label := fmt.Sprintf("rpc %s:[%s] client %d", x.Protocol, x.Endpoint, x.ClientPID)
		var calls, failed int64
		var lat latency.Summary
		for _, q := range m.RPC {
			if q.ClientPID == x.ClientPID && strings.Contains(strings.ToLower(q.Endpoint), strings.ToLower(x.Endpoint)) {
				calls += q.Calls
				failed += q.Failed
				lat = q.Latency
			}
		}
		if calls != x.Calls {
			r.diff("%s: calls %d, expected %d", label, calls, x.Calls)
		} else {
			r.match("%s: %d calls", label, calls)
		}
		if failed != x.Failed {
			r.diff("%s: failed calls %d, expected %d", label, failed, x.Failed)
		}
		var alpcCalls int64
		for _, a := range m.ALPC {
			if a.ClientPID == x.ClientPID {
				alpcCalls += a.Calls
			}
		}
		if alpcCalls < x.Calls {
			r.diff("%s: ALPC request/reply pairs %d, expected at least %d (inferred)", label, alpcCalls, x.Calls)
		} else {
			r.match("%s: %d ALPC request/reply pairs (inferred)", label, alpcCalls)
		}
		if lat.Count > 0 {
			compareLatency(r, label+": call latency", lat, e.Latency, tol)
		}
	}
}

func verifyConnect(r *Result, m *model.Model, e *Expectation) {
	c := e.Connect
	if c == nil {
		r.diff("connect: the expectation has no connect result")
		return
	}
	pid := uint32(0)
	if len(e.Processes) > 0 {
		pid = e.Processes[0].PID
	}
	label := fmt.Sprintf("pipe %s client %d", c.Pipe, pid)
	found := false
	failures := 0
	for _, q := range m.Pipes {
		if !strings.EqualFold(q.Name, c.Pipe) {
			continue
		}
		if q.ClientPID == pid {
			found = true
		}
		for _, n := range q.Failures {
			failures += n
		}
	}
	switch {
	case c.OK && !found:
		r.diff("%s: the connection is not in the trace", label)
	case c.OK:
		r.match("%s: connection present", label)
	case !c.OK && failures == 0:
		r.diff("%s: the failed open (%s) is not in the trace", label, c.Reason)
	default:
		r.match("%s: failed open present (%s)", label, c.Reason)
	}
}

// ruleText is one rule verdict in words: the verdict, the counts when
// there are any, the rule and what was seen.
func ruleText(x RuleResult) string {
	s := x.Verdict
	switch {
	case x.Verdict == Contradicted:
		s = fmt.Sprintf("CONTRADICTED by %d, supported by %d", x.Against, x.Evidence)
	case x.Evidence+x.Against > 0:
		s = fmt.Sprintf("%s: %d supporting, %d against", x.Verdict, x.Evidence, x.Against)
	}
	s += ": " + x.Rule
	if x.Detail != "" {
		s += " (" + x.Detail + ")"
	}
	return s
}

// WriteText prints r for people: differences first, then matches, notes
// and the [I] rule verdicts.
func (r *Result) WriteText(w io.Writer) {
	if r.OK() {
		fmt.Fprintf(w, "verify %s: the trace shows exactly the probe's traffic\n", r.Kind)
	} else {
		fmt.Fprintf(w, "verify %s: %d difference(s)\n", r.Kind, len(r.Differences))
		for _, d := range r.Differences {
			fmt.Fprintf(w, "  DIFF  %s\n", termsafe.String(d))
		}
	}
	// Names come from the trace and the expectation file: escaped for the
	// terminal (internal/termsafe).
	for _, m := range r.Matched {
		fmt.Fprintf(w, "  ok    %s\n", termsafe.String(m))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note  %s\n", termsafe.String(n))
	}
	fmt.Fprintf(w, "latency tolerance: %s\n", r.Tolerance)
	if r.Rules == nil {
		return // no event-level checks were made
	}
	if len(r.Rules) == 0 {
		fmt.Fprintf(w, "inferred [I] rules of docs/rules.md: none can be seen in a %s probe's traffic\n", r.Kind)
		return
	}
	fmt.Fprintln(w, "inferred [I] rules of docs/rules.md in this trace:")
	for _, x := range r.Rules {
		fmt.Fprintf(w, "  %s %s\n", x.ID, termsafe.String(ruleText(x)))
	}
}
