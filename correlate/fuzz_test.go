package correlate

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// FuzzEngine feeds arbitrary event sequences (small value ranges, so that
// objects, IRPs and message ids collide) and checks that the engine never
// panics and always returns a model that encodes.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 0x11, 0x22, 3, 0x11, 0x22, 2, 0x31, 7, 4, 0x31, 0x20, 5, 0x41, 0x99})
	f.Add([]byte{9, 1, 1, 10, 1, 1, 11, 2, 1, 12, 1, 1, 13, 2, 1, 9, 3, 2})
	f.Fuzz(engineFuzzBody)
}

// engineFuzzBody is one FuzzEngine execution.
func engineFuzzBody(t *testing.T, data []byte) {
	{
		e := New(Options{StuckAfter: time.Microsecond})
		e.AddBuffer(etw.BufferInfo{Flags: etw.BufferFlagEventsLost, FirstTime: t0 + 5, LastTime: t0 + 50})
		now := t0
		for i := 0; i+2 < len(data); i += 3 {
			op, a, b := data[i], uint64(data[i+1]), uint64(data[i+2])
			now += int64(b%7) * 3
			pid, tid := uint32(a%4+1)*4, uint32(a%8+1)*8
			irp, fo, key := 0x100+a%5, 0x200+b%4, 0x300+a%6
			var ev decoders.Event
			switch op % 16 {
			case 0:
				ev = &decoders.Process{Op: decoders.OpProcessDCStart, ProcessID: pid, ImageFileName: "p.exe"}
			case 1:
				ev = &decoders.Thread{Op: decoders.OpProcessDCStart, ProcessID: pid, ThreadID: tid}
			case 2:
				ev = &decoders.FileCreate{Op: decoders.OpCreate, IrpPtr: irp, FileObject: fo, TTID: tid,
					CreateOptions: uint32(b%4) << 24, OpenPath: `\Device\NamedPipe\p` + string(rune('a'+a%2))}
			case 3:
				ev = &decoders.FileOpEnd{IrpPtr: irp, ExtraInfo: b, Status: []uint32{0, 0xC00000AE, 0xC00000B2, 0x80000005}[a%4]}
			case 4:
				ev = &decoders.FileReadWrite{Op: decoders.OpRead + decoders.Op(b%2), IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid, IoSize: uint32(b)}
			case 5:
				ev = &decoders.FileInfo{Op: decoders.OpFSControl, IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid,
					InfoClass: []uint32{fsctlPipeListen, fsctlPipeDisconnect, fsctlPipeTransceive, fsctlPipeImpersonate}[b%4]}
			case 6:
				ev = &decoders.FileSimpleOp{Op: []decoders.Op{decoders.OpCleanup, decoders.OpClose, decoders.OpFlush}[b%3], IrpPtr: irp, FileObject: fo, FileKey: key, TTID: tid}
			case 7:
				ev = &decoders.FileName{Op: decoders.OpFileRundown, FileKey: key, FileName: `\Device\NamedPipe\q`}
			case 8:
				ev = &decoders.MapFile{Op: decoders.Op(37 + b%4), ViewBase: b % 3, FileKey: key, MiscInfo: (b % 16) << 52, ViewSize: 4096, ProcessID: pid}
			case 9, 10, 11:
				ev = &decoders.AlpcMessage{Op: decoders.Op(33 + op%3), MessageID: uint32(b % 3)}
			case 12:
				ev = &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: "port" + string(rune('a'+b%2))}
			case 13:
				ev = &decoders.AlpcUnwait{Status: uint32(b) << 24}
			case 14:
				ev = &decoders.RPCCallStart{Server: b%2 == 1, ProcNum: uint32(a % 2), Protocol: 3, Endpoint: "port" + string(rune('a'+b%2))}
			case 15:
				ev = &decoders.RPCCallStop{Server: b%2 == 1, Status: uint32(a % 2)}
			}
			hpid, htid := pid, tid
			if op%16 >= 2 && op%16 <= 7 {
				hpid, htid = anyPID, anyPID
			}
			e.Add(&decoders.Decoded{Time: now, PID: hpid, TID: htid, Event: ev})
		}
		m := e.Finish()
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		for _, c := range m.Deadlocks {
			if len(c.Cycle) == 0 {
				t.Fatal("empty cycle")
			}
		}
	}
}
