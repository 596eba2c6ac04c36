package hang

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/ipctrace/ipctrace/etw"
)

// Wait Chain Traversal constants (wct.h; docs/events.md#wait-chains).
const (
	// NodeSize is the size of one WAITCHAIN_NODE_INFO, the same on x86,
	// x64 and arm64: the LockObject arm of the union (WCHAR[128],
	// LARGE_INTEGER, BOOL) is its largest member and aligns it to 8.
	NodeSize = 280
	// MaxNodes is WCT_MAX_NODE_COUNT, the most nodes GetThreadWaitChain
	// returns for one thread.
	MaxNodes = 16
	// ObjectNameChars is WCT_OBJNAME_LENGTH, in UTF-16 code units.
	ObjectNameChars = 128

	// GetThreadWaitChain flags: follow waits into other processes, into
	// COM calls and into critical sections of other processes.
	FlagOutOfProc    = 0x1 // WCT_OUT_OF_PROC_FLAG
	FlagOutOfProcCOM = 0x2 // WCT_OUT_OF_PROC_COM_FLAG
	FlagOutOfProcCS  = 0x4 // WCT_OUT_OF_PROC_CS_FLAG
	FlagsAll         = FlagOutOfProc | FlagOutOfProcCOM | FlagOutOfProcCS
)

// WAITCHAIN_NODE_INFO offsets. Thread nodes use the ThreadObject arm of
// the union, every other node the LockObject arm.
const (
	offObjectType      = 0
	offObjectStatus    = 4
	offObjectName      = 8   // LockObject.ObjectName, WCHAR[128]
	offTimeout         = 264 // LockObject.Timeout, LARGE_INTEGER (reserved)
	offAlertable       = 272 // LockObject.Alertable, BOOL (reserved)
	offProcessID       = 8   // ThreadObject.ProcessId
	offThreadID        = 12  // ThreadObject.ThreadId
	offWaitTime        = 16  // ThreadObject.WaitTime
	offContextSwitches = 20  // ThreadObject.ContextSwitches
)

// ObjectType is WCT_OBJECT_TYPE: what a node of a wait chain is.
type ObjectType uint32

// WCT_OBJECT_TYPE values. SocketIo and SmbIo exist from Windows 8 on.
const (
	TypeCriticalSection ObjectType = 1
	TypeSendMessage     ObjectType = 2
	TypeMutex           ObjectType = 3
	TypeALPC            ObjectType = 4
	TypeCOM             ObjectType = 5
	TypeThreadWait      ObjectType = 6
	TypeProcessWait     ObjectType = 7
	TypeThread          ObjectType = 8
	TypeCOMActivation   ObjectType = 9
	TypeUnknown         ObjectType = 10
	TypeSocketIO        ObjectType = 11
	TypeSMBIO           ObjectType = 12
)

// objectTypes maps each WCT_OBJECT_TYPE to its wct.h name and to the
// mechanism name hang reports (the Mechanism of a Wait).
var objectTypes = [...]struct{ name, mechanism string }{
	TypeCriticalSection: {"CriticalSection", MechCriticalSection},
	TypeSendMessage:     {"SendMessage", MechSendMessage},
	TypeMutex:           {"Mutex", MechMutex},
	TypeALPC:            {"Alpc", MechALPC},
	TypeCOM:             {"Com", MechCOM},
	TypeThreadWait:      {"ThreadWait", MechThread},
	TypeProcessWait:     {"ProcessWait", MechProcess},
	TypeThread:          {"Thread", ""},
	TypeCOMActivation:   {"ComActivation", MechCOMActivation},
	TypeUnknown:         {"Unknown", MechUnknown},
	TypeSocketIO:        {"SocketIo", MechSocket},
	TypeSMBIO:           {"SmbIo", MechSMB},
}

// String returns the wct.h name without its "Wct…Type" frame
// ("Alpc", "CriticalSection"), or "type-N" for a value wct.h does not list.
func (t ObjectType) String() string {
	if int(t) < len(objectTypes) && objectTypes[t].name != "" {
		return objectTypes[t].name
	}
	return "type-" + strconv.FormatUint(uint64(t), 10)
}

// Mechanism returns the mechanism name of an object node ("alpc",
// "critical-section", …), "" for a thread node, MechUnknown for a value
// wct.h does not list.
func (t ObjectType) Mechanism() string {
	if int(t) < len(objectTypes) && objectTypes[t].name != "" {
		return objectTypes[t].mechanism
	}
	return MechUnknown
}

// ObjectStatus is WCT_OBJECT_STATUS.
type ObjectStatus uint32

