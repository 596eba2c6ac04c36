package secdesc

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhexSpaced(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// V1: MS-DTYP §2.5.1.4 (docs/events.md#vectors).
const v1SDDL = "O:BAG:BAD:P(A;CIOI;GRGX;;;BU)(A;CIOI;GA;;;BA)(A;CIOI;GA;;;SY)(A;CIOI;GA;;;CO)S:P(AU;FA;GR;;;WD)"

const v1Hex = `
01 00 14 b0 90 00 00 00 a0 00 00 00 14 00 00 00
30 00 00 00 02 00 1c 00 01 00 00 00 02 80 14 00
00 00 00 80 01 01 00 00 00 00 00 01 00 00 00 00
02 00 60 00 04 00 00 00 00 03 18 00 00 00 00 a0
01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00
00 03 18 00 00 00 00 10 01 02 00 00 00 00 00 05
20 00 00 00 20 02 00 00 00 03 14 00 00 00 00 10
01 01 00 00 00 00 00 05 12 00 00 00 00 03 14 00
00 00 00 10 01 01 00 00 00 00 00 03 00 00 00 00
01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00
01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00`

func TestV1MSDTYPExample(t *testing.T) {
	want := unhexSpaced(t, v1Hex)
	if len(want) != 176 {
		t.Fatalf("vector is %d bytes", len(want))
	}
	sd, err := ParseSDDL(v1SDDL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("SDDL → binary:\n got %x\nwant %x", got, want)
	}
	// Binary → struct: the decode docs/events.md#vectors lists.
	bsd, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if bsd.Control != 0xB014 {
		t.Errorf("control = %#x", uint16(bsd.Control))
	}
	if bsd.Owner.String() != "S-1-5-32-544" || bsd.Group.String() != "S-1-5-32-544" {
		t.Errorf("owner %v group %v", bsd.Owner, bsd.Group)
	}
	if n := len(bsd.SACL.ACEs); n != 1 || bsd.SACL.ACEs[0].Type != SystemAudit || bsd.SACL.ACEs[0].Flags != FailedAccess ||
		bsd.SACL.ACEs[0].Mask != GenericRead || !bsd.SACL.ACEs[0].SID.Equal(SIDEveryone) {
		t.Errorf("SACL = %+v", bsd.SACL)
	}
	wantDACL := []struct {
		mask uint32
		sid  string
	}{{0xA0000000, "S-1-5-32-545"}, {GenericAll, "S-1-5-32-544"}, {GenericAll, "S-1-5-18"}, {GenericAll, "S-1-3-0"}}
	if len(bsd.DACL.ACEs) != len(wantDACL) {
		t.Fatalf("DACL has %d ACEs", len(bsd.DACL.ACEs))
	}
	for i, w := range wantDACL {
		a := bsd.DACL.ACEs[i]
		if a.Mask != w.mask || a.SID.String() != w.sid || a.Flags != ObjectInherit|ContainerInherit || a.Type != AccessAllowed {
			t.Errorf("DACL ACE %d = %+v, want %#x %s", i, a, w.mask, w.sid)
		}
	}
	// Binary → SDDL → binary.
	s, err := bsd.SDDL(nil)
	if err != nil {
		t.Fatal(err)
	}
	const wantS = "O:BAG:BAD:P(A;OICI;GXGR;;;BU)(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;GA;;;CO)S:P(AU;FA;GR;;;WD)"
	if s != wantS {
		t.Errorf("SDDL = %s\nwant   %s", s, wantS)
	}
	sd2, err := ParseSDDL(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := sd2.MarshalBinary()
	if !bytes.Equal(again, want) {
		t.Errorf("binary → SDDL → binary differs:\n%x", again)
	}
}

func TestV2SidToRawSD(t *testing.T) {
	for _, tc := range []struct {
		sddl, b64, hex string
		owner, group   string
	}{
		{"O:BAG:BA", "AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAgAgAAAQIAAAAAAAUgAAAAIAIAAA==",
			"01 00 00 80 14 00 00 00 24 00 00 00 00 00 00 00 00 00 00 00 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00",
			"S-1-5-32-544", "S-1-5-32-544"}, // D8: BA, not BU as the README says.
		{"O:S-1-5-93-2-1G:S-1-5-93-2-1", "AQAAgBQAAAAoAAAAAAAAAAAAAAABAwAAAAAABV0AAAACAAAAAQAAAAEDAAAAAAAFXQAAAAIAAAABAAAA",
			"01 00 00 80 14 00 00 00 28 00 00 00 00 00 00 00 00 00 00 00 01 03 00 00 00 00 00 05 5d 00 00 00 02 00 00 00 01 00 00 00 01 03 00 00 00 00 00 05 5d 00 00 00 02 00 00 00 01 00 00 00",
			"S-1-5-93-2-1", "S-1-5-93-2-1"},
	} {
		raw, err := base64.StdEncoding.DecodeString(tc.b64)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, unhexSpaced(t, tc.hex)) {
			t.Fatalf("%s: base64 and hex in the vector differ", tc.sddl)
		}
		sd, err := Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.sddl, err)
		}
		if sd.Owner.String() != tc.owner || sd.Group.String() != tc.group {
			t.Errorf("%s: owner %s group %s", tc.sddl, sd.Owner, sd.Group)
		}
		if sd.Owner.Equal(SIDUsers) {
			t.Errorf("%s decodes to BU", tc.sddl)
		}
		if sd.DACL != nil || sd.SACL != nil || sd.Control != SelfRelative {
			t.Errorf("%s: unexpected lists/control %+v", tc.sddl, sd)
		}
		s, err := sd.SDDL(nil)
		if err != nil || s != tc.sddl {
			t.Errorf("SDDL = %q, %v; want %q", s, err, tc.sddl)
		}
		fromText, err := ParseSDDL(tc.sddl, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := fromText.MarshalBinary()
		if !bytes.Equal(b, raw) {
			t.Errorf("%s → %x, want %x", tc.sddl, b, raw)
		}
	}
}

