// Package texttable lays out text tables for a terminal of a given width:
// the one table style of ipctrace's text output (report, stats, sd).
//
// Style: a header line, a rule of '-' under each column, then one line per
// row; columns are separated by two spaces and have no borders, so that
// the width goes to the values. Numbers align right.
//
// Fitting: when the natural layout is wider than the width asked for,
// columns that allow it are shortened with an ellipsis in the middle
// ("\\.\pipe\ipctr…-pingpong", so both the start and the end of a name
// stay readable) down to their minimum; when that is not enough, the
// optional columns are left out, highest Priority first, and Render
// returns their names so that the caller can say what is not shown. A
// width of 0 or less lays out every column at its natural width (the
// "wide" view).
//
// Cells are printed as given: callers escape trace-derived text first
// (internal/termsafe).
package texttable

import (
	"io"
	"strings"
	"unicode"
)

// Column describes one column.
type Column struct {
	Head string
	// Right aligns the column's values to the right (numbers).
	Right bool
	// Priority 0 marks a column that is always shown; columns with a
	// higher Priority are left out first when the table does not fit.
	Priority int
	// Shrink, when > 0, lets the column be shortened with a middle
	// ellipsis down to Shrink cells.
	Shrink int
	// Wide marks a column shown only in the wide view (width ≤ 0).
	Wide bool
}

// Gap is the space between two columns.
const Gap = 2

// softMin is the width up to which names are not shortened while an
// optional column can be left out instead.
const softMin = 24

// lastResort is the width text columns without Shrink are cut to when
// every optional column is already left out.
const lastResort = 8

// Layout is the result of fitting a table: the columns shown (indexes
// into the columns given), their widths, the names of the columns left out
// to fit, and of the Wide columns left out because the view is not wide.
type Layout struct {
	Shown   []int
	Widths  []int
	Omitted []string
	Hidden  []string
}

// Fit computes the layout of cols and rows for a line of at most width
// cells (≤ 0: no limit).
func Fit(cols []Column, rows [][]string, width int) Layout {
	nat := make([]int, len(cols))
	for i, c := range cols {
		nat[i] = Width(c.Head)
	}
	for _, r := range rows {
		for i := range cols {
			if i < len(r) {
				nat[i] = max(nat[i], Width(r[i]))
			}
		}
	}
	var shown []int
	var omitted, hidden []string
	for i, c := range cols {
		if c.Wide && width > 0 {
			hidden = append(hidden, c.Head)
			continue
		}
		shown = append(shown, i)
	}
	if width <= 0 {
		return Layout{Shown: shown, Widths: pick(nat, shown)}
	}
	for {
		w := pick(nat, shown)
		total := lineWidth(w)
		if total <= width {
			return Layout{Shown: shown, Widths: w, Omitted: omitted, Hidden: hidden}
		}
		// While a column can still be left out, only long names (over
		// softMin cells) are shortened, by at most a third; down to their
		// minimum only when nothing is left to drop.
		drop := -1
		for k, i := range shown {
			if p := cols[i].Priority; p > 0 && (drop < 0 || p >= cols[shown[drop]].Priority) {
				drop = k
			}
		}
		lows := make([]int, len(shown))
		minTotal := total
		for k, i := range shown {
			lows[k] = w[k]
			s := cols[i].Shrink
			if s == 0 && drop < 0 && !cols[i].Right {
				s = lastResort // nothing left to drop: any text column shrinks
			}
			if s > 0 {
				lo := max(s, Width(cols[i].Head))
				if drop >= 0 {
					lo = max(lo, min(w[k], max(w[k]-w[k]/3, softMin)))
				}
				lows[k] = min(lo, w[k])
				minTotal -= w[k] - lows[k]
			}
		}
		if minTotal <= width || drop < 0 {
			// Take the excess from the widest shrinkable column, one cell
			// at a time.
			for excess := total - width; excess > 0; excess-- {
				best := -1
				for k := range shown {
					if w[k] > lows[k] && (best < 0 || w[k] > w[best]) {
						best = k
					}
				}
				if best < 0 {
					break
				}
				w[best]--
			}
			return Layout{Shown: shown, Widths: w, Omitted: omitted, Hidden: hidden}
		}
		omitted = append(omitted, cols[shown[drop]].Head)
		shown = append(shown[:drop:drop], shown[drop+1:]...)
	}
}

func pick(nat []int, shown []int) []int {
	w := make([]int, len(shown))
	for k, i := range shown {
		w[k] = nat[i]
	}
	return w
}

func lineWidth(w []int) int {
	n := 0
	for _, x := range w {
		n += x
	}
	if len(w) > 1 {
		n += Gap * (len(w) - 1)
	}
	return n
}

// Render writes the table laid out by Fit and returns the layout.
func Render(out io.Writer, cols []Column, rows [][]string, width int) (Layout, error) {
	l := Fit(cols, rows, width)
	var b strings.Builder
	line := func(cells func(i int) string) {
		b.Reset()
		for k, i := range l.Shown {
			s := Ellipsize(cells(i), l.Widths[k])
			pad := l.Widths[k] - Width(s)
			last := k == len(l.Shown)-1
			if k > 0 {
				b.WriteString(strings.Repeat(" ", Gap))
			}
			switch {
			case cols[i].Right:
				b.WriteString(strings.Repeat(" ", pad))
				b.WriteString(s)
			case last:
				b.WriteString(s)
			default:
				b.WriteString(s)
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
		b.WriteByte('\n')
	}
	rule := make([]string, len(cols))
	for k, i := range l.Shown {
		rule[i] = strings.Repeat("-", l.Widths[k])
	}
	for _, cells := range []func(i int) string{
		func(i int) string { return cols[i].Head },
		func(i int) string { return rule[i] },
	} {
		line(cells)
		if _, err := io.WriteString(out, b.String()); err != nil {
			return l, err
		}
	}
	for _, r := range rows {
		line(func(i int) string {
			if i < len(r) {
				return r[i]
			}
			return ""
		})
		if _, err := io.WriteString(out, b.String()); err != nil {
			return l, err
		}
	}
	return l, nil
}

// Ellipsize shortens s to at most w cells by replacing its middle with
// "…". It returns s when it fits.
func Ellipsize(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	keep := w - 1 // cells for text around the ellipsis
	hw := 0
	h := 0
	for h < len(r) && hw+RuneWidth(r[h]) <= keep/2 {
		hw += RuneWidth(r[h])
		h++
	}
	tw := 0
	t := len(r)
	for t > h && tw+RuneWidth(r[t-1]) <= keep-hw {
		tw += RuneWidth(r[t-1])
		t--
	}
	return string(r[:h]) + "…" + string(r[t:])
}

// Width is the number of terminal cells s takes: East Asian wide
// characters take two, combining marks and zero-width characters none.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n = 0
			for _, r := range s {
				n += RuneWidth(r)
			}
			return n
		}
	}
	return len(s)
}

// RuneWidth is the number of terminal cells r takes.
func RuneWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case r == 0x200b || r == 0x200c || r == 0x200d || r == 0xfeff:
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me):
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}
