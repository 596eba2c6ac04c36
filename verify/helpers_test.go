package verify

import (
	"os"
	"testing"
)

// tempDir is os.MkdirTemp with best-effort removal: these tests also run
// under Wine, where Wine 8 cannot remove directories the way t.TempDir's
// cleanup requires.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ipctrace-probes-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// writeFile writes the synthetic trace of e to path.
func writeFile(path string, e *Expectation) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := SynthTrace(f, e, SynthOptions{Seed: 1}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