func TestV3SIDEncodings(t *testing.T) {
	for _, tc := range []struct{ sid, hex string }{
		{"S-1-1-0", "01 01 00 00 00 00 00 01 00 00 00 00"},
		{"S-1-3-0", "01 01 00 00 00 00 00 03 00 00 00 00"},
		{"S-1-5-18", "01 01 00 00 00 00 00 05 12 00 00 00"},
		{"S-1-5-32-544", "01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00"},
		{"S-1-5-32-545", "01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00"},
		{"S-1-0x123456789ABC-7", "01 01 12 34 56 78 9a bc 07 00 00 00"},
	} {
		b := unhexSpaced(t, tc.hex)
		s, err := ParseSIDBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if s.String() != tc.sid {
			t.Errorf("%x → %s, want %s", b, s, tc.sid)
		}
		p := MustSID(tc.sid)
		if got := p.AppendBinary(nil); !bytes.Equal(got, b) {
			t.Errorf("%s → %x", tc.sid, got)
		}
	}
}

var roundTrip = []string{
	v1SDDL,
	"O:BAG:BA",
	"O:SYG:SYD:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;CO)(A;;GR;;;WD)(A;;GR;;;AN)",
	"D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)(A;;FR;;;AN)",
	"D:NO_ACCESS_CONTROL",
	"D:PNO_ACCESS_CONTROL",
	"D:",
	"D:P",
	"D:AI(A;ID;FA;;;SY)",
	"D:PAI(A;OICI;FA;;;SY)",
	"D:PARAI(A;OICIIO;GA;;;CO)",
	"D:AR(A;NP;FR;;;BU)",
	"D:(A;OICINPIOID;0x1f01ff;;;S-1-0-0)",
	"D:(D;;FW;;;AN)(A;;FR;;;AN)",
	"D:(D;OICI;WD;;;WD)(A;;0x12019f;;;WD)",
	"D:(A;;CC;;;AC)(A;;CC;;;S-1-15-2-1430448594-2639229838-973813799-439329657-1197984847-4069167804-1277922394)",
	"D:(A;;FX;;;S-1-15-3-1)(A;;FX;;;S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681)",
	"D:(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;;FR;;;S-1-5-5-0-123456)",
	"D:(A;;KA;;;BA)(A;;KR;;;BU)(A;;KW;;;PU)",
	"D:(A;;GW;;;AU)(A;;GX;;;IU)(A;;GR;;;NU)(A;;GA;;;SU)",
	"D:(A;;0x20000;;;CG)(A;;0x40000;;;OW)(A;;0x80000;;;ED)(A;;0x10000;;;PS)(A;;0x100000;;;RC)",
	"D:(A;;FA;;;LS)(A;;FA;;;NS)(A;;FR;;;WR)(A;;FR;;;BG)(A;;FR;;;PU)(A;;FR;;;AO)(A;;FR;;;SO)",
	"D:(A;;FR;;;PO)(A;;FR;;;BO)(A;;FR;;;RE)(A;;FR;;;RU)(A;;FR;;;RD)(A;;FR;;;NO)(A;;FR;;;MU)(A;;FR;;;LU)",
	"D:(A;;FR;;;IS)(A;;FR;;;CY)(A;;FR;;;ER)(A;;FR;;;CD)(A;;FR;;;RA)(A;;FR;;;ES)(A;;FR;;;MS)(A;;FR;;;HA)(A;;FR;;;AA)(A;;FR;;;RM)",
	"D:(A;;FR;;;UD)(A;;FR;;;AS)(A;;FR;;;SS)",
	"S:(ML;;NW;;;LW)",
	"S:(ML;;NRNWNX;;;HI)",
	"S:(ML;;NR;;;ME)(ML;CIOI;NX;;;MP)",
	"S:(ML;;NW;;;SI)",
	"S:(ML;;NW;;;S-1-16-0)",
	"S:P(AU;SA;FA;;;WD)(AU;FA;FW;;;AN)(AU;SAFA;CC;;;BU)",
	"S:(AL;;FA;;;WD)",
	"S:(OL;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)",
	"D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;AU)",
	"D:(OA;CI;RPWP;;bf967aba-0de6-11d0-a285-00aa003049e2;AU)",
	"D:(OD;;WP;bf967950-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;WD)",
	"S:(OU;CISA;WP;bf967950-0de6-11d0-a285-00aa003049e2;;WD)",
	"D:(XA;;FX;;;WD;(@User.Title == \"PM\" && (@User.Division == \"Finance\" || @User.Division == \"Sales\")))",
	"D:(XD;;FW;;;WD;(Member_of {SID(BA), SID(S-1-5-32-545)}))",
	"D:(XA;;FR;;;AU;(Not_Member_of SID(BG) || !(Exists Clearance)))",
	"D:(ZA;;RP;bf967950-0de6-11d0-a285-00aa003049e2;;WD;(@Device.Managed == 1))",
	"D:(XA;;FA;;;AU;(@User.level >= -0x10 && @Resource.tag Any_of {\"a\", \"b\"} && @User.n < 017 && @User.b != +5))",
	"D:(XA;;FA;;;AU;(@Resource.data == #0a0bff && Device_Member_of_Any {SID(SY)} && Not_Device_Member_of_Any {SID(AN)}))",
	"D:(XA;;FA;;;AU;(Member_of_Any {SID(BU)} && Not_Member_of_Any {SID(BG)} && Device_Member_of {SID(BA)} && Not_Device_Member_of {SID(AN)}))",
	"D:(XA;;FA;;;AU;(@User.x Contains @Resource.y && @User.x Not_Contains 3 && @User.x Not_Any_of {1, 2} && Not_Exists y && @User.x <= 2 && @User.x > 0))",
	"D:(XA;;FA;;;AU;(Local%0020Name == \"with space\"))",
	"S:(XU;SA;FR;;;WD;(@User.Project Any_of @Resource.Project))",
	"S:(SP;;;;;S-1-17-1)",
	"S:(SP;OICI;;;;S-1-17-3260955821-1180564752-550833841-1617862776)",
	"S:(TL;;0x1;;;S-1-19-512-1536)",
	"S:(TL;CR;0x21;;;S-1-19-1024-8192)",
	"S:(FL;CRTP;FA;;;WD;(Member_of {SID(BA)}))",
	"S:(RA;CI;;;;WD;(\"Project\",TS,0x0,\"Windows\",\"SQL\"))(RA;;;;;WD;(\"n\",TU,0x10,1,2))(RA;;;;;WD;(\"o\",TD,0x0,BA))",
	"S:(RA;;;;;WD;(\"b\",TB,0x0,1))(RA;;;;;WD;(\"x\",TX,0x0,00ff))(RA;;;;;WD;(\"i\",TI,0x0,-9223372036854775808))",
	"O:S-1-5-21-1-2-3-500G:S-1-5-21-1-2-3-513D:(A;;FA;;;S-1-5-21-1-2-3-512)",
	"D:(A;;0x0;;;WD)",
	"D:(A;;;;;WD)",
}

