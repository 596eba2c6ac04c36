package hang

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// SystemExtendedHandleInformation is the NtQuerySystemInformation class
// that lists every handle of every process (docs/security.md#reading-descriptors).
const SystemExtendedHandleInformation = 64

// HandleEntry is one SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX.
type HandleEntry struct {
	Object     uint64 // kernel object address (0 when Windows hides it)
	PID        uint32
	Handle     uint64 // handle value in that process
	Access     uint32 // GrantedAccess
	TypeIndex  uint16 // ObjectTypeIndex
	Attributes uint32
}

// Handle table layouts: the header is two ULONG_PTRs (NumberOfHandles,
// Reserved); an entry is three pointer-sized fields (Object,
// UniqueProcessId, HandleValue), then GrantedAccess u32,
// CreatorBackTraceIndex u16, ObjectTypeIndex u16, HandleAttributes u32 and
// a reserved u32: 40 bytes on 64-bit Windows, 28 on 32-bit.
func handleSizes(ptrSize int) (header, entry int) {
	return 2 * ptrSize, 3*ptrSize + 16
}

// ParseHandleTable reads SYSTEM_HANDLE_INFORMATION_EX in the layout of
// ptrSize (4 or 8). A count beyond the buffer is an error after the
// entries that fit.
func ParseHandleTable(b []byte, ptrSize int) ([]HandleEntry, error) {
	if ptrSize != 4 && ptrSize != 8 {
		return nil, &ParseError{"SYSTEM_HANDLE_INFORMATION_EX", 0, fmt.Sprintf("pointer size %d", ptrSize)}
	}
	hdr, size := handleSizes(ptrSize)
	if len(b) < hdr {
		return nil, &ParseError{"SYSTEM_HANDLE_INFORMATION_EX", 0, fmt.Sprintf("header needs %d bytes, have %d", hdr, len(b))}
	}
	n := ptrAt(b, 0, ptrSize)
	fit := uint64((len(b) - hdr) / size)
	var err error
	if n > fit {
		err = &ParseError{"SYSTEM_HANDLE_INFORMATION_EX", hdr + int(fit)*size,
			fmt.Sprintf("NumberOfHandles %d, the buffer holds %d", n, fit)}
		n = fit
	}
	le := binary.LittleEndian
	out := make([]HandleEntry, n)
	for i := range out {
		e := b[hdr+i*size:]
		a := 3 * ptrSize
		out[i] = HandleEntry{
			Object:     ptrAt(e, 0, ptrSize),
			PID:        uint32(ptrAt(e, ptrSize, ptrSize)),
			Handle:     ptrAt(e, 2*ptrSize, ptrSize),
			Access:     le.Uint32(e[a:]),
			TypeIndex:  le.Uint16(e[a+6:]),
			Attributes: le.Uint32(e[a+8:]),
		}
	}
	return out, err
}

// FilePipeLocalInformation is the NtQueryInformationFile class of
// FILE_PIPE_LOCAL_INFORMATION.
const FilePipeLocalInformation = 24

// PipeLocalInfo is FILE_PIPE_LOCAL_INFORMATION: ten ULONGs, 40 bytes on
// every architecture.
type PipeLocalInfo struct {
	Type, Configuration                uint32
	MaxInstances, CurrentInstances     uint32
	InboundQuota, ReadDataAvailable    uint32
	OutboundQuota, WriteQuotaAvailable uint32
	State                              PipeState
	ServerEnd                          bool // NamedPipeEnd == FILE_PIPE_SERVER_END (1)
}

// PipeLocalInfoSize is sizeof(FILE_PIPE_LOCAL_INFORMATION).
const PipeLocalInfoSize = 40

// ParsePipeLocalInfo reads FILE_PIPE_LOCAL_INFORMATION.
func ParsePipeLocalInfo(b []byte) (PipeLocalInfo, error) {
	if len(b) < PipeLocalInfoSize {
		return PipeLocalInfo{}, &ParseError{"FILE_PIPE_LOCAL_INFORMATION", 0, fmt.Sprintf("needs %d bytes, have %d", PipeLocalInfoSize, len(b))}
	}
	u := func(i int) uint32 { return binary.LittleEndian.Uint32(b[4*i:]) }
	return PipeLocalInfo{Type: u(0), Configuration: u(1), MaxInstances: u(2), CurrentInstances: u(3),
		InboundQuota: u(4), ReadDataAvailable: u(5), OutboundQuota: u(6), WriteQuotaAvailable: u(7),
		State: PipeState(u(8)), ServerEnd: u(9) == 1}, nil
}

// NamedPipeDevice is the NT name prefix of every named pipe.
const NamedPipeDevice = ntdefs.NamedPipeDevice

// PipeName returns the pipe name of an NT object name
// (\Device\NamedPipe\X → X), case-insensitively on the prefix, as
// ntdefs.LocalPipeName classifies it (the NPFS root itself is no pipe).
func PipeName(nt string) (string, bool) { return ntdefs.LocalPipeName(nt) }

// SelectTargets picks the processes `ipctrace hang ARG` names: a decimal
// PID, or an image name compared without case and with or without
// ".exe" (every process of that name). all selects every process but
// the idle process (PID 0). self is left out of name matches.
func SelectTargets(procs []ProcInfo, arg string, all bool, self uint32) ([]uint32, error) {
	var out []uint32
	if all {
		for _, p := range procs {
			if p.PID != 0 && p.PID != self {
				out = append(out, p.PID)
			}
		}
		return out, nil
	}
	if pid, err := strconv.ParseUint(arg, 10, 32); err == nil {
		for _, p := range procs {
			if uint64(p.PID) == pid {
				return []uint32{p.PID}, nil
			}
		}
		return nil, fmt.Errorf("no process with PID %d", pid)
	}
	want := strings.ToLower(strings.TrimSuffix(strings.ToLower(arg), ".exe"))
	for _, p := range procs {
		img := strings.TrimSuffix(strings.ToLower(p.Image), ".exe")
		if img == want && p.PID != self && p.PID != 0 {
			out = append(out, p.PID)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no process named %q", arg)
	}
	return out, nil
}
