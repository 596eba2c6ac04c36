package report

import (
	"reflect"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
)

func TestMergeWindows(t *testing.T) {
	w := func(s, e, r string) correlate.Window {
		return correlate.Window{Start: "2026-01-01T00:00:00." + s + "Z", End: "2026-01-01T00:00:00." + e + "Z", Reason: r}
	}
	got := mergeWindows([]correlate.Window{
		w("0149482", "0282119", "EVENTS_LOST|BUFFER_LOST"),
		w("0149250", "0282119", "EVENTS_LOST|BUFFER_LOST"),
		w("0149250", "0200000", "EVENTS_LOST"),
		w("0300000", "0300000", "LostEvent record"), // disjoint: kept apart
	})
	want := []correlate.Window{
		w("0149250", "0282119", "EVENTS_LOST|BUFFER_LOST, EVENTS_LOST (3 windows)"),
		w("0300000", "0300000", "LostEvent record"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	odd := []correlate.Window{{Start: "x", End: "y", Reason: "r"}}
	if got := mergeWindows(odd); !reflect.DeepEqual(got, odd) {
		t.Fatalf("unparsable windows changed: %+v", got)
	}
}
