package secdesc

import (
	"strconv"
)

// FormatOptions controls SDDL output. Domain, when set, enables the
// domain-relative aliases (LA, DA, …); without it such SIDs print in full.
type FormatOptions struct {
	Domain *SID
}

// exactRights are the rights tokens printed when the mask equals their value:
// step 1 of the output rule (docs/security.md#sddl). 0x20019 is both KR and KX;
// it prints as KR.
var exactRights = []struct {
	tok  string
	mask uint32
}{
	{"GA", GenericAll}, {"GR", GenericRead}, {"GW", GenericWrite}, {"GX", GenericExecute},
	{"FA", FileAllAccess}, {"FR", FileGenericRead}, {"FW", FileGenericWrite}, {"FX", FileGenericExecute},
	{"KA", 0x000F003F}, {"KR", 0x00020019}, {"KW", 0x00020006},
}

// bitRights names single bits, in ascending bit order: step 2 of the output
// rule prints a mask whose every set bit is named here as these tokens
// concatenated in this order (0xA0000000 is "GXGR").
var bitRights = []struct {
	tok string
	bit uint32
}{
	{"CC", 1 << 0}, {"DC", 1 << 1}, {"LC", 1 << 2}, {"SW", 1 << 3}, {"RP", 1 << 4},
	{"WP", 1 << 5}, {"DT", 1 << 6}, {"LO", 1 << 7}, {"CR", 1 << 8},
	{"SD", 1 << 16}, {"RC", 1 << 17}, {"WD", 1 << 18}, {"WO", 1 << 19},
	{"GA", 1 << 28}, {"GX", 1 << 29}, {"GW", 1 << 30}, {"GR", 1 << 31},
}

// bitRightsMask is the union of bitRights.
const bitRightsMask = 0x1FF | 0xF0000 | 0xF0000000

// ACE flag tokens in the order Windows prints them (e.g. "OICINPIOID").
var aceFlagTokens = []struct {
	tok  string
	flag AceFlags
}{
	{"OI", ObjectInherit}, {"CI", ContainerInherit}, {"NP", NoPropagateInherit}, {"IO", InheritOnly},
	{"ID", Inherited}, {"CR", Critical}, {"SA", SuccessfulAccess}, {"FA", FailedAccess},
}

