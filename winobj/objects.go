package winobj

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// ObjectSecurity is one IPC object and its security descriptor, as read
// by SnapshotObjects for `record --security` (docs/security.md#reading-descriptors). The command
// turns it into a decoders.SecuritySnapshot event.
type ObjectSecurity struct {
	ObjectType   string // "pipe", "section", "alpc"
	Name         string // NT path: \Device\NamedPipe\X, \BaseNamedObjects\X, \RPC Control\X
	OwnerPID     uint32 // 0 when unknown
	Instances    uint32 // pipes: current instances (FileDirectoryInformation.EndOfFile [I])
	MaxInstances uint32 // pipes: maximum instances (AllocationSize [I]; 0xFFFFFFFF = unlimited)
	SD           []byte // self-relative SECURITY_DESCRIPTOR; nil if unreadable
	Error        string // why SD is nil
}

// Object type names.
const (
	ObjectPipe    = "pipe"
	ObjectSection = "section"
	ObjectALPC    = "alpc"
)

// NamedPipeDir is the NPFS root; pipe names are relative to it.
const NamedPipeDir = ntdefs.NamedPipeDevice

// ErrObjectInfo is wrapped by the errors of the object-information parsers.
var ErrObjectInfo = errors.New("malformed object information")

func objErr(off int, what string) error {
	return fmt.Errorf("%w: %s at offset %#x", ErrObjectInfo, what, off)
}

// dirEntry is one FILE_DIRECTORY_INFORMATION entry (NtQueryDirectoryFile class 1).
type dirEntry struct {
	Name           string
	EndOfFile      int64 // pipes: current instances [I]
	AllocationSize int64 // pipes: maximum instances [I]
	Attributes     uint32
}

// FILE_DIRECTORY_INFORMATION offsets (x64 and x86 alike).
const (
	fdiNextEntryOffset = 0
	fdiEndOfFile       = 40
	fdiAllocationSize  = 48
	fdiFileAttributes  = 56
	fdiFileNameLength  = 60
	fdiFileName        = 64
)

// parseFileDirectoryInformation walks a buffer of FILE_DIRECTORY_INFORMATION
// entries chained by NextEntryOffset. Entries read before a malformed one
// are returned with the error.
func parseFileDirectoryInformation(b []byte) ([]dirEntry, error) {
	var out []dirEntry
	off := 0
	for {
		if off+fdiFileName > len(b) {
			return out, objErr(off, "FILE_DIRECTORY_INFORMATION header truncated")
		}
		e := b[off:]
		next := int(binary.LittleEndian.Uint32(e[fdiNextEntryOffset:]))
		nameLen := int(binary.LittleEndian.Uint32(e[fdiFileNameLength:]))
		if nameLen%2 != 0 || fdiFileName+nameLen > len(e) {
			return out, objErr(off, "FILE_DIRECTORY_INFORMATION name outside the buffer")
		}
		out = append(out, dirEntry{
			Name:           etw.DecodeUTF16(e[fdiFileName : fdiFileName+nameLen]),
			EndOfFile:      int64(binary.LittleEndian.Uint64(e[fdiEndOfFile:])),
			AllocationSize: int64(binary.LittleEndian.Uint64(e[fdiAllocationSize:])),
			Attributes:     binary.LittleEndian.Uint32(e[fdiFileAttributes:]),
		})
		if next == 0 {
			return out, nil
		}
		if next < fdiFileName || next%8 != 0 {
			return out, objErr(off, fmt.Sprintf("NextEntryOffset %#x", next))
		}
		off += next
	}
}

// pipeInstances reads the instance counts NPFS reports in a directory entry:
// EndOfFile = current instances, AllocationSize = maximum instances
// (0xFFFFFFFF = unlimited). Both are inferred [I] (docs/security.md#reading-descriptors).
func pipeInstances(e dirEntry) (current, max uint32) {
	return uint32(e.EndOfFile), uint32(e.AllocationSize)
}

// HandleEntry is one SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX (40 bytes on x64, docs/security.md#reading-descriptors).
type HandleEntry struct {
	Object          uint64
	PID             uint64
	Handle          uint64
	GrantedAccess   uint32
	ObjectTypeIndex uint16
	Attributes      uint32
}

// Layout of SYSTEM_HANDLE_INFORMATION_EX on x64.
const (
	handleInfoHeader = 16
	handleEntrySize  = 40
)

