package correlate_test

import (
	"reflect"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/pipeline"
)

// Every event type the engine reads must be kept by the pipeline's
// batches, which hand every other event on with its value dropped: a type
// added to the engine and not to the batches would be silently lost.
func TestPipelineKeepsWhatEngineUses(t *testing.T) {
	types := map[reflect.Type]decoders.Event{}
	for _, e := range decoders.Entries() {
		ev := e.New()
		types[reflect.TypeOf(ev)] = ev
	}
	// And one of each mechanism, whatever decodes it (TraceLogging events
	// have no registry entry).
	for _, ev := range []decoders.Event{&decoders.FileReadWrite{}, &decoders.AlpcUnwait{}, &decoders.LostEvent{},
		&decoders.SecuritySnapshot{}, &decoders.Win32kUIDelay{}, &decoders.COMCallDelay{},
		&decoders.MapFile{}, &decoders.KernelProcessStart{}} {
		types[reflect.TypeOf(ev)] = ev
	}
	used := 0
	for ty, ev := range types {
		if !correlate.Uses(ev) {
			continue
		}
		used++
		if !pipeline.Keeps(ev) {
			t.Errorf("the engine reads %v, which pipeline batches drop", ty)
		}
	}
	if used < 20 {
		t.Fatalf("the engine reads only %d of %d event types", used, len(types))
	}
	// What no engine handler reads is not kept for it either.
	if correlate.Uses(&decoders.FileDirEnum{}) || correlate.Uses(nil) {
		t.Error("the engine claims to read directory enumerations or events without a value")
	}
}
