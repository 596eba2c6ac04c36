package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/model"
)

// mergeWindows merges lossy windows that overlap or touch, for display: the
// model keeps one window per flagged buffer (JSON), but buffers of several
// processors usually cover the same stretch of time, and a person wants to
// see that stretch once. The reason lists the distinct reasons and, when
// more than one window was merged, how many.
func mergeWindows(ws []model.Window) []model.Window {
	type span struct {
		start, end model.Time
		w          model.Window
		reasons    []string
		n          int
	}
	var spans []span
	for _, w := range ws {
		spans = append(spans, span{start: w.Start, end: w.End, w: w, reasons: []string{w.Reason}, n: 1})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var out []span
	for _, s := range spans {
		if k := len(out) - 1; k >= 0 && s.start <= out[k].end {
			if s.end > out[k].end {
				out[k].end, out[k].w.End = s.end, s.w.End
			}
			if !slices.Contains(out[k].reasons, s.w.Reason) {
				out[k].reasons = append(out[k].reasons, s.w.Reason)
			}
			out[k].n++
			continue
		}
		out = append(out, s)
	}
	merged := make([]model.Window, len(out))
	for i, s := range out {
		merged[i] = model.Window{Start: s.w.Start, End: s.w.End, Reason: strings.Join(s.reasons, ", ")}
		if s.n > 1 {
			merged[i].Reason += " (" + strconv.Itoa(s.n) + " windows)"
		}
	}
	return merged
}
