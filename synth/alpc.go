package synth

import (
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/latency"
)

// RPC constants (docs/events.md#rpc).
const (
	RPCProtocolLRPC   = 3
	RPCProtocolNP     = 2 // ncacn_np
	rpcAuthnLevelPkt  = 6
	rpcAuthnKernel    = 0x14
	rpcImpImpersonate = 3
	rpcKeyword        = 0x4000000000000000
)

// Port is a server ALPC port (a name as in WaitForNewMessage's PortName
// and the RPC ncalrpc endpoint).
type Port struct {
	Name   string
	Server *Proc
}

// RPCCall describes the RPC call carried by an ALPC request (nil for plain ALPC).
type RPCCall struct {
	Interface etw.GUID
	ProcNum   uint32
	Status    uint32 // client stop status (0 = success)
	// Pipe, when set, makes the call ncacn_np over the named pipe of that
	// name (endpoint \pipe\NAME) instead of ncalrpc.
	Pipe string
}

type alpcKey struct {
	client, server uint32
	port           string
}

type alpcConv struct {
	calls, pending int64
	lat, server    latency.Hist
	// first: the first request's send; last: the latest reply's arrival,
	// or a request still pending, whichever came last (docs/rules.md A2).
	first, last int64
	pendingAt   []int64 // sends of the requests still pending at the end
}

func (c *alpcConv) span(first, last int64) {
	if c.first == 0 || first < c.first {
		c.first = first
	}
	c.last = last
}

type rpcKey struct {
	iface          etw.GUID
	procnum        uint32
	endpoint       string
	client, server uint32
	pipe           string // ncacn_np: the pipe that carries the calls
}

type rpcConv struct {
	calls, failed int64
	lat, server   latency.Hist
}

const opWaitNew = uint8(decoders.OpAlpcWaitNewMsg)

// msgAlloc hands out ALPC message ids: the lowest id that is free at the
// send time, so ids are reused as soon as a message is freed but never
// shared by two messages in flight (docs/rules.md A1).
type msgAlloc struct {
	busyUntil map[uint32]int64 // id → time it becomes free (maxInt64: never)
}

const forever = 1<<63 - 1

// AllocMessageID returns the lowest ALPC message id (from 1) free at t and
// marks it busy until FreeMessageID.
func (b *Builder) AllocMessageID(t int64) uint32 {
	a := &b.msgIDs
	if a.busyUntil == nil {
		a.busyUntil = map[uint32]int64{}
	}
	for id := uint32(1); ; id++ {
		if u, ok := a.busyUntil[id]; !ok || u <= t {
			a.busyUntil[id] = forever
			return id
		}
	}
}

// FreeMessageID makes id reusable from t on.
func (b *Builder) FreeMessageID(id uint32, t int64) { b.msgIDs.busyUntil[id] = t }

// Port returns the server port name of process server (created on first use).
func (b *Builder) Port(name string, server *Proc) *Port {
	p := b.ports[name]
	if p == nil {
		p = &Port{Name: name, Server: server}
		b.ports[name] = p
	}
	return p
}

func (b *Builder) alpc(t int64, th *Thread, op decoders.Op, ev decoders.Event) {
	b.act(t, th)
	if !b.suppress && t >= th.lastALPCTime {
		th.lastALPC, th.lastALPCTime = uint8(op), t
	}
	b.emitKernel(t, decoders.ALPCGUID, 0x1A, op, ALPCVersion, th.Proc.PID, th.TID, th.Processor(), ev)
}

// AlpcSend emits ALPC-Send-Message (33) for message id by th at t.
func (b *Builder) AlpcSend(t int64, th *Thread, id uint32) {
	b.alpc(t, th, decoders.OpAlpcSend, &decoders.AlpcMessage{Op: decoders.OpAlpcSend, MessageID: id})
}

// AlpcReceive emits ALPC-Receive-Message (34).
func (b *Builder) AlpcReceive(t int64, th *Thread, id uint32) {
	b.alpc(t, th, decoders.OpAlpcReceive, &decoders.AlpcMessage{Op: decoders.OpAlpcReceive, MessageID: id})
}

// AlpcWaitForReply emits ALPC-Wait-For-Reply (35).
func (b *Builder) AlpcWaitForReply(t int64, th *Thread, id uint32) {
	b.alpc(t, th, decoders.OpAlpcWaitReply, &decoders.AlpcMessage{Op: decoders.OpAlpcWaitReply, MessageID: id})
}

// AlpcWaitForNewMessage emits ALPC-Wait-For-New-Message (36) on a server port.
func (b *Builder) AlpcWaitForNewMessage(t int64, th *Thread, port string) {
	b.alpc(t, th, decoders.OpAlpcWaitNewMsg, &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: port})
	if !b.suppress && port != "" {
		th.waitPort = port
	}
}

