package decoders

import "github.com/ipctrace/ipctrace/internal/ntdefs"

// PathKind classifies an NT path seen in FileIo/Kernel-File events
// (docs/events.md#pipe-names); the classes and the rules are ntdefs'.
type PathKind = ntdefs.PathKind

// Path kinds.
const (
	PathFile          = ntdefs.PathFile          // anything else
	PathNamedPipe     = ntdefs.PathNamedPipe     // \Device\NamedPipe\NAME
	PathNPFSRoot      = ntdefs.PathNPFSRoot      // \Device\NamedPipe\ (WaitNamedPipe, enumeration): not a pipe
	PathAnonymousPipe = ntdefs.PathAnonymousPipe // \Device\NamedPipe\Win32Pipes.* (or an empty name [I])
	PathMailslot      = ntdefs.PathMailslot      // \Device\Mailslot\…
	PathRemotePipe    = ntdefs.PathRemotePipe    // \Device\Mup\<server>\PIPE\NAME [I]
)

// PathInfo is the classification of one NT path (ntdefs.PathInfo).
type PathInfo = ntdefs.PathInfo

// ClassifyPath classifies an NT path (FileIo Create OpenPath, Name events)
// per docs/events.md#pipe-names with ntdefs.ClassifyPath. Prefixes compare
// case-insensitively; names keep the caller's case.
func ClassifyPath(ntPath string) PathInfo { return ntdefs.ClassifyPath(ntPath) }

// ClassifyPipeName classifies a pipe name relative to the NPFS root (the
// part after \Device\NamedPipe\) with ntdefs.ClassifyPipeName.
func ClassifyPipeName(name string) PathInfo { return ntdefs.ClassifyPipeName(name) }
