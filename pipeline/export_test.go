package pipeline

import "github.com/ipctrace/ipctrace/decoders"

// Decode exposes decode to the external tests.
var Decode = decode

// EngineUses exposes engineUses to the external tests.
var EngineUses = engineUses

// Kept reports whether batches keep ev for the engine (other events are
// only counted).
func Kept(ev decoders.Event) bool {
	b := newBatch(1)
	b.add(&decoders.Decoded{Event: ev})
	return b.evs[0].Event != nil
}
