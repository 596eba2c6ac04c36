package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
)

func init() {
	// -update regenerates golden files; registered once for the package.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; got:\n%s", name, got)
	}
}

var sdGoldenCases = []struct {
	name, input, typ string
}{
	{"default_pipe", "O:BAG:SYD:(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;CO)(A;;GR;;;WD)(A;;GR;;;AN)", "pipe"},
	{"msdtyp_v1_hex", "01 00 14 b0 90 00 00 00 a0 00 00 00 14 00 00 00 30 00 00 00 02 00 1c 00 01 00 00 00 02 80 14 00 " +
		"00 00 00 80 01 01 00 00 00 00 00 01 00 00 00 00 02 00 60 00 04 00 00 00 00 03 18 00 00 00 00 a0 " +
		"01 02 00 00 00 00 00 05 20 00 00 00 21 02 00 00 00 03 18 00 00 00 00 10 01 02 00 00 00 00 00 05 " +
		"20 00 00 00 20 02 00 00 00 03 14 00 00 00 00 10 01 01 00 00 00 00 00 05 12 00 00 00 00 03 14 00 " +
		"00 00 00 10 01 01 00 00 00 00 00 03 00 00 00 00 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00 " +
		"01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00", "file"},
	{"null_dacl_section", "O:SYD:NO_ACCESS_CONTROL", "section"},
	{"alpc_appcontainer", "D:(A;;0x1f0001;;;SY)(A;;0x1;;;AC)(XA;;0x1;;;AU;(Member_of {SID(BA)}))S:(ML;;NW;;;LW)", "alpc"},
	{"world_writable_pipe", "D:P(D;;FW;;;AN)(A;;FA;;;SY)(A;;0x12019b;;;WD)", "pipe"},
	{"compound_not_sddl", "01000480 00000000 00000000 00000000 14000000 02002c00 01000000 04002400 01001200 01000000 " +
		"010100000000000100000000 010100000000000512000000", "pipe"},
	{"resource_attribute", `O:SYD:(A;;FA;;;SY)S:(RA;CI;;;;WD;("Project",TS,0x0,"Windows","SQL"))(ML;;NW;;;HI)`, "file"},
}

func TestSDGolden(t *testing.T) {
	for _, tc := range sdGoldenCases {
		for _, asJSON := range []bool{false, true} {
			var out bytes.Buffer
			if err := runSD(&out, tc.input, tc.typ, "", asJSON); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			name := "sd_" + tc.name + ".golden"
			if asJSON {
				name = "sd_" + tc.name + ".json.golden"
			}
			checkGolden(t, name, out.Bytes())
		}
	}
}

func TestSDInputForms(t *testing.T) {
	dir := t.TempDir()
	sddl := "O:BAG:BAD:(A;;FA;;;WD)"
	var want bytes.Buffer
	if err := runSD(&want, sddl, "pipe", "", true); err != nil {
		t.Fatal(err)
	}
	// Hex without spaces, @FILE with text SDDL, @FILE with raw binary, @FILE with hex.
	var hexOut bytes.Buffer
	if err := runSD(&hexOut, sddl, "pipe", "", true); err != nil {
		t.Fatal(err)
	}
	sd := decodeJSONBinary(t, want.Bytes())
	raw := mustUnhex(t, sd)
	files := map[string][]byte{"sddl.txt": []byte(sddl + "\n"), "sd.bin": raw, "sd.hex": []byte(sd + "\n")}
	inputs := []string{sd, strings.ToUpper(sd), colonSep(sd, ":"), colonSep(sd, "-"), "0x" + sd}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, "@"+p)
	}
	for _, in := range inputs {
		var got bytes.Buffer
		if err := runSD(&got, in, "pipe", "", true); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: output differs", in)
		}
	}
}

// colonSep puts sep between the bytes of a hex string.
func colonSep(h, sep string) string {
	var parts []string
	for i := 0; i+2 <= len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, sep)
}

func decodeJSONBinary(t *testing.T, js []byte) string {
	t.Helper()
	const key = `"binary_hex": "`
	i := bytes.Index(js, []byte(key))
	if i < 0 {
		t.Fatal("no binary_hex")
	}
	rest := js[i+len(key):]
	return string(rest[:bytes.IndexByte(rest, '"')])
}

func mustUnhex(t *testing.T, s string) []byte {
	b, ok := secdesc.DecodeHex(s)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return b
}

func TestSDInvalidInput(t *testing.T) {
	// A binary file of 1 MB that is no descriptor: the error must not echo it.
	binFile := filepath.Join(t.TempDir(), "image.png")
	if err := os.WriteFile(binFile, bytes.Repeat([]byte("\x89PNG\r\n\x1a\n\x00\x01"), 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, typ, want string }{
		{"D:(A;;GA;;;QQ)", "pipe", "position 11"},
		{"010014b0", "pipe", "offset 0"},
		{"01 00 14 b0 90 00 00 00 a0 00 00 00 14 00 00 00 30 00 00 00", "pipe", "offset 0x90: reading owner SID header: truncated"},
		{"D:", "bogus", "unknown --type"},
		{"@/nonexistent/file", "pipe", "no such file"},
		{"", "pipe", "empty input"},
		{"  ", "pipe", "empty input"},
		{"@" + binFile, "pipe", "neither SDDL text nor a binary security descriptor"},
		{"D:(A;;GA;;;WD)" + strings.Repeat("(A;;GA;;;WD)", 1000) + "(A;;GA;;;QQ)", "pipe", "position 12023"},
	} {
		var out bytes.Buffer
		err := runSD(&out, tc.in, tc.typ, "", false)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("%q: err = %v, want exit code %d", tc.in, err, exitUsage)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.80q: error %.300q does not mention %q", tc.in, err, tc.want)
		}
		if len(err.Error()) > 400 {
			t.Errorf("%.80q: error of %d bytes echoes the input", tc.in, len(err.Error()))
		}
	}
}