// AlpcUnwait emits ALPC-Unwait (37) with status.
func (b *Builder) AlpcUnwait(t int64, th *Thread, status uint32) {
	b.alpc(t, th, decoders.OpAlpcUnwait, &decoders.AlpcUnwait{Status: status})
}

func rpcStartEvent(server bool, port string, c *RPCCall) *decoders.RPCCallStart {
	proto := uint32(RPCProtocolLRPC)
	if c.Pipe != "" {
		proto, port = RPCProtocolNP, `\pipe\`+c.Pipe
	}
	return &decoders.RPCCallStart{Server: server, InterfaceUUID: c.Interface, ProcNum: c.ProcNum, Protocol: proto,
		Endpoint: port, AuthenticationLevel: rpcAuthnLevelPkt, AuthenticationService: rpcAuthnKernel, ImpersonationLevel: rpcImpImpersonate}
}

// RPCStart emits Microsoft-Windows-RPC 5 (client) or 6 (server) on th at t
// with activity id act.
func (b *Builder) RPCStart(t int64, th *Thread, server bool, port string, c *RPCCall, act etw.GUID) {
	id, task := uint16(5), uint16(1)
	if server {
		id, task = 6, 2
	}
	b.act(t, th)
	b.emitManifest(t, decoders.RPCGUID, id, RPCVersion, 4, 1, task, rpcKeyword, th.Proc.PID, th.TID, th.Processor(), act, rpcStartEvent(server, port, c))
}

// RPCStop emits Microsoft-Windows-RPC 7 (client) or 8 (server).
func (b *Builder) RPCStop(t int64, th *Thread, server bool, status uint32, act etw.GUID) {
	id, task := uint16(7), uint16(1)
	if server {
		id, task = 8, 2
	}
	b.act(t, th)
	b.emitManifest(t, decoders.RPCGUID, id, RPCVersion, 4, 2, task, rpcKeyword, th.Proc.PID, th.TID, th.Processor(), act, &decoders.RPCCallStop{Server: server, Status: status})
}

// activity returns a fresh ActivityId.
func (b *Builder) activity() etw.GUID {
	g := etw.GUID{Data1: b.rnd.Uint32(), Data2: uint16(b.rnd.Uint32()), Data3: 0x4000 | uint16(b.rnd.Uint32()&0x0FFF)}
	v := b.rnd.Uint64()
	for i := range g.Data4 {
		g.Data4[i] = byte(v >> (8 * i))
	}
	g.Data4[0] = 0x80 | g.Data4[0]&0x3F
	return g
}

// AlpcCall is one synchronous request/reply on port (docs/rules.md A1–A3, with
// the RPC events of docs/rules.md R2 when rpc is not nil), starting at t:
//
//	Tc: [RPC 5] Send(m) WaitForReply(m)
//	Ts: Unwait(0) Receive(m) [RPC 6 … RPC 8] Send(m) WaitForNewMessage(port)
//	Tc: Unwait(0) Receive(m) [RPC 7]
//
// work is the server's processing time. The message id comes from
// AllocMessageID and is freed after the reply, so ids are reused across
// calls. It returns the time the client's call returned.
func (b *Builder) AlpcCall(t int64, client *Thread, port *Port, server *Thread, rpc *RPCCall, work int64) int64 {
	m := b.AllocMessageID(t)
	var act, sact etw.GUID
	rstart := t
	if rpc != nil {
		act, sact = b.activity(), b.activity()
		b.RPCStart(t, client, false, port.Name, rpc, act)
		t += b.US(4)
	}
	send := t
	b.AlpcSend(send, client, m)
	b.AlpcWaitForReply(send+b.US(2), client, m)
	t = send + b.US(15)
	b.AlpcUnwait(t, server, 0)
	recv := t + b.US(2)
	b.AlpcReceive(recv, server, m)
	t = recv + b.US(3)
	var sstart, sstop int64
	if rpc != nil {
		sstart = t
		b.RPCStart(t, server, true, port.Name, rpc, sact)
		t += work
		sstop = t
		b.RPCStop(t, server, true, rpc.Status, sact)
		t += b.US(3)
	} else {
		t += work
	}
	reply := t
	b.AlpcSend(reply, server, m)
	b.AlpcWaitForNewMessage(reply+b.US(2), server, port.Name)
	t = reply + b.US(12)
	b.AlpcUnwait(t, client, 0)
	crecv := t + b.US(2)
	b.AlpcReceive(crecv, client, m)
	b.FreeMessageID(m, crecv)
	end := crecv
	if rpc != nil {
		end = crecv + b.US(4)
		b.RPCStop(end, client, false, rpc.Status, act)
	}
	if !b.suppress {
		c := b.alpcConv(client.Proc.PID, server.Proc.PID, port.Name)
		c.span(send, crecv)
		c.calls++
		c.lat.Record(crecv - send)
		c.server.Record(reply - recv)
		if rpc != nil {
			r := b.rpcConv(rpc, port.Name, client.Proc.PID, server.Proc.PID)
			r.calls++
			if rpc.Status != 0 {
				r.failed++
			}
			r.lat.Record(end - rstart)
			r.server.Record(sstop - sstart)
		}
	}
	return end
}

func (b *Builder) alpcConv(client, server uint32, port string) *alpcConv {
	k := alpcKey{client, server, port}
	c := b.alpcConvs[k]
	if c == nil {
		c = &alpcConv{}
		b.alpcConvs[k] = c
		b.alpcOrder = append(b.alpcOrder, k)
	}
	return c
}

func (b *Builder) rpcConv(rpc *RPCCall, port string, client, server uint32) *rpcConv {
	k := rpcKey{rpc.Interface, rpc.ProcNum, port, client, server, rpc.Pipe}
	if rpc.Pipe != "" {
		k.endpoint = `\pipe\` + rpc.Pipe
	}
	c := b.rpcs[k]
	if c == nil {
		c = &rpcConv{}
		b.rpcs[k] = c
		b.rpcOrder = append(b.rpcOrder, k)
	}
	return c
}

// AlpcStuckCall is a request that never gets its reply: the client sends
// and waits at t; if received, the server thread takes the message and
// never replies (docs/rules.md A6 case a), otherwise nobody receives it (case b).
// It returns the message id.
func (b *Builder) AlpcStuckCall(t int64, client *Thread, port *Port, server *Thread, rpc *RPCCall, received bool) uint32 {
	m := b.AllocMessageID(t)
	if rpc != nil {
		b.RPCStart(t, client, false, port.Name, rpc, b.activity())
		t += b.US(4)
	}
	send := t
	b.AlpcSend(send, client, m)
	b.AlpcWaitForReply(send+b.US(2), client, m)
	if received {
		t = send + b.US(15)
		b.AlpcUnwait(t, server, 0)
		b.AlpcReceive(t+b.US(2), server, m)
		if rpc != nil {
			b.RPCStart(t+b.US(5), server, true, port.Name, rpc, b.activity())
		}
	}
	if !b.suppress {
		c := b.alpcConv(client.Proc.PID, port.Server.PID, port.Name)
		c.pending++
		c.pendingAt = append(c.pendingAt, send)
		detail := "never received: no server thread took the message (docs/rules.md A6)"
		if received {
			detail = "received by the server, no reply (docs/rules.md A6)"
		}
		op := stuckOp{kind: "alpc-reply", msgID: m, detail: detail, th: client, object: port.Name, since: send,
			peer: port.Server, peerThread: server, rule: "W3"}
		if received {
			op.receiver = server
		}
		b.stuck = append(b.stuck, op)
	}
	return m
}

// RPCOverPipe is one ncacn_np call on connected pipe ends: the client's
// RPC start, a TRANSCEIVE of req bytes that the server's pending read
// takes, the server's RPC call, its reply of reply bytes, and the client's
// RPC stop (docs/rules.md R3). It returns the time the client call ended.
func (b *Builder) RPCOverPipe(t int64, cli, srv *PipeEnd, rpc *RPCCall, req, reply int64) int64 {
	call := *rpc
	call.Pipe = cli.Name
	cact, sact := b.activity(), b.activity()
	b.Read(t, srv.Thread, srv, 4096)
	cstart := t + b.US(10)
	b.RPCStart(cstart, cli.Thread, false, "", &call, cact)
	b.Transceive(t+b.US(15), cli.Thread, cli, req, 4096)
	sstart := t + b.US(40)
	b.RPCStart(sstart, srv.Thread, true, "", &call, sact)
	sstop := sstart + b.US(30)
	b.RPCStop(sstop, srv.Thread, true, 0, sact)
	wend := b.Write(sstop+b.US(5), srv.Thread, srv, reply)
	cstop := wend + b.US(20)
	b.RPCStop(cstop, cli.Thread, false, call.Status, cact)
	if !b.suppress {
		r := b.rpcConv(&call, "", cli.Thread.Proc.PID, srv.Thread.Proc.PID)
		r.calls++
		if call.Status != 0 {
			r.failed++
		}
		r.lat.Record(cstop - cstart)
		r.server.Record(sstop - sstart)
	}
	return cstop
}
