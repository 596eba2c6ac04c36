// Package termsafe makes strings taken from a trace safe to print on a
// terminal.
//
// A trace is untrusted input: a pipe name, an image name or a provider
// string can hold escape sequences that, printed raw, set the window title,
// clear the screen or reorder the text around them (docs/README.md: bad
// input never harms the reader). Every command that prints trace-derived
// text (report, dump, stats, verify and error messages) passes it through
// String or Text first.
//
// What is escaped:
//
//   - C0 controls U+0000–U+001F and DEL U+007F, as \xNN (String also
//     escapes tab and newline; Text keeps them);
//   - C1 controls U+0080–U+009F, as \u00NN;
//   - bidirectional formatting characters (U+061C, U+200E, U+200F,
//     U+202A–U+202E, U+2066–U+2069) and the line and paragraph
//     separators U+2028, U+2029, and the noncharacters U+FFFE, U+FFFF
//     (which XML forbids, so HTML output can use the same function), as
//     \uNNNN;
//   - bytes that are not valid UTF-8, as \xNN (so a lone 0x9b, which an
//     8-bit terminal reads as CSI, is shown and not obeyed).
//
// Everything else, backslashes included, is kept as it is: the result is
// meant to be read, not parsed back.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String returns s with every character that a terminal could obey
// (controls, including tab and newline, DEL, C1 controls, bidirectional
// overrides) and every invalid UTF-8 byte written as a visible escape.
// It returns s itself, without allocating, when nothing needs escaping.
func String(s string) string { return escape(s, false) }

// Text is String for multi-line text: it keeps newline and tab and escapes
// everything else String escapes, carriage return included.
func Text(s string) string { return escape(s, true) }

// Safe reports whether s prints as itself: String(s) == s.
func Safe(s string) bool { return clean(s, false) }

func clean(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !keepLines || (c != '\n' && c != '\t') {
					return false
				}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		if unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

func escape(s string, keepLines bool) string {
	if clean(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && (!keepLines || (c != '\n' && c != '\t')) {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		case unsafeRune(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(r>>uint(shift))&15])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports whether a non-ASCII rune must be escaped.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls (CSI is U+009B, OSC U+009D)
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	case r == 0xfffe || r == 0xffff: // noncharacters, not allowed in XML
		return true
	}
	return false
}
