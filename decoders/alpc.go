package decoders

// ALPC (docs/events.md#alpc). Payloads are the same on x86 and x64. Opcodes 38–41
// have no known layout: they are kept raw (AlpcRaw) so that their sizes can
// be observed.

var (
	alpcMessage = fields(
		u32("MessageID", func(e *AlpcMessage) any { return &e.MessageID }),
	)
	alpcWaitNew = fields(
		u32("IsServerPort", func(e *AlpcWaitNewMessage) any { return &e.IsServerPort }),
		astr("PortName", func(e *AlpcWaitNewMessage) any { return &e.PortName }),
	)
	alpcUnwait = fields(
		u32("Status", func(e *AlpcUnwait) any { return &e.Status }),
	)
	alpcRaw = fields(
		rest("Payload", func(e *AlpcRaw) any { return &e.Payload }),
	)
	lostEvent = fields[LostEvent]()
)

// alpcNames names the ALPC opcodes (docs/events.md#alpc).
var alpcNames = map[Op]string{
	OpAlpcSend:        "SendMessage",
	OpAlpcReceive:     "ReceiveMessage",
	OpAlpcWaitReply:   "WaitForReply",
	OpAlpcWaitNewMsg:  "WaitForNewMessage",
	OpAlpcUnwait:      "Unwait",
	OpAlpcConnectReq:  "ConnectRequest",
	OpAlpcConnectOK:   "ConnectSuccess",
	OpAlpcConnectFail: "ConnectFail",
	OpAlpcClosePort:   "ClosePort",
}

// AlpcOpName names an ALPC opcode ("SendMessage", …), or "".
func AlpcOpName(op Op) string { return alpcNames[op] }

// lostNames names the LostEvent opcodes (docs/events.md#lost-events).
var lostNames = map[Op]string{32: "RTLostEvent", 33: "RTLostBuffer", 34: "RTLostFile"}

func init() {
	// The kernel logs ALPC as version 2; 0–3 are accepted (the payloads
	// carry no version-dependent fields).
	for v := uint16(0); v <= 3; v++ {
		k := func(op Op) Key { return KernelKey(ALPCGUID, uint8(op), v) }
		for _, op := range []Op{OpAlpcSend, OpAlpcReceive, OpAlpcWaitReply} {
			def[AlpcMessage, *AlpcMessage]{name: "ALPC/" + alpcNames[op], l: alpcMessage,
				slot: func(p *Parser) *AlpcMessage { return &p.alpcMsg },
				init: setOp(op, func(e *AlpcMessage) *Op { return &e.Op })}.add(k(op))
		}
		def[AlpcWaitNewMessage, *AlpcWaitNewMessage]{name: "ALPC/WaitForNewMessage", l: alpcWaitNew,
			slot: func(p *Parser) *AlpcWaitNewMessage { return &p.alpcWaitNew }}.add(k(OpAlpcWaitNewMsg))
		def[AlpcUnwait, *AlpcUnwait]{name: "ALPC/Unwait", l: alpcUnwait,
			slot: func(p *Parser) *AlpcUnwait { return &p.alpcUnwait }}.add(k(OpAlpcUnwait))
		for _, op := range []Op{OpAlpcConnectReq, OpAlpcConnectOK, OpAlpcConnectFail, OpAlpcClosePort} {
			def[AlpcRaw, *AlpcRaw]{name: "ALPC/" + alpcNames[op], l: alpcRaw,
				slot: func(p *Parser) *AlpcRaw { return &p.alpcRaw },
				init: setOp(op, func(e *AlpcRaw) *Op { return &e.Op })}.add(k(op))
		}
		for op := Op(32); op <= 34; op++ {
			def[LostEvent, *LostEvent]{name: "LostEvent/" + lostNames[op], l: lostEvent,
				slot: func(p *Parser) *LostEvent { return &p.lost },
				init: setOp(op, func(e *LostEvent) *Op { return &e.Op })}.add(KernelKey(LostEventGUID, uint8(op), v))
		}
	}
}
