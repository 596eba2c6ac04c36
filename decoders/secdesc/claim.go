package secdesc

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Claim value types (MS-DTYP §2.4.10.1) and their SDDL tokens.
const (
	ClaimInt64   = 0x0001
	ClaimUint64  = 0x0002
	ClaimString  = 0x0003
	ClaimSID     = 0x0005
	ClaimBoolean = 0x0006
	ClaimOctets  = 0x0010
)

var claimTokens = map[uint16]string{ClaimInt64: "TI", ClaimUint64: "TU", ClaimString: "TS", ClaimSID: "TD", ClaimBoolean: "TB", ClaimOctets: "TX"}

// Claim is a decoded CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1, the data of a
// resource attribute ACE. Values hold int64, uint64, string, SID, bool or
// []byte according to Type.
type Claim struct {
	Name     string
	Type     uint16
	Reserved uint16
	Flags    uint32
	Values   []any
}

// ParseClaim decodes a CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1, following its
// offsets; every offset and length is checked against b.
func ParseClaim(b []byte) (*Claim, error) {
	if len(b) < 16 {
		return nil, errAt(0, "claim header", ErrTruncated)
	}
	c := &Claim{Type: binary.LittleEndian.Uint16(b[4:]), Reserved: binary.LittleEndian.Uint16(b[6:]), Flags: binary.LittleEndian.Uint32(b[8:])}
	name, _, err := claimString(b, int(binary.LittleEndian.Uint32(b[0:])), "claim name")
	if err != nil {
		return nil, err
	}
	c.Name = name
	n := int(binary.LittleEndian.Uint32(b[12:]))
	if n < 0 || n > (len(b)-16)/4 {
		return nil, errAt(12, "claim ValueCount", ErrTruncated)
	}
	if _, ok := claimTokens[c.Type]; !ok {
		return nil, errAt(4, "claim ValueType", ErrInvalid)
	}
	// Values are found through offsets and may overlap; the decoded bytes
	// are bounded by the input size so overlapping offsets cannot multiply
	// memory use.
	budget := len(b)
	spend := func(off, n int, what string) error {
		budget -= n
		if budget < 0 {
			return errAt(off, what+": values overlap more than the input allows", ErrInvalid)
		}
		return nil
	}
	for i := 0; i < n; i++ {
		off := int(binary.LittleEndian.Uint32(b[16+4*i:]))
		what := fmt.Sprintf("claim value %d", i)
		switch c.Type {
		case ClaimInt64, ClaimUint64, ClaimBoolean:
			if off < 0 || off > len(b)-8 {
				return nil, errAt(16+4*i, what, ErrTruncated)
			}
			v := binary.LittleEndian.Uint64(b[off:])
			switch c.Type {
			case ClaimInt64:
				c.Values = append(c.Values, int64(v))
			case ClaimUint64:
				c.Values = append(c.Values, v)
			default:
				if v > 1 {
					return nil, errAt(off, what+" boolean", ErrInvalid)
				}
				c.Values = append(c.Values, v == 1)
			}
		case ClaimString:
			s, size, err := claimString(b, off, what)
			if err != nil {
				return nil, err
			}
			// Spend the UTF-16 bytes read, not len(s): UTF-8 can be longer.
			if err := spend(off, size, what); err != nil {
				return nil, err
			}
			c.Values = append(c.Values, s)
		case ClaimSID, ClaimOctets:
			if off < 0 || off > len(b)-4 {
				return nil, errAt(16+4*i, what, ErrTruncated)
			}
			l := int(binary.LittleEndian.Uint32(b[off:]))
			if l < 0 || l > len(b)-off-4 {
				return nil, errAt(off, what+" length", ErrTruncated)
			}
			if err := spend(off, l+4, what); err != nil {
				return nil, err
			}
			body := b[off+4 : off+4+l]
			if c.Type == ClaimSID {
				s, err := ParseSIDBytes(body)
				if err != nil {
					return nil, errAt(off+4, what+" SID", ErrInvalid)
				}
				c.Values = append(c.Values, s)
			} else {
				c.Values = append(c.Values, append([]byte{}, body...))
			}
		}
	}
	return c, nil
}

