package probes

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// randomSuffix returns 12 random hex digits for unique object names.
func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b[:])
}

// uniqueName returns ipctrace-probe-<pid>-<random>, the base of every
// object a probe creates, so that verify can find it in a trace.
func uniqueName(pid int) string {
	return fmt.Sprintf("ipctrace-probe-%d-%s", pid, randomSuffix())
}

// PipePath returns the Win32 path \\.\pipe\NAME for a pipe name given as
// NAME, \\.\pipe\NAME or \Device\NamedPipe\NAME.
func PipePath(name string) string {
	switch {
	case hasPrefixFold(name, `\\.\pipe\`):
		return `\\.\pipe\` + name[len(`\\.\pipe\`):]
	case hasPrefixFold(name, `\Device\NamedPipe\`):
		return `\\.\pipe\` + name[len(`\Device\NamedPipe\`):]
	case hasPrefixFold(name, `\??\pipe\`):
		return `\\.\pipe\` + name[len(`\??\pipe\`):]
	}
	return `\\.\pipe\` + strings.TrimLeft(name, `\`)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
