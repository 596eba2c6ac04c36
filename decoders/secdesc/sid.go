package secdesc

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// SID is a security identifier (MS-DTYP §2.4.2, docs/security.md#sid). Revision is
// always 1; Authority is the 48-bit IdentifierAuthority.
type SID struct {
	Authority uint64
	Sub       []uint32
}

// MaxSubAuthorities is the largest SubAuthorityCount Windows accepts.
const MaxSubAuthorities = ntdefs.MaxSubAuthorities

// Len is the binary size of s: 8 + 4·len(Sub).
func (s SID) Len() int { return 8 + 4*len(s.Sub) }

// Equal reports whether s and t are the same SID.
func (s SID) Equal(t SID) bool {
	if s.Authority != t.Authority || len(s.Sub) != len(t.Sub) {
		return false
	}
	for i := range s.Sub {
		if s.Sub[i] != t.Sub[i] {
			return false
		}
	}
	return true
}

// String returns the S-1-… form: the authority in decimal below 2^32, else
// "0x" and 12 hex digits (ntdefs.AppendSID).
func (s SID) String() string { return string(s.appendString(make([]byte, 0, 16+11*len(s.Sub)))) }

func (s SID) appendString(b []byte) []byte { return ntdefs.AppendSID(b, 1, s.Authority, s.Sub) }

// parseSIDBinary reads a SID at b[off:], within b[:end].
func parseSIDBinary(b []byte, off, end int, what string) (SID, int, error) {
	if off < 0 || end > len(b) || off+8 > end {
		return SID{}, 0, errAt(off, what+" header", ErrTruncated)
	}
	if b[off] != 1 {
		return SID{}, 0, errAt(off, what+" revision", ErrInvalid)
	}
	n := int(b[off+1])
	if n > MaxSubAuthorities {
		return SID{}, 0, errAt(off+1, what+" SubAuthorityCount", ErrInvalid)
	}
	size := 8 + 4*n
	if off+size > end {
		return SID{}, 0, errAt(off, what+" sub-authorities", ErrTruncated)
	}
	var s SID
	s.Authority = ntdefs.SIDAuthority(b[off:])
	if n > 0 {
		s.Sub = make([]uint32, n)
		for i := range s.Sub {
			s.Sub[i] = binary.LittleEndian.Uint32(b[off+8+4*i:])
		}
	}
	return s, size, nil
}

// ParseSIDBytes decodes one binary SID occupying exactly b.
func ParseSIDBytes(b []byte) (SID, error) {
	s, n, err := parseSIDBinary(b, 0, len(b), "SID")
	if err != nil {
		return SID{}, err
	}
	if n != len(b) {
		return SID{}, errAt(n, "SID trailing bytes", ErrInvalid)
	}
	return s, nil
}

