package texttable

import (
	"bytes"
	"strings"
	"testing"
)

func TestEllipsize(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{`\\.\pipe\ipctrace-pingpong`, 40, `\\.\pipe\ipctrace-pingpong`},
		{`\\.\pipe\ipctrace-pingpong`, 15, `\\.\pip…ingpong`},
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
		{"名前名前名前", 7, "名…名前"},
	}
	for _, tt := range tests {
		got := Ellipsize(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("Ellipsize(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if Width(got) > max(tt.w, 0) {
			t.Errorf("Ellipsize(%q, %d) is %d cells wide", tt.in, tt.w, Width(got))
		}
	}
}

func TestWidth(t *testing.T) {
	for s, w := range map[string]int{"abc": 3, "µs": 2, "名前": 4, "e\u0301": 1, "": 0, "→": 1} {
		if got := Width(s); got != w {
			t.Errorf("Width(%q) = %d, want %d", s, got, w)
		}
	}
}

func TestRenderFits(t *testing.T) {
	cols := []Column{
		{Head: "Name", Shrink: 12},
		{Head: "Count", Right: true},
		{Head: "Notes", Priority: 2},
		{Head: "Extra", Priority: 1},
		{Head: "Detail", Wide: true},
	}
	rows := [][]string{
		{`\\.\pipe\a-rather-long-pipe-name-here`, "12", "lossy, impersonated", "x", "only wide"},
		{"short", "3", "", "yy", ""},
	}
	var out bytes.Buffer
	l, err := Render(&out, cols, rows, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Omitted) != 0 || !strings.Contains(out.String(), "only wide") {
		t.Errorf("wide view left out %v:\n%s", l.Omitted, out.String())
	}
	for _, width := range []int{80, 50, 40, 30, 25} {
		out.Reset()
		l, err := Render(&out, cols, rows, width)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if Width(line) > width {
				t.Errorf("width %d: line %q is %d wide (layout %+v)", width, line, Width(line), l)
			}
		}
		if !strings.Contains(strings.Join(l.Hidden, ","), "Detail") {
			t.Errorf("width %d: wide-only column shown", width)
		}
	}
	// At 40 the notes (priority 2) go before the extra (priority 1).
	l = Fit(cols, rows, 40)
	if strings.Join(l.Omitted, ",") != "Notes" || strings.Join(l.Hidden, ",") != "Detail" {
		t.Errorf("omitted at 40: %v", l.Omitted)
	}
	// Right alignment.
	out.Reset()
	Render(&out, cols[:2], rows, 0)
	want := "Name                                   Count\n" +
		"-------------------------------------  -----\n" +
		`\\.\pipe\a-rather-long-pipe-name-here     12` + "\n" +
		"short                                      3\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
