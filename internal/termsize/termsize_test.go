package termsize

import (
	"os"
	"path/filepath"
	"testing"
)

func TestColumns(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	t.Setenv("COLUMNS", "")
	if got := Columns(f); got != Default {
		t.Errorf("Columns(file) = %d, want %d", got, Default)
	}
	t.Setenv("COLUMNS", "100")
	if got := Columns(f); got != 100 {
		t.Errorf("Columns with COLUMNS=100 = %d", got)
	}
	t.Setenv("COLUMNS", "-3")
	if got := Columns(nil); got != Default {
		t.Errorf("Columns with COLUMNS=-3 = %d", got)
	}
}