// WCT_OBJECT_STATUS values.
const (
	StatusNoAccess     ObjectStatus = 1 // access to the object was denied
	StatusRunning      ObjectStatus = 2 // thread nodes: the thread runs
	StatusBlocked      ObjectStatus = 3 // thread nodes: the thread waits
	StatusPIDOnly      ObjectStatus = 4 // only the owning process is known
	StatusPIDOnlyRPCSS ObjectStatus = 5 // only the process is known, and it is RPCSS
	StatusOwned        ObjectStatus = 6 // the lock object is owned
	StatusNotOwned     ObjectStatus = 7
	StatusAbandoned    ObjectStatus = 8
	StatusUnknown      ObjectStatus = 9
	StatusError        ObjectStatus = 10
)

var statusNames = [...]string{
	StatusNoAccess: "NoAccess", StatusRunning: "Running", StatusBlocked: "Blocked",
	StatusPIDOnly: "PidOnly", StatusPIDOnlyRPCSS: "PidOnlyRpcss", StatusOwned: "Owned",
	StatusNotOwned: "NotOwned", StatusAbandoned: "Abandoned", StatusUnknown: "Unknown",
	StatusError: "Error",
}

// String returns the wct.h name without its "WctStatus" prefix, or
// "status-N".
func (s ObjectStatus) String() string {
	if int(s) < len(statusNames) && statusNames[s] != "" {
		return statusNames[s]
	}
	return "status-" + strconv.FormatUint(uint64(s), 10)
}

// Node is one WAITCHAIN_NODE_INFO. A chain alternates thread nodes (Type
// TypeThread: PID, TID, WaitTime, ContextSwitches are set) and the objects
// the thread before them waits on (Name, Timeout, Alertable are set).
type Node struct {
	Type   ObjectType
	Status ObjectStatus
	// Object nodes.
	Name      string // object name, only for some objects (named mutexes)
	Timeout   int64  // reserved by wct.h
	Alertable bool   // reserved by wct.h
	// Thread nodes. TID can be 0 for the server of COM and ALPC waits.
	PID, TID        uint32
	WaitTime        uint32 // wct.h gives no unit; reported as read
	ContextSwitches uint32
}

// IsThread reports whether n is a thread node.
func (n *Node) IsThread() bool { return n.Type == TypeThread }

// ParseError is the error of the parsers of this package: what was being
// read and the byte offset in the buffer Windows returned.
type ParseError struct {
	What   string // "WAITCHAIN_NODE_INFO", "SYSTEM_PROCESS_INFORMATION", …
	Offset int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s at offset %d: %s", e.What, e.Offset, e.Msg)
}

// ParseNodes reads count WAITCHAIN_NODE_INFO entries from b, the array
// GetThreadWaitChain filled. count above MaxNodes or beyond b is an error.
func ParseNodes(b []byte, count int) ([]Node, error) {
	if count < 0 || count > MaxNodes {
		return nil, &ParseError{"WAITCHAIN_NODE_INFO", 0, fmt.Sprintf("node count %d outside 0..%d", count, MaxNodes)}
	}
	if count*NodeSize > len(b) {
		return nil, &ParseError{"WAITCHAIN_NODE_INFO", len(b) / NodeSize * NodeSize,
			fmt.Sprintf("%d nodes need %d bytes, have %d", count, count*NodeSize, len(b))}
	}
	out := make([]Node, count)
	for i := range out {
		out[i] = parseNode(b[i*NodeSize : (i+1)*NodeSize])
	}
	return out, nil
}

// parseNode reads one 280-byte node.
func parseNode(b []byte) Node {
	le := binary.LittleEndian
	n := Node{Type: ObjectType(le.Uint32(b[offObjectType:])), Status: ObjectStatus(le.Uint32(b[offObjectStatus:]))}
	if n.Type == TypeThread {
		n.PID = le.Uint32(b[offProcessID:])
		n.TID = le.Uint32(b[offThreadID:])
		n.WaitTime = le.Uint32(b[offWaitTime:])
		n.ContextSwitches = le.Uint32(b[offContextSwitches:])
		return n
	}
	name := b[offObjectName : offObjectName+2*ObjectNameChars]
	for i := 0; i+1 < len(name); i += 2 {
		if name[i] == 0 && name[i+1] == 0 {
			name = name[:i]
			break
		}
	}
	n.Name = etw.DecodeUTF16(name)
	n.Timeout = int64(le.Uint64(b[offTimeout:]))
	n.Alertable = le.Uint32(b[offAlertable:]) != 0
	return n
}
