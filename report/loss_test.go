package report

import (
	"reflect"
	"testing"

	"github.com/ipctrace/ipctrace/model"
)

func TestMergeWindows(t *testing.T) {
	const base = 134116128000000000 // 2026-01-01 as a FILETIME
	w := func(s, e int64, r string) model.Window {
		return model.Window{Start: model.Time(base + s), End: model.Time(base + e), Reason: r}
	}
	got := mergeWindows([]model.Window{
		w(149482, 282119, "EVENTS_LOST|BUFFER_LOST"),
		w(149250, 282119, "EVENTS_LOST|BUFFER_LOST"),
		w(149250, 200000, "EVENTS_LOST"),
		w(300000, 300000, "LostEvent record"), // disjoint: kept apart
	})
	want := []model.Window{
		w(149250, 282119, "EVENTS_LOST|BUFFER_LOST, EVENTS_LOST (3 windows)"),
		w(300000, 300000, "LostEvent record"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
