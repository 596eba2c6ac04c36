package correlate

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/pipeline"
)

// ErrNoInput is returned by AnalyzeFiles when none of the files could be
// read at all (wrapped with the per-file errors).
var ErrNoInput = errors.New("no file could be read")

// AnalyzeFiles opens each path, groups the files into PID namespaces
// (docs/rules.md F1), correlates each namespace through the pipeline and
// returns one model. A file that cannot be opened at all is a warning,
// unless no file could be opened (ErrNoInput).
func AnalyzeFiles(paths []string, opt Options) (*model.Model, error) {
	srcs, errs := pipeline.Open(paths)
	defer pipeline.Close(srcs)
	if len(srcs) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoInput, errors.Join(errs...))
	}
	m := Analyze(srcs, opt)
	var warns []string
	for _, err := range errs {
		warns = append(warns, err.Error())
	}
	m.Warnings = append(warns, m.Warnings...)
	return m, nil
}

// AnalyzeReader analyses one trace held in r (for example a bytes.Reader).
func AnalyzeReader(name string, r io.ReaderAt, size int64, opt Options) (*model.Model, error) {
	f, err := etw.NewFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoInput, name, err)
	}
	return Analyze([]pipeline.Source{{Name: name, File: f}}, opt), nil
}

// Analyze correlates already opened traces: one engine per namespace,
// the namespaces' models joined into one (Merge).
func Analyze(srcs []pipeline.Source, opt Options) *model.Model {
	return analyze(srcs, opt, !opt.Timeline)
}

// analyze is Analyze with each namespace on two engines (split.go) or one.
func analyze(srcs []pipeline.Source, opt Options, split bool) *model.Model {
	groups := pipeline.Groups(srcs)
	parts := make([]*model.Model, len(groups))
	for i, g := range groups {
		var w pipeline.Warnings
		var e *Engine
		if !split {
			e = New(opt)
			pipeline.Run(g.Sources, e, w.Add)
		} else {
			var msgs *Engine
			e, msgs = newSplit(opt)
			pipeline.RunSplit(g.Sources, e, []pipeline.Sink{msgs}, w.Add)
			e.absorb(msgs)
		}
		m := e.Finish()
		for _, s := range g.Sources {
			m.Trace.Files = append(m.Trace.Files, s.Name)
		}
		m.Warnings = append(m.Warnings, w.List()...)
		parts[i] = m
	}
	m := Merge(parts)
	if len(groups) > 1 || len(srcs) > 1 {
		for i, g := range groups {
			ns := model.Namespace{ID: i + 1, Reason: g.Reason}
			for _, s := range g.Sources {
				ns.Files = append(ns.Files, s.Name)
			}
			m.Trace.Namespaces = append(m.Trace.Namespaces, ns)
		}
	}
	return m
}

// Begin, Buffer and Add make the engine a pipeline.Sink.
func (e *Engine) Begin(src pipeline.Source) {
	if e.part == partMessages {
		return // the header's loss counts and the rundown's names are the file engine's
	}
	e.SetHeader(src.File.Header())
	seedRundownNames(e, src.File)
}

// Buffer notes a lossy buffer (AddBuffer).
func (e *Engine) Buffer(b etw.BufferInfo) { e.AddBuffer(b) }

var _ pipeline.Sink = (*Engine)(nil)

// Merge joins the models of separate PID namespaces into one: entities
// keep their namespace in NS (1-based, in order) when there is more than
// one; counters add up; the time range spans all. One model is returned
// as is.
func Merge(parts []*model.Model) *model.Model {
	if len(parts) == 1 {
		return parts[0]
	}
	out := &model.Model{
		Processes: []model.Process{}, Pipes: []model.Pipe{}, ALPC: []model.ALPC{}, RPC: []model.RPC{},
		Sections: []model.Section{}, Stuck: []model.Stuck{}, Idle: []model.Idle{}, Deadlocks: []model.Cycle{},
		Security: []model.Exposed{},
	}
	t := &out.Trace
	t.LossyWindows = []model.Window{}
	for i, p := range parts {
		ns := i + 1
		pt := p.Trace
		t.Files = append(t.Files, pt.Files...)
		if !pt.Start.IsZero() && (t.Start.IsZero() || pt.Start < t.Start) {
			t.Start = pt.Start
		}
		if pt.End > t.End {
			t.End = pt.End
		}
		t.Events += pt.Events
		t.IPCEvents += pt.IPCEvents
		t.EventsLost += pt.EventsLost
		t.BuffersLost += pt.BuffersLost
		t.KernelFileIgnored += pt.KernelFileIgnored
		t.LostEventRecords += pt.LostEventRecords
		t.LossyWindows = append(t.LossyWindows, pt.LossyWindows...)
		out.Processes = appendNS(out.Processes, p.Processes, ns, func(x *model.Process) *int { return &x.NS })
		out.Pipes = appendNS(out.Pipes, p.Pipes, ns, func(x *model.Pipe) *int { return &x.NS })
		out.ALPC = appendNS(out.ALPC, p.ALPC, ns, func(x *model.ALPC) *int { return &x.NS })
		out.RPC = appendNS(out.RPC, p.RPC, ns, func(x *model.RPC) *int { return &x.NS })
		out.Sections = appendNS(out.Sections, p.Sections, ns, func(x *model.Section) *int { return &x.NS })
		out.Stuck = appendNS(out.Stuck, p.Stuck, ns, func(x *model.Stuck) *int { return &x.NS })
		out.Idle = appendNS(out.Idle, p.Idle, ns, func(x *model.Idle) *int { return &x.NS })
		out.WindowMessages = appendNS(out.WindowMessages, p.WindowMessages, ns, func(x *model.WindowMessages) *int { return &x.NS })
		out.PostedQueues = appendNS(out.PostedQueues, p.PostedQueues, ns, func(x *model.PostedQueue) *int { return &x.NS })
		out.HungPumps = appendNS(out.HungPumps, p.HungPumps, ns, func(x *model.HungPump) *int { return &x.NS })
		out.COM = appendNS(out.COM, p.COM, ns, func(x *model.COMCall) *int { return &x.NS })
		out.Mailslots = appendNS(out.Mailslots, p.Mailslots, ns, func(x *model.Mailslot) *int { return &x.NS })
		for _, c := range p.Deadlocks {
			c.Cycle = slices.Clone(c.Cycle)
			for j := range c.Cycle {
				c.Cycle[j].NS = ns
			}
			out.Deadlocks = append(out.Deadlocks, c)
		}
		out.Security = append(out.Security, p.Security...)
		out.Timeline = append(out.Timeline, p.Timeline...)
		out.TimelineDropped += p.TimelineDropped
		out.Warnings = append(out.Warnings, p.Warnings...)
		if t.Filter == nil {
			t.Filter = pt.Filter
		} else if pt.Filter != nil {
			t.Filter.Excluded += pt.Filter.Excluded
		}
	}
	if t.End > t.Start && !t.Start.IsZero() {
		t.DurationUS = t.End.Sub(t.Start).US()
	}
	slices.SortStableFunc(out.Stuck, func(a, b model.Stuck) int { return cmp.Compare(a.Since, b.Since) })
	slices.SortStableFunc(t.LossyWindows, func(a, b model.Window) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// appendNS appends the items of one namespace's model to dst, each
// marked with that namespace.
func appendNS[T any](dst, src []T, ns int, nsOf func(*T) *int) []T {
	for _, x := range src {
		*nsOf(&x) = ns
		dst = append(dst, x)
	}
	return dst
}