// SDDL formats sd the way ConvertSecurityDescriptorToStringSecurityDescriptor
// does: O, G, D, S parts; aliases for well-known SIDs; ACL flags P, AR, AI;
// D:NO_ACCESS_CONTROL for a NULL DACL. It returns a *UnrepresentableError when an ACE
// cannot be written without loss (compound ACEs, callback types without an
// SDDL token, application data that is not a conditional expression, stray
// bytes after the SID). Control bits SDDL cannot carry are dropped (see
// Canonical).
func (sd *SecurityDescriptor) SDDL(opt *FormatOptions) (string, error) {
	var dom *SID
	if opt != nil {
		dom = opt.Domain
	}
	b := make([]byte, 0, 256)
	if sd.Owner != nil {
		b = append(b, "O:"...)
		b = appendSIDString(b, *sd.Owner, dom)
	}
	if sd.Group != nil {
		b = append(b, "G:"...)
		b = appendSIDString(b, *sd.Group, dom)
	}
	if sd.Control&DACLPresent != 0 {
		b = append(b, "D:"...)
		var err error
		if b, err = appendACL(b, "D", sd.DACL, sd.Control&DACLProtected != 0, sd.Control&DACLAutoInheritReq != 0, sd.Control&DACLAutoInherited != 0, dom); err != nil {
			return "", err
		}
	}
	if sd.Control&SACLPresent != 0 {
		b = append(b, "S:"...)
		var err error
		if b, err = appendACL(b, "S", sd.SACL, sd.Control&SACLProtected != 0, sd.Control&SACLAutoInheritReq != 0, sd.Control&SACLAutoInherited != 0, dom); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// String returns the SDDL form, or a description of why there is none.
func (sd *SecurityDescriptor) String() string {
	s, err := sd.SDDL(nil)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return s
}

func sidString(s SID, dom *SID) string {
	if a := Alias(s, dom); a != "" {
		return a
	}
	return s.String()
}

func appendSIDString(b []byte, s SID, dom *SID) []byte {
	if a := Alias(s, dom); a != "" {
		return append(b, a...)
	}
	return s.appendString(b)
}

func appendACL(b []byte, list string, acl *ACL, p, ar, ai bool, dom *SID) ([]byte, error) {
	if p {
		b = append(b, 'P')
	}
	if ar {
		b = append(b, "AR"...)
	}
	if ai {
		b = append(b, "AI"...)
	}
	if acl == nil {
		return append(b, "NO_ACCESS_CONTROL"...), nil
	}
	for i := range acl.ACEs {
		var err error
		b, err = appendACE(b, &acl.ACEs[i], dom)
		if err != nil {
			if fe, ok := err.(*UnrepresentableError); ok {
				fe.List, fe.ACE = list, i
			}
			return nil, err
		}
	}
	return b, nil
}

// FormatACE writes one ACE in SDDL form "(type;flags;rights;guid;guid;sid[;extra])".
func FormatACE(a *ACE, dom *SID) (string, error) {
	b, err := appendACE(nil, a, dom)
	return string(b), err
}

func appendACE(b []byte, a *ACE, dom *SID) ([]byte, error) {
	info := a.Type.info()
	if info.token == "" {
		return nil, &UnrepresentableError{Msg: a.Type.String() + " has no SDDL form"}
	}
	b = append(b, '(')
	b = append(b, info.token...)
	b = append(b, ';')
	for _, t := range aceFlagTokens {
		if a.Flags&t.flag == 0 {
			continue
		}
		if t.flag == SuccessfulAccess && a.Type == SystemAccessFilter {
			b = append(b, "TP"...)
		} else {
			b = append(b, t.tok...)
		}
	}
	b = append(b, ';')
	b = appendRights(b, a.Type, a.Mask)
	b = append(b, ';')
	if info.kind == kindObject {
		if a.ObjectFlags&^(ObjectTypePresent|InheritedObjectTypePresent) != 0 {
			return nil, &UnrepresentableError{Msg: "object ACE flags 0x" + strconv.FormatUint(uint64(a.ObjectFlags), 16) + " have undefined bits"}
		}
		if a.ObjectFlags&ObjectTypePresent != 0 {
			b = append(b, a.ObjectType.String()...)
		}
		b = append(b, ';')
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			b = append(b, a.InheritedObjectType.String()...)
		}
		b = append(b, ';')
	} else {
		b = append(b, ";;"...)
	}
	b = appendSIDString(b, a.SID, dom)
	switch {
	case a.Type == SystemResourceAttribute && len(a.AppData) > 0:
		c, err := ParseClaim(a.AppData)
		if err != nil {
			return nil, &UnrepresentableError{Msg: "resource attribute: " + err.Error()}
		}
		text, err := c.Text(dom)
		if err != nil {
			return nil, &UnrepresentableError{Msg: "resource attribute: " + err.Error()}
		}
		b = append(b, ";("...)
		b = append(b, text...)
		b = append(b, ')')
	case info.callback:
		if len(a.AppData) == 0 {
			break
		}
		text, err := FormatCondition(a.AppData, dom)
		if err != nil {
			return nil, &UnrepresentableError{Msg: "conditional expression: " + err.Error()}
		}
		b = append(b, ";("...)
		b = append(b, text...)
		b = append(b, ')')
	case len(a.AppData) > 0:
		return nil, &UnrepresentableError{Msg: strconv.Itoa(len(a.AppData)) + " bytes after the SID"}
	}
	return append(b, ')'), nil
}

// appendRights applies the output rule of docs/security.md#sddl: label ACEs
// print NR/NW/NX tokens; other masks print one exact rights token, else bit
// tokens in ascending bit order, else lowercase 0x%x; 0 prints nothing.
func appendRights(b []byte, t AceType, mask uint32) []byte {
	if mask == 0 {
		return b
	}
	if t == SystemMandatoryLabel && mask&^7 == 0 {
		if mask&MandatoryNoReadUp != 0 {
			b = append(b, "NR"...)
		}
		if mask&MandatoryNoWriteUp != 0 {
			b = append(b, "NW"...)
		}
		if mask&MandatoryNoExecuteUp != 0 {
			b = append(b, "NX"...)
		}
		return b
	}
	for _, r := range exactRights {
		if r.mask == mask {
			return append(b, r.tok...)
		}
	}
	if mask&^bitRightsMask == 0 {
		for _, r := range bitRights {
			if mask&r.bit != 0 {
				b = append(b, r.tok...)
			}
		}
		return b
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, uint64(mask), 16)
}
