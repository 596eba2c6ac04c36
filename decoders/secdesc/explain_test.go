package secdesc

import (
	"strings"
	"testing"
)

func TestExplainVerdicts(t *testing.T) {
	type want struct {
		name string
		sev  Severity
	}
	for _, tc := range []struct {
		label   string
		sddl    string
		typ     ObjectType
		verdict Severity
		want    []want
		absent  []string
		texts   []string
	}{
		{"null DACL", "D:NO_ACCESS_CONTROL", TypePipe, SevCritical,
			[]want{{"null_dacl", SevCritical}}, nil, []string{"Everyone: full control (NULL DACL)"}},
		{"no DACL", "O:BA", TypeSection, SevCritical, []want{{"dacl_missing", SevCritical}}, nil, nil},
		{"empty DACL", "O:BAD:", TypePipe, SevInfo, []want{{"empty_dacl", SevInfo}}, []string{"null_dacl"}, nil},
		{"default pipe DACL", "D:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;CO)(A;;GR;;;WD)(A;;GR;;;AN)", TypePipe, SevLow,
			[]want{{"world_read", SevLow}, {"anonymous_read", SevLow}}, []string{"world_writable", "create_instance_by_untrusted"},
			[]string{"Everyone: connect and read", "Anonymous Logon: connect and read", "Administrators: full control"}},
		{"default pipe DACL, FA/FR form", "D:(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;CO)(A;;FR;;;WD)(A;;FR;;;AN)", TypePipe, SevLow,
			[]want{{"world_read", SevLow}, {"anonymous_read", SevLow}}, []string{"world_writable"}, nil},
		{"Everyone write on a pipe", "D:(A;;FA;;;SY)(A;;0x12019b;;;WD)", TypePipe, SevHigh,
			[]want{{"world_writable", SevHigh}}, []string{"create_instance_by_untrusted", "world_read"}, []string{"Everyone: connect and read, write"}},
		{"Everyone FW on a pipe squats", "D:(A;;FW;;;WD)", TypePipe, SevHigh,
			[]want{{"world_writable", SevHigh}, {"create_instance_by_untrusted", SevHigh}}, nil, nil},
		{"anonymous denied write", "D:(D;;FW;;;AN)(A;;FR;;;AN)", TypePipe, SevLow,
			[]want{{"anonymous_read", SevLow}}, []string{"anonymous_writable", "create_instance_by_untrusted"}, []string{"Anonymous Logon: connect and read; denied write, create server instances"}},
		{"Everyone deny overrides later allow", "D:(D;;0x2;;;WD)(A;;FW;;;AU)", TypePipe, SevMedium,
			[]want{{"create_instance_by_untrusted", SevMedium}}, []string{"authenticated_writable"}, nil},
		{"Users write", "D:(A;;GA;;;SY)(A;;GRGW;;;BU)", TypePipe, SevMedium,
			[]want{{"users_writable", SevMedium}, {"create_instance_by_untrusted", SevMedium}}, nil, nil},
		{"low integrity label", "D:(A;;FA;;;SY)S:(ML;;NW;;;LW)", TypePipe, SevMedium,
			[]want{{"low_integrity_label", SevMedium}}, nil, nil},
		{"AppContainer connect to pipe", "D:(A;;FA;;;SY)(A;;FR;;;AC)", TypePipe, SevMedium,
			[]want{{"appcontainer_connect", SevMedium}}, nil, []string{"ALL APPLICATION PACKAGES: connect and read"}},
		{"AppContainer package writes a section", "D:(A;;0x6;;;S-1-15-2-1-2-3-4-5-6-7)", TypeSection, SevHigh,
			[]want{{"appcontainer_writable", SevHigh}}, nil, nil},
		{"ALPC port connect by AppContainer", "D:(A;;0x1;;;AC)(A;;0x1f0001;;;SY)", TypeALPC, SevHigh,
			[]want{{"appcontainer_connect", SevHigh}}, nil, nil},
		{"ALPC port Everyone connect", "D:(A;;0x1;;;WD)", TypeALPC, SevHigh, []want{{"world_connect", SevHigh}}, nil, nil},
		{"WRITE_DAC to Authenticated Users", "D:(A;;0x40000;;;AU)", TypeFile, SevHigh,
			[]want{{"authenticated_can_change_permissions", SevHigh}}, nil, nil},
		{"inherit-only ACE ignored", "D:(A;OICIIO;GA;;;WD)(A;;FA;;;SY)", TypeDirectory, SevNone, nil, []string{"world_writable"}, nil},
		{"conditional deny ignored", "D:(XD;;FW;;;WD;(Member_of {SID(BA)}))(A;;FW;;;WD)", TypePipe, SevHigh,
			[]want{{"world_writable", SevHigh}}, nil, nil},
		{"object ACE with a type GUID ignored", "D:(OA;;FA;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)", TypePipe, SevNone, nil, []string{"world_writable"}, nil},
		{"object ACE without a type GUID counts", "D:(OA;;FA;;;WD)", TypePipe, SevHigh, []want{{"world_can_change_permissions", SevHigh}, {"world_writable", SevHigh}}, nil, nil},
		{"admins only", "O:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)", TypePipe, SevNone, nil, nil, []string{"Administrators: full control", "Local System: full control"}},
	} {
		sd, err := ParseSDDL(tc.sddl, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.label, err)
		}
		ex := Explain(sd, tc.typ)
		if ex.Verdict != tc.verdict {
			t.Errorf("%s: verdict %v, want %v (%+v)", tc.label, ex.Verdict, tc.verdict, ex.Findings)
		}
		got := map[string]Severity{}
		for _, f := range ex.Findings {
			got[f.Name] = f.Severity
		}
		for _, w := range tc.want {
			if s, ok := got[w.name]; !ok || s != w.sev {
				t.Errorf("%s: finding %s = %v (present %v), want %v; all %v", tc.label, w.name, s, ok, w.sev, got)
			}
		}
		for _, a := range tc.absent {
			if _, ok := got[a]; ok {
				t.Errorf("%s: unexpected finding %s", tc.label, a)
			}
		}
		var texts []string
		for _, p := range ex.Principals {
			texts = append(texts, p.Text)
		}
		for _, w := range tc.texts {
			found := false
			for _, s := range texts {
				if s == w {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no principal text %q in %q", tc.label, w, texts)
			}
		}
	}
}

