package decoders

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ipctrace/ipctrace/etw"
)

// interner turns payload string bytes into Go strings and remembers them,
// so that the names that recur in a trace (pipe paths, image names, port
// names) cost no allocation after their first sighting. A nil interner
// decodes without caching.
type interner struct {
	m     [3]map[string]string // by encoding: UTF-16, Latin-1, SID
	n     int                  // strings held
	bytes int                  // bytes held
}

// Encodings of interned strings.
const (
	tagUTF16 = iota
	tagLatin1
	tagSID
)

// The cache is cleared when it holds maxInterned strings or maxInternBytes
// bytes; strings longer than maxInternLen are not cached at all. Memory
// stays bounded whatever the trace holds.
const (
	maxInterned    = 1 << 14
	maxInternBytes = 4 << 20
	maxInternLen   = 1024
)

func (in *interner) lookup(raw []byte, tag int) (string, bool) {
	if in == nil || in.m[tag] == nil || len(raw) > maxInternLen {
		return "", false
	}
	s, ok := in.m[tag][string(raw)] // indexing with string(bytes) does not allocate
	return s, ok
}

func (in *interner) store(raw []byte, tag int, s string) string {
	if in == nil || len(raw) > maxInternLen {
		return s
	}
	if in.n >= maxInterned || in.bytes+len(raw)+len(s) > maxInternBytes {
		in.m, in.n, in.bytes = [3]map[string]string{}, 0, 0
	}
	if in.m[tag] == nil {
		in.m[tag] = make(map[string]string, 256)
	}
	in.m[tag][string(raw)] = s
	in.n++
	in.bytes += len(raw) + len(s)
	return s
}

func (in *interner) utf16(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if s, ok := in.lookup(raw, tagUTF16); ok {
		return s
	}
	return in.store(raw, tagUTF16, etw.DecodeUTF16(raw))
}

func (in *interner) latin1(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if s, ok := in.lookup(raw, tagLatin1); ok {
		return s
	}
	return in.store(raw, tagLatin1, decodeLatin1(raw))
}

func (in *interner) sid(raw []byte) string {
	if s, ok := in.lookup(raw, tagSID); ok {
		return s
	}
	return in.store(raw, tagSID, sidString(raw))
}

func decodeLatin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func appendUTF16(dst []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r1))
			dst = binary.LittleEndian.AppendUint16(dst, uint16(r2))
			continue
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(r))
	}
	return dst
}

func appendLatin1(dst []byte, s string) []byte {
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		dst = append(dst, byte(r))
	}
	return dst
}

// sidLen returns the length of the SID at the start of b (EVENTS.md §6.2):
// 8 + 4 × SubAuthorityCount.
func sidLen(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, ErrTruncated
	}
	if b[0] != 1 {
		return 0, ErrBadValue
	}
	n := 8 + 4*int(b[1])
	if n > len(b) {
		return 0, ErrTruncated
	}
	return n, nil
}

// looksLikeSID reports whether b starts with a plausible SID header.
func looksLikeSID(b []byte) bool {
	if len(b) < 8 || b[0] != 1 || b[1] > 15 {
		return false
	}
	n := 8 + 4*int(b[1])
	return n <= len(b)
}

// sidString formats a binary SID as S-1-A-S1-S2-… (MS-DTYP §2.4.2.1).
func sidString(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	out := make([]byte, 0, 64)
	out = append(out, "S-"...)
	out = strconv.AppendUint(out, uint64(b[0]), 10)
	out = append(out, '-')
	if auth >= 1<<32 {
		out = append(out, "0x"...)
		h := strconv.FormatUint(auth, 16)
		out = append(out, strings.Repeat("0", 12-len(h))+strings.ToUpper(h)...)
	} else {
		out = strconv.AppendUint(out, auth, 10)
	}
	for i := 8; i+4 <= len(b) && (i-8)/4 < int(b[1]); i += 4 {
		out = append(out, '-')
		out = strconv.AppendUint(out, uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return string(out)
}

var errSIDSyntax = errors.New("malformed SID string")

// parseSID converts S-1-A-S1-… to its binary form.
func parseSID(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || parts[1] != "1" || len(parts)-3 > 15 {
		return nil, errSIDSyntax
	}
	var auth uint64
	var err error
	if a := parts[2]; strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X") {
		auth, err = strconv.ParseUint(a[2:], 16, 48)
	} else {
		auth, err = strconv.ParseUint(a, 10, 48)
	}
	if err != nil {
		return nil, errSIDSyntax
	}
	b := make([]byte, 8, 8+4*(len(parts)-3))
	b[0], b[1] = 1, byte(len(parts)-3)
	for i := 7; i >= 2; i-- {
		b[i] = byte(auth)
		auth >>= 8
	}
	for _, p := range parts[3:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, errSIDSyntax
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b, nil
}

// bytes returns the binary SID: Raw if set, else String parsed, else nil.
func (s *SIDField) bytes() ([]byte, error) {
	if s.Raw != nil {
		if _, err := sidLen(s.Raw); err != nil {
			return nil, err
		}
		return s.Raw, nil
	}
	if s.String == "" {
		return nil, nil
	}
	return parseSID(s.String)
}
