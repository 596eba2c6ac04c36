package ntdefs

import "testing"

func TestDispositions(t *testing.T) {
	for v, want := range map[int]string{FileSupersede: "FILE_SUPERSEDE", FileOpen: "FILE_OPEN", FileCreate: "FILE_CREATE",
		FileOpenIf: "FILE_OPEN_IF", FileOverwrite: "FILE_OVERWRITE", FileOverwriteIf: "FILE_OVERWRITE_IF"} {
		if Dispositions[v] != want {
			t.Errorf("Dispositions[%d] = %q, want %q", v, Dispositions[v], want)
		}
	}
	if len(Dispositions) != FileOverwriteIf+1 {
		t.Errorf("%d dispositions", len(Dispositions))
	}
}
