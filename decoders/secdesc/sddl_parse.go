package secdesc

import (
	"strings"
)

// SDDL ace-type tokens (docs/security.md#sddl).
var aceTypeByToken = func() map[string]AceType {
	m := map[string]AceType{}
	for i, t := range aceTypes {
		if t.token != "" {
			m[t.token] = AceType(i)
		}
	}
	return m
}()

// Rights tokens accepted by the parser (docs/security.md#sddl).
var rightsTokens = map[string]uint32{
	"GA": GenericAll, "GR": GenericRead, "GW": GenericWrite, "GX": GenericExecute,
	"RC": ReadControl, "SD": Delete, "WD": WriteDAC, "WO": WriteOwner,
	"CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40, "LO": 0x80, "CR": 0x100,
	"FA": FileAllAccess, "FR": FileGenericRead, "FW": FileGenericWrite, "FX": FileGenericExecute,
	"KA": 0x000F003F, "KR": 0x00020019, "KW": 0x00020006, "KX": 0x00020019,
	"NR": MandatoryNoReadUp, "NW": MandatoryNoWriteUp, "NX": MandatoryNoExecuteUp,
}

var aceFlagByToken = map[string]AceFlags{
	"OI": ObjectInherit, "CI": ContainerInherit, "NP": NoPropagateInherit, "IO": InheritOnly,
	"ID": Inherited, "CR": Critical, "SA": SuccessfulAccess, "TP": SuccessfulAccess, "FA": FailedAccess,
}

// maxSDDL bounds the input so the binary form fits the 16-bit ACL sizes with
// room to spare; longer strings cannot describe a valid descriptor anyway.
const maxSDDL = 1 << 20

// ParseSDDL converts an SDDL string (MS-DTYP §2.5.1) to a descriptor whose
// MarshalBinary output matches Windows' layout. Domain resolves the
// domain-relative aliases; nil makes them an error. Errors are *SyntaxError.
func ParseSDDL(s string, domain *SID) (*SecurityDescriptor, error) {
	if len(s) > maxSDDL {
		return nil, &SyntaxError{Pos: maxSDDL, Token: "", Msg: "SDDL string too long"}
	}
	p := &sddlParser{s: s, dom: domain}
	sd := &SecurityDescriptor{Revision: 1, Control: SelfRelative}
	seen := map[byte]bool{}
	for p.pos < len(s) {
		start := p.pos
		if p.pos+2 > len(s) || s[p.pos+1] != ':' || !strings.ContainsRune("OGDS", rune(s[p.pos])) {
			return nil, p.errTok(start, 2, "expected O:, G:, D: or S:")
		}
		part := s[p.pos]
		if seen[part] {
			return nil, p.errTok(start, 2, "part given twice")
		}
		seen[part] = true
		p.pos += 2
		switch part {
		case 'O', 'G':
			sid, n, err := scanSID(s, p.pos, domain)
			if err != nil {
				return nil, err
			}
			p.pos = n
			if part == 'O' {
				sd.Owner = &sid
			} else {
				sd.Group = &sid
			}
		case 'D', 'S':
			acl, flags, err := p.acl(part == 'S')
			if err != nil {
				return nil, err
			}
			if part == 'D' {
				sd.Control |= DACLPresent | flags
				sd.DACL = acl
			} else {
				sd.Control |= SACLPresent | flags<<1
				sd.SACL = acl
			}
		}
	}
	for _, acl := range []*ACL{sd.DACL, sd.SACL} {
		if acl != nil && acl.Len() > 0xFFFF {
			return nil, &SyntaxError{Pos: len(s), Token: "", Msg: "ACL larger than 65535 bytes"}
		}
	}
	return sd, nil
}

type sddlParser struct {
	s   string
	pos int
	dom *SID
}

// errTok reports an error at pos naming up to n characters of the input.
func (p *sddlParser) errTok(pos, n int, msg string) *SyntaxError {
	end := pos + n
	if end > len(p.s) {
		end = len(p.s)
	}
	if pos > len(p.s) {
		pos = len(p.s)
	}
	return &SyntaxError{Pos: pos, Token: p.s[pos:end], Msg: msg}
}

// field returns the text up to the next ';' (not consuming it).
func (p *sddlParser) field() (string, int) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != ';' && p.s[p.pos] != ')' && p.s[p.pos] != '(' {
		p.pos++
	}
	return p.s[start:p.pos], start
}

func (p *sddlParser) expect(c byte, msg string) error {
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return p.errTok(p.pos, 1, msg)
	}
	p.pos++
	return nil
}

