package report

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipctrace/ipctrace/correlate"
)

// mergeWindows merges lossy windows that overlap or touch, for display: the
// model keeps one window per flagged buffer (JSON), but buffers of several
// processors usually cover the same stretch of time, and a person wants to
// see that stretch once. The reason lists the distinct reasons and, when
// more than one window was merged, how many.
func mergeWindows(ws []correlate.Window) []correlate.Window {
	type span struct {
		start, end time.Time
		w          correlate.Window
		reasons    []string
		n          int
	}
	var spans []span
	for _, w := range ws {
		s, err1 := time.Parse(time.RFC3339Nano, w.Start)
		e, err2 := time.Parse(time.RFC3339Nano, w.End)
		if err1 != nil || err2 != nil {
			return ws // not our format: show the windows as they are
		}
		spans = append(spans, span{start: s, end: e, w: w, reasons: []string{w.Reason}, n: 1})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	var out []span
	for _, s := range spans {
		if k := len(out) - 1; k >= 0 && !s.start.After(out[k].end) {
			if s.end.After(out[k].end) {
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
	merged := make([]correlate.Window, len(out))
	for i, s := range out {
		merged[i] = correlate.Window{Start: s.w.Start, End: s.w.End, Reason: strings.Join(s.reasons, ", ")}
		if s.n > 1 {
			merged[i].Reason += " (" + strconv.Itoa(s.n) + " windows)"
		}
	}
	return merged
}
