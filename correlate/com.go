package correlate

import (
	"cmp"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/decoders/rpcif"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/latency"
	"github.com/ipctrace/ipctrace/model"
)

// COM call delays (docs/events.md#com, docs/rules.md COM1–COM3). Windows
// writes ComCallDelay (2) on the calling thread after a COM call that took
// longer than its own threshold, naming the target process and thread, the
// interface IID and the method's vtable slot; CliModalLoopDelay (1) on a
// client thread that sat in COM's modal loop. A COM call between processes
// is an ORPC call whose RPC interface is the IID, so a ComCallDelay is
// joined with the RPC client call that ended last on the same thread with
// the same interface, shortly before it (COM2). Every rule is inferred: no
// trace with these events has been seen.

// comJoinWindow is how long after the RPC call's stop the ComCallDelay
// may come and still be joined with it (COM2): 100 ms.
const comJoinWindow = 100 * 10_000

type comKey struct {
	kind                   string
	cpid, ctid, tpid, ttid uint32
	iface                  etw.GUID
	method                 uint32
}

type comRow struct {
	m    model.COMCall
	time latency.Hist
}

// rpcDone is the last RPC client call that ended on a thread.
type rpcDone struct {
	iface    etw.GUID
	endpoint string
	protocol uint32
	end      int64
}

type comState struct {
	rows    map[comKey]*comRow
	order   []*comRow
	lastRPC map[uint32]rpcDone // by client TID
}

func (c *comState) init() {
	c.rows = make(map[comKey]*comRow)
	c.lastRPC = make(map[uint32]rpcDone)
}

// comNoteRPC remembers, before rpcStop forgets it, the client RPC call that
// stops on d's thread.
func (e *Engine) comNoteRPC(d *decoders.Decoded, ev *decoders.RPCCallStop) {
	if ev.Server {
		return
	}
	c := e.r.openCall(d.ActivityID, d.TID, false)
	if c == nil {
		return
	}
	if _, ok := e.c.lastRPC[d.TID]; !ok && len(e.c.lastRPC) >= maxOpenWM {
		return
	}
	e.c.lastRPC[d.TID] = rpcDone{iface: c.iface, endpoint: c.endpoint, protocol: c.protocol, end: d.Time}
}

func (e *Engine) comRow(k comKey) *comRow {
	r := e.c.rows[k]
	if r == nil {
		r = &comRow{m: model.COMCall{Kind: k.kind, CallerPID: k.cpid, CallerTID: k.ctid, TargetPID: k.tpid, TargetTID: k.ttid,
			Method: k.method, Results: map[string]int64{}, Inferred: true}}
		if k.kind == "call-delay" {
			r.m.Interface = k.iface.String()
		}
		e.c.rows[k] = r
		e.c.order = append(e.c.order, r)
	}
	return r
}

func (e *Engine) comCallDelay(d *decoders.Decoded, ev *decoders.COMCallDelay) {
	e.touch(d.PID, d.TID, d.Time)
	if e.out {
		return
	}
	k := comKey{"call-delay", d.PID, d.TID, ev.TargetProcessID, ev.TargetThreadID, ev.TargetInterface, ev.TargetMethod}
	if _, ok := e.c.rows[k]; !ok && len(e.c.rows) >= maxOpenWM {
		return
	}
	r := e.comRow(k)
	r.m.Calls++
	if int32(ev.CallResult) < 0 {
		r.m.Failed++
	}
	r.m.Results[rpcif.HRESULTLabel(ev.CallResult)]++
	r.time.Record(int64(ev.CallTimeMs) * 10_000)
	if x, ok := e.c.lastRPC[d.TID]; ok && x.iface == ev.TargetInterface && x.end <= d.Time && d.Time-x.end <= comJoinWindow {
		r.m.RPCJoined++
		r.m.RPCEndpoint, r.m.RPCProtocol = x.endpoint, protocolName(x.protocol)
		delete(e.c.lastRPC, d.TID)
	}
}

func (e *Engine) comModalLoop(d *decoders.Decoded, ev *decoders.COMCliModalLoopDelay) {
	e.touch(d.PID, d.TID, d.Time)
	if e.out {
		return
	}
	k := comKey{kind: "modal-loop", cpid: d.PID, ctid: d.TID}
	if _, ok := e.c.rows[k]; !ok && len(e.c.rows) >= maxOpenWM {
		return
	}
	r := e.comRow(k)
	r.m.Calls++
	r.time.Record(int64(ev.BlockTimeMs) * 10_000)
}

// interfaces is the interface table: Options.Interfaces, else the built-in one.
func (e *Engine) interfaces() *rpcif.Table {
	if e.opt.Interfaces != nil {
		return e.opt.Interfaces
	}
	return builtinInterfaces
}

var builtinInterfaces = rpcif.New()

// nameInterfaces fills InterfaceName and the method name of every RPC and
// COM row whose interface the table knows.
func (e *Engine) nameInterfaces(m *model.Model) {
	t := e.interfaces()
	for i := range m.RPC {
		r := &m.RPC[i]
		g, err := etw.ParseGUID(r.Interface)
		if err != nil {
			continue
		}
		if it, ok := t.Lookup(g); ok {
			r.InterfaceName, r.Method = it.Name, it.Method(r.ProcNum)
		}
	}
	for i := range m.COM {
		c := &m.COM[i]
		if c.Interface == "" {
			continue
		}
		g, err := etw.ParseGUID(c.Interface)
		if err != nil {
			continue
		}
		if it, ok := t.Lookup(g); ok {
			c.InterfaceName, c.MethodName = it.Name, it.Method(c.Method)
		}
	}
}

func (e *Engine) finishCOM(m *model.Model) {
	for _, r := range e.c.order {
		if !e.keepPIDs(r.m.CallerPID, r.m.TargetPID) || e.opt.PipeGlob != "" {
			continue
		}
		r.m.Time = r.time.Summary()
		if len(r.m.Results) == 0 {
			r.m.Results = nil
		}
		r.m.CallerImage, r.m.TargetImage = e.image(r.m.CallerPID), e.image(r.m.TargetPID)
		m.COM = append(m.COM, r.m)
	}
	slices.SortStableFunc(m.COM, func(a, b model.COMCall) int {
		return cmp.Or(cmp.Compare(b.Time.Max, a.Time.Max), cmp.Compare(a.CallerPID, b.CallerPID), cmp.Compare(a.CallerTID, b.CallerTID))
	})
}
