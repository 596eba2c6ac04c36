package secdesc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// buildACE assembles an ACE from its body.
func buildACE(typ AceType, flags AceFlags, body []byte) []byte {
	b := []byte{byte(typ), byte(flags), 0, 0}
	b = append(b, body...)
	binary.LittleEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func sdWithACL(list byte, aces ...[]byte) []byte {
	var body []byte
	for _, a := range aces {
		body = append(body, a...)
	}
	acl := []byte{ACLRevisionDS, 0, 0, 0, byte(len(aces)), 0, 0, 0}
	binary.LittleEndian.PutUint16(acl[2:], uint16(8+len(body)))
	acl = append(acl, body...)
	ctl := DACLPresent | SelfRelative
	off := 16
	if list == 'S' {
		ctl, off = SACLPresent|SelfRelative, 12
	}
	b := make([]byte, 20)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], uint16(ctl))
	binary.LittleEndian.PutUint32(b[off:], 20)
	return append(b, acl...)
}

// Every ACE type of docs/security.md#aces, built from bytes: the decoded fields,
// the binary identity, and whether SDDL can carry it.
func TestEveryACETypeBinary(t *testing.T) {
	sid := SIDEveryone.AppendBinary(nil)
	mask := []byte{0x01, 0x00, 0x12, 0x00}
	g1, _ := ParseGUID("bf967aba-0de6-11d0-a285-00aa003049e2")
	g2, _ := ParseGUID("ab721a53-1e2f-11d0-9819-00aa0040529b")
	cond, _, err := parseConditionAt(`(Member_of {SID(BA)})`, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	basic := cat(mask, sid)
	object := cat(mask, u32(3), g1[:], g2[:], sid)
	for _, tc := range []struct {
		typ     AceType
		body    []byte
		sddl    bool
		appData bool
	}{
		{AccessAllowed, basic, true, false},
		{AccessDenied, basic, true, false},
		{SystemAudit, basic, true, false},
		{SystemAlarm, basic, true, false},
		{AccessAllowedCompound, cat(mask, []byte{1, 0, 0, 0}, sid, SIDLocalSystem.AppendBinary(nil)), false, false},
		{AccessAllowedObject, object, true, false},
		{AccessDeniedObject, cat(mask, u32(2), g2[:], sid), true, false},
		{SystemAuditObject, cat(mask, u32(1), g1[:], sid), true, false},
		{SystemAlarmObject, cat(mask, u32(0), sid), true, false},
		{AccessAllowedCallback, cat(basic, cond), true, true},
		{AccessDeniedCallback, cat(basic, cond), true, true},
		{AccessAllowedCallbackObject, cat(object, cond), true, true},
		{AccessDeniedCallbackObject, cat(object, cond), false, true},
		{SystemAuditCallback, cat(basic, cond), true, true},
		{SystemAlarmCallback, cat(basic, cond), false, true},
		{SystemAuditCallbackObject, cat(object, cond), false, true},
		{SystemAlarmCallbackObject, cat(object, cond), false, true},
		{SystemMandatoryLabel, cat(u32(1), MustSID("S-1-16-4096").AppendBinary(nil)), true, false},
		{SystemResourceAttribute, cat(u32(0), sid, (&Claim{Name: "p", Type: ClaimString, Values: []any{"x"}}).MarshalBinary()), true, true},
		{SystemScopedPolicyID, cat(u32(0), MustSID("S-1-17-1").AppendBinary(nil)), true, false},
		{SystemProcessTrustLabel, cat(u32(0x21), MustSID("S-1-19-512-1536").AppendBinary(nil)), true, false},
		{SystemAccessFilter, cat(basic, cond), true, true},
	} {
		list := byte('D')
		if tc.typ == SystemAudit || tc.typ == SystemAlarm || tc.typ >= SystemMandatoryLabel {
			list = 'S'
		}
		raw := sdWithACL(list, buildACE(tc.typ, ObjectInherit, tc.body))
		sd, err := Parse(raw)
		if err != nil {
			t.Errorf("%v: %v", tc.typ, err)
			continue
		}
		acl := sd.DACL
		if list == 'S' {
			acl = sd.SACL
		}
		a := acl.ACEs[0]
		if a.Type != tc.typ || a.Flags != ObjectInherit || (len(a.AppData) > 0) != tc.appData {
			t.Errorf("%v: decoded %+v", tc.typ, a)
		}
		if tc.typ.IsObject() && a.ObjectFlags&ObjectTypePresent != 0 && a.ObjectType != g1 && a.ObjectType != g2 {
			t.Errorf("%v: object type %v", tc.typ, a.ObjectType)
		}
		if out, _ := sd.MarshalBinary(); !bytes.Equal(out, raw) {
			t.Errorf("%v: binary identity failed\n%x\n%x", tc.typ, raw, out)
		}
		s, err := sd.SDDL(nil)
		if tc.sddl {
			if err != nil {
				t.Errorf("%v: SDDL: %v", tc.typ, err)
				continue
			}
			back, err := ParseSDDL(s, nil)
			if err != nil {
				t.Errorf("%v: %s: %v", tc.typ, s, err)
				continue
			}
			b2, _ := back.MarshalBinary()
			want, _ := sd.Canonical().MarshalBinary()
			if !bytes.Equal(b2, want) {
				t.Errorf("%v: %s does not reproduce the binary", tc.typ, s)
			}
		} else if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: SDDL = %q, %v; want ErrUnsupported", tc.typ, s, err)
		}
	}
}

func TestConditionNotCanonical(t *testing.T) {
	// "artx", INT8 literal 5 (sign none, decimal), attribute "x", ==.
	data := []byte("artx")
	data = append(data, ctLocalAttr, 2, 0, 0, 0, 'x', 0)
	data = append(data, ctInt8, 5, 0, 0, 0, 0, 0, 0, 0, 3, 2, 0x80)
	for len(data)%4 != 0 {
		data = append(data, 0)
	}
	if _, err := FormatCondition(data, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("INT8 literal: err = %v, want ErrUnsupported", err)
	}
	// The same with INT64 renders.
	data[4+7] = ctInt64
	if s, err := FormatCondition(data, nil); err != nil || s != "x == 5" {
		t.Errorf("INT64 literal: %q, %v", s, err)
	}
	for _, bad := range [][]byte{
		[]byte("artx\x80\x00\x00\x00"),                 // operator without operands
		[]byte("artxAB\x00\x00"),                       // unknown token
		[]byte("artx\xf8\xff\x00\x00\x00\x00\x00\x00"), // length past the end
		[]byte("xtra"),                                 // no signature
	} {
		if _, err := FormatCondition(bad, nil); err == nil {
			t.Errorf("%x formatted", bad)
		}
	}
}

func TestClaimOverlapBounded(t *testing.T) {
	// 1000 value offsets all pointing at one long string must be refused
	// rather than decoded 1000 times.
	const n = 1000
	b := make([]byte, 16+4*n)
	binary.LittleEndian.PutUint16(b[4:], ClaimString)
	binary.LittleEndian.PutUint32(b[12:], n)
	strOff := len(b)
	binary.LittleEndian.PutUint32(b[0:], uint32(strOff))
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(b[16+4*i:], uint32(strOff))
	}
	for i := 0; i < 2000; i++ {
		b = append(b, 'a', 0)
	}
	b = append(b, 0, 0)
	_, err := ParseClaim(b)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
}
