package correlate

import (
	"github.com/ipctrace/ipctrace/decoders"
)

// batchSize is the number of events handed at once from the decoding
// goroutine to the correlating one.
const batchSize = 2048

// batch is a run of decoded events whose Event values are copies owned by
// the batch (the Parser reuses its own storage). Events are appended into
// typed slices and the pointers are taken by seal, once no slice grows.
// Batches are reused: their slices keep their capacity.
type batch struct {
	evs  []decoders.Decoded
	refs []eventRef

	fileCreate  []decoders.FileCreate
	fileSimple  []decoders.FileSimpleOp
	fileRW      []decoders.FileReadWrite
	fileInfo    []decoders.FileInfo
	fileOpEnd   []decoders.FileOpEnd
	fileName    []decoders.FileName
	mapFile     []decoders.MapFile
	alpcMsg     []decoders.AlpcMessage
	alpcWaitNew []decoders.AlpcWaitNewMessage
	alpcUnwait  []decoders.AlpcUnwait
	alpcRaw     []decoders.AlpcRaw
	process     []decoders.Process
	thread      []decoders.Thread
	kproc       []decoders.KernelProcessStart
	kthread     []decoders.KernelThread
	rpcStart    []decoders.RPCCallStart
	rpcStop     []decoders.RPCCallStop
	lost        []decoders.LostEvent
	secSnap     []decoders.SecuritySnapshot
}

// eventRef locates the copy of evs[i].Event: a type tag and an index.
type eventRef struct {
	tag uint8
	i   int32
}

const (
	tagNone uint8 = iota
	tagFileCreate
	tagFileSimple
	tagFileRW
	tagFileInfo
	tagFileOpEnd
	tagFileName
	tagMapFile
	tagAlpcMsg
	tagAlpcWaitNew
	tagAlpcUnwait
	tagAlpcRaw
	tagProcess
	tagThread
	tagKProc
	tagKThread
	tagRPCStart
	tagRPCStop
	tagLost
	tagSecSnap
)

func (b *batch) reset() {
	b.evs, b.refs = b.evs[:0], b.refs[:0]
	b.fileCreate, b.fileSimple, b.fileRW, b.fileInfo = b.fileCreate[:0], b.fileSimple[:0], b.fileRW[:0], b.fileInfo[:0]
	b.fileOpEnd, b.fileName, b.mapFile = b.fileOpEnd[:0], b.fileName[:0], b.mapFile[:0]
	b.alpcMsg, b.alpcWaitNew, b.alpcUnwait, b.alpcRaw = b.alpcMsg[:0], b.alpcWaitNew[:0], b.alpcUnwait[:0], b.alpcRaw[:0]
	b.process, b.thread, b.kproc, b.kthread = b.process[:0], b.thread[:0], b.kproc[:0], b.kthread[:0]
	b.rpcStart, b.rpcStop, b.lost, b.secSnap = b.rpcStart[:0], b.rpcStop[:0], b.lost[:0], b.secSnap[:0]
}

