package fleet

import (
	"path/filepath"
	"testing"

	"github.com/ipctrace/ipctrace/internal/shared"
)

// TestCorpusMachine runs the real corpus as one fleet: no file is skipped,
// and a trace with a SystemConfig CPU event is named by its computer name
// rather than by its file.
func TestCorpusMachine(t *testing.T) {
	paths := shared.CorpusFiles(t)
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Run(out, paths, Options{Analysis: testOpt, Machine: "fallback"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Skipped) != 0 {
		t.Errorf("skipped %v", sum.Skipped)
	}
	tbl := readTable(t, filepath.Join(out, "trace.parquet"))
	defer tbl.Release()
	named := map[string]string{}
	for _, r := range tableRows(tbl) {
		named[filepath.Base(r["file"].(string))] = r["machine"].(string)
	}
	for f, m := range named {
		t.Logf("%s: machine %q", f, m)
		if m == "" {
			t.Errorf("%s: empty machine", f)
		}
	}
	for _, f := range computerNamed {
		if m, ok := named[f]; ok && m == "fallback" {
			t.Errorf("%s: machine %q, want the computer name its SystemConfig CPU event records", f, m)
		}
	}
}

// computerNamed are corpus traces whose SystemConfig CPU event records a
// computer name.
var computerNamed = []string{"perfview__net.4.5.2.x64.etl", "perfview__diagsession__diaghub.kernel.1.etl"}
