package correlate_test

import (
	"bytes"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/memfile"
)

// preexistingPipeTrace writes a trace in which both ends of a pipe were
// opened before the session started: it shows only their traffic (one
// write by the client, one read by the server) and, at stop, the file-name
// rundown naming the pipe's FileKeys, with rundown on; with rundown off the
// pipe is never named.
func preexistingPipeTrace(t *testing.T, rundown bool) []byte {
	t.Helper()
	var out memfile.File
	w, err := etw.NewWriter(&out, etw.WriterOptions{BufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	start := w.Options().StartTime
	const (
		serverPID, serverTID = 10, 100
		clientPID, clientTID = 20, 200
		clientFO, serverFO   = 0xFFFF8A0A00001000, 0xFFFF8A0A00002000
		key                  = 0xFFFF8A0A00003000 // client FileKey; server = key|1 (docs/rules.md P4)
		name                 = `\Device\NamedPipe\pre-existing`
	)
	at := int64(0)
	write := func(class etw.GUID, group uint8, op decoders.Op, version uint16, pid, tid uint32, proc uint16, ev decoders.Event) {
		t.Helper()
		payload, err := decoders.Encode(decoders.KernelKey(class, uint8(op), version), ev, 8)
		if err != nil {
			t.Fatal(err)
		}
		at += 1000
		r := etw.Record{Kind: etw.KindSystem64, Provider: class, Group: group, Opcode: uint8(op), Version: version,
			ThreadID: tid, ProcessID: pid, Time: start + at, Payload: payload, Processor: proc}
		if err := w.WriteRecord(&r); err != nil {
			t.Fatal(err)
		}
	}
	fileIo := func(op decoders.Op, proc uint16, ev decoders.Event) {
		write(decoders.FileIoGUID, 0x04, op, 3, 0xFFFFFFFF, 0xFFFFFFFF, proc, ev)
	}
	write(decoders.ThreadGUID, 0x05, decoders.OpProcessDCStart, 3, serverPID, serverTID, 0,
		&decoders.Thread{Op: decoders.OpProcessDCStart, ProcessID: serverPID, ThreadID: serverTID})
	write(decoders.ThreadGUID, 0x05, decoders.OpProcessDCStart, 3, clientPID, clientTID, 0,
		&decoders.Thread{Op: decoders.OpProcessDCStart, ProcessID: clientPID, ThreadID: clientTID})
	fileIo(decoders.OpWrite, 1, &decoders.FileReadWrite{Op: decoders.OpWrite, IrpPtr: 0xA1, FileObject: clientFO, FileKey: key, TTID: clientTID, IoSize: 300})
	fileIo(decoders.OpOperationEnd, 1, &decoders.FileOpEnd{IrpPtr: 0xA1, ExtraInfo: 300})
	fileIo(decoders.OpRead, 0, &decoders.FileReadWrite{Op: decoders.OpRead, IrpPtr: 0xB2, FileObject: serverFO, FileKey: key | 1, TTID: serverTID, IoSize: 4096})
	fileIo(decoders.OpOperationEnd, 0, &decoders.FileOpEnd{IrpPtr: 0xB2, ExtraInfo: 300})
	if rundown {
		// Session stop: the rundown goes to processor 1, whose last buffers it fills.
		for i := range 200 {
			fileIo(decoders.OpFileRundown, 1, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: 0xFFFF8A0A10000000 + 0x100*uint64(i), FileName: `\Device\HarddiskVolume3\Windows\file.dat`})
		}
		fileIo(decoders.OpFileRundown, 1, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: key, FileName: name})
		fileIo(decoders.OpFileRundown, 1, &decoders.FileName{Op: decoders.OpFileRundown, FileKey: key | 1, FileName: name})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestPipeOpenedBeforeTraceNamedByStopRundown(t *testing.T) {
	raw := preexistingPipeTrace(t, true)
	m, err := correlate.AnalyzeReader("pre", bytes.NewReader(raw), int64(len(raw)), correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pipes) != 1 {
		t.Fatalf("pipes = %+v, want the pre-existing conversation", m.Pipes)
	}
	p := m.Pipes[0]
	if p.Name != `\\.\pipe\pre-existing` || p.ServerPID != 10 || p.ClientPID != 20 ||
		p.ToServer.Ops != 1 || p.ToServer.Bytes != 300 || !p.Inferred {
		t.Errorf("pipe = %+v", p)
	}

	raw = preexistingPipeTrace(t, false)
	m, err = correlate.AnalyzeReader("pre", bytes.NewReader(raw), int64(len(raw)), correlate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pipes) != 0 {
		t.Errorf("without a rundown the pipe cannot be named, got %+v", m.Pipes)
	}
}
