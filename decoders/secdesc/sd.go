package secdesc

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Control is SECURITY_DESCRIPTOR_CONTROL (docs/security.md#security-descriptor).
type Control uint16

// Control bits.
const (
	OwnerDefaulted     Control = 0x0001
	GroupDefaulted     Control = 0x0002
	DACLPresent        Control = 0x0004
	DACLDefaulted      Control = 0x0008
	SACLPresent        Control = 0x0010
	SACLDefaulted      Control = 0x0020
	DACLUntrusted      Control = 0x0040
	ServerSecurity     Control = 0x0080
	DACLAutoInheritReq Control = 0x0100
	SACLAutoInheritReq Control = 0x0200
	DACLAutoInherited  Control = 0x0400
	SACLAutoInherited  Control = 0x0800
	DACLProtected      Control = 0x1000
	SACLProtected      Control = 0x2000
	RMControlValid     Control = 0x4000
	SelfRelative       Control = 0x8000
)

var controlNames = []struct {
	bit  Control
	name string
}{
	{OwnerDefaulted, "OWNER_DEFAULTED"}, {GroupDefaulted, "GROUP_DEFAULTED"},
	{DACLPresent, "DACL_PRESENT"}, {DACLDefaulted, "DACL_DEFAULTED"},
	{SACLPresent, "SACL_PRESENT"}, {SACLDefaulted, "SACL_DEFAULTED"},
	{DACLUntrusted, "DACL_UNTRUSTED"}, {ServerSecurity, "SERVER_SECURITY"},
	{DACLAutoInheritReq, "DACL_AUTO_INHERIT_REQ"}, {SACLAutoInheritReq, "SACL_AUTO_INHERIT_REQ"},
	{DACLAutoInherited, "DACL_AUTO_INHERITED"}, {SACLAutoInherited, "SACL_AUTO_INHERITED"},
	{DACLProtected, "DACL_PROTECTED"}, {SACLProtected, "SACL_PROTECTED"},
	{RMControlValid, "RM_CONTROL_VALID"}, {SelfRelative, "SELF_RELATIVE"},
}

// Names lists the set bits by name, lowest first.
func (c Control) Names() []string {
	var out []string
	for _, n := range controlNames {
		if c&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func (c Control) String() string { return strings.Join(c.Names(), "|") }

// SecurityDescriptor is a parsed self-relative SECURITY_DESCRIPTOR
// (MS-DTYP §2.4.6, docs/security.md#security-descriptor). A nil DACL with DACLPresent set is a
// NULL DACL; with DACLPresent clear there is no DACL. The same holds for SACL.
type SecurityDescriptor struct {
	Revision byte
	Sbz1     byte
	Control  Control
	Owner    *SID
	Group    *SID
	SACL     *ACL
	DACL     *ACL
}

// NullDACL reports whether the descriptor grants everyone full access: no
// DACL present, or DACL_PRESENT with a NULL DACL (docs/security.md#security-descriptor).
func (sd *SecurityDescriptor) NullDACL() bool { return sd.DACL == nil }

// ACL is an access control list (MS-DTYP §2.4.5, docs/security.md#acl). Trailer
// holds unused bytes between the last ACE and AclSize; it is kept for
// binary round trips and is not part of SDDL.
type ACL struct {
	Revision byte
	Sbz1     byte
	Sbz2     uint16
	ACEs     []ACE
	Trailer  []byte
}

// ACL revisions.
const (
	ACLRevision   = 2
	ACLRevisionDS = 4
)

// AceType is ACE_HEADER.AceType (docs/security.md#aces).
type AceType byte

// ACE types.
const (
	AccessAllowed               AceType = 0x00
	AccessDenied                AceType = 0x01
	SystemAudit                 AceType = 0x02
	SystemAlarm                 AceType = 0x03
	AccessAllowedCompound       AceType = 0x04
	AccessAllowedObject         AceType = 0x05
	AccessDeniedObject          AceType = 0x06
	SystemAuditObject           AceType = 0x07
	SystemAlarmObject           AceType = 0x08
	AccessAllowedCallback       AceType = 0x09
	AccessDeniedCallback        AceType = 0x0A
	AccessAllowedCallbackObject AceType = 0x0B
	AccessDeniedCallbackObject  AceType = 0x0C
	SystemAuditCallback         AceType = 0x0D
	SystemAlarmCallback         AceType = 0x0E
	SystemAuditCallbackObject   AceType = 0x0F
	SystemAlarmCallbackObject   AceType = 0x10
	SystemMandatoryLabel        AceType = 0x11
	SystemResourceAttribute     AceType = 0x12
	SystemScopedPolicyID        AceType = 0x13
	SystemProcessTrustLabel     AceType = 0x14
	SystemAccessFilter          AceType = 0x15
)

// aceKind says how the body after the header is laid out.
type aceKind byte

const (
	kindUnknown  aceKind = iota // body kept raw
	kindBasic                   // Mask, SID [, AppData]
	kindObject                  // Mask, Flags, [GUID], [GUID], SID [, AppData]
	kindCompound                // Mask, CompoundType, Reserved, ServerSID, ClientSID
)

// aceTypeInfo is one row of the ACE type table: binary layout, SDDL token
// (empty when SDDL has none) and name.
type aceTypeInfo struct {
	kind     aceKind
	callback bool // ApplicationData is meaningful (callback, RA, FL)
	token    string
	name     string
}

var aceTypes = [...]aceTypeInfo{
	AccessAllowed:               {kindBasic, false, "A", "ACCESS_ALLOWED"},
	AccessDenied:                {kindBasic, false, "D", "ACCESS_DENIED"},
	SystemAudit:                 {kindBasic, false, "AU", "SYSTEM_AUDIT"},
	SystemAlarm:                 {kindBasic, false, "AL", "SYSTEM_ALARM"},
	AccessAllowedCompound:       {kindCompound, false, "", "ACCESS_ALLOWED_COMPOUND"},
	AccessAllowedObject:         {kindObject, false, "OA", "ACCESS_ALLOWED_OBJECT"},
	AccessDeniedObject:          {kindObject, false, "OD", "ACCESS_DENIED_OBJECT"},
	SystemAuditObject:           {kindObject, false, "OU", "SYSTEM_AUDIT_OBJECT"},
	SystemAlarmObject:           {kindObject, false, "OL", "SYSTEM_ALARM_OBJECT"},
	AccessAllowedCallback:       {kindBasic, true, "XA", "ACCESS_ALLOWED_CALLBACK"},
	AccessDeniedCallback:        {kindBasic, true, "XD", "ACCESS_DENIED_CALLBACK"},
	AccessAllowedCallbackObject: {kindObject, true, "ZA", "ACCESS_ALLOWED_CALLBACK_OBJECT"},
	AccessDeniedCallbackObject:  {kindObject, true, "", "ACCESS_DENIED_CALLBACK_OBJECT"},
	SystemAuditCallback:         {kindBasic, true, "XU", "SYSTEM_AUDIT_CALLBACK"},
	SystemAlarmCallback:         {kindBasic, true, "", "SYSTEM_ALARM_CALLBACK"},
	SystemAuditCallbackObject:   {kindObject, true, "", "SYSTEM_AUDIT_CALLBACK_OBJECT"},
	SystemAlarmCallbackObject:   {kindObject, true, "", "SYSTEM_ALARM_CALLBACK_OBJECT"},
	SystemMandatoryLabel:        {kindBasic, false, "ML", "SYSTEM_MANDATORY_LABEL"},
	SystemResourceAttribute:     {kindBasic, true, "RA", "SYSTEM_RESOURCE_ATTRIBUTE"},
	SystemScopedPolicyID:        {kindBasic, false, "SP", "SYSTEM_SCOPED_POLICY_ID"},
	SystemProcessTrustLabel:     {kindBasic, false, "TL", "SYSTEM_PROCESS_TRUST_LABEL"},
	SystemAccessFilter:          {kindBasic, true, "FL", "SYSTEM_ACCESS_FILTER"},
}

func (t AceType) info() aceTypeInfo {
	if int(t) < len(aceTypes) {
		return aceTypes[t]
	}
	return aceTypeInfo{}
}

// String returns the ACE type name, e.g. "ACCESS_ALLOWED".
func (t AceType) String() string {
	if n := t.info().name; n != "" {
		return n
	}
	return fmt.Sprintf("ACE_TYPE_0x%02X", byte(t))
}

// Token returns the SDDL ace-type token, or "" when SDDL has none.
func (t AceType) Token() string { return t.info().token }

// IsObject reports whether t has the object-ACE layout.
func (t AceType) IsObject() bool { return t.info().kind == kindObject }

// IsAllow / IsDeny classify access-check ACE types.
func (t AceType) IsAllow() bool {
	return t == AccessAllowed || t == AccessAllowedObject || t == AccessAllowedCallback || t == AccessAllowedCallbackObject || t == AccessAllowedCompound
}
func (t AceType) IsDeny() bool {
	return t == AccessDenied || t == AccessDeniedObject || t == AccessDeniedCallback || t == AccessDeniedCallbackObject
}

// AceFlags is ACE_HEADER.AceFlags.
type AceFlags byte

// ACE flags.
const (
	ObjectInherit      AceFlags = 0x01
	ContainerInherit   AceFlags = 0x02
	NoPropagateInherit AceFlags = 0x04
	InheritOnly        AceFlags = 0x08
	Inherited          AceFlags = 0x10
	Critical           AceFlags = 0x20
	SuccessfulAccess   AceFlags = 0x40 // TRUST_PROTECTED_FILTER on access-filter ACEs
	FailedAccess       AceFlags = 0x80
)

// Object ACE flags.
const (
	ObjectTypePresent          = 0x1
	InheritedObjectTypePresent = 0x2
)

// GUID is a GUID in Windows byte order (Data1..3 little-endian).
type GUID [16]byte

// String returns the lower-case 8-4-4-4-12 form.
func (g GUID) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		binary.LittleEndian.Uint32(g[0:]), binary.LittleEndian.Uint16(g[4:]), binary.LittleEndian.Uint16(g[6:]),
		g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15])
}

