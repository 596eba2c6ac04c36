package decoders

import "strings"

// PathKind classifies an NT path seen in FileIo/Kernel-File events (EVENTS.md §3.1).
type PathKind uint8

const (
	PathFile          PathKind = iota // anything else
	PathNamedPipe                     // \Device\NamedPipe\NAME
	PathNPFSRoot                      // \Device\NamedPipe\ (WaitNamedPipe, enumeration): not a pipe
	PathAnonymousPipe                 // \Device\NamedPipe\Win32Pipes.* (or an empty name [I])
	PathMailslot                      // \Device\Mailslot\…
	PathRemotePipe                    // \Device\Mup\<server>\PIPE\NAME [I]
)

var pathKindNames = [...]string{"file", "named-pipe", "npfs-root", "anonymous-pipe", "mailslot", "remote-pipe"}

func (k PathKind) String() string {
	if int(k) < len(pathKindNames) {
		return pathKindNames[k]
	}
	return "unknown"
}

// MarshalText gives the String form.
func (k PathKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// IsPipe reports whether the path names a pipe instance (local, anonymous or remote).
func (k PathKind) IsPipe() bool {
	return k == PathNamedPipe || k == PathAnonymousPipe || k == PathRemotePipe
}

// PathInfo is the classification of one NT path.
type PathInfo struct {
	Kind     PathKind `json:"kind"`
	PipeName string   `json:"pipe_name,omitempty"` // name below the device, as written (compare case-insensitively)
	Win32    string   `json:"win32,omitempty"`     // \\.\pipe\NAME, \\SERVER\pipe\NAME, \\.\mailslot\NAME
	Server   string   `json:"server,omitempty"`    // remote pipes
	// Inferred marks classifications EVENTS.md tags [I]: remote pipes
	// through the redirector and anonymous pipes with an empty name.
	Inferred bool `json:"inferred,omitempty"`
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ClassifyPath classifies an NT path (FileIo Create OpenPath, Name events)
// per EVENTS.md §3.1. Prefixes compare case-insensitively; names keep the
// caller's case.
func ClassifyPath(ntPath string) PathInfo {
	p := ntPath
	for _, root := range []string{`\Device\NamedPipe`, `\??\pipe`, `\\.\pipe`} {
		if hasPrefixFold(p, root) && (len(p) == len(root) || p[len(root)] == '\\') {
			name := strings.TrimPrefix(p[len(root):], `\`)
			if name == "" {
				return PathInfo{Kind: PathNPFSRoot, Win32: `\\.\pipe\`}
			}
			return ClassifyPipeName(name)
		}
	}
	for _, root := range []string{`\Device\Mailslot`, `\??\mailslot`, `\\.\mailslot`} {
		if hasPrefixFold(p, root) && (len(p) == len(root) || p[len(root)] == '\\') {
			name := strings.TrimPrefix(p[len(root):], `\`)
			return PathInfo{Kind: PathMailslot, PipeName: name, Win32: `\\.\mailslot\` + name}
		}
	}
	for _, root := range []string{`\Device\Mup\`, `\Device\LanmanRedirector\`} {
		if hasPrefixFold(p, root) {
			if info, ok := remotePipe(p[len(root):]); ok {
				return info
			}
		}
	}
	return PathInfo{Kind: PathFile}
}

// ClassifyPipeName classifies a pipe name relative to the NPFS root (the
// part after \Device\NamedPipe\). An empty name is an anonymous pipe created
// relative to the root [I]; Win32Pipes.* names are anonymous pipes [S].
func ClassifyPipeName(name string) PathInfo {
	if name == "" {
		return PathInfo{Kind: PathAnonymousPipe, Inferred: true}
	}
	if hasPrefixFold(name, "Win32Pipes.") {
		return PathInfo{Kind: PathAnonymousPipe, PipeName: name, Win32: `\\.\pipe\` + name}
	}
	return PathInfo{Kind: PathNamedPipe, PipeName: name, Win32: `\\.\pipe\` + name}
}

// remotePipe parses "<;prefix…\>server\PIPE\name" below the redirector.
func remotePipe(rest string) (PathInfo, bool) {
	parts := strings.Split(rest, `\`)
	i := 0
	for i < len(parts) && strings.HasPrefix(parts[i], ";") {
		i++ // redirector-private components such as ;LanmanRedirector or ;Z:0000…
	}
	if len(parts)-i < 3 || parts[i] == "" || !strings.EqualFold(parts[i+1], "PIPE") {
		return PathInfo{}, false
	}
	server := parts[i]
	name := strings.Join(parts[i+2:], `\`)
	return PathInfo{Kind: PathRemotePipe, PipeName: name, Server: server,
		Win32: `\\` + server + `\pipe\` + name, Inferred: true}, true
}