// TestRoundTrip: SDDL → binary → SDDL → binary is stable, and binary →
// struct → binary is the identity, for every case of the table.
func TestRoundTrip(t *testing.T) {
	if len(roundTrip) < 40 {
		t.Fatalf("only %d cases", len(roundTrip))
	}
	for _, in := range roundTrip {
		sd, err := ParseSDDL(in, nil)
		if err != nil {
			t.Errorf("ParseSDDL(%q): %v", in, err)
			continue
		}
		b1, err := sd.MarshalBinary()
		if err != nil {
			t.Errorf("%q: marshal: %v", in, err)
			continue
		}
		// binary → struct → binary is the identity.
		p1, err := Parse(b1)
		if err != nil {
			t.Errorf("%q: Parse(own output): %v", in, err)
			continue
		}
		if b, _ := p1.MarshalBinary(); !bytes.Equal(b, b1) {
			t.Errorf("%q: binary → binary differs", in)
		}
		s1, err := p1.SDDL(nil)
		if err != nil {
			t.Errorf("%q: SDDL: %v", in, err)
			continue
		}
		sd2, err := ParseSDDL(s1, nil)
		if err != nil {
			t.Errorf("%q → %q: reparse: %v", in, s1, err)
			continue
		}
		b2, _ := sd2.MarshalBinary()
		if !bytes.Equal(b1, b2) {
			t.Errorf("%q → %q: binary differs\n%x\n%x", in, s1, b1, b2)
		}
		s2, _ := sd2.SDDL(nil)
		if s1 != s2 {
			t.Errorf("SDDL not stable: %q then %q", s1, s2)
		}
	}
}