// ParseGUID parses the 8-4-4-4-12 form (no braces).
func ParseGUID(s string) (GUID, bool) {
	var g GUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, false
	}
	hex := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	var raw [16]byte
	for i := 0; i < 16; i++ {
		a, b := hex[2*i], hex[2*i+1]
		if !isHex(a) || !isHex(b) {
			return g, false
		}
		raw[i] = unhex(a)<<4 | unhex(b)
	}
	// raw is big-endian text order; Data1..3 are stored little-endian.
	g[0], g[1], g[2], g[3] = raw[3], raw[2], raw[1], raw[0]
	g[4], g[5] = raw[5], raw[4]
	g[6], g[7] = raw[7], raw[6]
	copy(g[8:], raw[8:])
	return g, true
}

// ACE is one access control entry (MS-DTYP §2.4.4, docs/security.md#aces).
//
// For compound ACEs SID is the server SID and ClientSID the client SID. For
// object ACEs ObjectFlags says which of ObjectType/InheritedObjectType are
// present. AppData holds the bytes after the SID up to AceSize: the
// ApplicationData of callback ACEs (a conditional expression when it starts
// with "artx"), the CLAIM_SECURITY_ATTRIBUTE_RELATIVE_V1 of resource
// attribute ACEs, the condition of access-filter ACEs, or stray trailing
// bytes of other types. For ACE types this package does not know, Raw holds
// the whole body after the header.
type ACE struct {
	Type                AceType
	Flags               AceFlags
	Mask                uint32
	ObjectFlags         uint32
	ObjectType          GUID
	InheritedObjectType GUID
	SID                 SID
	CompoundType        uint16
	CompoundReserved    uint16
	ClientSID           SID
	AppData             []byte
	Raw                 []byte
}

