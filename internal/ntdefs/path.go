package ntdefs

import "strings"

// NT and Win32 roots of the pipe and mailslot namespaces.
const (
	NamedPipeDevice = `\Device\NamedPipe\` // the NPFS root; pipe names are relative to it
	MailslotDevice  = `\Device\Mailslot\`
	DosPipeRoot     = `\??\pipe\` // the object-manager alias of the NPFS root
	Win32PipeRoot   = `\\.\pipe\`
	Win32MailRoot   = `\\.\mailslot\`
)

// PathKind is the class of an NT path named by a file or object event.
type PathKind uint8

const (
	PathFile          PathKind = iota // anything else
	PathNamedPipe                     // \Device\NamedPipe\NAME
	PathNPFSRoot                      // \Device\NamedPipe\ itself (WaitNamedPipe, enumeration): not a pipe
	PathAnonymousPipe                 // \Device\NamedPipe\Win32Pipes.* (or an empty name, inferred)
	PathMailslot                      // \Device\Mailslot\…
	PathRemotePipe                    // \Device\Mup\<server>\PIPE\NAME (inferred)
)

var pathKindNames = [...]string{"file", "named-pipe", "npfs-root", "anonymous-pipe", "mailslot", "remote-pipe"}

// String gives the kind's name as JSON output spells it ("named-pipe").
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
	// Inferred marks classifications that rest on inference rather than on
	// documentation: remote pipes through the redirector and anonymous
	// pipes with an empty name.
	Inferred bool `json:"inferred,omitempty"`
}

// HasPrefixFold reports whether s starts with prefix, ignoring ASCII case
// (the object manager compares these device names case-insensitively).
func HasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// underRoot reports whether p is root itself or a path below it.
func underRoot(p, root string) (rest string, ok bool) {
	if !HasPrefixFold(p, root) || len(p) != len(root) && p[len(root)] != '\\' {
		return "", false
	}
	return strings.TrimPrefix(p[len(root):], `\`), true
}

// ClassifyPath classifies an NT path (FileIo Create OpenPath, FileIo Name,
// object names): pipes under \Device\NamedPipe (also spelt \??\pipe or
// \\.\pipe), mailslots under \Device\Mailslot (\??\mailslot,
// \\.\mailslot), remote pipes below the multiple-UNC provider
// (\Device\Mup) or the LanMan redirector, and files. Prefixes compare
// case-insensitively; names keep the caller's case.
func ClassifyPath(ntPath string) PathInfo {
	for _, root := range []string{`\Device\NamedPipe`, `\??\pipe`, `\\.\pipe`} {
		if name, ok := underRoot(ntPath, root); ok {
			if name == "" {
				return PathInfo{Kind: PathNPFSRoot, Win32: Win32PipeRoot}
			}
			return ClassifyPipeName(name)
		}
	}
	for _, root := range []string{`\Device\Mailslot`, `\??\mailslot`, `\\.\mailslot`} {
		if name, ok := underRoot(ntPath, root); ok {
			return PathInfo{Kind: PathMailslot, PipeName: name, Win32: Win32MailRoot + name}
		}
	}
	for _, root := range []string{`\Device\Mup\`, `\Device\LanmanRedirector\`} {
		if HasPrefixFold(ntPath, root) {
			if info, ok := remotePipe(ntPath[len(root):]); ok {
				return info
			}
		}
	}
	return PathInfo{Kind: PathFile}
}

// ClassifyPipeName classifies a pipe name relative to the NPFS root (the
// part after \Device\NamedPipe\). An empty name is an anonymous pipe
// created relative to the root (inferred); Win32Pipes.* names are the
// anonymous pipes CreatePipe makes.
func ClassifyPipeName(name string) PathInfo {
	if name == "" {
		return PathInfo{Kind: PathAnonymousPipe, Inferred: true}
	}
	if HasPrefixFold(name, "Win32Pipes.") {
		return PathInfo{Kind: PathAnonymousPipe, PipeName: name, Win32: Win32PipeRoot + name}
	}
	return PathInfo{Kind: PathNamedPipe, PipeName: name, Win32: Win32PipeRoot + name}
}

// LocalPipeName returns the name relative to the NPFS root of a path that
// names a local pipe instance (named or anonymous, with a name), as
// ClassifyPath sees it; ok is false for anything else, the NPFS root
// included.
func LocalPipeName(ntPath string) (name string, ok bool) {
	info := ClassifyPath(ntPath)
	if (info.Kind == PathNamedPipe || info.Kind == PathAnonymousPipe) && info.PipeName != "" {
		return info.PipeName, true
	}
	return "", false
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
