package correlate

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/ipctrace/ipctrace/model"
)

// Finish closes the trace: operations still open become stuck candidates,
// the wait-for graph is searched for cycles, and the model is returned.
// The engine must not be used afterwards.
func (e *Engine) Finish() *model.Model {
	end := e.last
	if e.until != 0 && e.until < end {
		end = e.until
	}
	m := &model.Model{
		Processes: []model.Process{}, Pipes: []model.Pipe{}, ALPC: []model.ALPC{}, RPC: []model.RPC{},
		Sections: []model.Section{}, Stuck: []model.Stuck{}, Idle: []model.Idle{}, Deadlocks: []model.Cycle{}, Security: []model.Exposed{},
	}
	m.Trace.Start, m.Trace.End = ft(e.first), ft(e.last)
	if e.last > e.first {
		m.Trace.DurationUS = usOf(e.last - e.first)
	}
	m.Trace.Events = e.events
	m.Trace.IPCEvents = e.ipcEvents
	m.Trace.KernelFileIgnored = e.kernelFileDropped
	if o := e.opt; len(o.PIDs) > 0 || o.Process != "" || o.PipeGlob != "" || e.since != 0 || e.until != 0 {
		f := &model.Filter{Process: o.Process, Pipe: o.PipeGlob, Since: ft(e.since), Until: ft(e.until), Excluded: e.excluded}
		for _, p := range o.PIDs {
			f.PIDs = append(f.PIDs, strconv.FormatUint(uint64(p), 10))
		}
		m.Trace.Filter = f
	}
	e.finishLoss(m)

	waiters := e.alpcOutstanding()
	e.finishPipes(m, end)
	e.finishALPC(m, end, waiters)
	e.finishRPC(m)
	e.finishCOM(m)
	e.nameInterfaces(m)
	e.finishWinMsg(m, end)
	e.finishMailslots(m, end)
	e.finishSections(m, end)
	e.finishSecurity(m)
	m.Deadlocks = e.cycles(e.waits(waiters, end))
	for _, s := range m.Stuck {
		if s.WaitedUS > 0 && e.opt.Timeline {
			since := end - int64(s.WaitedUS*10+0.5)
			e.span(s.PID, s.TID, "stuck", s.Kind+" ", s.Object, since, end, 0, 0)
		}
	}
	e.finishTimeline(m)
	slices.SortStableFunc(m.Idle, func(a, b model.Idle) int {
		return cmp.Or(cmp.Compare(a.Since, b.Since), cmp.Compare(a.PID, b.PID), cmp.Compare(a.TID, b.TID), cmp.Compare(a.Kind, b.Kind))
	})
	slices.SortStableFunc(m.Stuck, func(a, b model.Stuck) int {
		return cmp.Or(cmp.Compare(a.Since, b.Since), cmp.Compare(a.PID, b.PID),
			cmp.Compare(a.TID, b.TID), cmp.Compare(a.Kind, b.Kind))
	})

	for _, p := range e.procs {
		if !e.keepPIDs(p.pid) {
			continue
		}
		m.Processes = append(m.Processes, model.Process{PID: p.pid, ParentPID: p.parent, Image: p.image,
			CommandLine: p.cmdline, User: p.user})
	}
	slices.SortFunc(m.Processes, func(a, b model.Process) int { return cmp.Compare(a.PID, b.PID) })
	return m
}

func (e *Engine) keepCycle(c model.Cycle) bool {
	pids := make([]uint32, len(c.Cycle))
	pipe := e.opt.PipeGlob == ""
	for i, w := range c.Cycle {
		pids[i] = w.PID
		pipe = pipe || (w.Mechanism == "pipe" && e.keepPipe(w.Object))
	}
	// With --pipe, a cycle is shown when one of its waits is on a
	// matching pipe.
	return pipe && e.keepPIDs(pids...)
}
