//go:build windows

package probes

import (
	"os"
	"testing"
)

// tempDir is os.MkdirTemp with best-effort removal: these tests run under
// Wine, where Wine 8 cannot remove directories the way t.TempDir's cleanup
// requires.
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ipctrace-probes-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
