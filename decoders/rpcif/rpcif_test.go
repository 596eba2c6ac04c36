package rpcif

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

func TestBuiltinLookup(t *testing.T) {
	for _, c := range []struct {
		uuid, name string
		opnum      uint32
		method     string
	}{
		{"367ABB81-9844-35F1-AD32-98F038001003", "svcctl", 16, "ROpenServiceW"},
		{"{12345778-1234-abcd-ef00-0123456789ab}", "lsarpc", 15, "LsarLookupSids"},
		{"12345778-1234-abcd-ef00-0123456789ab", "lsarpc", 14, "LsarLookupNames"},
		{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", 3, "ept_map"},
		{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", 2, "ept_lookup"},
		{"12345678-1234-abcd-ef00-01234567cffb", "netlogon", 0, ""},
		{"00000000-0000-0000-c000-000000000046", "IUnknown", 1, "AddRef"},
		{"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login", 0, "QueryInterface"},
		{"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login", 3, ""},
	} {
		i, ok := Lookup(etw.MustParseGUID(c.uuid))
		if !ok || i.Name != c.name {
			t.Errorf("%s: %v %+v, want %s", c.uuid, ok, i, c.name)
			continue
		}
		if got := i.Method(c.opnum); got != c.method {
			t.Errorf("%s opnum %d: %q, want %q", c.name, c.opnum, got, c.method)
		}
	}
	if _, ok := Lookup(etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")); ok {
		t.Error("unknown UUID found")
	}
	// An RPC (non-COM) interface has no IUnknown methods.
	if samr, _ := Lookup(etw.MustParseGUID("12345778-1234-abcd-ef00-0123456789ac")); samr.Method(0) != "" || samr.Method(2) != "" {
		t.Errorf("samr opnum 0: %q", samr.Method(0))
	}
	svc, _ := Lookup(etw.MustParseGUID("367abb81-9844-35f1-ad32-98f038001003"))
	if svc.Method(12) != "" || svc.MethodLabel(12) != "opnum 12" || svc.MethodLabel(0) != "RCloseServiceHandle" {
		t.Errorf("svcctl opnum 12: %q %q", svc.Method(12), svc.MethodLabel(12))
	}
}

// TestBuiltinTableWellFormed: every entry names its source, no UUID
// appears twice, and no method name is empty.
func TestBuiltinTableWellFormed(t *testing.T) {
	seen := map[etw.GUID]string{}
	for _, i := range builtin {
		if i.Name == "" || i.Spec == "" {
			t.Errorf("%s: name %q spec %q", i.UUID, i.Name, i.Spec)
		}
		if prev, dup := seen[i.UUID]; dup {
			t.Errorf("%s listed twice (%s, %s)", i.UUID, prev, i.Name)
		}
		seen[i.UUID] = i.Name
		for n, m := range i.Methods {
			if m == "" || n > MaxOpnum {
				t.Errorf("%s opnum %d: %q", i.Name, n, m)
			}
		}
	}
	if New().Len() != len(builtin) {
		t.Errorf("New holds %d, table %d", New().Len(), len(builtin))
	}
}

func TestLoadOverridesBuiltin(t *testing.T) {
	src := `# site names
367abb81-9844-35f1-ad32-98f038001003  MySvcctl 1=Poke   # replaces the built-in entry
{0b1a2c3d-0000-4000-8000-00000000abcd}	IContosoWidget com 3=Frob 0x4=Twiddle

01234567-89ab-cdef-0123-456789abcdef Bare
`
	tab := New()
	before := tab.Len()
	if err := tab.Load(strings.NewReader(src), "site.txt"); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != before+2 {
		t.Errorf("Len %d, want %d", tab.Len(), before+2)
	}
	svc, _ := tab.Lookup(etw.MustParseGUID("367abb81-9844-35f1-ad32-98f038001003"))
	if svc.Name != "MySvcctl" || svc.Method(1) != "Poke" || svc.Method(16) != "" || svc.Spec != "site.txt:2" {
		t.Errorf("override: %+v", svc)
	}
	w, _ := tab.Lookup(etw.MustParseGUID("0b1a2c3d-0000-4000-8000-00000000abcd"))
	if !w.COM || w.Method(4) != "Twiddle" || w.Method(3) != "Frob" || w.Method(2) != "Release" || w.Spec != "site.txt:3" {
		t.Errorf("COM entry: %+v", w)
	}
	if b, ok := tab.Lookup(etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")); !ok || b.Name != "Bare" || b.Methods != nil {
		t.Errorf("bare entry: %+v", b)
	}
	// The package-level built-in table is untouched.
	if i, _ := Lookup(etw.MustParseGUID("367abb81-9844-35f1-ad32-98f038001003")); i.Name != "svcctl" {
		t.Errorf("built-in changed: %+v", i)
	}
	if tab.Name(etw.MustParseGUID("0b1a2c3d-0000-4000-8000-00000000abcd")) != "IContosoWidget" {
		t.Error("Name")
	}
}

// TestLoadErrors: each bad line gives file:line:column and what is wrong,
// and leaves the table as it was.
func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		src, want string
	}{
		{"zzz name", "f:1:1: not a UUID"},
		{"\n  367abb81-9844-35f1-ad32-98f03800100 x", "f:2:3: not a UUID"},
		{"367abb81-9844-35f1-ad32-98f038001003", "f:1:37: missing interface name"},
		{"367abb81-9844-35f1-ad32-98f038001003 0=Open", "f:1:38: missing interface name"},
		{"{367abb81-9844-35f1-ad32-98f038001003 x", "f:1:1: unbalanced braces"},
		{"367abb81-9844-35f1-ad32-98f038001003 x Open", `f:1:40: want OPNUM=METHOD or "com", got "Open"`},
		{"367abb81-9844-35f1-ad32-98f038001003 x 70000=Big", "f:1:40: opnum \"70000\" is not a number from 0 to 65535"},
		{"367abb81-9844-35f1-ad32-98f038001003 x -1=Neg", "f:1:40: opnum \"-1\""},
		{"367abb81-9844-35f1-ad32-98f038001003 x +1=Pos", "f:1:40: opnum \"+1\""},
		{"367abb81-9844-35f1-ad32-98f038001003 x =NoNum", "f:1:40: opnum \"\""},
		{"367abb81-9844-35f1-ad32-98f038001003 x 12=", "f:1:43: missing method name for opnum 12"},
		{"367abb81-9844-35f1-ad32-98f038001003 x 1=A 1=B", "f:1:44: opnum 1 named twice"},
		{"367abb81-9844-35f1-ad32-98f038001003 x\n# c\n367ABB81-9844-35F1-AD32-98F038001003 y", "f:3:1: interface 367abb81-9844-35f1-ad32-98f038001003 already named on line 1"},
		{"367abb81-9844-35f1-ad32-98f038001003 x " + strings.Repeat("a", MaxLineBytes), "f:1:1: line longer than 65536 bytes"},
	} {
		tab := New()
		err := tab.Load(strings.NewReader(c.src), "f")
		var fe *FileError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%.60q: error %v, want prefix %q", c.src, err, c.want)
		}
		if i, _ := tab.Lookup(etw.MustParseGUID("367abb81-9844-35f1-ad32-98f038001003")); i.Name != "svcctl" {
			t.Errorf("%.60q: table changed on error: %+v", c.src, i)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ifs.txt")
	if err := os.WriteFile(p, []byte("01234567-89ab-cdef-0123-456789abcdef Thing 0=Go\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := New()
	if err := tab.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if i, _ := tab.Lookup(etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")); i.Method(0) != "Go" || i.Spec != p+":1" {
		t.Errorf("%+v", i)
	}
	if err := tab.LoadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	var zero *Table
	if _, ok := zero.Lookup(etw.GUID{}); ok || zero.Len() != 0 {
		t.Error("nil table")
	}
	var empty Table
	empty.Add(Interface{UUID: etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef"), Name: "X"})
	if empty.Name(etw.MustParseGUID("01234567-89ab-cdef-0123-456789abcdef")) != "X" {
		t.Error("zero Table Add")
	}
}

func TestHRESULTNames(t *testing.T) {
	for _, c := range []struct {
		hr   uint32
		want string
	}{
		{0, "S_OK"},
		{0x80004002, "E_NOINTERFACE"},
		{0x80004005, "E_FAIL"},
		{0x80010108, "RPC_E_DISCONNECTED"},
		{0x8001010A, "RPC_E_SERVERCALL_RETRYLATER"},
		{0x8001011F, "RPC_E_TIMEOUT"},
		{0x800401F0, "CO_E_NOTINITIALIZED"},
		{0x80070005, "E_ACCESSDENIED"},
		{0x800706BA, "RPC_S_SERVER_UNAVAILABLE"},
		{0x800706BE, "RPC_S_CALL_FAILED"},
		{0x800704D2, "HRESULT_FROM_WIN32(1234)"},
		{0x12345678, ""},
	} {
		if got := HRESULTName(c.hr); got != c.want {
			t.Errorf("HRESULTName(%#x) = %q, want %q", c.hr, got, c.want)
		}
	}
	if HRESULTLabel(0xDEADBEEF) != "0xDEADBEEF" || HRESULTLabel(0x80004005) != "E_FAIL" {
		t.Error("HRESULTLabel")
	}
	if Win32ErrorName(1717) != "RPC_S_UNKNOWN_IF" || Win32ErrorName(99999) != "" {
		t.Error("Win32ErrorName")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("367abb81-9844-35f1-ad32-98f038001003 x 1=A com\n# c\n")
	f.Add("{0b1a2c3d-0000-4000-8000-00000000abcd}\tI 0x10=B")
	f.Fuzz(func(t *testing.T, src string) {
		tab := &Table{}
		err := tab.Load(strings.NewReader(src), "f")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Line < 1 || fe.Col < 1 || fe.What == "" {
				t.Fatalf("error %v is not positioned", err)
			}
			if tab.Len() != 0 {
				t.Fatal("table changed on error")
			}
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	id := etw.MustParseGUID("12345778-1234-abcd-ef00-0123456789ab")
	tab := New()
	b.ReportAllocs()
	for b.Loop() {
		i, ok := tab.Lookup(id)
		if !ok || i.Method(15) == "" {
			b.Fatal("lookup")
		}
	}
}

// BenchmarkLoad reads a 10 000-interface file with four methods each.
func BenchmarkLoad(b *testing.B) {
	var sb strings.Builder
	for n := range 10000 {
		fmt.Fprintf(&sb, "%08x-0000-4000-8000-000000000000 Iface%d com 3=A 4=B 5=C 6=D\n", n, n)
	}
	src := sb.String()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		tab := &Table{}
		if err := tab.Load(strings.NewReader(src), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
