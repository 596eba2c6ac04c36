package secdesc

import (
	"fmt"
	"strings"
)

// Severity ranks exposure findings.
type Severity int

// Severities, lowest first.
const (
	SevNone Severity = iota
	SevInfo
	SevLow
	SevMedium
	SevHigh
	SevCritical
)

var sevNames = []string{"none", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(sevNames) {
		return sevNames[s]
	}
	return fmt.Sprintf("severity%d", int(s))
}

// MarshalText makes severities appear by name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one exposure fact with a stable machine Name (e.g.
// "null_dacl", "world_writable", "create_instance_by_untrusted").
type Finding struct {
	Name      string   `json:"name"`
	Severity  Severity `json:"severity"`
	Principal string   `json:"principal,omitempty"` // SID string
	Text      string   `json:"text"`
}

// PrincipalAccess is what one ACE SID may do to the object, after generic
// mapping and deny ACEs (its own and Everyone's) in ACL order.
type PrincipalAccess struct {
	SID          string   `json:"sid"`
	Name         string   `json:"name,omitempty"`
	Allowed      uint32   `json:"allowed"`
	Denied       uint32   `json:"denied"`
	AllowedNames []string `json:"allowed_names,omitempty"`
	DeniedNames  []string `json:"denied_names,omitempty"`
	Conditional  bool     `json:"conditional,omitempty"`
	Text         string   `json:"text"`
}

// LabelInfo is the mandatory integrity label (docs/security.md#aces).
type LabelInfo struct {
	SID     string   `json:"sid"`
	Level   string   `json:"level"`
	RID     uint32   `json:"rid"`
	Policy  []string `json:"policy"`
	Default bool     `json:"default"` // no label ACE: Medium + NO_WRITE_UP
	Text    string   `json:"text"`
}

// Explanation says in words who may do what to an object of a given type
// and how exposed it is (docs/security.md#exposure).
type Explanation struct {
	ObjectType string            `json:"object_type"`
	DACL       string            `json:"dacl"` // "present", "null", "absent", "empty"
	Principals []PrincipalAccess `json:"principals"`
	Label      LabelInfo         `json:"label"`
	Findings   []Finding         `json:"findings"`
	Verdict    Severity          `json:"verdict"`
	Summary    string            `json:"summary"`
	Notes      []string          `json:"notes,omitempty"`
}

// integrity level names by RID.
var levelNames = map[uint32]string{
	0: "Untrusted", 4096: "Low", 8192: "Medium", 8448: "Medium Plus", 12288: "High", 16384: "System", 20480: "Protected Process",
}

// untrusted classifies principals the exposure verdict watches. tier is the
// severity of a write grant to them.
type untrusted struct {
	who  string
	tier Severity
}

func classify(s SID) (untrusted, bool) {
	switch {
	case s.Equal(SIDEveryone):
		return untrusted{"world", SevHigh}, true
	case s.Equal(SIDAnonymous):
		return untrusted{"anonymous", SevHigh}, true
	case IsAppContainer(s):
		return untrusted{"appcontainer", SevHigh}, true
	case s.Equal(SIDAuthenticatedUsers):
		return untrusted{"authenticated", SevMedium}, true
	case s.Equal(SIDUsers):
		return untrusted{"users", SevMedium}, true
	case s.Equal(SIDGuests):
		return untrusted{"guests", SevMedium}, true
	case s.Equal(SIDInteractive):
		return untrusted{"interactive", SevMedium}, true
	case s.Equal(SIDNetwork):
		return untrusted{"network", SevMedium}, true
	}
	return untrusted{}, false
}

func displayName(s SID) string {
	if n := Name(s); n != "" {
		return n
	}
	return s.String()
}

// appliesToObject reports whether an ACE takes part in access checks on the
// object itself: not inherit-only, and not an object ACE aimed at a typed
// sub-object (those only count when the caller passes an object type list,
// which kernel objects never do).
func appliesToObject(a *ACE) bool {
	if a.Flags&InheritOnly != 0 {
		return false
	}
	if a.Type.IsObject() && a.ObjectFlags&ObjectTypePresent != 0 {
		return false
	}
	return true
}

// isConditional reports whether a is a callback ACE whose effect depends on
// a condition evaluated at access time.
func isConditional(a *ACE) bool {
	switch a.Type {
	case AccessAllowedCallback, AccessAllowedCallbackObject, AccessDeniedCallback, AccessDeniedCallbackObject:
		return true
	}
	return false
}