// Exact text checks: the output follows Windows' order and tokens.
func TestFormatSDDL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"D:(A;CIOI;GRGX;;;BU)", "D:(A;OICI;GXGR;;;BU)"},
		{"D:(A;IDIOCIOINP;FA;;;SY)", "D:(A;OICINPIOID;FA;;;SY)"},
		{"D:AIARP(A;;0x1F01FF;;;S-1-5-32-544)", "D:PARAI(A;;FA;;;BA)"},
		{"D:(A;;2032127;;;WD)", "D:(A;;FA;;;WD)"},
		{"D:(A;;CCLC;;;WD)", "D:(A;;CCLC;;;WD)"},
		// Service rights as sc sdshow prints them (docs/security.md#sddl).
		{"D:(A;;0x201fd;;;IU)", "D:(A;;CCLCSWRPWPDTLOCRRC;;;IU)"},
		{"D:(A;;RCWDWOSDCCDCLCSWRPWPDTLOCR;;;BA)", "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)"},
		// SYNCHRONIZE (bit 20) has no token: FILE_GENERIC_READ|EXECUTE is hex.
		{"D:(A;;0x1200a9;;;WD)", "D:(A;;0x1200a9;;;WD)"},
		{"D:(A;;0x10000100;;;WD)", "D:(A;;CRGA;;;WD)"},
		{"D:(A;;KX;;;WD)", "D:(A;;KR;;;WD)"},
		{"S:(ML;;NWNR;;;LW)", "S:(ML;;NRNW;;;LW)"},
		{"D:(OA;;CR;AB721A53-1E2F-11D0-9819-00AA0040529B;;WD)", "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)"},
		{"S:(AU;SA;GA;;;WD)D:(A;;GA;;;WD)G:SYO:BA", "O:BAG:SYD:(A;;GA;;;WD)S:(AU;SA;GA;;;WD)"},
		{"O:S-1-5-21-1-2-3-500", "O:S-1-5-21-1-2-3-500"},
		{"D:(A;;GA;;;S-1-1-0)", "D:(A;;GA;;;WD)"},
		{"D:(XA;;FR;;;WD;( (@User.a==1)&&(@User.b!=\"x\") ))", "D:(XA;;FR;;;WD;(@User.a == 1 && @User.b != \"x\"))"},
	} {
		sd, err := ParseSDDL(tc.in, nil)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		b, _ := sd.MarshalBinary()
		p, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.SDDL(nil)
		if err != nil || got != tc.want {
			t.Errorf("%q → %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDomainAliases(t *testing.T) {
	dom := MustSID("S-1-5-21-1004336348-1177238915-682003330")
	for _, a := range aliases {
		in := "O:" + a.name
		sd, err := ParseSDDL(in, &dom)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		got, err := sd.SDDL(&FormatOptions{Domain: &dom})
		if err != nil || got != in {
			t.Errorf("%s → %q %v", in, got, err)
		}
		if a.rid != 0 {
			if !strings.HasPrefix(sd.Owner.String(), dom.String()+"-") {
				t.Errorf("%s → %s", a.name, sd.Owner)
			}
			// Without a domain the full SID is printed, and parsing the alias fails.
			if s, _ := sd.SDDL(nil); s != "O:"+sd.Owner.String() {
				t.Errorf("no-domain format of %s = %q", a.name, s)
			}
			if _, err := ParseSDDL(in, nil); err == nil {
				t.Errorf("%s parsed without a domain", in)
			}
		}
		if Name(*sd.Owner) == "" {
			t.Errorf("%s (%s) has no name", a.name, sd.Owner)
		}
	}
}

func TestWellKnownNames(t *testing.T) {
	for sid, want := range map[string]string{
		"S-1-1-0": "Everyone", "S-1-5-7": "Anonymous Logon", "S-1-5-32-544": "Administrators",
		"S-1-5-5-0-99": "Logon session 0-99", "S-1-5-80-1-2-3-4-5": "NT SERVICE\\<service>",
		"S-1-15-2-1-2-3-4-5-6-7": "AppContainer package", "S-1-15-3-1": "Capability: internetClient",
		"S-1-15-3-1024-1-2-3-4-5-6-7": "Capability", "S-1-16-4096": "Low Mandatory Level",
		"S-1-16-0": "Untrusted Mandatory Level", "S-1-16-20480": "Protected Process Mandatory Level",
		"S-1-5-21-1-2-3-500": "Administrator", "S-1-5-21-1-2-3-513": "Domain Users", "S-1-5-21-1-2-3-1001": "Domain or local account",
		"S-1-19-512-1536": "Process trust label: Protected Process Light, Antimalware",
		"S-1-0-0":         "Null SID", "S-1-2-1": "Console Logon", "S-1-5-64-10": "NTLM Authentication", "S-1-5-114": "Local account and member of Administrators",
		"S-1-15-2-2": "ALL RESTRICTED APPLICATION PACKAGES", "S-1-5-1-2-3": "",
	} {
		if got := Name(MustSID(sid)); got != want {
			t.Errorf("Name(%s) = %q, want %q", sid, got, want)
		}
	}
}

func TestResourceAttributes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`S:(RA;CI;;;;WD;("Project",TS,0x0,"Windows","SQL"))`, ""},
		{`S:(RA;;;;;WD;("Secrecy",TU,0,3))`, `S:(RA;;;;;WD;("Secrecy",TU,0x0,3))`},
		{`S:(RA;;;;;WD;("Level",TI,0x10,-5,0x10))`, `S:(RA;;;;;WD;("Level",TI,0x10,-5,16))`},
		{`S:(RA;;;;;WD;("Owners",TD,0x0,BA,SID(S-1-5-21-1-2-3-1001)))`, `S:(RA;;;;;WD;("Owners",TD,0x0,BA,S-1-5-21-1-2-3-1001))`},
		{`S:(RA;;;;;WD;("Blob",TX,0x0,#00ff10,0a))`, `S:(RA;;;;;WD;("Blob",TX,0x0,00ff10,0a))`},
		{`S:(RA;;;;;WD;("Flag",TB,0x0,1,0))`, ""},
		{`S:(RA;;;;;WD;("Empty",TS,0x0))`, ""},
	} {
		sd, err := ParseSDDL(tc.in, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		b, _ := sd.MarshalBinary()
		p, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.SDDL(nil)
		want := tc.want
		if want == "" {
			want = tc.in
		}
		if err != nil || got != want {
			t.Errorf("%s → %q %v, want %q", tc.in, got, err, want)
		}
		c, err := ParseClaim(p.SACL.ACEs[0].AppData)
		if err != nil || c.Name == "" {
			t.Errorf("%s: claim %v %v", tc.in, c, err)
		}
	}
	// Claim decoding follows offsets: a claim laid out differently (values
	// before the name) still decodes, and Canonical re-encodes it.
	c := &Claim{Name: "N", Type: ClaimUint64, Values: []any{uint64(7)}}
	b := make([]byte, 20)
	binary.LittleEndian.PutUint16(b[4:], ClaimUint64)
	binary.LittleEndian.PutUint32(b[12:], 1)
	binary.LittleEndian.PutUint32(b[16:], 20)
	b = binary.LittleEndian.AppendUint64(b, 7)
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)))
	b = append(b, 'N', 0, 0, 0)
	got, err := ParseClaim(b)
	if err != nil || got.Name != "N" || got.Values[0] != uint64(7) {
		t.Fatalf("ParseClaim = %+v, %v", got, err)
	}
	if !bytes.Equal(canonicalClaim(b), c.MarshalBinary()) {
		t.Errorf("canonical claim differs")
	}
	for _, bad := range []struct {
		in  string
		pos int
		tok string
	}{
		{`S:(RA;;;;;WD;(Project,TS,0x0))`, 14, "P"},
		{`S:(RA;;;;;WD;("P",TQ,0x0))`, 18, "TQ"},
		{`S:(RA;;;;;WD;("P",TB,0x0,2))`, 25, "2"},
		{`S:(RA;;;;;WD;("P",TI,0x0,x))`, 25, "x"},
		{`S:(RA;;;;;WD;("P",TX,0x0,abc))`, 25, "abc"},
		{`S:(RA;;;;;WD;("P",TS,0x0,"a")`, 29, ""},
	} {
		_, err := ParseSDDL(bad.in, nil)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos != bad.pos || se.Token != bad.tok {
			t.Errorf("%s: %v (want pos %d token %q)", bad.in, err, bad.pos, bad.tok)
		}
	}
}

