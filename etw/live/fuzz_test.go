package live

import "testing"

// FuzzLayoutDecoders feeds arbitrary bytes to the decoders of what Windows
// hands back (EVENT_TRACE_PROPERTIES after ControlTrace, a copied
// EVENT_RECORD): they must return an error, never panic.
func FuzzLayoutDecoders(f *testing.F) {
	f.Add(make([]byte, sizeEventTraceProperties))
	f.Add(make([]byte, sizeEventRecord))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeProperties(b)
		recordFromEvent(b, nil, nil, 8)
		recordFromEvent(b, b, []extData{{Type: 1, Data: b}}, 4)
	})
}
