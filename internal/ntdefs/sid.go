package ntdefs

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// MaxSubAuthorities is the largest SubAuthorityCount a valid SID has
// (SID_MAX_SUB_AUTHORITIES).
const MaxSubAuthorities = 15

// SIDSize returns the size of the binary SID at the start of b: 8 bytes of
// header (Revision, SubAuthorityCount, 6-byte big-endian
// IdentifierAuthority) and 4 bytes per little-endian sub-authority. ok is
// false when b is shorter than the header or than the sub-authorities it
// announces. The revision and count are not checked against their valid
// values; callers that need a valid SID check b[0] == 1 and
// b[1] <= MaxSubAuthorities.
func SIDSize(b []byte) (n int, ok bool) {
	if len(b) < 8 {
		return 0, false
	}
	n = 8 + 4*int(b[1])
	if n > len(b) {
		return 0, false
	}
	return n, true
}

// SIDAuthority returns the 48-bit IdentifierAuthority of the binary SID
// header in b[2:8]; b must hold at least 8 bytes.
func SIDAuthority(b []byte) uint64 {
	var a uint64
	for _, c := range b[2:8] {
		a = a<<8 | uint64(c)
	}
	return a
}

// AppendSIDString appends the string form of the binary SID at the start of
// b (see AppendSID). ok is false, and dst is returned unchanged, when
// SIDSize rejects b. Bytes after the SID are ignored.
func AppendSIDString(dst, b []byte) (out []byte, ok bool) {
	n, ok := SIDSize(b)
	if !ok {
		return dst, false
	}
	dst = appendSIDHead(dst, b[0], SIDAuthority(b))
	for i := 8; i < n; i += 4 {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return dst, true
}

// SIDString is AppendSIDString returning a string; "" and false when
// SIDSize rejects b.
func SIDString(b []byte) (string, bool) {
	n, ok := SIDSize(b)
	if !ok {
		return "", false
	}
	s, _ := AppendSIDString(make([]byte, 0, 16+11*(n-8)/4), b)
	return string(s), true
}

// AppendSID appends "S-R-A-S1-S2-…": the revision R and the sub-authorities
// in decimal, and the identifier authority A in decimal when it is below
// 2^32, else as "0x" and 12 upper-case hexadecimal digits.
//
// MS-DTYP §2.4.2.1 (SID String Format Syntax) fixes the rule: decimal below
// 2^32, else "0x" followed by exactly 12 hex digits. The spec does not fix
// the case of the digits; upper case matches the example in Microsoft's
// RtlConvertSidToUnicodeString page ("S-1-0x28651FE848-…", which however
// shows 10 digits, not 12: that page and the spec disagree on padding, and
// ipctrace follows the spec). ConvertSidToStringSid's own page defers to the
// "S-R-I-S…" notation without saying how a large authority is printed.
// What Windows itself prints for one has not been checked.
func AppendSID(dst []byte, revision byte, authority uint64, sub []uint32) []byte {
	dst = appendSIDHead(dst, revision, authority)
	for _, v := range sub {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

func appendSIDHead(dst []byte, revision byte, authority uint64) []byte {
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(revision), 10)
	dst = append(dst, '-')
	if authority < 1<<32 {
		return strconv.AppendUint(dst, authority, 10)
	}
	const hexDigits = "0123456789ABCDEF"
	dst = append(dst, '0', 'x')
	for shift := 44; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(authority>>uint(shift))&0xF])
	}
	return dst
}

// ErrSIDSyntax is returned by AppendSIDBinary for a malformed SID string.
var ErrSIDSyntax = errors.New("ntdefs: malformed SID string")

// AppendSIDBinary appends the binary form of the SID string s
// ("S-R-A-S1-…", case-insensitive S): revision R in 0..255, authority A in
// decimal or as "0x" hex (either below 2^48; the string form AppendSID
// writes and more), and at most MaxSubAuthorities sub-authorities, each
// a decimal below 2^32. The revision is not checked against 1. On error dst
// is returned unchanged with ErrSIDSyntax.
func AppendSIDBinary(dst []byte, s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") || len(parts)-3 > MaxSubAuthorities {
		return dst, ErrSIDSyntax
	}
	rev, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil {
		return dst, ErrSIDSyntax
	}
	var auth uint64
	if h, ok := strings.CutPrefix(strings.ToLower(parts[2]), "0x"); ok {
		auth, err = strconv.ParseUint(h, 16, 48)
	} else {
		auth, err = strconv.ParseUint(parts[2], 10, 48)
	}
	if err != nil {
		return dst, ErrSIDSyntax
	}
	out := append(dst, byte(rev), byte(len(parts)-3))
	for shift := 40; shift >= 0; shift -= 8 {
		out = append(out, byte(auth>>uint(shift)))
	}
	for _, p := range parts[3:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return dst, ErrSIDSyntax
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(v))
	}
	return out, nil
}