func TestInvalidSDDL(t *testing.T) {
	for _, tc := range []struct {
		in    string
		pos   int
		token string
	}{
		{"X:BA", 0, "X:"},
		{"O:", 2, ""},
		{"O:ZZ", 2, "ZZ"},
		{"O:BAO:BA", 4, "O:"},
		{"O:S-2-5", 4, "2"},
		{"O:S-1-5-", 8, ""},
		{"O:S-1-5-4294967296", 8, "4"},
		{"O:S-1-0x12-4", 10, "-"},
		{"O:BAx", 4, "x"},
		{"D:(Q;;GA;;;WD)", 3, "Q"},
		{"D:(A;XX;GA;;;WD)", 5, "XX"},
		{"D:(A;OIC;GA;;;WD)", 7, "C"},
		{"D:(A;;GQ;;;WD)", 6, "GQ"},
		{"D:(A;;GAG;;;WD)", 8, "G"},
		{"D:(A;;0x1FFFFFFFF;;;WD)", 6, "0x1FFFFFFFF"},
		{"D:(A;;12a;;;WD)", 6, "12a"},
		{"D:(A;;GA;;;WDX)", 13, "X"},
		{"D:(A;;GA;;;WD", 13, ""},
		{"D:(A;;GA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", 9, "bf967aba-0de6-11d0-a285-00aa003049e2"},
		{"D:(OA;;GA;bf967aba-0de6-11d0-a285-00aa003049eZ;;WD)", 10, "bf967aba-0de6-11d0-a285-00aa003049eZ"},
		{"D:(A;;GA;;;WD)x", 14, "x"},
		{"D:(A;;GA;;;WD;(x))", 14, "("},
		{"D:(A;;GA;;;LA)", 11, "LA"},
		{"D:(XA;;GA;;;WD;(@User.x ==))", 26, ")"},
		{"D:(XA;;GA;;;WD;(@User.x == \"abc))", 27, "\""},
		{"D:(XA;;GA;;;WD;(Member_of 5))", 26, "5"},
		{"D:(XA;;GA;;;WD;(@User.x == #abc))", 27, "#abc"},
		{"D:(XA;;GA;;;WD;(@User.x == 99999999999999999999))", 27, "9"},
		{"D:(XA;;GA;;;WD;(@User.x == 1)", 29, ""},
		{"S:(ML;;NW;;;LW)(", 16, ""},
	} {
		_, err := ParseSDDL(tc.in, nil)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: err = %v, want *SyntaxError", tc.in, err)
			continue
		}
		if se.Pos != tc.pos || !strings.HasPrefix(se.Token, tc.token) || (tc.token == "" && se.Token != "") {
			t.Errorf("%q: pos %d token %q (%s), want pos %d token %q", tc.in, se.Pos, se.Token, se.Msg, tc.pos, tc.token)
		}
	}
}

