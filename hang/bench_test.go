package hang

import "testing"

// A machine-sized process list: 300 processes of 20 threads.
func benchProcs() []ProcInfo {
	var ps []ProcInfo
	for p := uint32(1); p <= 300; p++ {
		pi := ProcInfo{PID: p * 4, Image: "process.exe"}
		for t := uint32(0); t < 20; t++ {
			pi.Threads = append(pi.Threads, ThreadInfo{PID: p * 4, TID: p*1000 + t, State: StateWaiting, WaitReason: WaitUserRequest})
		}
		ps = append(ps, pi)
	}
	return ps
}

func BenchmarkParseProcesses(b *testing.B) {
	buf := buildProcs(&Layout64, 0x10000, benchProcs())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseProcesses(buf, 0x10000, &Layout64); err != nil {
			b.Fatal(err)
		}
	}
}

// --all on that machine: every thread has a 3-node chain to a thread of
// the next process, and one pipe client end per process.
func BenchmarkAnalyzeAll(b *testing.B) {
	var s Snapshot
	for _, p := range benchProcs() {
		s.Processes = append(s.Processes, Process{PID: p.PID, Image: p.Image, Target: true})
		for i, t := range p.Threads {
			th := Thread{PID: t.PID, TID: t.TID, State: t.State, WaitReason: t.WaitReason, Chain: []Node{{Type: TypeThread, Status: StatusBlocked, PID: t.PID, TID: t.TID}}}
			if i%2 == 0 {
				th.Chain = append(th.Chain, Node{Type: TypeALPC, Status: StatusPIDOnly}, Node{Type: TypeThread, Status: StatusPIDOnly, PID: p.PID%1200 + 4})
			}
			s.Threads = append(s.Threads, th)
		}
		s.Pipes = append(s.Pipes, PipeEnd{PID: p.PID, Name: "p", State: PipeStateConnected, ServerPID: p.PID%1200 + 4})
	}
	b.ReportAllocs()
	for b.Loop() {
		r := Analyze(&s)
		if len(r.Waits) == 0 {
			b.Fatal("no waits")
		}
	}
}
