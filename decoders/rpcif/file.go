package rpcif

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/etw"
)

// Limits on an interfaces file, so that a bad file cannot make the loader
// allocate without bound.
const (
	MaxLineBytes  = 64 << 10 // longest line
	MaxInterfaces = 100000   // interfaces in one file
	MaxOpnum      = 0xFFFF   // RPC procedure numbers are 16-bit on the wire
)

// FileError is a positioned error in an interfaces file: File:Line:Col:
// What. Line and Col count from 1; Col counts bytes.
type FileError struct {
	File string
	Line int
	Col  int
	What string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.What)
}

// LoadFile reads the interfaces file at path into t (see Load).
func (t *Table) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return t.Load(f, path)
}

// Load reads an interfaces file from r into t; name is used in errors and
// in each entry's Spec ("name:line"). Its entries replace built-in ones of
// the same UUID whole (name, kind and methods). On error t is unchanged.
//
// The format is plain text, one interface a line:
//
//	# comment: from '#' to the end of the line
//	UUID NAME [com] [OPNUM=METHOD ...]
//
// UUID is 8-4-4-4-12 hex, with or without braces. NAME is one word (no
// spaces). The word "com" marks a DCOM interface, whose opnums 0–2 are
// IUnknown's unless given. OPNUM is decimal or 0x hex, at most 65535.
// For example:
//
//	12345678-9abc-def0-1234-56789abcdef0  MyService  0=Connect 1=Send 2=Close
//	{0b1a2c3d-0000-4000-8000-00000000abcd} IContosoWidget com 3=Frob 4=Twiddle
func (t *Table) Load(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	var found []Interface
	firstLine := map[etw.GUID]int{}
	line := 0
	for sc.Scan() {
		line++
		i, ok, err := parseLine(sc.Text(), name, line)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if prev, dup := firstLine[i.UUID]; dup {
			return &FileError{File: name, Line: line, Col: 1 + leadingSpace(sc.Text()),
				What: fmt.Sprintf("interface %s already named on line %d", i.UUID, prev)}
		}
		if len(found) == MaxInterfaces {
			return &FileError{File: name, Line: line, Col: 1, What: fmt.Sprintf("more than %d interfaces", MaxInterfaces)}
		}
		firstLine[i.UUID] = line
		found = append(found, i)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &FileError{File: name, Line: line + 1, Col: 1, What: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		return fmt.Errorf("%s: reading line %d: %w", name, line+1, err)
	}
	for _, i := range found {
		t.Add(i)
	}
	return nil
}

func leadingSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

// parseLine parses one line; ok is false for blank and comment lines.
func parseLine(text, file string, line int) (Interface, bool, error) {
	fail := func(col int, format string, args ...any) error {
		return &FileError{File: file, Line: line, Col: col + 1, What: fmt.Sprintf(format, args...)}
	}
	text = strings.TrimRight(text, "\r")
	words := splitWords(text)
	if len(words) == 0 {
		return Interface{}, false, nil
	}
	w := words[0]
	u := w.s
	if strings.HasPrefix(u, "{") || strings.HasSuffix(u, "}") {
		if !(strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}")) {
			return Interface{}, false, fail(w.col, "unbalanced braces around UUID %q", u)
		}
	}
	id, err := etw.ParseGUID(u)
	if err != nil {
		return Interface{}, false, fail(w.col, "not a UUID: %q", u)
	}
	if len(words) < 2 {
		return Interface{}, false, fail(len(text), "missing interface name after the UUID")
	}
	if strings.ContainsRune(words[1].s, '=') {
		return Interface{}, false, fail(words[1].col, "missing interface name: %q is an OPNUM=METHOD pair", words[1].s)
	}
	i := Interface{UUID: id, Name: words[1].s, Spec: file + ":" + strconv.Itoa(line)}
	for _, w := range words[2:] {
		if w.s == "com" {
			i.COM = true
			continue
		}
		num, method, ok := strings.Cut(w.s, "=")
		if !ok {
			return Interface{}, false, fail(w.col, "want OPNUM=METHOD or \"com\", got %q", w.s)
		}
		n, err := strconv.ParseUint(num, 0, 32)
		if err != nil || n > MaxOpnum || num == "" || num[0] == '+' {
			return Interface{}, false, fail(w.col, "opnum %q is not a number from 0 to %d", num, MaxOpnum)
		}
		if method == "" {
			return Interface{}, false, fail(w.col+len(num)+1, "missing method name for opnum %d", n)
		}
		if i.Methods == nil {
			i.Methods = map[uint32]string{}
		}
		if _, dup := i.Methods[uint32(n)]; dup {
			return Interface{}, false, fail(w.col, "opnum %d named twice", n)
		}
		i.Methods[uint32(n)] = method
	}
	return i, true, nil
}

type word struct {
	s   string
	col int // byte offset in the line
}

// splitWords splits text at spaces and tabs, stopping at a '#' that starts a word.
func splitWords(text string) []word {
	var out []word
	for i := 0; i < len(text); {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if i == len(text) || text[i] == '#' {
			break
		}
		start := i
		for i < len(text) && text[i] != ' ' && text[i] != '\t' {
			i++
		}
		out = append(out, word{s: text[start:i], col: start})
	}
	return out
}