// add appends d, copying its Event when the engine uses that type; other
// events are kept for counting only (Event nil).
func (b *batch) add(d *decoders.Decoded) {
	r := eventRef{}
	switch ev := d.Event.(type) {
	case *decoders.FileCreate:
		r = eventRef{tagFileCreate, int32(len(b.fileCreate))}
		b.fileCreate = append(b.fileCreate, *ev)
	case *decoders.FileSimpleOp:
		r = eventRef{tagFileSimple, int32(len(b.fileSimple))}
		b.fileSimple = append(b.fileSimple, *ev)
	case *decoders.FileReadWrite:
		r = eventRef{tagFileRW, int32(len(b.fileRW))}
		b.fileRW = append(b.fileRW, *ev)
	case *decoders.FileInfo:
		r = eventRef{tagFileInfo, int32(len(b.fileInfo))}
		b.fileInfo = append(b.fileInfo, *ev)
	case *decoders.FileOpEnd:
		r = eventRef{tagFileOpEnd, int32(len(b.fileOpEnd))}
		b.fileOpEnd = append(b.fileOpEnd, *ev)
	case *decoders.FileName:
		r = eventRef{tagFileName, int32(len(b.fileName))}
		b.fileName = append(b.fileName, *ev)
	case *decoders.MapFile:
		r = eventRef{tagMapFile, int32(len(b.mapFile))}
		b.mapFile = append(b.mapFile, *ev)
	case *decoders.AlpcMessage:
		r = eventRef{tagAlpcMsg, int32(len(b.alpcMsg))}
		b.alpcMsg = append(b.alpcMsg, *ev)
	case *decoders.AlpcWaitNewMessage:
		r = eventRef{tagAlpcWaitNew, int32(len(b.alpcWaitNew))}
		b.alpcWaitNew = append(b.alpcWaitNew, *ev)
	case *decoders.AlpcUnwait:
		r = eventRef{tagAlpcUnwait, int32(len(b.alpcUnwait))}
		b.alpcUnwait = append(b.alpcUnwait, *ev)
	case *decoders.AlpcRaw:
		r = eventRef{tagAlpcRaw, int32(len(b.alpcRaw))}
		b.alpcRaw = append(b.alpcRaw, decoders.AlpcRaw{Op: ev.Op}) // payload not kept
	case *decoders.Process:
		r = eventRef{tagProcess, int32(len(b.process))}
		b.process = append(b.process, *ev)
	case *decoders.Thread:
		r = eventRef{tagThread, int32(len(b.thread))}
		b.thread = append(b.thread, *ev)
	case *decoders.KernelProcessStart:
		r = eventRef{tagKProc, int32(len(b.kproc))}
		c := *ev
		c.MandatoryLabel = decoders.SIDField{} // aliases the payload
		b.kproc = append(b.kproc, c)
	case *decoders.KernelThread:
		r = eventRef{tagKThread, int32(len(b.kthread))}
		b.kthread = append(b.kthread, *ev)
	case *decoders.RPCCallStart:
		r = eventRef{tagRPCStart, int32(len(b.rpcStart))}
		b.rpcStart = append(b.rpcStart, *ev)
	case *decoders.RPCCallStop:
		r = eventRef{tagRPCStop, int32(len(b.rpcStop))}
		b.rpcStop = append(b.rpcStop, *ev)
	case *decoders.LostEvent:
		r = eventRef{tagLost, int32(len(b.lost))}
		b.lost = append(b.lost, *ev)
	case *decoders.SecuritySnapshot:
		r = eventRef{tagSecSnap, int32(len(b.secSnap))}
		c := *ev
		c.SD = append([]byte(nil), ev.SD...) // aliases the payload
		b.secSnap = append(b.secSnap, c)
	}
	c := *d
	c.Event = nil
	b.evs = append(b.evs, c)
	b.refs = append(b.refs, r)
}

// seal points every event at its copy; the batch must not grow afterwards.
func (b *batch) seal() {
	for i, r := range b.refs {
		var ev decoders.Event
		switch r.tag {
		case tagFileCreate:
			ev = &b.fileCreate[r.i]
		case tagFileSimple:
			ev = &b.fileSimple[r.i]
		case tagFileRW:
			ev = &b.fileRW[r.i]
		case tagFileInfo:
			ev = &b.fileInfo[r.i]
		case tagFileOpEnd:
			ev = &b.fileOpEnd[r.i]
		case tagFileName:
			ev = &b.fileName[r.i]
		case tagMapFile:
			ev = &b.mapFile[r.i]
		case tagAlpcMsg:
			ev = &b.alpcMsg[r.i]
		case tagAlpcWaitNew:
			ev = &b.alpcWaitNew[r.i]
		case tagAlpcUnwait:
			ev = &b.alpcUnwait[r.i]
		case tagAlpcRaw:
			ev = &b.alpcRaw[r.i]
		case tagProcess:
			ev = &b.process[r.i]
		case tagThread:
			ev = &b.thread[r.i]
		case tagKProc:
			ev = &b.kproc[r.i]
		case tagKThread:
			ev = &b.kthread[r.i]
		case tagRPCStart:
			ev = &b.rpcStart[r.i]
		case tagRPCStop:
			ev = &b.rpcStop[r.i]
		case tagLost:
			ev = &b.lost[r.i]
		case tagSecSnap:
			ev = &b.secSnap[r.i]
		default:
			continue
		}
		b.evs[i].Event = ev
	}
}