func TestParseBinaryErrors(t *testing.T) {
	good := unhexSpaced(t, v1Hex)
	mod := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		off  int
		what string
		err  error
	}{
		{"short header", good[:19], 0, "SECURITY_DESCRIPTOR header", ErrTruncated},
		{"revision", mod(func(b []byte) []byte { b[0] = 2; return b }), 0, "Revision", ErrInvalid},
		{"absolute", mod(func(b []byte) []byte { b[3] &^= 0x80; return b }), 2, "SELF_RELATIVE", ErrInvalid},
		{"owner offset", mod(func(b []byte) []byte { b[4] = 0xF0; return b }), 0xF0, "owner SID header", ErrTruncated},
		{"group truncated", good[:0xA8], 0xA0, "group SID sub-authorities", ErrTruncated},
		{"sacl size", mod(func(b []byte) []byte { b[0x16] = 0xFF; return b }), 0x16, "SACL AclSize", ErrTruncated},
		{"sacl revision", mod(func(b []byte) []byte { b[0x14] = 7; return b }), 0x14, "SACL AclRevision", ErrInvalid},
		{"dacl count", mod(func(b []byte) []byte { b[0x34] = 0x40; return b }), 0x34, "DACL AceCount", ErrInvalid},
		{"ace size", mod(func(b []byte) []byte { b[0x3A] = 0x70; return b }), 0x3A, "DACL ACE 0 AceSize", ErrTruncated},
		{"ace size small", mod(func(b []byte) []byte { b[0x3A] = 2; return b }), 0x3A, "DACL ACE 0 AceSize", ErrInvalid},
		{"sid count", mod(func(b []byte) []byte { b[0x41] = 16; return b }), 0x41, "DACL ACE 0 SID SubAuthorityCount", ErrInvalid},
		{"owner in header", mod(func(b []byte) []byte { b[4] = 8; return b }), 8, "owner SID offset points into", ErrInvalid},
		{"dacl in header", mod(func(b []byte) []byte { b[16] = 4; return b }), 4, "DACL offset points into", ErrInvalid},
		{"sid in ace", mod(func(b []byte) []byte { b[0x41] = 5; return b }), 0x40, "DACL ACE 0 SID sub-authorities", ErrTruncated},
	} {
		_, err := Parse(tc.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		if e.Off != tc.off || !strings.Contains(e.What, tc.what) || !errors.Is(err, tc.err) {
			t.Errorf("%s: got %v; want off %#x what %q err %v", tc.name, err, tc.off, tc.what, tc.err)
		}
	}
}