// AppendBinary appends the binary form of s.
func (s SID) AppendBinary(b []byte) []byte {
	b = append(b, 1, byte(len(s.Sub)))
	for i := 5; i >= 0; i-- {
		b = append(b, byte(s.Authority>>(8*uint(i))))
	}
	for _, v := range s.Sub {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// ParseSID parses the S-1-… string form or a two-letter SDDL alias. Domain
// aliases (LA, DA, …) need domain; pass nil when there is none.
func ParseSID(str string, domain *SID) (SID, error) {
	s, n, err := scanSID(str, 0, domain)
	if err != nil {
		return SID{}, err
	}
	if n != len(str) {
		return SID{}, &SyntaxError{Pos: n, Token: str[n:], Msg: "trailing characters after SID"}
	}
	return s, nil
}

// MustSID is ParseSID for constants; it panics on error.
func MustSID(str string) SID {
	s, err := ParseSID(str, nil)
	if err != nil {
		panic(err)
	}
	return s
}

// scanSID reads a SID string or alias at str[pos:] and returns the position
// after it.
func scanSID(str string, pos int, domain *SID) (SID, int, error) {
	if strings.HasPrefix(str[pos:], "S-") || strings.HasPrefix(str[pos:], "s-") {
		return scanSIDNumeric(str, pos)
	}
	if pos+2 > len(str) {
		return SID{}, pos, &SyntaxError{Pos: pos, Token: str[pos:], Msg: "SID expected"}
	}
	tok := str[pos : pos+2]
	if a, ok := aliasByName[tok]; ok {
		if a.rid != 0 {
			if domain == nil {
				return SID{}, pos, &SyntaxError{Pos: pos, Token: tok, Msg: "domain-relative SID alias needs a domain SID"}
			}
			return domainSID(*domain, a.rid), pos + 2, nil
		}
		return a.sid, pos + 2, nil
	}
	return SID{}, pos, &SyntaxError{Pos: pos, Token: tok, Msg: "unknown SID alias"}
}

func scanSIDNumeric(str string, pos int) (SID, int, error) {
	start := pos
	bad := func(p int, msg string) (SID, int, error) {
		end := p + 1
		if end > len(str) {
			end = len(str)
		}
		return SID{}, start, &SyntaxError{Pos: p, Token: str[p:end], Msg: msg}
	}
	if !strings.HasPrefix(str[pos:], "S-1-") && !strings.HasPrefix(str[pos:], "s-1-") {
		return bad(pos+2, "SID revision must be 1")
	}
	pos += 4
	var s SID
	if strings.HasPrefix(str[pos:], "0x") || strings.HasPrefix(str[pos:], "0X") {
		p := pos + 2
		n := 0
		for p < len(str) && n < 12 && isHex(str[p]) {
			s.Authority = s.Authority<<4 | uint64(unhex(str[p]))
			p++
			n++
		}
		if n != 12 {
			return bad(p, "hex SID authority needs 12 hex digits")
		}
		pos = p
	} else {
		v, p, ok := scanDecimal(str, pos, 1<<32-1)
		if !ok {
			return bad(pos, "SID authority expected")
		}
		s.Authority = v
		pos = p
	}
	for pos < len(str) && str[pos] == '-' {
		if len(s.Sub) == MaxSubAuthorities {
			return bad(pos, "more than 15 sub-authorities")
		}
		v, p, ok := scanDecimal(str, pos+1, 1<<32-1)
		if !ok {
			return bad(pos+1, "SID sub-authority expected")
		}
		s.Sub = append(s.Sub, uint32(v))
		pos = p
	}
	return s, pos, nil
}

// scanDecimal reads 1 or more digits with a value <= max.
func scanDecimal(str string, pos int, max uint64) (uint64, int, bool) {
	var v uint64
	p := pos
	for p < len(str) && str[p] >= '0' && str[p] <= '9' {
		v = v*10 + uint64(str[p]-'0')
		if v > max {
			return 0, pos, false
		}
		p++
	}
	return v, p, p > pos
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// alias is one row of the docs/security.md#sid-aliases alias table. Domain-relative aliases
// have rid != 0 and no fixed sid.
type alias struct {
	name string
	sid  SID
	rid  uint32
	desc string
}

var aliases = []alias{
	{"WD", MustSIDNoAlias("S-1-1-0"), 0, "Everyone"},
	{"CO", MustSIDNoAlias("S-1-3-0"), 0, "Creator Owner"},
	{"CG", MustSIDNoAlias("S-1-3-1"), 0, "Creator Group"},
	{"OW", MustSIDNoAlias("S-1-3-4"), 0, "Owner Rights"},
	{"NU", MustSIDNoAlias("S-1-5-2"), 0, "Network logon"},
	{"IU", MustSIDNoAlias("S-1-5-4"), 0, "Interactive"},
	{"SU", MustSIDNoAlias("S-1-5-6"), 0, "Service logon"},
	{"AN", MustSIDNoAlias("S-1-5-7"), 0, "Anonymous Logon"},
	{"ED", MustSIDNoAlias("S-1-5-9"), 0, "Enterprise Domain Controllers"},
	{"PS", MustSIDNoAlias("S-1-5-10"), 0, "Principal Self"},
	{"AU", MustSIDNoAlias("S-1-5-11"), 0, "Authenticated Users"},
	{"RC", MustSIDNoAlias("S-1-5-12"), 0, "Restricted Code"},
	{"SY", MustSIDNoAlias("S-1-5-18"), 0, "Local System"},
	{"LS", MustSIDNoAlias("S-1-5-19"), 0, "Local Service"},
	{"NS", MustSIDNoAlias("S-1-5-20"), 0, "Network Service"},
	{"WR", MustSIDNoAlias("S-1-5-33"), 0, "Write Restricted Code"},
	{"BA", MustSIDNoAlias("S-1-5-32-544"), 0, "Administrators"},
	{"BU", MustSIDNoAlias("S-1-5-32-545"), 0, "Users"},
	{"BG", MustSIDNoAlias("S-1-5-32-546"), 0, "Guests"},
	{"PU", MustSIDNoAlias("S-1-5-32-547"), 0, "Power Users"},
	{"AO", MustSIDNoAlias("S-1-5-32-548"), 0, "Account Operators"},
	{"SO", MustSIDNoAlias("S-1-5-32-549"), 0, "Server Operators"},
	{"PO", MustSIDNoAlias("S-1-5-32-550"), 0, "Print Operators"},
	{"BO", MustSIDNoAlias("S-1-5-32-551"), 0, "Backup Operators"},
	{"RE", MustSIDNoAlias("S-1-5-32-552"), 0, "Replicator"},
	{"RU", MustSIDNoAlias("S-1-5-32-554"), 0, "Pre-Windows 2000 Compatible Access"},
	{"RD", MustSIDNoAlias("S-1-5-32-555"), 0, "Remote Desktop Users"},
	{"NO", MustSIDNoAlias("S-1-5-32-556"), 0, "Network Configuration Operators"},
	{"MU", MustSIDNoAlias("S-1-5-32-558"), 0, "Performance Monitor Users"},
	{"LU", MustSIDNoAlias("S-1-5-32-559"), 0, "Performance Log Users"},
	{"IS", MustSIDNoAlias("S-1-5-32-568"), 0, "IIS_IUSRS"},
	{"CY", MustSIDNoAlias("S-1-5-32-569"), 0, "Cryptographic Operators"},
	{"ER", MustSIDNoAlias("S-1-5-32-573"), 0, "Event Log Readers"},
	{"CD", MustSIDNoAlias("S-1-5-32-574"), 0, "Certificate Service DCOM Access"},
	{"RA", MustSIDNoAlias("S-1-5-32-575"), 0, "RDS Remote Access Servers"},
	{"ES", MustSIDNoAlias("S-1-5-32-576"), 0, "RDS Endpoint Servers"},
	{"MS", MustSIDNoAlias("S-1-5-32-577"), 0, "RDS Management Servers"},
	{"HA", MustSIDNoAlias("S-1-5-32-578"), 0, "Hyper-V Administrators"},
	{"AA", MustSIDNoAlias("S-1-5-32-579"), 0, "Access Control Assistance Operators"},
	{"RM", MustSIDNoAlias("S-1-5-32-580"), 0, "Remote Management Users"},
	{"UD", MustSIDNoAlias("S-1-5-84-0-0-0-0-0"), 0, "User-mode drivers"},
	{"AC", MustSIDNoAlias("S-1-15-2-1"), 0, "ALL APPLICATION PACKAGES"},
	{"AS", MustSIDNoAlias("S-1-18-1"), 0, "Authentication authority asserted identity"},
	{"SS", MustSIDNoAlias("S-1-18-2"), 0, "Service asserted identity"},
	{"LW", MustSIDNoAlias("S-1-16-4096"), 0, "Low Mandatory Level"},
	{"ME", MustSIDNoAlias("S-1-16-8192"), 0, "Medium Mandatory Level"},
	{"MP", MustSIDNoAlias("S-1-16-8448"), 0, "Medium Plus Mandatory Level"},
	{"HI", MustSIDNoAlias("S-1-16-12288"), 0, "High Mandatory Level"},
	{"SI", MustSIDNoAlias("S-1-16-16384"), 0, "System Mandatory Level"},
	{"LA", SID{}, 500, "Administrator"},
	{"LG", SID{}, 501, "Guest"},
	{"DA", SID{}, 512, "Domain Admins"},
	{"DU", SID{}, 513, "Domain Users"},
	{"DG", SID{}, 514, "Domain Guests"},
	{"DC", SID{}, 515, "Domain Computers"},
	{"DD", SID{}, 516, "Domain Controllers"},
	{"CA", SID{}, 517, "Cert Publishers"},
	{"SA", SID{}, 518, "Schema Admins"},
	{"EA", SID{}, 519, "Enterprise Admins"},
	{"PA", SID{}, 520, "Group Policy Creator Owners"},
	{"CN", SID{}, 522, "Cloneable Domain Controllers"},
	{"AP", SID{}, 525, "Protected Users"},
	{"KA", SID{}, 526, "Key Admins"},
	{"EK", SID{}, 527, "Enterprise Key Admins"},
	{"RS", SID{}, 553, "RAS and IAS Servers"},
	{"RO", SID{}, 498, "Enterprise Read-only Domain Controllers"},
}

// MustSIDNoAlias parses a numeric S-1-… string and panics on error; it is
// used to build the alias table itself.
func MustSIDNoAlias(str string) SID {
	s, n, err := scanSIDNumeric(str, 0)
	if err != nil || n != len(str) {
		panic("secdesc: bad SID constant " + str)
	}
	return s
}

var aliasByName = func() map[string]alias {
	m := make(map[string]alias, len(aliases))
	for _, a := range aliases {
		m[a.name] = a
	}
	return m
}()

// domainSID returns domain + rid.
func domainSID(domain SID, rid uint32) SID {
	sub := make([]uint32, 0, len(domain.Sub)+1)
	sub = append(sub, domain.Sub...)
	return SID{Authority: domain.Authority, Sub: append(sub, rid)}
}

// sidKey is a comparable form of short SIDs, for table look-ups without
// allocation.
type sidKey struct {
	auth uint64
	n    int
	sub  [6]uint32
}

func keyOf(s SID) (sidKey, bool) {
	if len(s.Sub) > 6 {
		return sidKey{}, false
	}
	k := sidKey{auth: s.Authority, n: len(s.Sub)}
	copy(k.sub[:], s.Sub)
	return k, true
}

// fixedAliases indexes the aliases that are not domain-relative.
var fixedAliases = func() map[sidKey]int {
	m := map[sidKey]int{}
	for i, a := range aliases {
		if a.rid == 0 {
			k, _ := keyOf(a.sid)
			m[k] = i
		}
	}
	return m
}()

// Alias returns the two-letter SDDL alias of s, or "". Domain-relative
// aliases are returned only when s is domain+RID.
func Alias(s SID, domain *SID) string {
	if k, ok := keyOf(s); ok {
		if i, ok := fixedAliases[k]; ok {
			return aliases[i].name
		}
	}
	if domain == nil {
		return ""
	}
	for _, a := range aliases {
		if a.rid == 0 {
			continue
		}
		if domain != nil && len(s.Sub) == len(domain.Sub)+1 && s.Sub[len(s.Sub)-1] == a.rid &&
			s.Authority == domain.Authority && (SID{Authority: s.Authority, Sub: s.Sub[:len(s.Sub)-1]}).Equal(*domain) {
			return a.name
		}
	}
	return ""
}

// Well-known SIDs used by the explanation.
var (
	SIDEveryone            = MustSIDNoAlias("S-1-1-0")
	SIDCreatorOwner        = MustSIDNoAlias("S-1-3-0")
	SIDOwnerRights         = MustSIDNoAlias("S-1-3-4")
	SIDNetwork             = MustSIDNoAlias("S-1-5-2")
	SIDInteractive         = MustSIDNoAlias("S-1-5-4")
	SIDAnonymous           = MustSIDNoAlias("S-1-5-7")
	SIDAuthenticatedUsers  = MustSIDNoAlias("S-1-5-11")
	SIDLocalSystem         = MustSIDNoAlias("S-1-5-18")
	SIDAdministrators      = MustSIDNoAlias("S-1-5-32-544")
	SIDUsers               = MustSIDNoAlias("S-1-5-32-545")
	SIDGuests              = MustSIDNoAlias("S-1-5-32-546")
	SIDAllAppPackages      = MustSIDNoAlias("S-1-15-2-1")
	SIDAllRestrictedAppPkg = MustSIDNoAlias("S-1-15-2-2")
)

var otherNames = map[string]string{
	"S-1-0-0":      "Null SID",
	"S-1-2-0":      "Local",
	"S-1-2-1":      "Console Logon",
	"S-1-5-1":      "Dialup",
	"S-1-5-3":      "Batch",
	"S-1-5-13":     "Terminal Server User",
	"S-1-5-14":     "Remote Interactive Logon",
	"S-1-5-15":     "This Organization",
	"S-1-5-17":     "IUSR",
	"S-1-5-64-10":  "NTLM Authentication",
	"S-1-5-64-14":  "SChannel Authentication",
	"S-1-5-64-21":  "Digest Authentication",
	"S-1-5-113":    "Local account",
	"S-1-5-114":    "Local account and member of Administrators",
	"S-1-15-2-2":   "ALL RESTRICTED APPLICATION PACKAGES",
	"S-1-16-0":     "Untrusted Mandatory Level",
	"S-1-16-20480": "Protected Process Mandatory Level",
	"S-1-16-28672": "Secure Process Mandatory Level",
}

// Well-known RIDs of S-1-5-21-<d1>-<d2>-<d3>-RID accounts and groups.
var domainRIDNames = map[uint32]string{
	498: "Enterprise Read-only Domain Controllers", 500: "Administrator", 501: "Guest",
	502: "KRBTGT", 503: "DefaultAccount", 504: "WDAGUtilityAccount",
	512: "Domain Admins", 513: "Domain Users", 514: "Domain Guests", 515: "Domain Computers",
	516: "Domain Controllers", 517: "Cert Publishers", 518: "Schema Admins", 519: "Enterprise Admins",
	520: "Group Policy Creator Owners", 521: "Read-only Domain Controllers",
	522: "Cloneable Domain Controllers", 525: "Protected Users", 526: "Key Admins",
	527: "Enterprise Key Admins", 553: "RAS and IAS Servers",
	571: "Allowed RODC Password Replication Group", 572: "Denied RODC Password Replication Group",
}

// Process trust label types and levels (S-1-19-T-L).
var trustTypes = map[uint32]string{512: "Protected Process Light", 1024: "Protected Process"}
var trustLevels = map[uint32]string{
	0: "None", 1024: "Authenticode", 1536: "Antimalware", 2048: "App", 4096: "Windows", 8192: "WinTcb",
}

// Name returns a human name for s, or "" when s is not well known.
// Patterns (logon sessions, services, AppContainer packages, capabilities,
// integrity levels, domain RIDs) get generic names (docs/security.md#sid-aliases).
func Name(s SID) string {
	if k, ok := keyOf(s); ok {
		if i, ok := fixedAliases[k]; ok {
			return aliases[i].desc
		}
	}
	str := s.String()
	if n, ok := otherNames[str]; ok {
		return n
	}
	switch {
	case s.Authority == 5 && len(s.Sub) == 3 && s.Sub[0] == 5:
		return "Logon session " + strconv.FormatUint(uint64(s.Sub[1]), 10) + "-" + strconv.FormatUint(uint64(s.Sub[2]), 10)
	case s.Authority == 5 && len(s.Sub) == 6 && s.Sub[0] == 80:
		return "NT SERVICE\\<service>"
	case s.Authority == 5 && len(s.Sub) == 1 && s.Sub[0] == 80:
		return "NT SERVICE"
	case s.Authority == 5 && len(s.Sub) >= 2 && s.Sub[0] == 80 && s.Sub[1] == 0:
		return "NT SERVICE\\ALL SERVICES"
	case s.Authority == 5 && len(s.Sub) >= 2 && s.Sub[0] == 83 && s.Sub[1] == 0:
		return "NT VIRTUAL MACHINE\\Virtual Machines"
	case s.Authority == 5 && len(s.Sub) >= 1 && s.Sub[0] == 82:
		return "IIS APPPOOL\\<pool>"
	case s.Authority == 15 && len(s.Sub) == 8 && s.Sub[0] == 2:
		return "AppContainer package"
	case s.Authority == 15 && len(s.Sub) >= 2 && s.Sub[0] == 3:
		if len(s.Sub) == 2 {
			if n, ok := capabilityNames[s.Sub[1]]; ok {
				return "Capability: " + n
			}
		}
		return "Capability"
	case s.Authority == 16 && len(s.Sub) == 1:
		return "Mandatory level " + strconv.FormatUint(uint64(s.Sub[0]), 10)
	case s.Authority == 19 && len(s.Sub) == 2:
		t, l := trustTypes[s.Sub[0]], trustLevels[s.Sub[1]]
		if t == "" {
			t = "trust type " + strconv.FormatUint(uint64(s.Sub[0]), 10)
		}
		if l == "" {
			l = "level " + strconv.FormatUint(uint64(s.Sub[1]), 10)
		}
		return "Process trust label: " + t + ", " + l
	case s.Authority == 5 && len(s.Sub) == 5 && s.Sub[0] == 21:
		if n, ok := domainRIDNames[s.Sub[4]]; ok {
			return n
		}
		if s.Sub[4] >= 1000 {
			return "Domain or local account"
		}
	}
	return ""
}

// Capability SIDs S-1-15-3-N with well-known N.
var capabilityNames = map[uint32]string{
	1: "internetClient", 2: "internetClientServer", 3: "privateNetworkClientServer",
	4: "picturesLibrary", 5: "videosLibrary", 6: "musicLibrary", 7: "documentsLibrary",
	8: "enterpriseAuthentication", 9: "sharedUserCertificates", 10: "removableStorage",
	11: "appointments", 12: "contacts",
}

// IsAppContainer reports whether s is ALL APPLICATION PACKAGES, ALL RESTRICTED
// APPLICATION PACKAGES or an AppContainer package SID (S-1-15-2-…).
func IsAppContainer(s SID) bool {
	return s.Authority == 15 && len(s.Sub) >= 2 && s.Sub[0] == 2
}
