package correlate

import "github.com/ipctrace/ipctrace/decoders"

// IsFileIO exposes the engine's notion of a file I/O operation to the
// external tests.
func IsFileIO(ev decoders.Event) bool { return classOf(ev) == classFileIO }

// Uses reports whether the engine reads events of ev's type (classOf).
func Uses(ev decoders.Event) bool { return classOf(ev) != classNone }