// Condition reports whether a.AppData is a conditional expression.
func (a *ACE) Condition() bool { return len(a.AppData) >= 4 && string(a.AppData[:4]) == "artx" }

// Parse decodes a self-relative security descriptor. It follows the offsets
// (parts may be in any order) and checks every offset and size against the
// input; errors are *Error naming the byte offset and the field.
//
// Parts may overlap (an owner SID inside the DACL, owner and group at one
// offset), and Parse accepts that, as RtlValidRelativeSecurityDescriptor
// does: the ReactOS and Wine implementations of it check each part on its
// own (offset at or past the 20-byte header, inside the buffer, 4-byte
// aligned, the part fits) and never compare parts with one another
// (docs/security.md). MarshalBinary writes each part once, so the output
// of an overlapping descriptor may be longer than its input. Unlike those
// checks Parse does not require aligned offsets. Neither was tried on
// Windows itself.
func Parse(b []byte) (*SecurityDescriptor, error) {
	if len(b) < 20 {
		return nil, errAt(0, "SECURITY_DESCRIPTOR header (20 bytes)", ErrTruncated)
	}
	sd := &SecurityDescriptor{Revision: b[0], Sbz1: b[1], Control: Control(binary.LittleEndian.Uint16(b[2:]))}
	if sd.Revision != 1 {
		return nil, errAt(0, "SECURITY_DESCRIPTOR Revision", ErrInvalid)
	}
	if sd.Control&SelfRelative == 0 {
		return nil, errAt(2, "SECURITY_DESCRIPTOR Control: SELF_RELATIVE not set (absolute form holds pointers)", ErrInvalid)
	}
	offOwner := int(binary.LittleEndian.Uint32(b[4:]))
	offGroup := int(binary.LittleEndian.Uint32(b[8:]))
	offSacl := int(binary.LittleEndian.Uint32(b[12:]))
	offDacl := int(binary.LittleEndian.Uint32(b[16:]))
	if offOwner != 0 {
		if offOwner < 20 {
			return nil, errAt(offOwner, "owner SID offset points into the SECURITY_DESCRIPTOR header", ErrInvalid)
		}
		s, _, err := parseSIDBinary(b, offOwner, len(b), "owner SID")
		if err != nil {
			return nil, err
		}
		sd.Owner = &s
	}
	if offGroup != 0 {
		if offGroup < 20 {
			return nil, errAt(offGroup, "group SID offset points into the SECURITY_DESCRIPTOR header", ErrInvalid)
		}
		s, _, err := parseSIDBinary(b, offGroup, len(b), "group SID")
		if err != nil {
			return nil, err
		}
		sd.Group = &s
	}
	if sd.Control&SACLPresent != 0 && offSacl != 0 {
		acl, err := parseACL(b, offSacl, "SACL")
		if err != nil {
			return nil, err
		}
		sd.SACL = acl
	}
	if sd.Control&DACLPresent != 0 && offDacl != 0 {
		acl, err := parseACL(b, offDacl, "DACL")
		if err != nil {
			return nil, err
		}
		sd.DACL = acl
	}
	return sd, nil
}