// Explain describes sd for objects of type t.
func Explain(sd *SecurityDescriptor, t ObjectType) Explanation {
	ex := Explanation{ObjectType: t.String(), Principals: []PrincipalAccess{}, Findings: []Finding{}}
	if _, inferred := t.Mapping(); inferred {
		ex.Notes = append(ex.Notes, "generic rights mapping for "+t.String()+" is inferred [I], not from Microsoft documentation")
	}
	ex.Label = labelOf(sd)
	switch {
	case sd.Control&DACLPresent == 0:
		ex.DACL = "absent"
		ex.Findings = append(ex.Findings, Finding{Name: "dacl_missing", Severity: SevCritical,
			Text: "no DACL in the descriptor: everyone has full access (or the DACL was not queried)"})
		ex.Principals = append(ex.Principals, PrincipalAccess{SID: SIDEveryone.String(), Name: "Everyone", Allowed: t.AllAccess(),
			AllowedNames: t.MaskNames(t.AllAccess()), Text: "Everyone: full control (no DACL)"})
	case sd.DACL == nil:
		ex.DACL = "null"
		ex.Findings = append(ex.Findings, Finding{Name: "null_dacl", Severity: SevCritical,
			Text: "NULL DACL: everyone, including anonymous users, has full access"})
		ex.Principals = append(ex.Principals, PrincipalAccess{SID: SIDEveryone.String(), Name: "Everyone", Allowed: t.AllAccess(),
			AllowedNames: t.MaskNames(t.AllAccess()), Text: "Everyone: full control (NULL DACL)"})
	case len(sd.DACL.ACEs) == 0:
		ex.DACL = "empty"
		ex.Findings = append(ex.Findings, Finding{Name: "empty_dacl", Severity: SevInfo,
			Text: "empty DACL: nobody has access except the owner's implicit read-permissions and change-permissions"})
	default:
		ex.DACL = "present"
		ex.Principals = principals(sd.DACL, t)
	}
	if ex.DACL == "present" || ex.DACL == "empty" {
		if sd.Owner != nil && !hasOwnerRights(sd.DACL) {
			ex.Notes = append(ex.Notes, "owner "+displayName(*sd.Owner)+" implicitly has read permissions and change permissions")
		}
	}
	for i := range ex.Principals {
		pa := &ex.Principals[i]
		sid, err := ParseSID(pa.SID, nil)
		if err != nil {
			continue
		}
		ex.Findings = append(ex.Findings, accessFindings(sid, pa, t)...)
	}
	if ex.Label.RID < 8192 {
		sev := SevMedium
		ex.Findings = append(ex.Findings, Finding{Name: "low_integrity_label", Severity: sev, Principal: ex.Label.SID,
			Text: fmt.Sprintf("integrity label %s: sandboxed (%s-integrity) processes are not stopped by the label", ex.Label.Level, ex.Label.Level)})
	}
	for _, f := range ex.Findings {
		if f.Severity > ex.Verdict {
			ex.Verdict = f.Severity
		}
	}
	ex.Summary = summary(ex)
	return ex
}

func hasOwnerRights(acl *ACL) bool {
	if acl == nil {
		return false
	}
	for i := range acl.ACEs {
		if acl.ACEs[i].SID.Equal(SIDOwnerRights) {
			return true
		}
	}
	return false
}

func principals(acl *ACL, t ObjectType) []PrincipalAccess {
	// Group the relevant ACE indices by SID, keeping first-appearance order,
	// so large ACLs cost O(ACEs) plus Everyone's deny ACEs per principal.
	var order []string
	bySID := map[string][]int{}
	var everyoneDeny []int
	for i := range acl.ACEs {
		a := &acl.ACEs[i]
		if !appliesToObject(a) || !(a.Type.IsAllow() || a.Type.IsDeny()) {
			continue
		}
		k := a.SID.String()
		if _, ok := bySID[k]; !ok {
			order = append(order, k)
		}
		bySID[k] = append(bySID[k], i)
		if a.Type.IsDeny() && a.SID.Equal(SIDEveryone) {
			everyoneDeny = append(everyoneDeny, i)
		}
	}
	out := make([]PrincipalAccess, 0, len(order))
	for _, k := range order {
		own := bySID[k]
		p := acl.ACEs[own[0]].SID
		var granted, denied uint32
		cond := false
		// Merge own ACEs with Everyone's deny ACEs in ACL order.
		i, j := 0, 0
		for i < len(own) || j < len(everyoneDeny) {
			var idx int
			switch {
			case j >= len(everyoneDeny) || (i < len(own) && own[i] <= everyoneDeny[j]):
				idx = own[i]
				if j < len(everyoneDeny) && everyoneDeny[j] == idx {
					j++
				}
				i++
			default:
				idx = everyoneDeny[j]
				j++
			}
			a := &acl.ACEs[idx]
			m := t.MapGeneric(a.Mask)
			switch {
			case a.Type.IsAllow():
				// A conditional allow counts as granted: the verdict is
				// the worst case.
				granted |= m &^ denied
				if isConditional(a) {
					cond = true
				}
			case isConditional(a):
				// A conditional deny may not apply; ignore it (worst case).
			default:
				denied |= m &^ granted
			}
		}
		pa := PrincipalAccess{SID: k, Name: Name(p), Allowed: granted, Denied: denied,
			AllowedNames: t.MaskNames(granted), DeniedNames: t.MaskNames(denied), Conditional: cond}
		var parts []string
		if granted != 0 {
			parts = append(parts, t.Words(granted))
		}
		if denied != 0 {
			parts = append(parts, "denied "+t.Words(denied))
		}
		if len(parts) == 0 {
			parts = append(parts, "nothing")
		}
		pa.Text = displayName(p) + ": " + strings.Join(parts, "; ")
		if cond {
			pa.Text += " (when the ACE condition holds)"
		}
		out = append(out, pa)
	}
	return out
}

