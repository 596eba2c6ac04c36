package decoders

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestFastPlansMatchFields decodes random payloads of every registered
// layout, of every length from a little below its minimum to past it, for
// both pointer sizes, with the fast plans and located destinations and
// field by field through each field's ref: events and errors must be the
// same.
func TestFastPlansMatchFields(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 0
	for _, e := range Entries() {
		for _, ptr := range []int{4, 8} {
			lo := max(e.MinSize(ptr)-3, 0)
			for size := lo; size <= e.MinSize(ptr)+24; size++ {
				payload := make([]byte, size)
				for i := range payload {
					payload[i] = byte(r.Uint32())
				}
				fast, ferr := e.Decode(nil, payload, ptr)
				slowOnly = true
				slow, serr := e.Decode(nil, payload, ptr)
				slowOnly = false
				if !reflect.DeepEqual(fast, slow) || fmt.Sprint(ferr) != fmt.Sprint(serr) {
					t.Fatalf("%s ptr %d size %d:\nfast %+v (%v)\nslow %+v (%v)", e.Key, ptr, size, fast, ferr, slow, serr)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no layouts")
	}
}
