package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ipctrace/ipctrace/internal/termsize"
	"github.com/ipctrace/ipctrace/internal/texttable"
	"github.com/ipctrace/ipctrace/model"
)

// TableOptions tune the table and HTML reports.
type TableOptions struct {
	// MaxRows limits the rows of each section (0: all); the number of rows
	// left out is printed below the section.
	MaxRows int
	// Width is the line width the table report fits (0: 120). Columns
	// are shortened or left out to fit, and the report says which.
	Width int
	// Wide shows every column at its full width, whatever Width says.
	Wide bool
}

// Table writes the human report from the view (NewView): trace summary
// and loss first, then stuck operations, deadlocks, idle servers, pipes,
// ALPC, RPC methods, shared sections, security, and the processes those
// rows name, each fitted to opt.Width (see internal/texttable).
func Table(w io.Writer, m *model.Model, opt TableOptions) error {
	return writeTable(w, NewView(m), opt)
}

type tabler struct {
	w     io.Writer
	opt   TableOptions
	width int // 0: no limit
	// hidden is set when a table had columns only the wide view shows.
	hidden bool
	err    error
}

func (t *tabler) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

func writeTable(w io.Writer, v *View, opt TableOptions) error {
	t := &tabler{w: w, opt: opt, width: opt.Width}
	if t.width <= 0 {
		t.width = termsize.Default
	}
	if opt.Wide {
		t.width = 0
	}
	t.printf("Trace\n")
	for _, f := range v.Facts {
		t.fact(f.Name, f.Value)
	}
	if v.Loss == nil {
		t.fact("loss", "no loss")
	} else {
		t.fact("loss", v.Loss.Text)
		for _, win := range v.Loss.Windows {
			t.fact("", fmt.Sprintf("%s .. %s  %s", win.Start, win.End, win.Reason))
		}
		if v.Loss.Note != "" {
			t.fact("", v.Loss.Note)
		}
	}
	if !v.HasIPC {
		t.printf("\n%s\n", v.Empty)
		if v.Hint != "" {
			t.printf("%s\n", v.Hint)
		}
		return t.err
	}
	for _, s := range v.Sections {
		t.section(s)
	}
	if t.hidden {
		t.printf("\n")
		t.wrapped("--wide shows more columns: first and last times, SIDs, rules' evidence, all latencies.")
	}
	return t.err
}

// fact prints one summary line, "  name:      value", the value broken
// at spaces to the width.
func (t *tabler) fact(name, value string) {
	label := ""
	if name != "" {
		label = name + ":"
	}
	const indent = "             " // "  " + 10 + " "
	line := fmt.Sprintf("  %-10s", label)
	first := true
	for _, w := range strings.Fields(value) {
		if !first && t.width > 0 && texttable.Width(line)+1+texttable.Width(w) > t.width {
			t.printf("%s\n", line)
			line, first = indent[:len(indent)-1], true
		}
		line += " " + w
		first = false
	}
	t.printf("%s\n", line)
}

func (t *tabler) section(s *Section) {
	t.printf("\n%s (%d)\n", s.Title, s.Count)
	notes := append([]string(nil), s.Notes...)
	if s.List != nil {
		for i, c := range s.List {
			t.cycle(i+1, c)
		}
	} else {
		rows := s.Rows
		left := 0
		if t.opt.MaxRows > 0 && len(rows) > t.opt.MaxRows {
			left = len(rows) - t.opt.MaxRows
			rows = rows[:t.opt.MaxRows]
		}
		cells := make([][]string, len(rows))
		for i, r := range rows {
			cells[i] = make([]string, len(r.Cells))
			for j, c := range r.Cells {
				cells[i][j] = c.Text
				if c.Inf {
					cells[i][j] += "*"
				}
			}
		}
		if t.err != nil {
			return
		}
		l, err := texttable.Render(t.w, s.Cols, cells, t.width)
		if err != nil {
			t.err = err
			return
		}
		// Footnotes for marks ("*", "~") apply only when a column shown
		// carries the mark.
		inf, approx := false, false
		for _, r := range rows {
			for _, i := range l.Shown {
				if i < len(r.Cells) {
					inf = inf || r.Cells[i].Inf
					approx = approx || strings.HasPrefix(r.Cells[i].Text, "~")
				}
			}
		}
		notes = notes[:0]
		for _, n := range s.Notes {
			if (strings.HasPrefix(n, "* ") && !inf) || (strings.HasPrefix(n, "~ ") && !approx) {
				continue
			}
			notes = append(notes, n)
		}
		if left > 0 {
			t.printf("… %d more rows (use -o json for all)\n", left)
		}
		t.hidden = t.hidden || len(l.Hidden) > 0
		if len(l.Omitted) > 0 {
			t.wrapped(fmt.Sprintf("(not shown to fit %d columns: %s; --wide shows them)", t.width, strings.Join(l.Omitted, ", ")))
		}
	}
	for _, n := range notes {
		t.wrapped(n)
	}
}

// wrapped prints a note, broken at spaces to the width.
func (t *tabler) wrapped(s string) {
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && t.width > 0 && texttable.Width(line)+1+texttable.Width(w) > t.width {
			t.printf("%s\n", line)
			line = " "
		}
		if line != "" && line != " " {
			line += " "
		}
		line += w
	}
	t.printf("%s\n", line)
}

// cycle prints one deadlock, breaking the line before an arrow when it
// would pass the width.
func (t *tabler) cycle(n int, c Cycle) {
	lead := fmt.Sprintf("  %d. ", n)
	if c.Label != "" {
		lead += c.Label + ": "
	}
	line := lead
	indent := strings.Repeat(" ", len(fmt.Sprintf("  %d. ", n)))
	for i, st := range c.Steps {
		part := st.Who
		if st.Object != "" {
			part += " waits on " + st.Object
		}
		if i > 0 {
			part = "→ " + part
		}
		switch {
		case i == 0:
			line += part
		case t.width > 0 && texttable.Width(line)+1+texttable.Width(part) > t.width:
			t.printf("%s\n", line)
			line = indent + part
		default:
			line += " " + part
		}
	}
	t.printf("%s\n", line)
}