func TestUnknownAndNonSDDLACEs(t *testing.T) {
	// A compound ACE, an unknown type 0x20 and a basic ACE with stray bytes
	// parse and marshal back unchanged but have no SDDL form.
	sid := SIDEveryone.AppendBinary(nil)
	compound := append([]byte{0x04, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0}, sid...)
	compound = append(compound, SIDLocalSystem.AppendBinary(nil)...)
	compound[2] = byte(len(compound))
	unknown := []byte{0x20, 0, 8, 0, 1, 2, 3, 4}
	stray := append([]byte{0x00, 0, 0, 0, 1, 0, 0, 0}, sid...)
	stray = append(stray, 0xAA, 0xBB, 0xCC, 0xDD)
	stray[2] = byte(len(stray))
	for _, ace := range [][]byte{compound, unknown, stray} {
		acl := []byte{2, 0, byte(8 + len(ace)), 0, 1, 0, 0, 0}
		acl = append(acl, ace...)
		b := []byte{1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0}
		b = append(b, acl...)
		sd, err := Parse(b)
		if err != nil {
			t.Fatalf("%x: %v", ace, err)
		}
		out, _ := sd.MarshalBinary()
		if !bytes.Equal(out, b) {
			t.Errorf("%x: marshal %x", b, out)
		}
		var fe *UnrepresentableError
		if _, err := sd.SDDL(nil); !errors.As(err, &fe) || !errors.Is(err, ErrUnsupported) || fe.List != "D" || fe.ACE != 0 {
			t.Errorf("%x: SDDL err = %v", ace, err)
		}
	}
}

func TestWindowsLayoutFromAnyOrder(t *testing.T) {
	// Parts in header order (owner, group, DACL) must still be followed by
	// offset; marshalling re-lays them out as SACL, DACL, owner, group.
	owner := SIDAdministrators.AppendBinary(nil)
	group := SIDLocalSystem.AppendBinary(nil)
	ace := append([]byte{0, 0, 20, 0, 0, 0, 0, 0x10}, SIDEveryone.AppendBinary(nil)...)
	dacl := append([]byte{2, 0, 28, 0, 1, 0, 0, 0}, ace...)
	b := []byte{1, 0, 0x04, 0x80, 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0}
	b = append(b, owner...)
	b = append(b, group...)
	b = append(b, dacl...)
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if s := sd.String(); s != "O:BAG:SYD:(A;;GA;;;WD)" {
		t.Errorf("SDDL %s", s)
	}
	out, _ := sd.MarshalBinary()
	fromText, _ := ParseSDDL("O:BAG:SYD:(A;;GA;;;WD)", nil)
	want, _ := fromText.MarshalBinary()
	if !bytes.Equal(out, want) || out[16] != 20 {
		t.Errorf("layout %x, want %x", out, want)
	}
}
