package verify

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// randomSuffix returns 12 random hex digits for unique object names.
func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b[:])
}

// UniqueName returns ipctrace-probe-<pid>-<random>, the base of every
// object a probe creates, so that verify can find it in a trace.
func UniqueName(pid int) string {
	return fmt.Sprintf("ipctrace-probe-%d-%s", pid, randomSuffix())
}

// PipePath returns the Win32 path \\.\pipe\NAME for a pipe name given as
// NAME, \\.\pipe\NAME, \??\pipe\NAME or \Device\NamedPipe\NAME.
func PipePath(name string) string {
	for _, root := range []string{ntdefs.Win32PipeRoot, ntdefs.NamedPipeDevice, ntdefs.DosPipeRoot} {
		if ntdefs.HasPrefixFold(name, root) {
			return ntdefs.Win32PipeRoot + name[len(root):]
		}
	}
	return ntdefs.Win32PipeRoot + strings.TrimLeft(name, `\`)
}
