//go:build windows && (amd64 || arm64)

package winobj

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// NTSTATUS values the enumeration interprets.
const (
	statusMoreEntries        = ntdefs.StatusMoreEntries
	statusBufferOverflow     = ntdefs.StatusBufferOverflow
	statusNoMoreFiles        = ntdefs.StatusNoMoreFiles
	statusNoMoreEntries      = ntdefs.StatusNoMoreEntries
	statusInfoLengthMismatch = ntdefs.StatusInfoLengthMismatch
	statusBufferTooSmall     = ntdefs.StatusBufferTooSmall
)

const (
	systemExtendedHandleInformation = 64
	objectNameInformation           = 1
	objectTypeInformation           = 2
	filePipeLocalInformation        = 24
	fileDirectoryInformation        = 1
	securityInfoOwnerGroupDACLLabel = 0x17 // OWNER|GROUP|DACL|LABEL
	directoryQueryTraverse          = 0x0001 | 0x0002
	objCaseInsensitive              = 0x40
	readControl                     = 0x00020000
	maxHandleTableBytes             = 1 << 30
)

// SnapshotOptions selects the object kinds SnapshotObjects reads.
type SnapshotOptions struct {
	Pipes, Sections, ALPC bool
	// NameTimeout bounds each NtQueryObject(name) on a duplicated file
	// handle, which can block on a synchronous handle with pending I/O
	// (docs/security.md#reading-descriptors). Default 200 ms.
	NameTimeout time.Duration
}

// maxHungQueries is how many blocked name queries are tolerated before the
// pipe handle scan gives up (each holds an OS thread until the I/O completes).
const maxHungQueries = 4

// PipeMethod names how pipe descriptors are read: through duplicated
// handles held by other processes, never by opening the pipe name (which
// would connect as a client, docs/security.md#reading-descriptors, option B).
const PipeMethod = "handle duplication (docs/security.md#reading-descriptors, option B); pipe names are never opened"

