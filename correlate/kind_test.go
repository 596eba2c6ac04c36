package correlate

import (
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
)

// TestKindsTellIPC holds count's shortcut to isIPCProvider: every layout
// whose events have a kind comes from a provider that is IPC exactly when
// the kind is not one of the process and thread tables. Security
// snapshots, decoded from ipctrace's own TraceLogging events, are IPC too.
func TestKindsTellIPC(t *testing.T) {
	n := 0
	for _, e := range decoders.Entries() {
		k := kindOf(e.New())
		if k == kNone {
			continue
		}
		n++
		if got, want := classes[k] != classTable, isIPCProvider(e.Key.Provider); got != want {
			t.Errorf("%s (%s): kind %d counts as IPC %v, its provider %v", e.Name, e.Key, k, got, want)
		}
	}
	if n < 20 {
		t.Fatalf("only %d layouts with a kind", n)
	}
	if kindOf(&decoders.SecuritySnapshot{}) == kNone || !isIPCProvider(decoders.IpcTraceProviderGUID) {
		t.Error("security snapshots: no kind, or ipctrace's provider is not IPC")
	}
}

// TestFileIOSourceByKey holds Add's test of which provider reported a
// file I/O event: classic FileIo events are keyed by opcode (Manifest
// false), Microsoft-Windows-Kernel-File ones by event id.
func TestFileIOSourceByKey(t *testing.T) {
	n := 0
	for _, e := range decoders.Entries() {
		if classes[kindOf(e.New())] != classFileIO {
			continue
		}
		n++
		want := decoders.FileIoGUID
		if e.Key.Manifest {
			want = decoders.KernelFileGUID
		}
		if e.Key.Provider != want {
			t.Errorf("%s (%s): a file I/O event keyed so must come from %v", e.Name, e.Key, want)
		}
	}
	if n < 10 {
		t.Fatalf("only %d file I/O layouts", n)
	}
}

// TestEveryKindHasAClass: a kind left out of classes would be classNone,
// and its handler would never run.
func TestEveryKindHasAClass(t *testing.T) {
	for k := kNone + 1; k < numKinds; k++ {
		if classes[k] == classNone {
			t.Errorf("kind %d has no class", k)
		}
	}
}