// accessFindings derives exposure findings for one principal.
func accessFindings(sid SID, pa *PrincipalAccess, t ObjectType) []Finding {
	u, ok := classify(sid)
	if !ok || pa.Allowed == 0 {
		return nil
	}
	g := pa.Allowed
	name := displayName(sid)
	var out []Finding
	add := func(fname string, sev Severity, text string) {
		out = append(out, Finding{Name: fname, Severity: sev, Principal: sid.String(), Text: name + ": " + text})
	}
	if g&(WriteDAC|WriteOwner) != 0 {
		add(u.who+"_can_change_permissions", SevHigh, "can change the DACL or take ownership (full takeover)")
	}
	ti := t.info()
	switch t {
	case TypePipe:
		if g&FileWriteData != 0 {
			add(u.who+"_writable", u.tier, "can write to the pipe")
		}
		if g&FileCreatePipeInstance != 0 {
			add("create_instance_by_untrusted", u.tier, "can create server instances (squat the pipe name and impersonate the server)")
		}
		if g&FileReadData != 0 && g&FileWriteData == 0 {
			if u.who == "appcontainer" {
				add("appcontainer_connect", SevMedium, "can connect and read from a sandbox")
			} else if u.tier == SevHigh {
				add(u.who+"_read", SevLow, "can connect and read")
			}
		}
	case TypeALPC:
		if g&PortConnect != 0 {
			add(u.who+"_connect", u.tier, "can connect to the port")
		}
	default:
		if g&ti.write&^(WriteDAC|WriteOwner) != 0 {
			add(u.who+"_writable", u.tier, "can "+t.Words(g&ti.write))
		} else if g&ti.read != 0 && u.tier == SevHigh {
			add(u.who+"_read", SevLow, "can "+t.Words(g&ti.read))
		}
	}
	return out
}

func labelOf(sd *SecurityDescriptor) LabelInfo {
	if sd.SACL != nil {
		for i := range sd.SACL.ACEs {
			a := &sd.SACL.ACEs[i]
			if a.Type != SystemMandatoryLabel || !appliesToObject(a) {
				continue
			}
			li := LabelInfo{SID: a.SID.String(), Policy: LabelPolicyNames(a.Mask)}
			if a.SID.Authority == 16 && len(a.SID.Sub) == 1 {
				li.RID = a.SID.Sub[0]
			}
			li.Level = levelNames[li.RID]
			if li.Level == "" {
				li.Level = fmt.Sprintf("level %d", li.RID)
			}
			if li.Policy == nil {
				li.Policy = []string{}
			}
			li.Text = li.Level + " integrity"
			if len(li.Policy) > 0 {
				li.Text += ", " + strings.ToLower(strings.ReplaceAll(strings.Join(li.Policy, ", "), "_", "-"))
			}
			return li
		}
	}
	return LabelInfo{SID: "S-1-16-8192", Level: "Medium", RID: 8192, Policy: []string{"NO_WRITE_UP"}, Default: true,
		Text: "no label: Medium integrity, no-write-up (default)"}
}

func summary(ex Explanation) string {
	if len(ex.Findings) == 0 {
		return "no exposure found"
	}
	var worst []string
	for _, f := range ex.Findings {
		if f.Severity == ex.Verdict {
			worst = append(worst, f.Name)
		}
	}
	return ex.Verdict.String() + ": " + strings.Join(worst, ", ")
}
