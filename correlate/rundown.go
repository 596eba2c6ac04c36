package correlate

import (
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// rundownMissLimit is how many buffers without rundown records a backwards
// scan of a processor's stream passes before it stops: buffers flushed at
// session stop can also hold DCEnd and SystemConfig records.
const rundownMissLimit = 4

// seedRundownNames gives e, before any event, the named-pipe names of the
// stop-time file-name rundown (FileIo FileRundown, opcode 36: docs/events.md
// docs/events.md#fileio-opcodes, docs/recording.md#rundown). Without them, a pipe whose ends were opened before the
// trace started (the usual case for a long-running service) is named only
// after its traffic has gone by, and its conversation is missed. The rundown
// is logged at session stop, so it sits at the end of each processor's
// buffer stream: each stream is read backwards from its last buffer while
// buffers hold rundown records. Only pipe names are seeded, because a FileKey
// named at the end may have named another file earlier in the trace.
func seedRundownNames(e *Engine, f *etw.File) {
	br := f.NewBufferReader()
	p := decoders.NewParser()
	for _, bufs := range f.ProcessorBuffers() {
		misses := 0
		for i := len(bufs) - 1; i >= 0 && misses < rundownMissLimit; i-- {
			found := false
			for rec, err := range br.Records(bufs[i]) {
				if err != nil || rec == nil || !rec.Kind.IsKernel() ||
					rec.Opcode != uint8(decoders.OpFileRundown) || rec.Provider != decoders.FileIoGUID {
					continue
				}
				found = true
				d, ok, derr := p.Decode(rec)
				if !ok || derr != nil {
					continue
				}
				if fn, isName := d.Event.(*decoders.FileName); isName {
					if _, isPipe := pipeNameOf(fn.FileName); isPipe {
						e.seedName(fn.FileKey, fn.FileName)
					}
				}
			}
			if found {
				misses = 0
			} else {
				misses++
			}
		}
	}
}

// seedName records name for key unless the key is named already.
func (e *Engine) seedName(key uint64, name string) {
	if _, ok := e.names[key]; !ok {
		e.names[key] = name
		e.namesGen++
	}
}
