package correlate_test

import (
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/pipeline"
)

// Every event type the engine reads must be kept by the pipeline's
// batches, which hand every other event on with its value dropped: a type
// added to the engine and not to the batches would be silently lost.
func TestPipelineKeepsWhatEngineUses(t *testing.T) {
	var evs []decoders.Event
	for _, e := range decoders.Entries() {
		evs = append(evs, e.New())
	}
	// And one of each mechanism, whatever decodes it.
	evs = append(evs, &decoders.FileReadWrite{}, &decoders.AlpcUnwait{}, &decoders.LostEvent{},
		&decoders.SecuritySnapshot{}, &decoders.Win32kUIDelay{}, &decoders.COMCallDelay{},
		&decoders.MapFile{}, &decoders.KernelProcessStart{})
	used := 0
	for _, ev := range evs {
		if !correlate.Uses(ev) {
			continue
		}
		used++
		if !pipeline.Keeps(ev) {
			t.Errorf("the engine reads %T, which pipeline batches drop", ev)
		}
	}
	if used < 20 {
		t.Fatalf("the engine reads only %d of %d event types", used, len(evs))
	}
	// What no engine handler reads is not kept for it either.
	if correlate.Uses(&decoders.FileDirEnum{}) || correlate.Uses(nil) {
		t.Error("the engine claims to read directory enumerations or events without a value")
	}
}