func parseACL(b []byte, off int, what string) (*ACL, error) {
	if off < 20 {
		return nil, errAt(off, what+" offset points into the SECURITY_DESCRIPTOR header", ErrInvalid)
	}
	if off+8 > len(b) {
		return nil, errAt(off, what+" header", ErrTruncated)
	}
	acl := &ACL{Revision: b[off], Sbz1: b[off+1], Sbz2: binary.LittleEndian.Uint16(b[off+6:])}
	size := int(binary.LittleEndian.Uint16(b[off+2:]))
	count := int(binary.LittleEndian.Uint16(b[off+4:]))
	if acl.Revision < ACLRevision || acl.Revision > ACLRevisionDS {
		return nil, errAt(off, what+" AclRevision", ErrInvalid)
	}
	if size < 8 {
		return nil, errAt(off+2, what+" AclSize", ErrInvalid)
	}
	end := off + size
	if end > len(b) {
		return nil, errAt(off+2, what+" AclSize", ErrTruncated)
	}
	// Each ACE takes at least a 4-byte header, so AclSize bounds the count.
	if max := (size - 8) / 4; count > max {
		return nil, errAt(off+4, fmt.Sprintf("%s AceCount %d (AclSize %d holds at most %d)", what, count, size, max), ErrInvalid)
	}
	acl.ACEs = make([]ACE, 0, count)
	p := off + 8
	for i := 0; i < count; i++ {
		ace, n, err := parseACE(b, p, end, fmt.Sprintf("%s ACE %d", what, i))
		if err != nil {
			return nil, err
		}
		acl.ACEs = append(acl.ACEs, ace)
		p += n
	}
	if p < end {
		acl.Trailer = append([]byte(nil), b[p:end]...)
	}
	return acl, nil
}

