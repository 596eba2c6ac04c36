package pipeline

import "github.com/ipctrace/ipctrace/decoders"

// Decode exposes decode, every consumer taking every event, to the
// external tests.
func Decode(srcs []Source, warn func(string), adds ...func(*decoders.Decoded)) {
	DecodeChosen(srcs, warn, nil, adds...)
}

// DecodeChosen is decode with choosers.
func DecodeChosen(srcs []Source, warn func(string), choose []Chooser, adds ...func(*decoders.Decoded)) {
	as := make([]adder, len(adds))
	for i, a := range adds {
		as[i] = addFunc(a)
	}
	decode(srcs, warn, choose, as...)
}

// EngineUses exposes engineUses to the external tests.
var EngineUses = engineUses

// addFunc makes a function an adder.
type addFunc func(*decoders.Decoded)

func (f addFunc) Add(d *decoders.Decoded) { f(d) }