// claimString reads a NUL-terminated UTF-16 string at b[off:] and returns
// it with the number of bytes it occupies, NUL included.
func claimString(b []byte, off int, what string) (string, int, error) {
	if off < 0 || off > len(b) {
		return "", 0, errAt(off, what, ErrTruncated)
	}
	var u []uint16
	for p := off; ; p += 2 {
		if p+2 > len(b) {
			return "", 0, errAt(off, what+" (no NUL terminator)", ErrTruncated)
		}
		c := binary.LittleEndian.Uint16(b[p:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	if !utf16Clean(u) {
		return "", 0, errAt(off, what+" (not valid UTF-16)", ErrInvalid)
	}
	return string(utf16.Decode(u)), 2*len(u) + 2, nil
}

// MarshalBinary encodes c in this package's layout: the 16-byte header, the
// value offsets, the name, then the values in order.
func (c *Claim) MarshalBinary() []byte {
	n := len(c.Values)
	b := make([]byte, 16+4*n)
	binary.LittleEndian.PutUint16(b[4:], c.Type)
	binary.LittleEndian.PutUint16(b[6:], c.Reserved)
	binary.LittleEndian.PutUint32(b[8:], c.Flags)
	binary.LittleEndian.PutUint32(b[12:], uint32(n))
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)))
	b = appendUTF16(b, c.Name)
	b = append(b, 0, 0)
	for i, v := range c.Values {
		binary.LittleEndian.PutUint32(b[16+4*i:], uint32(len(b)))
		switch v := v.(type) {
		case int64:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint64:
			b = binary.LittleEndian.AppendUint64(b, v)
		case bool:
			var x uint64
			if v {
				x = 1
			}
			b = binary.LittleEndian.AppendUint64(b, x)
		case string:
			b = appendUTF16(b, v)
			b = append(b, 0, 0)
		case SID:
			b = binary.LittleEndian.AppendUint32(b, uint32(v.Len()))
			b = v.AppendBinary(b)
		case []byte:
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Text returns the SDDL resource-attribute form, without the enclosing
// parentheses: "Name",TS,0x0,"a","b". TD values print as SID strings and TX
// values as hex digits [I: the exact Windows spelling of these two is not
// confirmed].
func (c *Claim) Text(dom *SID) (string, error) {
	if strings.ContainsRune(c.Name, '"') || c.Name == "" {
		return "", fmt.Errorf("%w: claim name %q", ErrUnsupported, c.Name)
	}
	if c.Reserved != 0 {
		return "", fmt.Errorf("%w: claim Reserved field is not zero", ErrUnsupported)
	}
	var b strings.Builder
	b.WriteString(`"` + c.Name + `",` + claimTokens[c.Type] + ",0x" + strconv.FormatUint(uint64(c.Flags), 16))
	for _, v := range c.Values {
		b.WriteByte(',')
		switch v := v.(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case uint64:
			b.WriteString(strconv.FormatUint(v, 10))
		case bool:
			if v {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		case string:
			if strings.ContainsRune(v, '"') {
				return "", fmt.Errorf("%w: claim string value with '\"'", ErrUnsupported)
			}
			b.WriteString(`"` + v + `"`)
		case SID:
			b.WriteString(sidString(v, dom))
		case []byte:
			fmt.Fprintf(&b, "%x", v)
		}
	}
	return b.String(), nil
}

// canonicalClaim re-encodes data in this package's layout, or returns data
// unchanged when it does not decode.
func canonicalClaim(data []byte) []byte {
	c, err := ParseClaim(data)
	if err != nil {
		return data
	}
	return c.MarshalBinary()
}

// parseClaimAt parses "(" attribute-data ")" at s[pos:] and returns the
// encoded claim and the position after ")".
func parseClaimAt(s string, pos int, dom *SID) ([]byte, int, error) {
	p := &sddlParser{s: s, pos: pos + 1, dom: dom}
	fail := func(at int, tok, msg string) ([]byte, int, error) {
		return nil, pos, &SyntaxError{Pos: at, Token: tok, Msg: "resource attribute: " + msg}
	}
	quoted := func() (string, int, bool) {
		at := p.pos
		if p.pos >= len(s) || s[p.pos] != '"' {
			return "", at, false
		}
		end := strings.IndexByte(s[p.pos+1:], '"')
		if end < 0 {
			return "", at, false
		}
		v := s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return v, at, true
	}
	token := func() (string, int) {
		at := p.pos
		for p.pos < len(s) && s[p.pos] != ',' && s[p.pos] != ')' {
			p.pos++
		}
		return s[at:p.pos], at
	}
	var c Claim
	name, at, ok := quoted()
	if !ok || name == "" {
		return fail(at, s[at:min(at+1, len(s))], "quoted attribute name expected")
	}
	if !utf16Clean(utf16.Encode([]rune(name))) || strings.ContainsRune(name, '\uFFFD') {
		return fail(at, name, "invalid attribute name")
	}
	c.Name = name
	if p.pos >= len(s) || s[p.pos] != ',' {
		return fail(p.pos, s[p.pos:min(p.pos+1, len(s))], "',' expected after the name")
	}
	p.pos++
	typ, at := token()
	found := false
	for k, v := range claimTokens {
		if v == typ {
			c.Type, found = k, true
		}
	}
	if !found {
		return fail(at, typ, "unknown attribute type (TI, TU, TS, TD, TX, TB)")
	}
	if p.pos >= len(s) || s[p.pos] != ',' {
		return fail(p.pos, s[p.pos:min(p.pos+1, len(s))], "',' expected after the type")
	}
	p.pos++
	fl, at := token()
	flags, err := parseRights(fl, at)
	if err != nil || fl == "" {
		return fail(at, fl, "attribute flags expected")
	}
	c.Flags = flags
	for p.pos < len(s) && s[p.pos] == ',' {
		p.pos++
		if c.Type == ClaimString {
			v, at, ok := quoted()
			if !ok || strings.ContainsRune(v, 0) || strings.ContainsRune(v, '\uFFFD') {
				return fail(at, s[at:min(at+1, len(s))], "quoted string value expected")
			}
			c.Values = append(c.Values, v)
			continue
		}
		if c.Type == ClaimSID {
			at := p.pos
			inner := strings.HasPrefix(s[p.pos:], "SID(")
			if inner {
				p.pos += 4
			}
			sid, n, err := scanSID(s, p.pos, dom)
			if err != nil {
				return nil, pos, err
			}
			p.pos = n
			if inner {
				if p.pos >= len(s) || s[p.pos] != ')' {
					return fail(at, s[at:p.pos], "')' expected after SID(")
				}
				p.pos++
			}
			c.Values = append(c.Values, sid)
			continue
		}
		v, at := token()
		switch c.Type {
		case ClaimInt64:
			x, err := strconv.ParseInt(v, 0, 64)
			if err != nil {
				return fail(at, v, "integer expected")
			}
			c.Values = append(c.Values, x)
		case ClaimUint64:
			x, err := strconv.ParseUint(v, 0, 64)
			if err != nil {
				return fail(at, v, "unsigned integer expected")
			}
			c.Values = append(c.Values, x)
		case ClaimBoolean:
			if v != "0" && v != "1" {
				return fail(at, v, "boolean 0 or 1 expected")
			}
			c.Values = append(c.Values, v == "1")
		case ClaimOctets:
			h := strings.TrimPrefix(v, "#")
			if len(h)%2 != 0 {
				return fail(at, v, "hex octets expected")
			}
			raw := make([]byte, len(h)/2)
			for i := range raw {
				if !isHex(h[2*i]) || !isHex(h[2*i+1]) {
					return fail(at, v, "hex octets expected")
				}
				raw[i] = unhex(h[2*i])<<4 | unhex(h[2*i+1])
			}
			c.Values = append(c.Values, raw)
		}
	}
	if p.pos >= len(s) || s[p.pos] != ')' {
		return fail(p.pos, s[p.pos:min(p.pos+1, len(s))], "')' expected closing the attribute")
	}
	return c.MarshalBinary(), p.pos + 1, nil
}