func parseACE(b []byte, off, end int, what string) (ACE, int, error) {
	if off+4 > end {
		return ACE{}, 0, errAt(off, what+" header", ErrTruncated)
	}
	a := ACE{Type: AceType(b[off]), Flags: AceFlags(b[off+1])}
	size := int(binary.LittleEndian.Uint16(b[off+2:]))
	if size < 4 {
		return ACE{}, 0, errAt(off+2, what+" AceSize", ErrInvalid)
	}
	if off+size > end {
		return ACE{}, 0, errAt(off+2, what+" AceSize", ErrTruncated)
	}
	aend := off + size
	p := off + 4
	info := a.Type.info()
	if info.kind == kindUnknown {
		a.Raw = append([]byte{}, b[p:aend]...)
		return a, size, nil
	}
	if p+4 > aend {
		return ACE{}, 0, errAt(p, what+" Mask", ErrTruncated)
	}
	a.Mask = binary.LittleEndian.Uint32(b[p:])
	p += 4
	var err error
	var n int
	switch info.kind {
	case kindCompound:
		if p+4 > aend {
			return ACE{}, 0, errAt(p, what+" CompoundAceType", ErrTruncated)
		}
		a.CompoundType = binary.LittleEndian.Uint16(b[p:])
		a.CompoundReserved = binary.LittleEndian.Uint16(b[p+2:])
		p += 4
		if a.SID, n, err = parseSIDBinary(b, p, aend, what+" server SID"); err != nil {
			return ACE{}, 0, err
		}
		p += n
		if a.ClientSID, n, err = parseSIDBinary(b, p, aend, what+" client SID"); err != nil {
			return ACE{}, 0, err
		}
		p += n
	case kindObject:
		if p+4 > aend {
			return ACE{}, 0, errAt(p, what+" object Flags", ErrTruncated)
		}
		a.ObjectFlags = binary.LittleEndian.Uint32(b[p:])
		p += 4
		if a.ObjectFlags&ObjectTypePresent != 0 {
			if p+16 > aend {
				return ACE{}, 0, errAt(p, what+" ObjectType GUID", ErrTruncated)
			}
			copy(a.ObjectType[:], b[p:])
			p += 16
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			if p+16 > aend {
				return ACE{}, 0, errAt(p, what+" InheritedObjectType GUID", ErrTruncated)
			}
			copy(a.InheritedObjectType[:], b[p:])
			p += 16
		}
		fallthrough
	case kindBasic:
		if a.SID, n, err = parseSIDBinary(b, p, aend, what+" SID"); err != nil {
			return ACE{}, 0, err
		}
		p += n
	}
	if p < aend {
		a.AppData = append([]byte{}, b[p:aend]...)
	}
	return a, size, nil
}

// Len is the binary size of a.
func (a *ACE) Len() int {
	info := a.Type.info()
	switch info.kind {
	case kindUnknown:
		return 4 + len(a.Raw)
	case kindCompound:
		return 12 + a.SID.Len() + a.ClientSID.Len() + len(a.AppData)
	case kindObject:
		n := 12 + a.SID.Len() + len(a.AppData)
		if a.ObjectFlags&ObjectTypePresent != 0 {
			n += 16
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			n += 16
		}
		return n
	}
	return 8 + a.SID.Len() + len(a.AppData)
}

// AppendBinary appends the binary ACE.
func (a *ACE) AppendBinary(b []byte) []byte {
	b = append(b, byte(a.Type), byte(a.Flags))
	b = binary.LittleEndian.AppendUint16(b, uint16(a.Len()))
	info := a.Type.info()
	if info.kind == kindUnknown {
		return append(b, a.Raw...)
	}
	b = binary.LittleEndian.AppendUint32(b, a.Mask)
	switch info.kind {
	case kindCompound:
		b = binary.LittleEndian.AppendUint16(b, a.CompoundType)
		b = binary.LittleEndian.AppendUint16(b, a.CompoundReserved)
		b = a.SID.AppendBinary(b)
		b = a.ClientSID.AppendBinary(b)
	case kindObject:
		b = binary.LittleEndian.AppendUint32(b, a.ObjectFlags)
		if a.ObjectFlags&ObjectTypePresent != 0 {
			b = append(b, a.ObjectType[:]...)
		}
		if a.ObjectFlags&InheritedObjectTypePresent != 0 {
			b = append(b, a.InheritedObjectType[:]...)
		}
		b = a.SID.AppendBinary(b)
	default:
		b = a.SID.AppendBinary(b)
	}
	return append(b, a.AppData...)
}

// Len is the binary size (AclSize) of acl.
func (acl *ACL) Len() int {
	n := 8 + len(acl.Trailer)
	for i := range acl.ACEs {
		n += acl.ACEs[i].Len()
	}
	return n
}

// AppendBinary appends the binary ACL.
func (acl *ACL) AppendBinary(b []byte) []byte {
	b = append(b, acl.Revision, acl.Sbz1)
	b = binary.LittleEndian.AppendUint16(b, uint16(acl.Len()))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(acl.ACEs)))
	b = binary.LittleEndian.AppendUint16(b, acl.Sbz2)
	for i := range acl.ACEs {
		b = acl.ACEs[i].AppendBinary(b)
	}
	return append(b, acl.Trailer...)
}

