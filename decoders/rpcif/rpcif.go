// Package rpcif names RPC and DCOM interfaces by their UUID, and their
// methods by procedure number (opnum).
//
// A COM call between processes is an ORPC call whose RPC interface UUID is
// the IID of the COM interface and whose procedure number is the method's
// vtable slot, so one table names both the Microsoft-Windows-RPC call events
// (InterfaceUuid, ProcNum) and the COMRuntime ComCallDelay event
// (TargetInterface, TargetMethod).
//
// The built-in table holds only interfaces whose UUID was checked against
// the open specification named in each entry ([MS-SCMR], [MS-LSAD], …, and
// The Open Group's C706 for the endpoint mapper); method names are given
// where the specification's opnum table was checked too. A user file
// (Table.Load, the --interfaces flag) adds interfaces and overrides
// built-in ones; its format is described at Table.Load.
package rpcif

import (
	"strconv"

	"github.com/ipctrace/ipctrace/etw"
)

// Interface is one named RPC or DCOM interface.
type Interface struct {
	UUID etw.GUID
	// Name is the interface's name, such as "svcctl" or "IRemUnknown".
	Name string
	// Spec names where the entry comes from: the open specification and
	// section for built-in entries ("MS-SCMR 1.9"), "file:line" for
	// entries loaded from a user file.
	Spec string
	// COM marks an ORPC (DCOM) interface: it derives from IUnknown, whose
	// three methods take opnums 0–2 of every COM interface ([MS-DCOM]
	// 3.1.1.5.8).
	COM bool
	// Methods maps opnums to method names; nil when none are known.
	Methods map[uint32]string
}

// iunknownMethods are the IUnknown methods that open every COM interface.
var iunknownMethods = [3]string{"QueryInterface", "AddRef", "Release"}

// Method names procedure number opnum of the interface, or returns "" when
// it is unknown. For a COM interface, opnums 0–2 are IUnknown's methods
// unless the table names them otherwise.
func (i Interface) Method(opnum uint32) string {
	if n, ok := i.Methods[opnum]; ok {
		return n
	}
	if i.COM && opnum < uint32(len(iunknownMethods)) {
		return iunknownMethods[opnum]
	}
	return ""
}

// MethodLabel is Method, or "opnum N" when the method is unknown: a label
// that is never empty, for reports.
func (i Interface) MethodLabel(opnum uint32) string {
	if n := i.Method(opnum); n != "" {
		return n
	}
	return "opnum " + strconv.FormatUint(uint64(opnum), 10)
}

// Table maps interface UUIDs to interfaces. The zero Table is empty; New
// returns one holding the built-in interfaces. A Table is safe for
// concurrent lookups once loading is over.
type Table struct {
	m map[etw.GUID]Interface
}

// New returns a Table holding the built-in interfaces.
func New() *Table {
	t := &Table{m: make(map[etw.GUID]Interface, len(builtin))}
	for _, i := range builtin {
		t.m[i.UUID] = i
	}
	return t
}

// Lookup returns the interface of uuid.
func (t *Table) Lookup(uuid etw.GUID) (Interface, bool) {
	if t == nil {
		return Interface{}, false
	}
	i, ok := t.m[uuid]
	return i, ok
}

// Len is the number of interfaces in t.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.m)
}

// Add puts i in t, replacing any interface of the same UUID.
func (t *Table) Add(i Interface) {
	if t.m == nil {
		t.m = map[etw.GUID]Interface{}
	}
	t.m[i.UUID] = i
}

// builtinTable is the shared table behind the package-level Lookup.
var builtinTable = New()

// Lookup returns the built-in interface of uuid. Callers that honour a
// user's --interfaces file use a Table from New and Load instead.
func Lookup(uuid etw.GUID) (Interface, bool) { return builtinTable.Lookup(uuid) }

// Name returns the interface name of uuid in t, or "" when t does not know it.
func (t *Table) Name(uuid etw.GUID) string {
	i, _ := t.Lookup(uuid)
	return i.Name
}
