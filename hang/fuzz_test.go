package hang

import (
	"encoding/binary"
	"testing"
)

// FuzzParsers feeds arbitrary bytes to every parser of what Windows
// returns and to Analyze over what they yield: no panic, no hang, output
// bounded by the input.
func FuzzParsers(f *testing.F) {
	f.Add(buildProcs(&Layout64, 0x1000, sampleProcs(7)), uint8(0), uint64(0x1000))
	f.Add(buildProcs(&Layout32, 0x1000, sampleProcs(7)), uint8(1), uint64(0x1000))
	f.Add(concat(threadNode(StatusBlocked, 1, 2, 3, 4), objectNode(TypeALPC, StatusPIDOnly, "p"), threadNode(StatusBlocked, 5, 0, 0, 0)), uint8(3), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, sel uint8, base uint64) {
		l := &Layout64
		if sel&1 != 0 {
			l = &Layout32
		}
		ps, _ := ParseProcesses(b, base, l)
		if len(ps) > len(b)/l.ProcSize+1 {
			t.Fatalf("%d processes from %d bytes", len(ps), len(b))
		}
		count := int(sel>>1) % (MaxNodes + 2)
		nodes, err := ParseNodes(b, count)
		if err == nil && len(nodes) != count {
			t.Fatalf("%d nodes, asked %d", len(nodes), count)
		}
		// Chains as parsed, with the threads the walker found.
		var s Snapshot
		for _, p := range ps {
			s.Processes = append(s.Processes, Process{PID: p.PID, Image: p.Image})
			for _, x := range p.Threads {
				s.Threads = append(s.Threads, Thread{PID: x.PID, TID: x.TID, State: x.State, WaitReason: x.WaitReason, Chain: nodes, Cycle: sel&0x80 != 0})
				if len(s.Threads) > 64 {
					break
				}
			}
		}
		if len(b) >= 8 {
			s.Pipes = append(s.Pipes, PipeEnd{PID: binary.LittleEndian.Uint32(b), Name: "x", ServerPID: binary.LittleEndian.Uint32(b[4:]), State: PipeState(sel & 3)})
		}
		r := Analyze(&s)
		if len(r.Cycles) > maxCycles {
			t.Fatalf("%d cycles", len(r.Cycles))
		}
		_ = ToModel(r)
		hs, _ := ParseHandleTable(b, 4+4*int(sel&1))
		if len(hs) > len(b)/28 {
			t.Fatalf("%d handles from %d bytes", len(hs), len(b))
		}
		_, _ = ParsePipeLocalInfo(b)
	})
}
