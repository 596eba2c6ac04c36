package correlate

import (
	"encoding/json"
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
)

// TestALPCOutstandingOrder: at the end of the trace, calls still waiting
// make conversations and stuck entries in an order that does not come from
// map iteration, a conversation's last activity does not go back to a
// wait's start, and a serving thread that calls out is guessed to call the
// client it received from last (docs/rules.md A6).
func TestALPCOutstandingOrder(t *testing.T) {
	run := func() ([]byte, *Engine) {
		f := newFeeder(t, Options{})
		send := func(at int64, pid, tid, m uint32, wait bool) {
			f.add(at, pid, tid, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: m})
			if wait {
				f.add(at+1, pid, tid, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: m})
			}
		}
		recv := func(at int64, pid, tid, m uint32) {
			f.add(at, pid, tid, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: m})
		}
		// Server 8's thread 81 receives from 12, then from 16, answers
		// neither, and calls out with a message nobody receives.
		send(1, 12, 121, 1, true)
		recv(5, 8, 81, 1)
		send(6, 16, 161, 2, true)
		recv(10, 8, 81, 2)
		send(20, 8, 81, 3, true)
		// More clients of 8 waiting on received requests, so that several
		// conversations are made at the end.
		for i := range uint32(8) {
			pid, tid, m := 40+i, 400+10*i, 100+i
			send(30+int64(i)*4, pid, tid, m, true)
			recv(32+int64(i)*4, 8, 82, m)
		}
		// Client 12 waits on a request 8's thread 86 received, then
		// completes another call with that thread: the conversation's last
		// activity is that call's end, not the older wait's start.
		send(50, 12, 122, 6, true)
		recv(52, 8, 86, 6)
		alpcCall(f, 60, 12, 123, 8, 86, 7)
		// A late event: the conversations' last activity is before it.
		f.add(1000, 8, 82, &decoders.AlpcWaitNewMessage{})
		m := f.e.Finish()
		b, err := json.Marshal(struct{ A, S any }{m.ALPC, m.Stuck})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range m.ALPC {
			if c.Last < c.First {
				t.Errorf("conversation %d→%d: last %s before first %s", c.ClientPID, c.ServerPID, c.Last, c.First)
			}
		}
		found := false
		for _, s := range m.Stuck {
			if s.TID == 81 {
				found = true
				if s.PeerPID != 16 {
					t.Errorf("thread 81 calls out while serving 12 and 16: peer %d, want 16 (received last)", s.PeerPID)
				}
			}
		}
		if !found {
			t.Error("no stuck call for thread 81")
		}
		return b, f.e
	}
	first, _ := run()
	for range 30 {
		if b, _ := run(); string(b) != string(first) {
			t.Fatalf("output differs from run to run:\n%s\n%s", first, b)
		}
	}
}
