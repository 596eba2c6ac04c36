package termsafe

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ``},
		{`\\.\pipe\ipctrace-stuck`, `\\.\pipe\ipctrace-stuck`},
		{"notepad.exe", "notepad.exe"},
		{"Ünïcödé 名前", "Ünïcödé 名前"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"tab\there", `tab\x09here`},
		{"line\r\nnext", `line\x0d\x0anext`},
		{"del\x7f", `del\x7f`},
		{"nul\x00", `nul\x00`},
		{"c1\u009b2J", `c1\u009b2J`},
		{"osc\u009d0;x\u009c", `osc\u009d0;x\u009c`},
		{"lone\x9b", `lone\x9b`},
		{"bad\xff\xfe", `bad\xff\xfe`},
		{"evil\u202egpj.exe", `evil\u202egpj.exe`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"sep\u2028x", `sep\u2028x`},
		{"\u00a0nbsp", "\u00a0nbsp"}, // printable, kept
		{"x\ufffey\uffff", `x\ufffey\uffff`},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if Safe(tt.in) != (tt.in == tt.want) {
			t.Errorf("Safe(%q) = %v", tt.in, Safe(tt.in))
		}
	}
}

func TestText(t *testing.T) {
	in := "line one\n\tindented \x1b[31mred\r\n"
	want := "line one\n\tindented \\x1b[31mred\\x0d\n"
	if got := Text(in); got != want {
		t.Errorf("Text(%q) = %q, want %q", in, got, want)
	}
}

// TestNoControlSurvives checks the property every caller relies on: no
// byte of the result is a control character, and no rune is a C1 control
// or a bidirectional override, whatever the input.
func TestNoControlSurvives(t *testing.T) {
	var sb strings.Builder
	for b := 0; b < 256; b++ {
		sb.WriteByte(byte(b))
	}
	for r := rune(0x80); r < 0x10000; r++ {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		sb.WriteRune(r)
	}
	out := String(sb.String())
	for i := 0; i < len(out); i++ {
		if out[i] < 0x20 || out[i] == 0x7f {
			t.Fatalf("control byte %#x at %d survived", out[i], i)
		}
	}
	for _, r := range out {
		if unsafeRune(r) {
			t.Fatalf("rune %U survived", r)
		}
	}
}

func TestNoAllocWhenSafe(t *testing.T) {
	s := `\\.\pipe\ipctrace-stuck`
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String of a safe string allocates %v times", n)
	}
}