func TestExplainLabel(t *testing.T) {
	sd, _ := ParseSDDL("D:(A;;FA;;;SY)", nil)
	ex := Explain(sd, TypePipe)
	if !ex.Label.Default || ex.Label.Level != "Medium" || strings.Join(ex.Label.Policy, ",") != "NO_WRITE_UP" {
		t.Errorf("default label = %+v", ex.Label)
	}
	sd, _ = ParseSDDL("S:(ML;;NWNR;;;HI)", nil)
	ex = Explain(sd, TypePipe)
	if ex.Label.Default || ex.Label.Level != "High" || ex.Label.Text != "High integrity, no-write-up, no-read-up" {
		t.Errorf("label = %+v", ex.Label)
	}
}

func TestMaskNames(t *testing.T) {
	for _, tc := range []struct {
		t    ObjectType
		mask uint32
		want string
	}{
		{TypePipe, 0x12019b, "FILE_READ_DATA FILE_WRITE_DATA FILE_READ_EA FILE_WRITE_EA FILE_READ_ATTRIBUTES FILE_WRITE_ATTRIBUTES READ_CONTROL SYNCHRONIZE"},
		{TypePipe, 0x4, "FILE_CREATE_PIPE_INSTANCE"},
		{TypeFile, 0x4, "FILE_APPEND_DATA"},
		{TypePipe, FileAllAccess, "FILE_ALL_ACCESS"},
		{TypeSection, SectionAllAccess, "SECTION_ALL_ACCESS"},
		{TypeSection, 0x6, "SECTION_MAP_WRITE SECTION_MAP_READ"},
		{TypeALPC, 0x1, "PORT_CONNECT"},
		{TypeALPC, PortAllAccess, "PORT_ALL_ACCESS"},
		{TypeDirectory, 0x3, "DIRECTORY_QUERY DIRECTORY_TRAVERSE"},
		{TypeProcess, 0x1010, "PROCESS_VM_READ PROCESS_QUERY_LIMITED_INFORMATION"},
		{TypeThread, 0x10 | GenericRead, "THREAD_SET_CONTEXT GENERIC_READ"},
		{TypeGeneric, 0x80000000 | 0x8000000, "GENERIC_READ 0x8000000"},
	} {
		if got := strings.Join(tc.t.MaskNames(tc.mask), " "); got != tc.want {
			t.Errorf("%v %#x = %q, want %q", tc.t, tc.mask, got, tc.want)
		}
	}
	if got := TypeSection.MapGeneric(GenericRead | GenericWrite); got != 0x20007 {
		t.Errorf("section GR|GW = %#x", got)
	}
	if got := TypePipe.MapGeneric(GenericAll); got != FileAllAccess {
		t.Errorf("pipe GA = %#x", got)
	}
}
