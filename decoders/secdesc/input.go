package secdesc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxInputSize bounds a descriptor given as text or read from a file: the
// self-relative form cannot exceed 64 KiB of ACLs plus its header and SIDs,
// and its SDDL or hex forms are a few times larger.
const MaxInputSize = 1 << 20

// ErrEmpty: the input holds no descriptor at all (an empty string).
var ErrEmpty = errors.New("empty input: give SDDL text (e.g. D:(A;;GA;;;WD)), hex of the binary form or @FILE")

// ParseInput decodes a descriptor given in any of the forms the sd command
// accepts: hex of the self-relative binary form (whitespace, an optional 0x
// prefix and ':' or '-' between bytes allowed), or SDDL text. dom resolves
// domain-relative SDDL aliases. A syntax error in SDDL is a *SyntaxError.
func ParseInput(text string, dom *SID) (*SecurityDescriptor, error) {
	if strings.TrimSpace(text) == "" {
		return nil, ErrEmpty
	}
	if len(text) > MaxInputSize {
		return nil, fmt.Errorf("input of %d bytes is larger than the %d a descriptor can take", len(text), MaxInputSize)
	}
	if raw, ok := DecodeHex(text); ok {
		sd, err := Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("binary security descriptor: %w", err)
		}
		return sd, nil
	}
	return ParseSDDL(strings.TrimSpace(text), dom)
}

// ParseFileData decodes the contents of a file named in '@FILE': the raw
// self-relative binary form (it starts with revision 1), or text as for
// ParseInput. Data that is neither is rejected without echoing it.
func ParseFileData(data []byte, dom *SID) (*SecurityDescriptor, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("file of %d bytes is larger than the %d a descriptor can take", len(data), MaxInputSize)
	}
	if len(data) >= 20 && data[0] == 1 {
		return Parse(data)
	}
	if !utf8.Valid(data) || strings.ContainsFunc(string(data), func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f
	}) {
		n := min(len(data), 8)
		return nil, fmt.Errorf("neither SDDL text nor a binary security descriptor (revision byte %d, starts with % x)", data[0], data[:n])
	}
	return ParseInput(string(data), dom)
}

// DecodeHex decodes hex digits with optional whitespace, an optional 0x
// prefix, and ':' or '-' separators between bytes. It reports false for
// anything else, so that SDDL text is not mistaken for hex.
func DecodeHex(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	var b strings.Builder
	sep := false // the previous character was a separator
	for _, c := range s {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c == ':' || c == '-':
			// A separator sits between two whole bytes.
			if sep || b.Len() == 0 || b.Len()%2 != 0 {
				return nil, false
			}
			sep = true
			continue
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			b.WriteRune(c)
		default:
			return nil, false
		}
		sep = false
	}
	if sep || b.Len() == 0 || b.Len()%2 != 0 {
		return nil, false
	}
	raw, err := hex.DecodeString(b.String())
	return raw, err == nil
}