// MarshalBinary writes the self-relative form in Windows' layout order:
// header, SACL, DACL, owner, group (the MS-DTYP §2.5.1.4 example). It fails
// when an ACL or ACE exceeds the 16-bit size fields.
func (sd *SecurityDescriptor) MarshalBinary() ([]byte, error) {
	for _, l := range []struct {
		acl  *ACL
		name string
	}{{sd.SACL, "SACL"}, {sd.DACL, "DACL"}} {
		if l.acl == nil {
			continue
		}
		if len(l.acl.ACEs) > 0xFFFF {
			return nil, fmt.Errorf("%s has %d ACEs (max 65535)", l.name, len(l.acl.ACEs))
		}
		for i := range l.acl.ACEs {
			if n := l.acl.ACEs[i].Len(); n > 0xFFFF {
				return nil, fmt.Errorf("%s ACE %d is %d bytes (max 65535)", l.name, i, n)
			}
		}
		if n := l.acl.Len(); n > 0xFFFF {
			return nil, fmt.Errorf("%s is %d bytes (max 65535)", l.name, n)
		}
	}
	size := 20
	var offOwner, offGroup, offSacl, offDacl int
	if sd.SACL != nil {
		offSacl = size
		size += sd.SACL.Len()
	}
	if sd.DACL != nil {
		offDacl = size
		size += sd.DACL.Len()
	}
	if sd.Owner != nil {
		offOwner = size
		size += sd.Owner.Len()
	}
	if sd.Group != nil {
		offGroup = size
		size += sd.Group.Len()
	}
	b := make([]byte, 0, size)
	b = append(b, sd.Revision, sd.Sbz1)
	b = binary.LittleEndian.AppendUint16(b, uint16(sd.Control|SelfRelative))
	b = binary.LittleEndian.AppendUint32(b, uint32(offOwner))
	b = binary.LittleEndian.AppendUint32(b, uint32(offGroup))
	b = binary.LittleEndian.AppendUint32(b, uint32(offSacl))
	b = binary.LittleEndian.AppendUint32(b, uint32(offDacl))
	if sd.SACL != nil {
		b = sd.SACL.AppendBinary(b)
	}
	if sd.DACL != nil {
		b = sd.DACL.AppendBinary(b)
	}
	if sd.Owner != nil {
		b = sd.Owner.AppendBinary(b)
	}
	if sd.Group != nil {
		b = sd.Group.AppendBinary(b)
	}
	return b, nil
}

// Canonical returns a copy reduced to what SDDL can express: revision 1,
// Sbz fields 0, control = SELF_RELATIVE, the PRESENT bits and the
// PROTECTED/AUTO_INHERITED/AUTO_INHERIT_REQ bits of present lists, ACL
// revisions 2 (4 when an object ACE is present), no ACL trailers.
// Formatting sd as SDDL and parsing the result gives Canonical(sd).
func (sd *SecurityDescriptor) Canonical() *SecurityDescriptor {
	c := &SecurityDescriptor{Revision: 1, Owner: sd.Owner, Group: sd.Group, Control: SelfRelative}
	if sd.Control&DACLPresent != 0 {
		c.Control |= sd.Control & (DACLPresent | DACLProtected | DACLAutoInherited | DACLAutoInheritReq)
		c.DACL = sd.DACL.canonical()
	}
	if sd.Control&SACLPresent != 0 {
		c.Control |= sd.Control & (SACLPresent | SACLProtected | SACLAutoInherited | SACLAutoInheritReq)
		c.SACL = sd.SACL.canonical()
	}
	return c
}

func (acl *ACL) canonical() *ACL {
	if acl == nil {
		return nil
	}
	c := &ACL{Revision: aclRevisionFor(acl.ACEs), ACEs: acl.ACEs}
	copied := false
	for i := range acl.ACEs {
		if acl.ACEs[i].Type != SystemResourceAttribute || len(acl.ACEs[i].AppData) == 0 {
			continue
		}
		if !copied {
			c.ACEs = append([]ACE(nil), acl.ACEs...)
			copied = true
		}
		c.ACEs[i].AppData = canonicalClaim(acl.ACEs[i].AppData)
	}
	return c
}

// aclRevisionFor is the revision Windows uses for a list: ACL_REVISION_DS
// when an object ACE is present, else ACL_REVISION.
func aclRevisionFor(aces []ACE) byte {
	for i := range aces {
		if aces[i].Type.IsObject() {
			return ACLRevisionDS
		}
	}
	return ACLRevision
}
