package correlate

import (
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// TestWinMsgBadInput: stops without starts, a stop on another thread and a
// retrieve of an unknown message change nothing; open sends and posts are
// bounded by maxOpenWM however many starts never stop.
func TestWinMsgBadInput(t *testing.T) {
	f := newFeeder(t, Options{})
	f.proc(8, "gui.exe", 80)
	f.proc(12, "other.exe", 120)
	msg := func(id uint16, pq uint64) *decoders.Win32kMessage {
		return &decoders.Win32kMessage{ID: id, Pqmsg: pq, Hwnd: 0x100, Message: 0x4A, ReceiverPID: 12, ReceiverTID: 120}
	}
	stop := func(id uint16, pq uint64) *decoders.Win32kMessageStop {
		return &decoders.Win32kMessageStop{ID: id, Pqmsg: pq}
	}
	f.add(1, 8, 80, stop(decoders.Win32kSendMessageStopID, 0x99))           // never started
	f.add(2, 12, 120, msg(decoders.Win32kRetrievePostMessageID, 0x98))      // never posted
	f.add(3, 8, 80, msg(decoders.Win32kSendMessageStartID, 0x10))           // one send …
	f.add(4, 12, 120, stop(decoders.Win32kSendMessageStopID, 0x10))         // … stopped on the wrong thread
	f.add(5, 12, 120, msg(decoders.Win32kRetrieveSendMessageStartID, 0x10)) // retrieved
	for i := uint64(0); i < maxOpenWM+100; i++ {
		f.add(6, 8, 80, msg(decoders.Win32kSendMessageStartID, 0x1000+i))
		f.add(6, 8, 80, msg(decoders.Win32kQueuePostMessageID, 0x1000+i))
	}
	if n := len(f.e.w.sends); n != maxOpenWM {
		t.Errorf("%d open sends, want the bound %d", n, maxOpenWM)
	}
	if n := len(f.e.w.posts); n != maxOpenWM {
		t.Errorf("%d open posts, want the bound %d", n, maxOpenWM)
	}
	m := f.e.Finish()
	if len(m.WindowMessages) != 1 || m.WindowMessages[0].Sent != 0 || m.WindowMessages[0].Pending != maxOpenWM {
		t.Fatalf("window messages %+v, want one conversation with no returned and %d pending sends", m.WindowMessages, maxOpenWM)
	}
	rules := map[string]int{}
	for _, s := range m.Stuck {
		rules[s.Rule]++
	}
	if rules["WM1"] != 1 || rules["WM2"] != maxOpenWM-1 {
		t.Errorf("stuck rules %v, want 1 WM1 (retrieved) and %d WM2", rules, maxOpenWM-1)
	}
	if len(m.PostedQueues) != 1 || m.PostedQueues[0].Retrieved != 0 || m.PostedQueues[0].Queued != maxOpenWM {
		t.Errorf("posted queues %+v, want %d still queued on the window's thread", m.PostedQueues, maxOpenWM)
	}
}

// TestCOMJoin: a ComCallDelay joins the RPC call that stopped just before
// on its thread with its interface (docs/rules.md COM2), not one on another
// interface nor one stopped too long before.
func TestCOMJoin(t *testing.T) {
	iid := etw.MustParseGUID("f309ad18-d86a-11d0-a075-00c04fb68820") // IWbemLevel1Login
	other := etw.MustParseGUID("7a3b9c1d-44e2-4f60-8b1a-2c3d4e5f6a7b")
	f := newFeeder(t, Options{})
	f.proc(8, "cli.exe", 80)
	f.proc(12, "srv.exe", 120)
	act := etw.GUID{Data1: 1}
	call := func(at int64, g etw.GUID) {
		f.e.Add(&decoders.Decoded{Time: t0 + at*us, PID: 8, TID: 80, ActivityID: act,
			Event: &decoders.RPCCallStart{InterfaceUUID: g, ProcNum: 3, Protocol: 3, Endpoint: "OLE1"}})
		f.e.Add(&decoders.Decoded{Time: t0 + (at+50)*us, PID: 8, TID: 80, ActivityID: act, Event: &decoders.RPCCallStop{}})
	}
	delay := func(at int64, g etw.GUID) {
		f.add(at, 8, 80, &decoders.COMCallDelay{CallTimeMs: 1, TargetThreadID: 120, TargetProcessID: 12, TargetMethod: 3, TargetInterface: g})
	}
	call(100, iid)
	delay(160, iid) // joined
	delay(170, iid) // the RPC call is taken: not joined
	call(200, other)
	delay(260, iid) // another interface: not joined
	call(300, iid)
	delay(300+50+200_000, iid) // 200 ms later: not joined
	m := f.e.Finish()
	if len(m.COM) != 1 {
		t.Fatalf("COM rows %+v, want 1", m.COM)
	}
	c := m.COM[0]
	if c.Calls != 4 || c.RPCJoined != 1 || c.RPCEndpoint != "OLE1" || c.InterfaceName != "IWbemLevel1Login" {
		t.Errorf("got calls %d joined %d endpoint %q name %q, want 4 1 OLE1 IWbemLevel1Login", c.Calls, c.RPCJoined, c.RPCEndpoint, c.InterfaceName)
	}
	if c.Results["S_OK"] != 4 || c.Failed != 0 {
		t.Errorf("results %v failed %d, want S_OK×4", c.Results, c.Failed)
	}
}
