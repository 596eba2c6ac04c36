package decoders

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// interner turns payload string bytes into Go strings and remembers them,
// so that the names that recur in a trace (pipe paths, image names, port
// names) cost no allocation after their first sighting. A nil interner
// decodes without caching.
type interner struct {
	m     [3]map[string]interned // by encoding: UTF-16, Latin-1, SID
	n     int                    // strings held
	bytes int                    // bytes held
	// recent is a direct-mapped cache in front of m, hashed on the length
	// and the last bytes: the names a run of events repeats (an RPC
	// endpoint, a pipe path) are found without hashing them whole.
	recent [3][64]interned
}

// interned is a string and the payload bytes it came from.
type interned struct {
	raw string
	s   string
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

// recentSlot is raw's slot in recent (raw not empty), hashed from its
// length and its last 16 bytes (where paths that share a directory differ).
func recentSlot(raw []byte) int {
	n := len(raw)
	x := uint64(n)
	if n >= 16 {
		x ^= binary.LittleEndian.Uint64(raw[n-16:]) ^ binary.LittleEndian.Uint64(raw[n-8:])*0x9E3779B97F4A7C15
	} else {
		for _, c := range raw {
			x = x<<5 ^ x>>59 ^ uint64(c)
		}
	}
	return int((x * 0x9E3779B97F4A7C15) >> 58)
}

func (in *interner) lookup(raw []byte, tag int) (string, bool) {
	if in == nil || in.m[tag] == nil || len(raw) > maxInternLen {
		return "", false
	}
	r := &in.recent[tag][recentSlot(raw)]
	if r.raw == string(raw) && r.raw != "" { // comparing with string(bytes) does not allocate
		return r.s, true
	}
	v, ok := in.m[tag][string(raw)] // nor does indexing with it
	if ok {
		*r = v
	}
	return v.s, ok
}

func (in *interner) store(raw []byte, tag int, s string) string {
	if in == nil || len(raw) > maxInternLen {
		return s
	}
	if in.n >= maxInterned || in.bytes+len(raw)+len(s) > maxInternBytes {
		in.m, in.n, in.bytes = [3]map[string]interned{}, 0, 0
		in.recent = [3][64]interned{}
	}
	if in.m[tag] == nil {
		in.m[tag] = make(map[string]interned, 256)
	}
	v := interned{raw: string(raw), s: s}
	in.m[tag][v.raw] = v
	in.recent[tag][recentSlot(raw)] = v
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

// sidLen returns the length of the SID at the start of b (docs/security.md#sid):
// 8 + 4 × SubAuthorityCount (ntdefs.SIDSize), revision 1 only.
func sidLen(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, ErrTruncated
	}
	if b[0] != 1 {
		return 0, ErrBadValue
	}
	n, ok := ntdefs.SIDSize(b)
	if !ok {
		return 0, ErrTruncated
	}
	return n, nil
}

// looksLikeSID reports whether b starts with a plausible SID header.
func looksLikeSID(b []byte) bool {
	_, ok := ntdefs.SIDSize(b)
	return ok && b[0] == 1 && b[1] <= ntdefs.MaxSubAuthorities
}

// sidString formats a binary SID as S-1-A-S1-S2-… (ntdefs.AppendSID); ""
// when b is shorter than the sub-authorities it announces. Callers pass
// SIDs sidLen has accepted.
func sidString(b []byte) string {
	s, _ := ntdefs.SIDString(b)
	return s
}

var errSIDSyntax = errors.New("malformed SID string")

// parseSID converts S-1-A-S1-… to its binary form (ntdefs.AppendSIDBinary,
// revision 1 only).
func parseSID(s string) ([]byte, error) {
	b, err := ntdefs.AppendSIDBinary(nil, s)
	if err != nil || b[0] != 1 {
		return nil, errSIDSyntax
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
