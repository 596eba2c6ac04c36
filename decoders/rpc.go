package decoders

// Microsoft-Windows-RPC (docs/events.md#rpc). Every event is version 1.

var (
	rpcCallStart = fields(
		guid("InterfaceUuid", func(e *RPCCallStart) any { return &e.InterfaceUUID }),
		u32("ProcNum", func(e *RPCCallStart) any { return &e.ProcNum }),
		u32("Protocol", func(e *RPCCallStart) any { return &e.Protocol }),
		wstr("NetworkAddress", func(e *RPCCallStart) any { return &e.NetworkAddress }),
		wstr("Endpoint", func(e *RPCCallStart) any { return &e.Endpoint }),
		wstr("Options", func(e *RPCCallStart) any { return &e.Options }),
		u32("AuthenticationLevel", func(e *RPCCallStart) any { return &e.AuthenticationLevel }),
		u32("AuthenticationService", func(e *RPCCallStart) any { return &e.AuthenticationService }),
		u32("ImpersonationLevel", func(e *RPCCallStart) any { return &e.ImpersonationLevel }),
	)
	rpcCallStop = fields(
		u32("Status", func(e *RPCCallStop) any { return &e.Status }),
	)
	rpcClientError = fields(
		wstr("ImageName", func(e *RPCClientCallError) any { return &e.ImageName }),
		wstr("ComputerName", func(e *RPCClientCallError) any { return &e.ComputerName }),
		u32("ProcessID", func(e *RPCClientCallError) any { return &e.ProcessID }),
		systime("TimeStamp", func(e *RPCClientCallError) any { return &e.TimeStamp }),
		u32("GeneratingComponent", func(e *RPCClientCallError) any { return &e.GeneratingComponent }),
		u32("Status", func(e *RPCClientCallError) any { return &e.Status }),
		u16("DetectionLocation", func(e *RPCClientCallError) any { return &e.DetectionLocation }),
		u16("Flags", func(e *RPCClientCallError) any { return &e.Flags }),
		u16("NumberOfParameters", func(e *RPCClientCallError) any { return &e.NumberOfParameters }),
		u64("Params", func(e *RPCClientCallError) any { return &e.Params }),
	)
	rpcServerFiltered = fields(
		wstr("ImangeName", func(e *RPCServerCallFiltered) any { return &e.ImageName }),
		guid("InterfaceUuid", func(e *RPCServerCallFiltered) any { return &e.InterfaceUUID }),
		guid("FilterKey", func(e *RPCServerCallFiltered) any { return &e.FilterKey }),
	)
	rpcError = fields(
		wstr("ImageName", func(e *RPCError) any { return &e.ImageName }),
		u16("DetectionLocation", func(e *RPCError) any { return &e.DetectionLocation }),
		u32("Status", func(e *RPCError) any { return &e.Status }),
		u32("AdditionalData1", func(e *RPCError) any { return &e.AdditionalData1 }),
		u32("AdditionalData2", func(e *RPCError) any { return &e.AdditionalData2 }),
	)
	rpcStatus = fields(
		u32("Status", func(e *RPCStatus) any { return &e.Status }),
	)
	rpcInterfaceRegister = fields(
		guid("InterfaceUuid", func(e *RPCInterface) any { return &e.InterfaceUUID }),
		guid("TypeMgrUuid", func(e *RPCInterface) any { return &e.TypeMgrUUID }),
		u32("Flags", func(e *RPCInterface) any { return &e.Flags }),
		u32("MaxCalls", func(e *RPCInterface) any { return &e.MaxCalls }),
		u32("SDSize", func(e *RPCInterface) any { return &e.SDSize }),
		sized("SD", func(e *RPCInterface) any { return &e.SD }),
	)
	rpcInterfaceUnregister = fields(
		guid("InterfaceUuid", func(e *RPCInterface) any { return &e.InterfaceUUID }),
		guid("TypeMgrUuid", func(e *RPCInterface) any { return &e.TypeMgrUUID }),
		u32("Flags", func(e *RPCInterface) any { return &e.Flags }),
		u32("MaxCalls", func(e *RPCInterface) any { return &e.MaxCalls }),
	)
	rpcEndpoint = fields(
		wstr("Protocol", func(e *RPCEndpoint) any { return &e.Protocol }),
		wstr("Endpoint", func(e *RPCEndpoint) any { return &e.Endpoint }),
		wstr("NetworkAddress", func(e *RPCEndpoint) any { return &e.NetworkAddress }),
		u32("PendingQueueSize", func(e *RPCEndpoint) any { return &e.PendingQueueSize }),
		u32("EndpointFlags", func(e *RPCEndpoint) any { return &e.EndpointFlags }),
		u32("NicFlags", func(e *RPCEndpoint) any { return &e.NicFlags }),
	)
)

