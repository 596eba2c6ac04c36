package verify

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.expect.json")

// TestGoldenExpectations keeps testdata/*.expect.json equal to what the
// fake probes write; other packages' tests (cmd verify) read them.
func TestGoldenExpectations(t *testing.T) {
	cases := map[string]*Expectation{
		"pipe-byte-2clients.expect.json": fakePipe(2, 50, 1000, "byte", false),
		"pipe-message.expect.json":       fakePipe(1, 20, 256, "message", false),
		"section.expect.json":            fakeSection(30, 8192),
		"window.expect.json":             fakeWindow(20, 2000, 10, false),
		"window-hang.expect.json":        fakeWindow(10, 1500, 5, true),
		"mailslot.expect.json":           fakeMailslot(2, 25, 300),
	}
	for name, e := range cases {
		var buf bytes.Buffer
		if err := e.Write(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(old, buf.Bytes()) {
			t.Errorf("%s differs from the fake probe's output (run go test -update)", path)
		}
	}
}
