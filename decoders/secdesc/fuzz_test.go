package secdesc

import (
	"bytes"
	"errors"
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
		if len(m1) > len(b)+40 {
			// Marshal only drops gaps; it may add at most nothing but
			// re-laid-out parts that were shared (owner == group offsets).
			if sd.Owner == nil || sd.Group == nil {
				t.Fatalf("marshal grew %d → %d", len(b), len(m1))
			}
		}
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