// acl parses acl-flags and ACEs. The returned flags are in DACL bit
// positions; the SACL bits are the DACL bits shifted left by one.
func (p *sddlParser) acl(sacl bool) (*ACL, Control, error) {
	var flags Control
	for {
		switch {
		case strings.HasPrefix(p.s[p.pos:], "P"):
			flags |= DACLProtected
			p.pos++
			continue
		case strings.HasPrefix(p.s[p.pos:], "AI"):
			flags |= DACLAutoInherited
			p.pos += 2
			continue
		case strings.HasPrefix(p.s[p.pos:], "AR"):
			flags |= DACLAutoInheritReq
			p.pos += 2
			continue
		}
		break
	}
	if strings.HasPrefix(p.s[p.pos:], "NO_ACCESS_CONTROL") {
		p.pos += len("NO_ACCESS_CONTROL")
		return nil, flags, nil
	}
	acl := &ACL{Revision: ACLRevision}
	for p.pos < len(p.s) && p.s[p.pos] == '(' {
		a, err := p.ace()
		if err != nil {
			return nil, 0, err
		}
		acl.ACEs = append(acl.ACEs, a)
	}
	if p.pos < len(p.s) && !(p.pos+1 < len(p.s) && p.s[p.pos+1] == ':') {
		return nil, 0, p.errTok(p.pos, 2, "expected '(' or ACL flag P, AI, AR")
	}
	acl.Revision = aclRevisionFor(acl.ACEs)
	return acl, flags, nil
}

func (p *sddlParser) ace() (ACE, error) {
	var a ACE
	p.pos++ // '('
	tok, at := p.field()
	t, ok := aceTypeByToken[tok]
	if !ok {
		return a, &SyntaxError{Pos: at, Token: tok, Msg: "unknown ACE type"}
	}
	a.Type = t
	if err := p.expect(';', "expected ';' after ACE type"); err != nil {
		return a, err
	}
	// flags
	tok, at = p.field()
	for i := 0; i < len(tok); i += 2 {
		if i+2 > len(tok) {
			return a, &SyntaxError{Pos: at + i, Token: tok[i:], Msg: "unknown ACE flag"}
		}
		f, ok := aceFlagByToken[tok[i:i+2]]
		if !ok {
			return a, &SyntaxError{Pos: at + i, Token: tok[i : i+2], Msg: "unknown ACE flag"}
		}
		a.Flags |= f
	}
	if err := p.expect(';', "expected ';' after ACE flags"); err != nil {
		return a, err
	}
	tok, at = p.field()
	mask, err := parseRights(tok, at)
	if err != nil {
		return a, err
	}
	a.Mask = mask
	if err := p.expect(';', "expected ';' after rights"); err != nil {
		return a, err
	}
	for i, dst := range []*GUID{&a.ObjectType, &a.InheritedObjectType} {
		tok, at = p.field()
		if tok != "" {
			if !t.IsObject() {
				return a, &SyntaxError{Pos: at, Token: tok, Msg: "object GUID on a non-object ACE type"}
			}
			g, ok := ParseGUID(tok)
			if !ok {
				return a, &SyntaxError{Pos: at, Token: tok, Msg: "invalid GUID"}
			}
			*dst = g
			a.ObjectFlags |= 1 << uint(i)
		}
		if err := p.expect(';', "expected ';' after object GUID"); err != nil {
			return a, err
		}
	}
	sid, n, err := scanSID(p.s, p.pos, p.dom)
	if err != nil {
		return a, err
	}
	a.SID = sid
	p.pos = n
	if p.pos < len(p.s) && p.s[p.pos] == ';' {
		p.pos++
		if p.pos >= len(p.s) || p.s[p.pos] != '(' {
			return a, p.errTok(p.pos, 1, "expected '(' starting a condition or attribute")
		}
		switch {
		case a.Type == SystemResourceAttribute:
			data, n, err := parseClaimAt(p.s, p.pos, p.dom)
			if err != nil {
				return a, err
			}
			a.AppData, p.pos = data, n
		case t.info().callback:
			data, n, err := parseConditionAt(p.s, p.pos, p.dom)
			if err != nil {
				return a, err
			}
			a.AppData, p.pos = data, n
		default:
			return a, p.errTok(p.pos, 1, "ACE type "+tok+" takes no condition or attribute")
		}
	}
	if err := p.expect(')', "expected ')' closing the ACE"); err != nil {
		return a, err
	}
	return a, nil
}

// parseRights accepts rights tokens, 0x hex (up to 8 digits) or decimal.
func parseRights(tok string, at int) (uint32, error) {
	if tok == "" {
		return 0, nil
	}
	if len(tok) > 2 && (tok[:2] == "0x" || tok[:2] == "0X") {
		var v uint64
		for i := 2; i < len(tok); i++ {
			if !isHex(tok[i]) || i >= 10 {
				return 0, &SyntaxError{Pos: at, Token: tok, Msg: "invalid hex access mask"}
			}
			v = v<<4 | uint64(unhex(tok[i]))
		}
		return uint32(v), nil
	}
	if tok[0] >= '0' && tok[0] <= '9' {
		v, n, ok := scanDecimal(tok, 0, 1<<32-1)
		if !ok || n != len(tok) {
			return 0, &SyntaxError{Pos: at, Token: tok, Msg: "invalid decimal access mask"}
		}
		return uint32(v), nil
	}
	var m uint32
	for i := 0; i < len(tok); i += 2 {
		if i+2 > len(tok) {
			return 0, &SyntaxError{Pos: at + i, Token: tok[i:], Msg: "unknown rights token"}
		}
		v, ok := rightsTokens[tok[i:i+2]]
		if !ok {
			return 0, &SyntaxError{Pos: at + i, Token: tok[i : i+2], Msg: "unknown rights token"}
		}
		m |= v
	}
	return m, nil
}
