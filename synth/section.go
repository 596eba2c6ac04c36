package synth

import (
	"cmp"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
)

// Section kinds as the truth names them.
const (
	SectionFile     = "file"     // backed by a data file (MiscInfo section type 0x0)
	SectionPagefile = "pagefile" // page-file-backed shared memory (type 0xC)
)

// MiscInfo values: protection READWRITE (4) at bits 48–51, section type at 52–55 (docs/events.md#mapfile).
const (
	miscFileRW     = 0x0004000000000000
	miscPagefileRW = 0x00C4000000000000
)

// Section is a section object mapped by views.
type Section struct {
	Key  uint64
	Name string // NT path of the backing file; "" for page-file sections
	Kind string

	views []*View
	pids  map[uint32]bool
	log   []viewEvent // map/unmap events for the truth's timeline
	count int64       // views counted in the truth
	bytes uint64
}

// View is one mapped view of a section in a process.
type View struct {
	Section *Section
	Proc    *Proc
	Base    uint64
	Size    uint64
	Offset  uint64
	mapped  bool
}

// FileSection is a section backed by the file at NT path name; its FileKey
// is named by a FileIo Name (0) event at Start.
func (b *Builder) FileSection(name string) *Section {
	s := &Section{Key: b.addr(), Name: name, Kind: SectionFile, pids: map[uint32]bool{}}
	b.sections = append(b.sections, s)
	b.emitKernel(b.start, decoders.FileIoGUID, 0x04, decoders.OpFileName, FileIoVersion, 0xFFFFFFFF, 0xFFFFFFFF, 0,
		&decoders.FileName{Op: decoders.OpFileName, FileKey: s.Key, FileName: name})
	return s
}

// PagefileSection is a page-file-backed section (CreateFileMapping with
// INVALID_HANDLE_VALUE); no event names it.
func (b *Builder) PagefileSection() *Section {
	s := &Section{Key: b.addr(), Kind: SectionPagefile, pids: map[uint32]bool{}}
	b.sections = append(b.sections, s)
	return s
}

func (s *Section) misc() uint64 {
	if s.Kind == SectionPagefile {
		return miscPagefileRW
	}
	return miscFileRW
}

func (b *Builder) mapEvent(t int64, th *Thread, op decoders.Op, v *View) {
	if op != decoders.OpMapFileDCEnd {
		b.act(t, th)
	}
	if !b.suppress {
		v.Section.log = append(v.Section.log, viewEvent{t: t, pid: v.Proc.PID, op: op})
	}
	b.emitKernel(t, decoders.FileIoGUID, 0x04, op, FileIoVersion, v.Proc.PID, th.TID, th.Processor(), &decoders.MapFile{
		Op: op, ViewBase: v.Base, FileKey: v.Section.Key, MiscInfo: v.Section.misc(), ViewSize: v.Size,
		ByteOffset: v.Offset, ProcessID: v.Proc.PID})
}

func (b *Builder) newView(s *Section, th *Thread, size, offset uint64) *View {
	v := &View{Section: s, Proc: th.Proc, Base: b.pv(0x000001F000000000 + uint64(b.rnd.IntN(1<<20))<<16), Size: size, Offset: offset, mapped: true}
	s.views = append(s.views, v)
	if !b.suppress {
		s.pids[th.Proc.PID] = true
		s.count++
		s.bytes += size
	}
	return v
}

// MapView maps a view of s into th's process at t (MapFile 37).
func (b *Builder) MapView(t int64, th *Thread, s *Section, size, offset uint64) *View {
	v := b.newView(s, th, size, offset)
	b.mapEvent(t, th, decoders.OpMapFile, v)
	return v
}

// MapViewAtStart is a view that existed when the trace started (MapFileDCStart 39 at Start).
func (b *Builder) MapViewAtStart(th *Thread, s *Section, size, offset uint64) *View {
	v := b.newView(s, th, size, offset)
	b.mapEvent(b.start, th, decoders.OpMapFileDCStart, v)
	return v
}

// UnmapView unmaps v at t (UnmapFile 38).
func (b *Builder) UnmapView(t int64, th *Thread, v *View) {
	v.mapped = false
	b.mapEvent(t, th, decoders.OpUnmapFile, v)
	for i, x := range v.Section.views {
		if x == v {
			v.Section.views = append(v.Section.views[:i], v.Section.views[i+1:]...)
			break
		}
	}
}

// sectionsEnd emits MapFileDCEnd (40) at t for every view still mapped.
func (b *Builder) sectionsEnd(t int64) {
	for _, s := range b.sections {
		for _, v := range s.views {
			if v.mapped {
				th := v.Proc.threads[0]
				b.mapEvent(t, th, decoders.OpMapFileDCEnd, v)
			}
		}
	}
}

type viewEvent struct {
	t   int64
	pid uint32
	op  decoders.Op
}

// timeline returns the first and last map/unmap event times of s, the time
// during which views were mapped in two or more processes at once (views
// still mapped count until end), and the number of views still mapped at
// the end (seen by MapFileDCEnd).
func (s *Section) timeline(end int64) (first, last, overlap, open int64) {
	log := slices.Clone(s.log)
	slices.SortStableFunc(log, func(a, c viewEvent) int { return cmp.Compare(a.t, c.t) })
	per := map[uint32]int{}
	procs := 0
	var since int64
	for i, e := range log {
		if i == 0 {
			first = e.t
		}
		last = e.t
		before := procs
		switch e.op {
		case decoders.OpMapFile, decoders.OpMapFileDCStart:
			per[e.pid]++
			if per[e.pid] == 1 {
				procs++
			}
		case decoders.OpUnmapFile:
			per[e.pid]--
			if per[e.pid] == 0 {
				procs--
			}
		case decoders.OpMapFileDCEnd:
			open++
		}
		if before < 2 && procs >= 2 {
			since = e.t
		} else if before >= 2 && procs < 2 {
			overlap += e.t - since
		}
	}
	if procs >= 2 {
		overlap += end - since
	}
	return first, last, overlap, open
}
