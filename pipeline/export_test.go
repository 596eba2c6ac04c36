package pipeline

import "github.com/ipctrace/ipctrace/decoders"

// Decode exposes decode, every consumer taking every event, to the
// external tests.
func Decode(srcs []Source, warn func(string), adds ...func(*decoders.Decoded)) {
	decode(srcs, warn, nil, adds...)
}

// DecodeChosen is decode with choosers.
var DecodeChosen = decode

// EngineUses exposes engineUses to the external tests.
var EngineUses = engineUses
