package secdesc

import (
	"encoding/hex"
)

// SIDInfo is a SID with its SDDL alias and well-known name.
type SIDInfo struct {
	SID   string `json:"sid"`
	Alias string `json:"alias,omitempty"`
	Name  string `json:"name,omitempty"`
}

// NewSIDInfo describes s; dom enables domain aliases.
func NewSIDInfo(s SID, dom *SID) SIDInfo {
	return SIDInfo{SID: s.String(), Alias: Alias(s, dom), Name: Name(s)}
}

// ACEInfo is one ACE in the report.
type ACEInfo struct {
	Index               int      `json:"index"`
	Type                string   `json:"type"`
	Token               string   `json:"token,omitempty"`
	Flags               uint8    `json:"flags"`
	FlagNames           []string `json:"flag_names"`
	Mask                uint32   `json:"mask"`
	Rights              []string `json:"rights"`
	MappedRights        []string `json:"mapped_rights,omitempty"` // Rights after generic mapping for the object type
	ObjectType          string   `json:"object_type,omitempty"`
	InheritedObjectType string   `json:"inherited_object_type,omitempty"`
	SID                 SIDInfo  `json:"sid"`
	ClientSID           *SIDInfo `json:"client_sid,omitempty"`
	Condition           string   `json:"condition,omitempty"`
	Attribute           string   `json:"attribute,omitempty"` // resource attribute in SDDL form
	AppDataHex          string   `json:"app_data_hex,omitempty"`
	SDDL                string   `json:"sddl,omitempty"`
	SDDLError           string   `json:"sddl_error,omitempty"`
}

// ACLInfo is a DACL or SACL in the report.
type ACLInfo struct {
	Revision int       `json:"revision"`
	ACEs     []ACEInfo `json:"aces"`
}

// Report is the full decoded view printed by `ipctrace sd`; its JSON field
// names are stable (see the package documentation).
type Report struct {
	Revision     int         `json:"revision"`
	Control      uint16      `json:"control"`
	ControlFlags []string    `json:"control_flags"`
	Owner        *SIDInfo    `json:"owner"`
	Group        *SIDInfo    `json:"group"`
	DACLState    string      `json:"dacl_state"` // present, null, absent
	DACL         *ACLInfo    `json:"dacl"`
	SACLState    string      `json:"sacl_state"`
	SACL         *ACLInfo    `json:"sacl"`
	SDDL         string      `json:"sddl"`
	SDDLError    string      `json:"sddl_error,omitempty"`
	BinaryHex    string      `json:"binary_hex"`
	Explanation  Explanation `json:"explanation"`
}

var aceFlagNames = []struct {
	flag AceFlags
	name string
}{
	{ObjectInherit, "OBJECT_INHERIT"}, {ContainerInherit, "CONTAINER_INHERIT"}, {NoPropagateInherit, "NO_PROPAGATE_INHERIT"},
	{InheritOnly, "INHERIT_ONLY"}, {Inherited, "INHERITED"}, {Critical, "CRITICAL"},
	{SuccessfulAccess, "SUCCESSFUL_ACCESS"}, {FailedAccess, "FAILED_ACCESS"},
}

// FlagNames lists the set ACE flags by name.
func (a *ACE) FlagNames() []string {
	out := []string{}
	for _, f := range aceFlagNames {
		if a.Flags&f.flag != 0 {
			name := f.name
			if f.flag == SuccessfulAccess && a.Type == SystemAccessFilter {
				name = "TRUST_PROTECTED_FILTER"
			}
			out = append(out, name)
		}
	}
	return out
}

// Describe builds the report for sd as an object of type t.
func Describe(sd *SecurityDescriptor, t ObjectType, opt *FormatOptions) Report {
	var dom *SID
	if opt != nil {
		dom = opt.Domain
	}
	r := Report{Revision: int(sd.Revision), Control: uint16(sd.Control), ControlFlags: sd.Control.Names()}
	if r.ControlFlags == nil {
		r.ControlFlags = []string{}
	}
	if sd.Owner != nil {
		si := NewSIDInfo(*sd.Owner, dom)
		r.Owner = &si
	}
	if sd.Group != nil {
		si := NewSIDInfo(*sd.Group, dom)
		r.Group = &si
	}
	r.DACLState, r.DACL = aclInfo(sd.Control&DACLPresent != 0, sd.DACL, t, dom)
	r.SACLState, r.SACL = aclInfo(sd.Control&SACLPresent != 0, sd.SACL, t, dom)
	if s, err := sd.SDDL(opt); err != nil {
		r.SDDLError = err.Error()
	} else {
		r.SDDL = s
	}
	if b, err := sd.MarshalBinary(); err == nil {
		r.BinaryHex = hex.EncodeToString(b)
	}
	r.Explanation = Explain(sd, t)
	return r
}

func aclInfo(present bool, acl *ACL, t ObjectType, dom *SID) (string, *ACLInfo) {
	switch {
	case !present:
		return "absent", nil
	case acl == nil:
		return "null", nil
	}
	ai := &ACLInfo{Revision: int(acl.Revision), ACEs: []ACEInfo{}}
	for i := range acl.ACEs {
		a := &acl.ACEs[i]
		e := ACEInfo{Index: i, Type: a.Type.String(), Token: a.Type.Token(), Flags: uint8(a.Flags), FlagNames: a.FlagNames(),
			Mask: a.Mask, SID: NewSIDInfo(a.SID, dom)}
		switch a.Type {
		case SystemMandatoryLabel:
			e.Rights = LabelPolicyNames(a.Mask)
		case SystemResourceAttribute, SystemScopedPolicyID, SystemProcessTrustLabel:
			e.Rights = ObjectType(TypeGeneric).MaskNames(a.Mask)
		default:
			e.Rights = t.MaskNames(a.Mask)
			if a.Mask&genericBits != 0 {
				e.MappedRights = t.MaskNames(t.MapGeneric(a.Mask))
			}
		}
		if e.Rights == nil {
			e.Rights = []string{}
		}
		if a.Type.IsObject() {
			if a.ObjectFlags&ObjectTypePresent != 0 {
				e.ObjectType = a.ObjectType.String()
			}
			if a.ObjectFlags&InheritedObjectTypePresent != 0 {
				e.InheritedObjectType = a.InheritedObjectType.String()
			}
		}
		if a.Type == AccessAllowedCompound {
			si := NewSIDInfo(a.ClientSID, dom)
			e.ClientSID = &si
		}
		if a.Condition() {
			if c, err := FormatCondition(a.AppData, dom); err == nil {
				e.Condition = c
			}
		}
		if a.Type == SystemResourceAttribute && len(a.AppData) > 0 {
			if c, err := ParseClaim(a.AppData); err == nil {
				e.Attribute, _ = c.Text(dom)
			}
		}
		if len(a.AppData) > 0 && e.Condition == "" && e.Attribute == "" {
			e.AppDataHex = hex.EncodeToString(a.AppData)
		}
		if len(a.Raw) > 0 {
			e.AppDataHex = hex.EncodeToString(a.Raw)
		}
		if s, err := FormatACE(a, dom); err != nil {
			e.SDDLError = err.Error()
		} else {
			e.SDDL = s
		}
		ai.ACEs = append(ai.ACEs, e)
	}
	return "present", ai
}
