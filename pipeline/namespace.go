package pipeline

import (
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// Group is one PID namespace: files of one machine and boot, whose PIDs
// and TIDs name the same processes and threads (docs/rules.md F1).
type Group struct {
	Sources []Source
	// Reason says why the files are together: "single file", "same boot"
	// (equal boot time and clock, no process-table conflict), or
	// "separate" for a file unlike every other.
	Reason string
}

// Groups splits srcs into namespaces, in file order. Two files share a
// namespace when their logfile headers name the same boot (BootTime, clock
// frequency, processor count and OS build all equal, BootTime not zero)
// and their process tables do not contradict each other: no PID names
// different images in the two files unless the later file saw that PID
// start. Anything else is kept apart, since joining two machines' PIDs
// would invent conversations, waits and cycles.
func Groups(srcs []Source) []Group {
	if len(srcs) == 1 {
		return []Group{{Sources: srcs, Reason: "single file"}}
	}
	type member struct {
		src   Source
		procs procTable
	}
	var groups [][]member
	for _, s := range srcs {
		m := member{src: s, procs: readProcTable(s.File)}
		placed := false
		for gi, g := range groups {
			ok := true
			for _, o := range g {
				if !sameBoot(o.src.File.Header(), s.File.Header()) || o.procs.conflicts(m.procs) {
					ok = false
					break
				}
			}
			if ok {
				groups[gi] = append(g, m)
				placed = true
				break
			}
		}
		if !placed {
			groups = append(groups, []member{m})
		}
	}
	out := make([]Group, len(groups))
	for i, g := range groups {
		for _, m := range g {
			out[i].Sources = append(out[i].Sources, m.src)
		}
		out[i].Reason = "same boot"
		if len(g) == 1 {
			out[i].Reason = "separate"
		}
	}
	return out
}

func sameBoot(a, b etw.LogfileHeader) bool {
	return a.BootTime != 0 && a.BootTime == b.BootTime && a.PerfFreq == b.PerfFreq &&
		a.NumberOfProcessors == b.NumberOfProcessors && a.ProviderVersion == b.ProviderVersion
}

// procTable is what a file says of each PID: its image, and whether the
// file saw the process start (so a different image is PID reuse).
type procTable map[uint32]procEntry

type procEntry struct {
	image   string
	started bool
}

// conflicts reports whether a later file's table contradicts t.
func (t procTable) conflicts(later procTable) bool {
	for pid, e := range later {
		o, ok := t[pid]
		if !ok || e.started || o.image == "" || e.image == "" {
			continue
		}
		if !strings.EqualFold(o.image, e.image) {
			return true
		}
	}
	return false
}

// readProcTable reads the classic Process events of f (rundown, start and
// end). Only their header keys are looked at before decoding, so the pass
// costs about a plain read of the file.
func readProcTable(f *etw.File) procTable {
	t := procTable{}
	p := decoders.NewParser()
	for rec, err := range f.Records() {
		if err != nil || rec == nil || !rec.Kind.IsKernel() || rec.Provider != decoders.ProcessGUID {
			continue
		}
		d, ok, derr := p.Decode(rec)
		if !ok || derr != nil {
			continue
		}
		ev, isProc := d.Event.(*decoders.Process)
		if !isProc || ev.ProcessID == 0 {
			continue
		}
		e := t[ev.ProcessID]
		if ev.ImageFileName != "" && e.image == "" {
			e.image = ev.ImageFileName
		}
		if ev.Op == decoders.OpProcessStart {
			e.started = true
		}
		t[ev.ProcessID] = e
	}
	return t
}
