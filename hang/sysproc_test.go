package hang

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

// buildProcs lays out procs as NtQuerySystemInformation(5) does at
// address base: each entry, its threads, then its image name, the next
// entry 8-aligned after that.
func buildProcs(l *Layout, base uint64, procs []ProcInfo) []byte {
	return buildProcsAligned(l, base, procs, 8)
}

// buildProcsAligned aligns entries to align bytes (2: packed after the
// name, as Wine does).
func buildProcsAligned(l *Layout, base uint64, procs []ProcInfo, align int) []byte {
	var b []byte
	putPtr := func(e []byte, off int, v uint64) {
		if l.PtrSize == 4 {
			binary.LittleEndian.PutUint32(e[off:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(e[off:], v)
		}
	}
	le := binary.LittleEndian
	for i, p := range procs {
		start := len(b)
		name := utf16.Encode([]rune(p.Image))
		size := l.ProcSize + len(p.Threads)*l.ThreadSize + 2*len(name)
		size = (size + align - 1) / align * align
		b = append(b, make([]byte, size)...)
		e := b[start:]
		if i < len(procs)-1 {
			le.PutUint32(e[l.NextEntry:], uint32(size))
		}
		le.PutUint32(e[l.NumberOfThreads:], uint32(len(p.Threads)))
		le.PutUint64(e[l.CreateTime:], uint64(p.CreateTime))
		le.PutUint32(e[l.BasePriority:], uint32(p.BasePriority))
		putPtr(e, l.UniqueProcessID, uint64(p.PID))
		putPtr(e, l.InheritedFromPID, uint64(p.ParentPID))
		le.PutUint32(e[l.HandleCount:], p.HandleCount)
		le.PutUint32(e[l.SessionID:], p.SessionID)
		nameOff := l.ProcSize + len(p.Threads)*l.ThreadSize
		if len(name) > 0 {
			le.PutUint16(e[l.ImageName:], uint16(2*len(name)))
			le.PutUint16(e[l.ImageName+2:], uint16(2*len(name)))
			putPtr(e, l.ImageName+l.PtrSize, base+uint64(start+nameOff))
			for j, c := range name {
				le.PutUint16(e[nameOff+2*j:], c)
			}
		}
		for j, th := range p.Threads {
			t := e[l.ProcSize+j*l.ThreadSize:]
			le.PutUint64(t[l.ThCreateTime:], uint64(th.CreateTime))
			le.PutUint32(t[l.ThWaitTime:], th.WaitTime)
			putPtr(t, l.ThStartAddress, th.StartAddress)
			putPtr(t, l.ThClientID, uint64(th.PID))
			putPtr(t, l.ThClientID+l.PtrSize, uint64(th.TID))
			le.PutUint32(t[l.ThPriority:], uint32(th.Priority))
			le.PutUint32(t[l.ThContextSwitches:], th.ContextSwitches)
			le.PutUint32(t[l.ThThreadState:], uint32(th.State))
			le.PutUint32(t[l.ThWaitReason:], uint32(th.WaitReason))
		}
	}
	return b
}

func sampleProcs(ptr uint64) []ProcInfo {
	return []ProcInfo{
		{PID: 0, Threads: []ThreadInfo{{PID: 0, TID: 0, State: StateRunning}}},
		{PID: 700, ParentPID: 600, Image: "svc.exe", SessionID: 0, HandleCount: 321, BasePriority: 8, CreateTime: 133_000_000_000_000_000,
			Threads: []ThreadInfo{
				{PID: 700, TID: 704, State: StateWaiting, WaitReason: WaitWrQueue, WaitTime: 99, Priority: 9, ContextSwitches: 1000, StartAddress: ptr, CreateTime: 5},
				{PID: 700, TID: 708, State: StateWaiting, WaitReason: WaitUserRequest, WaitTime: 100, Priority: 8, ContextSwitches: 2, StartAddress: ptr + 16, CreateTime: 6},
			}},
		{PID: 1200, ParentPID: 700, Image: "clíent.exe", SessionID: 1, HandleCount: 40, BasePriority: 8,
			Threads: []ThreadInfo{{PID: 1200, TID: 2804, State: StateWaiting, WaitReason: WaitExecutive, WaitTime: 7, Priority: 10}}},
	}
}

func TestParseProcesses(t *testing.T) {
	for _, c := range []struct {
		name  string
		l     *Layout
		base  uint64
		ptr   uint64
		align int
	}{
		{"64", &Layout64, 0x0000_01F0_0000_0000, 0x7FF6_1234_5678, 8},
		{"32", &Layout32, 0x0040_0000, 0x7712_3456, 8},
		{"64 packed", &Layout64, 0x0000_01F0_0000_0000, 0x7FF6_1234_5678, 2},
		{"32 packed", &Layout32, 0x0040_0000, 0x7712_3456, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := sampleProcs(c.ptr)
			b := buildProcsAligned(c.l, c.base, want, c.align)
			got, err := ParseProcesses(b, c.base, c.l)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d processes, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.PID != w.PID || g.ParentPID != w.ParentPID || g.Image != w.Image || g.SessionID != w.SessionID ||
					g.HandleCount != w.HandleCount || g.BasePriority != w.BasePriority || g.CreateTime != w.CreateTime || len(g.Threads) != len(w.Threads) {
					t.Errorf("process %d = %+v, want %+v", i, g, w)
					continue
				}
				for j := range w.Threads {
					if g.Threads[j] != w.Threads[j] {
						t.Errorf("process %d thread %d = %+v, want %+v", i, j, g.Threads[j], w.Threads[j])
					}
				}
			}
		})
	}
}

func TestParseProcessesErrors(t *testing.T) {
	l := &Layout64
	const base = 0x10000
	good := buildProcs(l, base, sampleProcs(1))
	second := int(binary.LittleEndian.Uint32(good[0:])) // offset of entry 2
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	for _, c := range []struct {
		name  string
		b     []byte
		off   int
		msg   string
		nread int
	}{
		{"truncated header", good[:100], 0, "entry needs 256 bytes, 100 left", 0},
		{"next past end", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[0:], 1<<20) }), 0, "NextEntryOffset 1048576", 1},
		{"next below size", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[0:], 8) }), 0, "NextEntryOffset 8", 1},
		{"threads past end", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[second+4:], 1000) }), second + 256, "1000 threads need 80000 bytes", 1},
		{"thread count huge", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[second+4:], 0xFFFFFFFF) }), second + 4, "NumberOfThreads 4294967295", 1},
		{"name outside", mod(func(b []byte) { binary.LittleEndian.PutUint64(b[second+0x40:], 5) }), second + 0x38, "ImageName buffer 0x5", 1},
		{"name odd length", mod(func(b []byte) { binary.LittleEndian.PutUint16(b[second+0x38:], 7) }), second + 0x38, "ImageName buffer", 1},
	} {
		got, err := ParseProcesses(c.b, base, l)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Offset != c.off || !strings.Contains(err.Error(), c.msg) || pe.What != "SYSTEM_PROCESS_INFORMATION" {
			t.Errorf("%s: %v, want offset %d and %q", c.name, err, c.off, c.msg)
		}
		if len(got) != c.nread {
			t.Errorf("%s: %d processes before the error, want %d", c.name, len(got), c.nread)
		}
	}
}
