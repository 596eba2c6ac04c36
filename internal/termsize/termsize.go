// Package termsize tells whether an output is a terminal and how many
// columns it has, with golang.org/x/sys only (TIOCGWINSZ on Unix,
// GetConsoleScreenBufferInfo on Windows).
package termsize

import (
	"os"
	"strconv"
	"strings"
)

// Default is the width used when the output is not a terminal and
// $COLUMNS is not set.
const Default = 120

// Columns returns the width to lay text out for on f: $COLUMNS when it
// holds a positive number, else the terminal's width when f is a terminal,
// else Default.
func Columns(f *os.File) int {
	if v, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && v > 0 {
		return v
	}
	if f != nil {
		if w, ok := width(f); ok && w > 0 {
			return w
		}
	}
	return Default
}

// IsTerminal reports whether f is a terminal (a console on Windows).
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	return isTerminal(f)
}
