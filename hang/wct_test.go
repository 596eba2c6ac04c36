package hang

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

// Nodes are built at the offsets docs/events.md#wait-chains gives, written here as
// literals so that a wrong constant in wct.go fails the tests.

func threadNode(st ObjectStatus, pid, tid, wait, cs uint32) []byte {
	b := make([]byte, 280)
	binary.LittleEndian.PutUint32(b[0:], uint32(TypeThread))
	binary.LittleEndian.PutUint32(b[4:], uint32(st))
	binary.LittleEndian.PutUint32(b[8:], pid)
	binary.LittleEndian.PutUint32(b[12:], tid)
	binary.LittleEndian.PutUint32(b[16:], wait)
	binary.LittleEndian.PutUint32(b[20:], cs)
	return b
}

func objectNode(typ ObjectType, st ObjectStatus, name string) []byte {
	b := make([]byte, 280)
	binary.LittleEndian.PutUint32(b[0:], uint32(typ))
	binary.LittleEndian.PutUint32(b[4:], uint32(st))
	u := utf16.Encode([]rune(name))
	for i, c := range u {
		if i >= 128 {
			break
		}
		binary.LittleEndian.PutUint16(b[8+2*i:], c)
	}
	binary.LittleEndian.PutUint64(b[264:], 0xFFFFFFFF_FFFFFF9C) // -100
	binary.LittleEndian.PutUint32(b[272:], 1)
	return b
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestParseNodes(t *testing.T) {
	b := concat(
		threadNode(StatusBlocked, 1200, 2804, 5000, 77),
		objectNode(TypeMutex, StatusOwned, `\Sessions\1\BaseNamedObjects\Lock`),
		threadNode(StatusBlocked, 700, 900, 12, 3),
		objectNode(TypeALPC, StatusPIDOnly, ""),
	)
	nodes, err := ParseNodes(b, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{
		{Type: TypeThread, Status: StatusBlocked, PID: 1200, TID: 2804, WaitTime: 5000, ContextSwitches: 77},
		{Type: TypeMutex, Status: StatusOwned, Name: `\Sessions\1\BaseNamedObjects\Lock`, Timeout: -100, Alertable: true},
		{Type: TypeThread, Status: StatusBlocked, PID: 700, TID: 900, WaitTime: 12, ContextSwitches: 3},
		{Type: TypeALPC, Status: StatusPIDOnly, Timeout: -100, Alertable: true},
	}
	for i := range want {
		if nodes[i] != want[i] {
			t.Errorf("node %d = %+v, want %+v", i, nodes[i], want[i])
		}
	}
	// A name that fills all 128 code units has no terminator.
	full := strings.Repeat("ab", 64) + "IGNORED"
	nodes, err = ParseNodes(objectNode(TypeMutex, StatusNotOwned, full), 1)
	if err != nil || nodes[0].Name != full[:128] {
		t.Errorf("128-unit name: %q, %v", nodes[0].Name, err)
	}
	// Fewer nodes than the buffer holds: the rest is not read.
	if nodes, err = ParseNodes(b, 1); err != nil || len(nodes) != 1 {
		t.Errorf("count 1: %d nodes, %v", len(nodes), err)
	}
}

func TestParseNodesErrors(t *testing.T) {
	b := concat(threadNode(StatusRunning, 1, 2, 0, 0), make([]byte, 100))
	for _, c := range []struct {
		count int
		b     []byte
		off   int
		msg   string
	}{
		{2, b, 280, "2 nodes need 560 bytes, have 380"},
		{17, make([]byte, 17*280), 0, "node count 17 outside 0..16"},
		{-1, b, 0, "node count -1"},
	} {
		_, err := ParseNodes(c.b, c.count)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Offset != c.off || !strings.Contains(pe.Error(), c.msg) || pe.What != "WAITCHAIN_NODE_INFO" {
			t.Errorf("count %d: %v, want offset %d and %q", c.count, err, c.off, c.msg)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{TypeCriticalSection.String(), "CriticalSection"},
		{TypeCOMActivation.String(), "ComActivation"},
		{TypeSMBIO.String(), "SmbIo"},
		{ObjectType(13).String(), "type-13"},
		{ObjectType(0).String(), "type-0"},
		{TypeALPC.Mechanism(), "alpc"},
		{TypeSendMessage.Mechanism(), "send-message"},
		{TypeProcessWait.Mechanism(), "process"},
		{TypeThread.Mechanism(), ""},
		{ObjectType(99).Mechanism(), "unknown"},
		{StatusPIDOnlyRPCSS.String(), "PidOnlyRpcss"},
		{StatusError.String(), "Error"},
		{ObjectStatus(11).String(), "status-11"},
		{StateWaiting.String(), "Waiting"},
		{StateSwapWait.String(), "WaitingForProcessInSwap"},
		{ThreadState(10).String(), "state-10"},
		{WaitExecutive.String(), "Executive"},
		{WaitUserRequest.String(), "UserRequest"},
		{WaitWrLpcReply.String(), "WrLpcReply"},
		{WaitReason(37).String(), "WrAlertByThreadId"},
		{WaitReason(42).String(), "WrRcu"},
		{WaitReason(43).String(), "reason-43"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