// RPC value maps (docs/events.md#rpc).
var (
	rpcProtocols = map[uint32]string{1: "TCP", 2: "NamedPipes", 3: "LRPC", 4: "HTTP"}
	rpcAuthnSvcs = map[uint32]string{0: "None", 9: "Negotiate", 0xA: "NTLM", 0xE: "SChannel", 0x10: "Kerberos", 0x14: "Kernel"}
	rpcImpLevels = map[uint32]string{0: "Default", 1: "Anonymous", 2: "Identify", 3: "Impersonate", 4: "Delegate"}
	rpcAuthnLvls = map[uint32]string{0: "Default", 1: "None", 2: "Connect", 3: "Call", 4: "Pkt", 5: "PktIntegrity", 6: "PktPrivacy"}
	rpcProtseqs  = map[uint32]string{1: "ncacn_ip_tcp", 2: "ncacn_np", 3: "ncalrpc", 4: "ncacn_http"}
)

// RPCProtocolName names an RPC Protocol value ("LRPC", "NamedPipes", …).
func RPCProtocolName(v uint32) string { return rpcProtocols[v] }

// RPCProtseq gives the protocol sequence of an RPC Protocol value ("ncalrpc", …).
func RPCProtseq(v uint32) string { return rpcProtseqs[v] }

// RPCAuthnServiceName names an AuthenticationService value.
func RPCAuthnServiceName(v uint32) string { return rpcAuthnSvcs[v] }

// RPCImpersonationName names an ImpersonationLevel value.
func RPCImpersonationName(v uint32) string { return rpcImpLevels[v] }

// RPCAuthnLevelName names an AuthenticationLevel value (RPC_C_AUTHN_LEVEL_*).
func RPCAuthnLevelName(v uint32) string { return rpcAuthnLvls[v] }

func init() {
	k := func(id uint16) Key { return ManifestKey(RPCGUID, id, 1) }
	def[RPCCallStart, *RPCCallStart]{name: "RPC/RpcClientCallStart", l: rpcCallStart,
		slot: func(p *Parser) *RPCCallStart { return &p.rpcStart }}.add(k(5))
	def[RPCCallStart, *RPCCallStart]{name: "RPC/RpcServerCallStart", l: rpcCallStart,
		slot: func(p *Parser) *RPCCallStart { return &p.rpcStart },
		init: func(e *RPCCallStart) { e.Server = true }}.add(k(6))
	def[RPCCallStop, *RPCCallStop]{name: "RPC/RpcClientCallStop", l: rpcCallStop,
		slot: func(p *Parser) *RPCCallStop { return &p.rpcStop }}.add(k(7))
	def[RPCCallStop, *RPCCallStop]{name: "RPC/RpcServerCallStop", l: rpcCallStop,
		slot: func(p *Parser) *RPCCallStop { return &p.rpcStop },
		init: func(e *RPCCallStop) { e.Server = true }}.add(k(8))
	def[RPCClientCallError, *RPCClientCallError]{name: "RPC/RpcClientCallError", l: rpcClientError,
		slot: func(p *Parser) *RPCClientCallError { return &p.rpcClientErr }}.add(k(1))
	def[RPCServerCallFiltered, *RPCServerCallFiltered]{name: "RPC/RpcServerCallFiltered", l: rpcServerFiltered,
		slot: func(p *Parser) *RPCServerCallFiltered { return &p.rpcFiltered }}.add(k(2))
	def[RPCError, *RPCError]{name: "RPC/Error", l: rpcError,
		slot: func(p *Parser) *RPCError { return &p.rpcErr }}.add(k(3))
	for _, id := range []uint16{9, 17} {
		def[RPCStatus, *RPCStatus]{name: "RPC/Status", l: rpcStatus,
			slot: func(p *Parser) *RPCStatus { return &p.rpcStatus },
			init: func(e *RPCStatus) { e.ID = id }}.add(k(id))
	}
	def[RPCInterface, *RPCInterface]{name: "RPC/InterfaceRegister", l: rpcInterfaceRegister,
		slot: func(p *Parser) *RPCInterface { return &p.rpcIf }}.add(k(14))
	def[RPCInterface, *RPCInterface]{name: "RPC/InterfaceUnregister", l: rpcInterfaceUnregister,
		slot: func(p *Parser) *RPCInterface { return &p.rpcIf },
		init: func(e *RPCInterface) { e.Unregister = true }}.add(k(15))
	def[RPCEndpoint, *RPCEndpoint]{name: "RPC/EndpointRegister", l: rpcEndpoint,
		slot: func(p *Parser) *RPCEndpoint { return &p.rpcEp }}.add(k(16))
}
