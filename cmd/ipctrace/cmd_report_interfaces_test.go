package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/model"
)

// TestReportInterfaces: --interfaces names an interface the built-in table
// does not know in RPC and COM rows alike (docs/rules.md COM3), keeps the
// built-in names, and a malformed file is a usage error naming its line.
func TestReportInterfaces(t *testing.T) {
	dir := t.TempDir()
	trace := writeScenario(t, dir, "com-rpc")
	file := filepath.Join(dir, "ifaces.txt")
	if err := os.WriteFile(file, []byte("# private\n7a3b9c1d-44e2-4f60-8b1a-2c3d4e5f6a7b IContosoPrivate com 4=Frobnicate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := runReport(&out, &errb, []string{trace}, reportFlags{output: "json", interfaces: file}); err != nil {
		t.Fatalf("report: %v (%s)", err, errb.String())
	}
	var m model.Model
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range m.RPC {
		names["rpc "+r.InterfaceName+" "+r.Method] = true
	}
	for _, c := range m.COM {
		names["com "+c.InterfaceName+" "+c.MethodName] = true
	}
	for _, want := range []string{"rpc IContosoPrivate Frobnicate", "com IContosoPrivate Frobnicate", "rpc IWbemLevel1Login ", "com IWbemLevel1Login "} {
		if !names[want] {
			t.Errorf("no row %q in %v", want, names)
		}
	}

	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("7a3b9c1d-44e2-4f60-8b1a-2c3d4e5f6a7b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runReport(&out, &errb, []string{trace}, reportFlags{output: "json", interfaces: bad})
	if err == nil || exitCodeOf(err) != exitUsage || !strings.Contains(err.Error(), "bad.txt:1:") {
		t.Errorf("malformed interfaces file: err %v (code %d), want a usage error naming bad.txt:1", err, exitCodeOf(err))
	}
}
