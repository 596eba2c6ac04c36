package hang

import (
	"fmt"
	"strings"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
	"github.com/ipctrace/ipctrace/model"
)

// ToModel converts a Result into the report model, so that the report
// renderers print a live snapshot like a trace: waits become Stuck rows
// (Kind is the mechanism, Rule "wct" or "pipe-join", Inferred false only
// for waits read from Windows), cycles become Deadlocks, the descriptors
// of the pipes waited on become Security rows. The snapshot instant is
// both Trace.Start and Trace.End; Since and WaitedUS stay unknown (0):
// WCT does not say when a wait began. Processes are the targets and the
// processes the waits name.
func ToModel(r *Result) *model.Model {
	m := &model.Model{
		Trace:     model.Trace{Start: model.Time(r.Time), End: model.Time(r.Time), LossyWindows: []model.Window{}},
		Processes: []model.Process{},
		Pipes:     []model.Pipe{},
		ALPC:      []model.ALPC{},
		RPC:       []model.RPC{},
		Sections:  []model.Section{},
		Stuck:     []model.Stuck{},
		Idle:      []model.Idle{},
		Deadlocks: []model.Cycle{},
		Security:  []model.Exposed{},
		Warnings:  append([]string(nil), r.Warnings...),
	}
	// The targets and the processes the waits name.
	used := map[uint32]bool{}
	for _, w := range r.Waits {
		used[w.PID], used[w.PeerPID] = true, true
	}
	for _, p := range r.Processes {
		if p.Target || used[p.PID] {
			m.Processes = append(m.Processes, model.Process{PID: p.PID, ParentPID: p.ParentPID, Image: p.Image})
		}
	}
	for _, w := range r.Waits {
		m.Stuck = append(m.Stuck, model.Stuck{
			Kind: w.Mechanism, PID: w.PID, TID: w.TID, Object: w.Object, PeerPID: w.PeerPID, PeerTID: w.PeerTID,
			Inferred: w.Inferred, Detail: waitDetail(&w), Rule: w.Rule, Evidence: w.Evidence,
		})
	}
	for _, c := range r.Cycles {
		mc := model.Cycle{Level: c.Level, Probable: c.Probable, Summary: c.Summary, Inferred: c.Inferred, Cycle: []model.Waiter{}}
		for _, w := range c.Waits {
			mc.Cycle = append(mc.Cycle, model.Waiter{PID: w.PID, TID: w.TID, Object: w.Object, Mechanism: w.Mechanism,
				Kind: w.Mechanism, ReceiverTID: w.PeerTID, ReceiverWaits: w.PeerWaits})
		}
		m.Deadlocks = append(m.Deadlocks, mc)
	}
	m.Security = security(r)
	return m
}

// waitDetail says where a wait came from, for the table's Detail column.
func waitDetail(w *Wait) string {
	if w.Inferred {
		return "inferred (" + w.Rule + ")"
	}
	s := "read from Windows (WCT"
	if w.Status != "" {
		s += ", object " + w.Status
	}
	if w.WaitTime != 0 {
		s += fmt.Sprintf(", wait time %d", w.WaitTime)
	}
	return s + ")"
}

// security returns one row per pipe that some wait is on, with its
// descriptor decoded as report shows trace snapshots.
func security(r *Result) []model.Exposed {
	out := []model.Exposed{}
	done := map[string]bool{}
	for _, w := range r.Waits {
		if w.Mechanism != MechPipe {
			continue
		}
		name := strings.TrimPrefix(w.Object, `\\.\pipe\`)
		key := strings.ToLower(name)
		if done[key] {
			continue
		}
		done[key] = true
		x := model.Exposed{Object: `\Device\NamedPipe\` + name, Type: "pipe", Exposure: []string{}}
		var sd []byte
		for i := range r.Pipes {
			p := &r.Pipes[i]
			if !strings.EqualFold(p.Name, name) {
				continue
			}
			if x.OwnerPID == 0 {
				x.OwnerPID = p.ServerPID
			}
			if sd == nil && len(p.SD) > 0 {
				sd = p.SD
			}
			if x.Error == "" && p.Err != "" {
				x.Error = p.Err
			}
		}
		for _, p := range r.Processes {
			if p.PID == x.OwnerPID && x.OwnerPID != 0 {
				x.Summary = "server " + p.Image
			}
		}
		if sd == nil {
			if x.Error == "" {
				x.Error = "descriptor not read"
			}
			out = append(out, x)
			continue
		}
		x.Error = ""
		d, err := secdesc.Parse(sd)
		if err != nil {
			x.Error = err.Error()
			out = append(out, x)
			continue
		}
		if d.Owner != nil {
			x.Owner = d.Owner.String()
			x.OwnerName = secdesc.Name(*d.Owner)
		}
		if sddl, err := d.SDDL(nil); err == nil {
			x.SDDL = sddl
		} else {
			x.Error = err.Error()
		}
		ex := secdesc.Explain(d, secdesc.TypePipe)
		for _, f := range ex.Findings {
			x.Exposure = append(x.Exposure, f.Name)
		}
		x.Severity = ex.Verdict.String()
		x.Summary = ex.Summary
		out = append(out, x)
	}
	return out
}