// parseHandleTable reads SYSTEM_HANDLE_INFORMATION_EX (class 64). The
// entry count is bounded by the bytes present: a count larger than the
// buffer holds returns the entries present and an error.
func parseHandleTable(b []byte) ([]HandleEntry, error) {
	if len(b) < handleInfoHeader {
		return nil, objErr(0, "SYSTEM_HANDLE_INFORMATION_EX header truncated")
	}
	n := binary.LittleEndian.Uint64(b[0:])
	room := uint64((len(b) - handleInfoHeader) / handleEntrySize)
	var err error
	if n > room {
		err = objErr(0, fmt.Sprintf("NumberOfHandles %d but room for %d", n, room))
		n = room
	}
	out := make([]HandleEntry, n)
	le := binary.LittleEndian
	for i := range out {
		e := b[handleInfoHeader+i*handleEntrySize:]
		out[i] = HandleEntry{
			Object:          le.Uint64(e[0:]),
			PID:             le.Uint64(e[8:]),
			Handle:          le.Uint64(e[16:]),
			GrantedAccess:   le.Uint32(e[24:]),
			ObjectTypeIndex: le.Uint16(e[30:]),
			Attributes:      le.Uint32(e[32:]),
		}
	}
	return out, err
}

// unicodeStringAt reads the UNICODE_STRING at off in b (x64: u16 Length,
// u16 MaximumLength, 4 bytes padding, u64 Buffer), whose Buffer points into
// b itself, b starting at address base. This is how NtQueryObject and
// NtQueryDirectoryObject return names.
func unicodeStringAt(b []byte, off int, base uint64) (string, error) {
	if off < 0 || off+16 > len(b) {
		return "", objErr(off, "UNICODE_STRING truncated")
	}
	n := int(binary.LittleEndian.Uint16(b[off:]))
	ptr := binary.LittleEndian.Uint64(b[off+8:])
	if n == 0 {
		return "", nil
	}
	if ptr < base || ptr-base > uint64(len(b)) || int(ptr-base)+n > len(b) || n%2 != 0 {
		return "", objErr(off, fmt.Sprintf("UNICODE_STRING buffer %#x (+%d) outside the returned data", ptr, n))
	}
	s := int(ptr - base)
	return etw.DecodeUTF16(b[s : s+n]), nil
}

// dirObject is one OBJECT_DIRECTORY_INFORMATION entry.
type dirObject struct{ Name, Type string }

// parseDirectoryObjects reads the OBJECT_DIRECTORY_INFORMATION array that
// NtQueryDirectoryObject returned at address base (32-byte entries, an
// all-zero entry ends the array).
func parseDirectoryObjects(b []byte, base uint64) ([]dirObject, error) {
	var out []dirObject
	for off := 0; off+32 <= len(b); off += 32 {
		if binary.LittleEndian.Uint64(b[off+8:]) == 0 && binary.LittleEndian.Uint64(b[off+24:]) == 0 {
			return out, nil
		}
		name, err := unicodeStringAt(b, off, base)
		if err != nil {
			return out, err
		}
		typ, err := unicodeStringAt(b, off+16, base)
		if err != nil {
			return out, err
		}
		out = append(out, dirObject{Name: name, Type: typ})
	}
	return out, nil
}

// IsPipeName reports whether an NT object name is a local pipe (named or
// anonymous, not the NPFS root itself) and returns the pipe's name relative
// to the NPFS root; the classification is ntdefs.ClassifyPath's, as for
// trace events.
func IsPipeName(nt string) (string, bool) { return ntdefs.LocalPipeName(nt) }

// selfRelativeLength returns the length of the self-relative
// SECURITY_DESCRIPTOR at the start of b: the end of its furthest part
// (owner and group SIDs, SACL, DACL; docs/security.md#security-descriptor). ok is false when
// b is not a self-relative descriptor or a part lies outside b.
func selfRelativeLength(b []byte) (n int, ok bool) {
	const header = 20
	if len(b) < header || b[0] != 1 || binary.LittleEndian.Uint16(b[2:])&0x8000 == 0 {
		return 0, false
	}
	n = header
	le := binary.LittleEndian
	for i, off := range []uint32{le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint32(b[16:])} {
		if off == 0 {
			continue
		}
		if uint64(off)+8 > uint64(len(b)) {
			return 0, false
		}
		var end uint64
		if i < 2 { // SID: 8 bytes + 4 per sub-authority
			end = uint64(off) + 8 + 4*uint64(b[off+1])
		} else { // ACL: AclSize at +2
			end = uint64(off) + uint64(le.Uint16(b[off+2:]))
		}
		if end > uint64(len(b)) {
			return 0, false
		}
		n = max(n, int(end))
	}
	return n, true
}
