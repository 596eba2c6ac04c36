package secdesc

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
)

func addBinarySeeds(f *testing.F) {
	f.Add(unhexSpaced(f, v1Hex))
	for _, s := range roundTrip {
		sd, err := ParseSDDL(s, nil)
		if err != nil {
			continue
		}
		b, _ := sd.MarshalBinary()
		f.Add(b)
	}
}

// FuzzParseBinary: Parse never panics; whatever it accepts marshals, parses
// again to the same bytes, and its SDDL (when there is one) parses to the
// canonical form of the same descriptor.
func FuzzParseBinary(f *testing.F) {
	addBinarySeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		m1, err := sd.MarshalBinary()
		if err != nil {
			return
		}
		checkMarshalSize(t, b, sd, m1)
		sd2, err := Parse(m1)
		if err != nil {
			t.Fatalf("Parse(Marshal) failed: %v", err)
		}
		m2, _ := sd2.MarshalBinary()
		if !bytes.Equal(m1, m2) {
			t.Fatalf("binary not stable\n%x\n%x", m1, m2)
		}
		checkSDDLRoundTrip(t, sd)
		_ = Explain(sd, TypePipe)
		_ = Describe(sd, TypeSection, nil)
	})
}

// checkMarshalSize: MarshalBinary writes the header and each part once, in
// the size it had in b, so m is exactly 20 bytes plus the parts. It drops
// gaps, so it is never longer than b unless parts of b overlap, which
// Parse accepts as Windows' validity check does (see Parse).
func checkMarshalSize(t *testing.T, b []byte, sd *SecurityDescriptor, m []byte) {
	t.Helper()
	type span struct{ off, n int }
	var parts []span
	le := binary.LittleEndian
	if sd.Owner != nil {
		parts = append(parts, span{int(le.Uint32(b[4:])), sd.Owner.Len()})
	}
	if sd.Group != nil {
		parts = append(parts, span{int(le.Uint32(b[8:])), sd.Group.Len()})
	}
	if sd.SACL != nil {
		parts = append(parts, span{int(le.Uint32(b[12:])), sd.SACL.Len()})
	}
	if sd.DACL != nil {
		parts = append(parts, span{int(le.Uint32(b[16:])), sd.DACL.Len()})
	}
	want := 20
	for _, p := range parts {
		want += p.n
	}
	if len(m) != want {
		t.Fatalf("marshal wrote %d bytes, want 20 + parts = %d", len(m), want)
	}
	overlap := false
	for i, p := range parts {
		for _, q := range parts[i+1:] {
			if p.off < q.off+q.n && q.off < p.off+p.n {
				overlap = true
			}
		}
	}
	if !overlap && len(m) > len(b) {
		t.Fatalf("marshal grew %d → %d bytes though no parts overlap", len(b), len(m))
	}
}

// The descriptor from issue 19's fuzz finding: the owner SID at 0x38 lies
// inside the 84-byte DACL at 0x14. Parse accepts it (see Parse), the owner
// is the SID found at 0x38, and re-encoding lays the parts out apart, so
// the output is longer than the input and then stable.
func TestParseOverlappingParts(t *testing.T) {
	b, err := hex.DecodeString("0130378038000000000000000000000014000000043054000100303030303000303030303030303030303030303030303030303030303030010a30303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030")
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(b)
	if err != nil {
		t.Fatalf("overlapping parts rejected: %v", err)
	}
	owner, err := ParseSIDBytes(b[0x38 : 0x38+8+4*10])
	if err != nil {
		t.Fatal(err)
	}
	if sd.Owner == nil || !slices.Equal(sd.Owner.Sub, owner.Sub) || sd.Owner.Authority != owner.Authority {
		t.Fatalf("owner %v, want %v", sd.Owner, owner)
	}
	if sd.DACL == nil || sd.DACL.Len() != 0x54 {
		t.Fatalf("DACL %+v, want 84 bytes", sd.DACL)
	}
	m, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := 20 + 0x54 + owner.Len(); len(m) != want || len(m) <= len(b) {
		t.Fatalf("marshal wrote %d bytes (input %d), want %d", len(m), len(b), want)
	}
	checkMarshalSize(t, b, sd, m)
	sd2, err := Parse(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := sd2.MarshalBinary()
	if !bytes.Equal(m, m2) {
		t.Fatalf("not stable:\n%x\n%x", m, m2)
	}
}

// checkSDDLRoundTrip: anything that formats must re-parse to the canonical
// bytes of the descriptor.
func checkSDDLRoundTrip(t *testing.T, sd *SecurityDescriptor) {
	s, err := sd.SDDL(nil)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("SDDL error %v is not ErrUnsupported", err)
		}
		return
	}
	want, err := sd.Canonical().MarshalBinary()
	if err != nil {
		return
	}
	sd3, err := ParseSDDL(s, nil)
	if err != nil {
		t.Fatalf("SDDL %q does not parse: %v", s, err)
	}
	got, err := sd3.MarshalBinary()
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("SDDL %q\n got %x\nwant %x", s, got, want)
	}
}