// SnapshotObjects lists named pipes, named sections and named ALPC ports
// with their security descriptors (docs/security.md#reading-descriptors). Objects whose
// descriptor cannot be read are listed with Error set. The returned errors
// name the enumeration steps that failed as a whole.
func SnapshotObjects(o SnapshotOptions) ([]ObjectSecurity, []error) {
	if o.NameTimeout <= 0 {
		o.NameTimeout = 200 * time.Millisecond
	}
	var out []ObjectSecurity
	var errs []error
	enableDebugPrivilege()

	var ht *HandleTable
	if o.Pipes || o.ALPC {
		var err error
		ht, err = LoadHandles()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if o.Pipes {
		p, err := snapshotPipes(ht, o.NameTimeout)
		out = append(out, p...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if o.Sections {
		s, err := snapshotSections()
		out = append(out, s...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if o.ALPC {
		if ht == nil {
			errs = append(errs, errors.New("ALPC ports: no handle table, ports not listed"))
		} else {
			out = append(out, snapshotALPC(ht)...)
		}
	}
	if ht != nil {
		ht.Close()
	}
	return out, errs
}

func enableDebugPrivilege() {
	var tok windows.Token
	if windows.OpenProcessToken(windows.CurrentProcess(), windows.TOKEN_ADJUST_PRIVILEGES|windows.TOKEN_QUERY, &tok) != nil {
		return
	}
	defer tok.Close()
	var luid windows.LUID
	name, _ := windows.UTF16PtrFromString("SeDebugPrivilege")
	if windows.LookupPrivilegeValue(nil, name, &luid) != nil {
		return
	}
	tp := windows.Tokenprivileges{PrivilegeCount: 1}
	tp.Privileges[0] = windows.LUIDAndAttributes{Luid: luid, Attributes: windows.SE_PRIVILEGE_ENABLED}
	windows.AdjustTokenPrivileges(tok, false, &tp, 0, nil, nil)
}

// HandleTable is the system handle list (SystemExtendedHandleInformation)
// with the type name of each ObjectTypeIndex, resolved through one
// duplicated handle of that index. Close it to close the process handles
// it opened for duplication.
type HandleTable struct {
	entries []HandleEntry
	types   map[uint16]string
	procs   map[uint64]windows.Handle // PROCESS_DUP_HANDLE handles; 0 = cannot open
	self    uint64
}

// LoadHandles reads the system handle table and names its object types.
// It needs an elevated token to see other processes' handles.
func LoadHandles() (*HandleTable, error) {
	size := uint32(1 << 20)
	var buf []uint64
	for {
		buf = make([]uint64, size/8)
		var ret uint32
		err := windows.NtQuerySystemInformation(systemExtendedHandleInformation, unsafe.Pointer(&buf[0]), size, &ret)
		if err == nil {
			break
		}
		if st, ok := err.(windows.NTStatus); ok && uint32(st) == statusInfoLengthMismatch && size < maxHandleTableBytes {
			if ret > size {
				size = ret + ret/4
			} else {
				size *= 2
			}
			continue
		}
		return nil, fmt.Errorf("NtQuerySystemInformation(SystemExtendedHandleInformation): %w", err)
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
	entries, err := parseHandleTable(b)
	ht := &HandleTable{entries: entries, types: map[uint16]string{}, procs: map[uint64]windows.Handle{},
		self: uint64(os.Getpid())}
	ht.nameTypes()
	return ht, err
}

func (ht *HandleTable) Close() {
	for _, h := range ht.procs {
		if h != 0 {
			windows.CloseHandle(h)
		}
	}
}

// Dup duplicates a handle of another process into ours with access; the
// caller closes the result.
func (ht *HandleTable) Dup(e HandleEntry, access uint32) (windows.Handle, error) {
	p, ok := ht.procs[e.PID]
	if !ok {
		h, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, uint32(e.PID))
		if err != nil {
			h = 0
		}
		ht.procs[e.PID] = h
		p = h
	}
	if p == 0 {
		return 0, fmt.Errorf("cannot open process %d for handle duplication (protected process or access denied)", e.PID)
	}
	var d windows.Handle
	if err := windows.DuplicateHandle(p, windows.Handle(e.Handle), windows.CurrentProcess(), &d, access, false, 0); err != nil {
		return 0, fmt.Errorf("DuplicateHandle from process %d: %w", e.PID, err)
	}
	return d, nil
}

// nameTypes resolves the type name of each ObjectTypeIndex from one handle of that index.
func (ht *HandleTable) nameTypes() {
	tried := map[uint16]int{}
	for _, e := range ht.entries {
		if _, ok := ht.types[e.ObjectTypeIndex]; ok || tried[e.ObjectTypeIndex] >= 5 {
			continue
		}
		tried[e.ObjectTypeIndex]++
		h, err := ht.Dup(e, 0)
		if err != nil {
			continue
		}
		if name, err := queryObjectString(h, objectTypeInformation); err == nil && name != "" {
			ht.types[e.ObjectTypeIndex] = name
		}
		windows.CloseHandle(h)
	}
}

// Entries returns every handle in the table.
func (ht *HandleTable) Entries() []HandleEntry { return ht.entries }

// Type returns the object type name of an entry ("File", "ALPC Port"…), "" if unknown.
func (ht *HandleTable) Type(e HandleEntry) string { return ht.types[e.ObjectTypeIndex] }

// OfType returns the entries whose object type is name.
func (ht *HandleTable) OfType(name string) []HandleEntry {
	var out []HandleEntry
	for _, e := range ht.entries {
		if ht.types[e.ObjectTypeIndex] == name {
			out = append(out, e)
		}
	}
	return out
}

// queryObjectString returns the UNICODE_STRING at the start of
// NtQueryObject's answer (ObjectNameInformation or ObjectTypeInformation).
func queryObjectString(h windows.Handle, class uint32) (string, error) {
	size := uint32(1024)
	for tries := 0; tries < 4; tries++ {
		buf := make([]uint64, size/8)
		var ret uint32
		r, _, _ := procNtQueryObject.Call(uintptr(h), uintptr(class), uintptr(unsafe.Pointer(&buf[0])), uintptr(size), uintptr(unsafe.Pointer(&ret)))
		switch uint32(r) {
		case 0:
			b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
			return unicodeStringAt(b, 0, uint64(uintptr(unsafe.Pointer(&buf[0]))))
		case statusInfoLengthMismatch, statusBufferOverflow, statusBufferTooSmall:
			if ret > size && ret < 1<<16 {
				size = (ret + 7) &^ 7
			} else {
				size *= 4
			}
		default:
			return "", windows.NTStatus(r)
		}
	}
	return "", errors.New("NtQueryObject: buffer kept growing")
}

// querySD reads the self-relative descriptor (OWNER|GROUP|DACL|LABEL) of h.
func querySD(h windows.Handle) ([]byte, error) {
	size := uint32(512)
	for tries := 0; tries < 4; tries++ {
		buf := make([]byte, size)
		var need uint32
		r, _, _ := procNtQuerySecurityObj.Call(uintptr(h), securityInfoOwnerGroupDACLLabel,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(size), uintptr(unsafe.Pointer(&need)))
		switch uint32(r) {
		case 0:
			if need == 0 || need > size {
				need = size
			}
			return buf[:sdLength(buf, need)], nil
		case statusBufferTooSmall, statusBufferOverflow:
			if need <= size || need > 1<<20 {
				return nil, fmt.Errorf("NtQuerySecurityObject: %v", windows.NTStatus(r))
			}
			size = need
		default:
			return nil, fmt.Errorf("NtQuerySecurityObject: %v", windows.NTStatus(r))
		}
	}
	return nil, errors.New("NtQuerySecurityObject: buffer kept growing")
}

// sdLength returns the length of a self-relative descriptor: the largest
// end of its parts, at most limit (NtQuerySecurityObject's LengthNeeded is
// not always set on success).
func sdLength(b []byte, limit uint32) int {
	n, ok := selfRelativeLength(b)
	if !ok || n > int(limit) {
		return int(limit)
	}
	return n
}

// ---- pipes ----

func listPipes() ([]dirEntry, error) {
	name, err := windows.NewNTUnicodeString(NamedPipeDir)
	if err != nil {
		return nil, err
	}
	oa := windows.OBJECT_ATTRIBUTES{Length: uint32(unsafe.Sizeof(windows.OBJECT_ATTRIBUTES{})), ObjectName: name,
		Attributes: objCaseInsensitive}
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err = windows.NtCreateFile(&h, windows.FILE_LIST_DIRECTORY|windows.SYNCHRONIZE, &oa, &iosb, nil, 0,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, windows.FILE_OPEN,
		windows.FILE_DIRECTORY_FILE|windows.FILE_SYNCHRONOUS_IO_NONALERT, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", NamedPipeDir, err)
	}
	defer windows.CloseHandle(h)
	buf := make([]uint64, 64<<10/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
	var out []dirEntry
	restart := uintptr(1)
	for i := 0; i < 100000; i++ {
		r, _, _ := procNtQueryDirectoryFile.Call(uintptr(h), 0, 0, 0, uintptr(unsafe.Pointer(&iosb)),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(b)), fileDirectoryInformation, 0, 0, restart)
		restart = 0
		if uint32(r) == statusNoMoreFiles {
			break
		}
		if r != 0 {
			return out, fmt.Errorf("NtQueryDirectoryFile(%s): %v", NamedPipeDir, windows.NTStatus(r))
		}
		n := int(iosb.Information)
		if n <= 0 || n > len(b) {
			n = len(b)
		}
		ents, err := parseFileDirectoryInformation(b[:n])
		out = append(out, ents...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

type pipeInfo struct {
	sd       []byte
	ownerPID uint32
	err      string
}

// pipeQuery is what a worker learns about one duplicated file handle.
type pipeQuery struct {
	name      string
	serverEnd bool
	endErr    error
	sd        []byte
	sdErr     error
	err       error
}

// PipeEnd reports whether h (a handle to a pipe, e.g. from Dup with
// FILE_READ_ATTRIBUTES) is the server end: FilePipeLocalInformation's
// NamedPipeEnd.
func PipeEnd(h windows.Handle) (server bool, err error) {
	var info [10]uint32 // FILE_PIPE_LOCAL_INFORMATION; NamedPipeEnd is the 10th field
	var iosb windows.IO_STATUS_BLOCK
	if err := windows.NtQueryInformationFile(h, &iosb, (*byte)(unsafe.Pointer(&info[0])), uint32(unsafe.Sizeof(info)), filePipeLocalInformation); err != nil {
		return false, fmt.Errorf("NtQueryInformationFile(FilePipeLocalInformation): %w", err)
	}
	return info[9] == 1, nil // FILE_PIPE_SERVER_END
}

// ObjectName returns the NT name of the object h refers to
// (NtQueryObject ObjectNameInformation). On a synchronous file handle with
// pending I/O the query can block: call it with a timeout of your own.
func ObjectName(h windows.Handle) (string, error) { return queryObjectString(h, objectNameInformation) }

func queryPipeHandle(h windows.Handle) pipeQuery {
	var q pipeQuery
	q.name, q.err = queryObjectString(h, objectNameInformation)
	if q.err != nil {
		return q
	}
	if _, ok := IsPipeName(q.name); !ok {
		return q
	}
	q.serverEnd, q.endErr = PipeEnd(h)
	q.sd, q.sdErr = querySD(h)
	return q
}

func snapshotPipes(ht *HandleTable, timeout time.Duration) ([]ObjectSecurity, error) {
	entries, listErr := listPipes()
	found := map[string]*pipeInfo{} // lower-case pipe name → info
	scanNote := ""
	if ht == nil {
		scanNote = "not read: the system handle table could not be read"
	} else {
		hung := 0
		queried := map[uint64]bool{} // FILE_OBJECT addresses already looked at
		for _, e := range ht.OfType("File") {
			if e.PID == ht.self || (e.Object != 0 && queried[e.Object]) {
				continue
			}
			queried[e.Object] = true
			if hung >= maxHungQueries {
				scanNote = "not read: handle name queries blocked (synchronous handles with pending I/O); scan stopped"
				break
			}
			// FILE_READ_ATTRIBUTES for FilePipeLocalInformation (server or client end).
			h, err := ht.Dup(e, readControl|windows.FILE_READ_ATTRIBUTES)
			if err != nil {
				if h, err = ht.Dup(e, readControl); err != nil {
					continue
				}
			}
			ch := make(chan pipeQuery, 1)
			go func() { ch <- queryPipeHandle(h) }()
			var q pipeQuery
			select {
			case q = <-ch:
				windows.CloseHandle(h)
			case <-time.After(timeout):
				hung++ // the worker keeps h and closes nothing; it stays blocked
				continue
			}
			rel, ok := IsPipeName(q.name)
			if !ok {
				continue
			}
			key := strings.ToLower(rel)
			pi := found[key]
			if pi == nil {
				pi = &pipeInfo{}
				found[key] = pi
			}
			if q.sd != nil && pi.sd == nil {
				pi.sd = q.sd
			} else if q.sdErr != nil && pi.sd == nil {
				pi.err = q.sdErr.Error()
			}
			if q.serverEnd && pi.ownerPID == 0 {
				pi.ownerPID = uint32(e.PID)
			}
		}
	}
	var out []ObjectSecurity
	seen := map[string]bool{}
	for _, d := range entries {
		cur, max := pipeInstances(d)
		obj := ObjectSecurity{ObjectType: ObjectPipe, Name: NamedPipeDir + d.Name, Instances: cur, MaxInstances: max}
		key := strings.ToLower(d.Name)
		seen[key] = true
		fillPipe(&obj, found[key], scanNote)
		out = append(out, obj)
	}
	for key, pi := range found {
		if seen[key] {
			continue
		}
		obj := ObjectSecurity{ObjectType: ObjectPipe, Name: NamedPipeDir + key}
		fillPipe(&obj, pi, scanNote)
		out = append(out, obj)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, listErr
}

func fillPipe(o *ObjectSecurity, pi *pipeInfo, scanNote string) {
	switch {
	case pi != nil && pi.sd != nil:
		o.SD, o.OwnerPID = pi.sd, pi.ownerPID
	case pi != nil && pi.err != "":
		o.OwnerPID = pi.ownerPID
		o.Error = "not read: " + pi.err
	case scanNote != "":
		o.Error = scanNote
	default:
		o.Error = "not read: no process handle to this pipe could be duplicated; reading it by name would connect as a client"
	}
}

// ---- sections ----

func openDir(root windows.Handle, path string) (windows.Handle, error) {
	name, err := windows.NewNTUnicodeString(path)
	if err != nil {
		return 0, err
	}
	oa := windows.OBJECT_ATTRIBUTES{Length: uint32(unsafe.Sizeof(windows.OBJECT_ATTRIBUTES{})), RootDirectory: root,
		ObjectName: name, Attributes: objCaseInsensitive}
	var h windows.Handle
	r, _, _ := procNtOpenDirectoryObj.Call(uintptr(unsafe.Pointer(&h)), directoryQueryTraverse, uintptr(unsafe.Pointer(&oa)))
	if r != 0 {
		return 0, fmt.Errorf("NtOpenDirectoryObject(%s): %v", path, windows.NTStatus(r))
	}
	return h, nil
}

func listDir(h windows.Handle, path string) ([]dirObject, error) {
	buf := make([]uint64, 64<<10/8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*8)
	base := uint64(uintptr(unsafe.Pointer(&buf[0])))
	var out []dirObject
	var ctx, ret uint32
	restart := uintptr(1)
	for i := 0; i < 100000; i++ {
		clear(buf)
		r, _, _ := procNtQueryDirectoryObj.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(b)), 0, restart,
			uintptr(unsafe.Pointer(&ctx)), uintptr(unsafe.Pointer(&ret)))
		restart = 0
		if uint32(r) == statusNoMoreEntries {
			break
		}
		if r != 0 && uint32(r) != statusMoreEntries {
			return out, fmt.Errorf("NtQueryDirectoryObject(%s): %v", path, windows.NTStatus(r))
		}
		objs, err := parseDirectoryObjects(b, base)
		out = append(out, objs...)
		if err != nil {
			return out, fmt.Errorf("%s: %w", path, err)
		}
		if r == 0 {
			break
		}
	}
	return out, nil
}

func sectionDirs() []string {
	dirs := []string{`\BaseNamedObjects`}
	h, err := openDir(0, `\Sessions`)
	if err != nil {
		return dirs
	}
	defer windows.CloseHandle(h)
	objs, _ := listDir(h, `\Sessions`)
	for _, o := range objs {
		if _, err := strconv.Atoi(o.Name); err == nil && o.Type == "Directory" {
			dirs = append(dirs, `\Sessions\`+o.Name+`\BaseNamedObjects`)
		}
	}
	return dirs
}

func snapshotSections() ([]ObjectSecurity, error) {
	var out []ObjectSecurity
	var errs []error
	for _, dir := range sectionDirs() {
		h, err := openDir(0, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs, err := listDir(h, dir)
		if err != nil {
			errs = append(errs, err)
		}
		for _, o := range objs {
			if o.Type != "Section" {
				continue
			}
			obj := ObjectSecurity{ObjectType: ObjectSection, Name: dir + `\` + o.Name}
			obj.SD, err = sectionSD(h, o.Name)
			if err != nil {
				obj.Error = "not read: " + err.Error()
			}
			out = append(out, obj)
		}
		windows.CloseHandle(h)
	}
	return out, errors.Join(errs...)
}

func sectionSD(dir windows.Handle, name string) ([]byte, error) {
	n, err := windows.NewNTUnicodeString(name)
	if err != nil {
		return nil, err
	}
	oa := windows.OBJECT_ATTRIBUTES{Length: uint32(unsafe.Sizeof(windows.OBJECT_ATTRIBUTES{})), RootDirectory: dir,
		ObjectName: n, Attributes: objCaseInsensitive}
	var h windows.Handle
	r, _, _ := procNtOpenSection.Call(uintptr(unsafe.Pointer(&h)), readControl, uintptr(unsafe.Pointer(&oa)))
	if r != 0 {
		return nil, fmt.Errorf("NtOpenSection(READ_CONTROL): %v", windows.NTStatus(r))
	}
	defer windows.CloseHandle(h)
	return querySD(h)
}

// ---- ALPC ports ----

func snapshotALPC(ht *HandleTable) []ObjectSecurity {
	byObject := map[uint64]*ObjectSecurity{}
	var order []uint64
	for _, e := range ht.OfType("ALPC Port") {
		if o, ok := byObject[e.Object]; ok && o.SD != nil {
			continue
		}
		h, dupErr := ht.Dup(e, readControl)
		if dupErr != nil {
			// Without READ_CONTROL the name may still be readable.
			var err error
			if h, err = ht.Dup(e, 0); err != nil {
				continue
			}
		}
		name, err := queryObjectString(h, objectNameInformation)
		if err != nil || name == "" { // unnamed communication ports are not listed
			windows.CloseHandle(h)
			continue
		}
		o := byObject[e.Object]
		if o == nil {
			// The process holding a named (connection) port is normally its server [I].
			o = &ObjectSecurity{ObjectType: ObjectALPC, Name: name, OwnerPID: uint32(e.PID)}
			byObject[e.Object] = o
			order = append(order, e.Object)
		}
		if dupErr != nil {
			o.Error = "not read: " + dupErr.Error()
		} else if o.SD, err = querySD(h); err != nil {
			o.Error = "not read: " + err.Error()
		} else {
			o.Error = ""
		}
		windows.CloseHandle(h)
	}
	out := make([]ObjectSecurity, 0, len(order))
	for _, k := range order {
		out = append(out, *byObject[k])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
