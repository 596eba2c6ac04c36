package correlate

import (
	"fmt"
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
)

// Sections (docs/rules.md#conversations, docs/events.md#mapfile): views per FileKey across
// processes from MapFile/UnmapFile and their rundown twins.

type viewKey struct {
	pid  uint32
	base uint64
}

type section struct {
	key         uint64
	kind        uint8 // MiscInfo >> 52
	pids        []uint32
	views       int64
	bytes       uint64
	live        map[viewKey]int64 // open views → map time
	first, last int64
	// overlap: time during which views of two or more processes were mapped
	overlap      int64
	overlapStart int64
}

type sectionState struct {
	byKey map[uint64]*section
	order []*section
}

func (s *sectionState) init() { s.byKey = make(map[uint64]*section) }

func (e *Engine) mapFile(d *decoders.Decoded, ev *decoders.MapFile) {
	if ev.FileKey == 0 {
		return
	}
	sec := e.s.byKey[ev.FileKey]
	if sec == nil {
		sec = &section{key: ev.FileKey, live: make(map[viewKey]int64), first: d.Time}
		e.s.byKey[ev.FileKey] = sec
		e.s.order = append(e.s.order, sec)
	}
	sec.last = d.Time
	sec.kind = uint8(ev.MiscInfo >> 52)
	vk := viewKey{ev.ProcessID, ev.ViewBase}
	switch ev.Op {
	case decoders.OpMapFile, decoders.OpMapFileDCStart:
		if _, ok := sec.live[vk]; ok {
			return // the rundown repeats a view already counted
		}
		before := sec.procsLive()
		sec.live[vk] = d.Time
		if !e.out {
			sec.views++
			sec.bytes += ev.ViewSize
		}
		if !slices.Contains(sec.pids, ev.ProcessID) {
			sec.pids = append(sec.pids, ev.ProcessID)
		}
		if before < 2 && sec.procsLive() >= 2 {
			sec.overlapStart = d.Time
		}
	case decoders.OpUnmapFile:
		if _, ok := sec.live[vk]; !ok {
			// A view mapped before the trace: count its process.
			if !slices.Contains(sec.pids, ev.ProcessID) {
				sec.pids = append(sec.pids, ev.ProcessID)
			}
			return
		}
		before := sec.procsLive()
		delete(sec.live, vk)
		if before >= 2 && sec.procsLive() < 2 {
			sec.overlap += d.Time - sec.overlapStart
		}
	case decoders.OpMapFileDCEnd:
		// Rundown at the end of the session: the view is still mapped.
		if _, ok := sec.live[vk]; !ok {
			sec.live[vk] = d.Time
			sec.views++
			sec.bytes += ev.ViewSize
			if !slices.Contains(sec.pids, ev.ProcessID) {
				sec.pids = append(sec.pids, ev.ProcessID)
			}
		}
	}
}

// procsLive counts the processes that have a view mapped now.
func (s *section) procsLive() int {
	var a, b uint32
	n := 0
	for k := range s.live {
		switch {
		case n == 0:
			a, n = k.pid, 1
		case n == 1 && k.pid != a:
			b, n = k.pid, 2
		case n == 2 && k.pid != a && k.pid != b:
			return 3
		}
	}
	return n
}

var sectionKinds = map[uint8]string{
	0x0: "file", 0x4: "image", 0x8: "image-no-execute", 0xC: "pagefile", 0xD: "physical",
}

func (e *Engine) finishSections(m *model.Model, end int64) {
	for _, sec := range e.s.order {
		// A section is shared when views exist in two or more processes;
		// images are mapped by every process that loads them: not IPC.
		if len(sec.pids) < 2 || sec.kind == 0x4 || sec.kind == 0x8 {
			continue
		}
		if !e.keepPIDs(sec.pids...) || e.opt.PipeGlob != "" {
			continue
		}
		if e.since != 0 && sec.last < e.since && len(sec.live) == 0 {
			continue // no view inside the window
		}
		overlap := sec.overlap
		if sec.procsLive() >= 2 {
			overlap += end - sec.overlapStart
		}
		pids := slices.Clone(sec.pids)
		slices.Sort(pids)
		kind, ok := sectionKinds[sec.kind]
		if !ok {
			kind = fmt.Sprintf("type-0x%X", sec.kind)
		}
		m.Sections = append(m.Sections, model.Section{
			Key: fmt.Sprintf("0x%x", sec.key), Name: e.names[sec.key], PIDs: pids,
			Views: sec.views, Bytes: sec.bytes, Kind: kind,
			First: ft(sec.first), Last: ft(sec.last), OverlapUS: usOf(overlap),
			Open: int64(len(sec.live)),
		})
	}
}