// FuzzParseSDDL: ParseSDDL never panics, errors are *SyntaxError with a
// position inside the input, and accepted strings round-trip.
func FuzzParseSDDL(f *testing.F) {
	for _, s := range roundTrip {
		f.Add(s)
	}
	f.Add("D:(XA;;FA;;;WD;(!(!(@User.a == \"x\") || Exists b)))")
	f.Add("O:S-1-0x0000000000FF-1")
	f.Fuzz(func(t *testing.T, s string) {
		sd, err := ParseSDDL(s, nil)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not *SyntaxError", err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("position %d outside input of %d bytes", se.Pos, len(s))
			}
			return
		}
		b, err := sd.MarshalBinary()
		if err != nil {
			return
		}
		p, err := Parse(b)
		if err != nil {
			t.Fatalf("%q → %x does not parse: %v", s, b, err)
		}
		if b2, _ := p.MarshalBinary(); !bytes.Equal(b, b2) {
			t.Fatalf("%q: binary not stable", s)
		}
		out, err := p.SDDL(nil)
		if err != nil {
			t.Fatalf("%q parsed but does not format: %v", s, err)
		}
		sd2, err := ParseSDDL(out, nil)
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, out, err)
		}
		b3, _ := sd2.MarshalBinary()
		if !bytes.Equal(b, b3) {
			t.Fatalf("%q → %q: binary differs", s, out)
		}
	})
}

// FuzzCondition targets the conditional-expression decoder directly.
func FuzzCondition(f *testing.F) {
	for _, s := range roundTrip {
		sd, err := ParseSDDL(s, nil)
		if err != nil || sd.DACL == nil {
			continue
		}
		for _, a := range sd.DACL.ACEs {
			if a.Condition() {
				f.Add(a.AppData)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		text, err := FormatCondition(b, nil)
		if err != nil {
			return
		}
		re, _, err := parseConditionAt("("+text+")", 0, nil)
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("%x → %q → %x, %v", b, text, re, err)
		}
	})
}

// A typical pipe descriptor as NtQuerySecurityObject returns it.
const benchPipeSDDL = "O:BAG:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;S-1-5-21-1004336348-1177238915-682003330-1001)(A;;FR;;;WD)(A;;FR;;;AN)S:(ML;;NW;;;LW)"

func BenchmarkParseFormatPipeSD(b *testing.B) {
	sd, err := ParseSDDL(benchPipeSDDL, nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := sd.MarshalBinary()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.SDDL(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSDDLPipeSD(b *testing.B) {
	b.SetBytes(int64(len(benchPipeSDDL)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSDDL(benchPipeSDDL, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExplainPipeSD(b *testing.B) {
	sd, _ := ParseSDDL(benchPipeSDDL, nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = Explain(sd, TypePipe)
	}
}

// FuzzClaim targets the resource-attribute decoder: whatever decodes
// re-encodes stably, and its text parses back to the same bytes.
func FuzzClaim(f *testing.F) {
	for _, s := range roundTrip {
		sd, err := ParseSDDL(s, nil)
		if err != nil || sd.SACL == nil {
			continue
		}
		for _, a := range sd.SACL.ACEs {
			if a.Type == SystemResourceAttribute {
				f.Add(a.AppData)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClaim(b)
		if err != nil {
			return
		}
		m := c.MarshalBinary()
		c2, err := ParseClaim(m)
		if err != nil {
			t.Fatalf("ParseClaim(Marshal) = %v", err)
		}
		if !bytes.Equal(c2.MarshalBinary(), m) {
			t.Fatalf("claim encoding not stable")
		}
		text, err := c.Text(nil)
		if err != nil {
			return
		}
		re, n, err := parseClaimAt("("+text+")", 0, nil)
		if err != nil || n != len(text)+2 || !bytes.Equal(re, m) {
			t.Fatalf("%q → %x, %v; want %x", text, re, err, m)
		}
	})
}
