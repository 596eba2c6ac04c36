package report

import (
	"sort"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/model"
)

// Units shared by every format: bytes in B/KiB/MiB/GiB, durations in
// µs/ms/s, latency summaries as p50/p99/max (µs).

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func flow(f model.Flow) string {
	return strconv.FormatInt(f.Ops, 10) + "/" + bytesStr(uint64(max(f.Bytes, 0)))
}

// bytesStr formats a byte count: "672 B", "1.8 KiB", "2.3 MiB", "1.5 GiB".
func bytesStr(n uint64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatUint(n, 10) + " B"
}

// lat formats a latency summary as p50/p99/max (µs); "~" marks
// percentiles from the histogram. The sample count is in JSON and the
// HTML tooltip.
func lat(s latency.Summary) string {
	if s.Count == 0 {
		return "-"
	}
	approx := ""
	if s.Approx {
		approx = "~"
	}
	return approx + num(s.P50) + "/" + num(s.P99) + "/" + num(s.Max)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// dur formats microseconds for people.
func dur(us float64) string {
	switch {
	case us >= 1e6:
		return strconv.FormatFloat(us/1e6, 'f', 3, 64) + " s"
	case us >= 1e3:
		return strconv.FormatFloat(us/1e3, 'f', 3, 64) + " ms"
	}
	return strconv.FormatFloat(us, 'f', 1, 64) + " µs"
}

// failures formats failure counts by status name, names escaped.
func failures(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[esc(k)] += v
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "×" + strconv.Itoa(c[k])
	}
	return strings.Join(parts, ", ")
}
