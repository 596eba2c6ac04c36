package decoders

import (
	"net/netip"

	"github.com/ipctrace/ipctrace/etw"
)

// TcpIp and UdpIp classic kernel events (MOF TcpIp_V2 / UdpIp_V2 classes;
// network, not IPC: decoded so that traces holding them are fully typed).

// Network class GUIDs (docs/events.md#kernel-classes lists the kernel classes; these two
// are enabled by EVENT_TRACE_FLAG_NETWORK_TCPIP 0x00010000).
var (
	TcpIpGUID = etw.MustParseGUID("9a280ac0-c8e0-11d1-84e2-00c04fb998a2")
	UdpIpGUID = etw.MustParseGUID("bf3a50c5-a9c9-4988-a005-2df0b7c80f80")
)

// IPv6Addr is a 16-byte IPv6 address as it sits in the payload; it marshals
// to its text form.
type IPv6Addr [16]byte

// Addr returns a as a netip.Addr.
func (a IPv6Addr) Addr() netip.Addr { return netip.AddrFrom16(a) }

// MarshalText formats the address ("2001:db8::1").
func (a IPv6Addr) MarshalText() ([]byte, error) { return a.Addr().MarshalText() }

// UnmarshalText parses an IPv6 (or IPv4-mapped) address.
func (a *IPv6Addr) UnmarshalText(b []byte) error {
	ad, err := netip.ParseAddr(string(b))
	if err != nil {
		return err
	}
	*a = ad.As16()
	return nil
}

// NetConn holds the fields the IPv4 and IPv6 TcpIp/UdpIp events share.
// Ports are stored as the payload holds them (network byte order read as
// a little-endian integer); DstPort and SrcPort convert them. Fields an
// opcode's layout lacks are zero: StartTime/EndTime are Send only;
// MSS…SndWinScale are Connect/Accept only.
type NetConn struct {
	Op          Op     `json:"op"`
	PID         uint32 `json:"pid"`
	Size        uint32 `json:"size"`
	DPort       uint16 `json:"dport"`
	SPort       uint16 `json:"sport"`
	StartTime   uint32 `json:"start_time"`
	EndTime     uint32 `json:"end_time"`
	MSS         uint16 `json:"mss"`
	SackOpt     uint16 `json:"sack_opt"`
	TsOpt       uint16 `json:"ts_opt"`
	WsOpt       uint16 `json:"ws_opt"`
	RcvWin      uint32 `json:"rcv_win"`
	RcvWinScale int16  `json:"rcv_win_scale"`
	SndWinScale int16  `json:"snd_win_scale"`
	SeqNum      uint32 `json:"seqnum"`
	ConnID      uint64 `json:"connid"`
}

// DstPort returns the destination port in host order.
func (e *NetConn) DstPort() uint16 { return swap16(e.DPort) }

// SrcPort returns the source port in host order.
func (e *NetConn) SrcPort() uint16 { return swap16(e.SPort) }

// NetIPv4 is a TcpIp or UdpIp IPv4 event: Send (10), Recv (11), Connect
// (12), Disconnect (13), Retransmit (14), Accept (15), Reconnect (16),
// TCPCopy (18); UdpIp has Send and Recv. Addresses are stored as the
// payload holds them; Dst and Src convert them.
type NetIPv4 struct {
	NetConn
	DAddr uint32 `json:"daddr"`
	SAddr uint32 `json:"saddr"`
}

// Dst returns the destination address.
func (e *NetIPv4) Dst() netip.Addr { return ipv4(e.DAddr) }

// Src returns the source address.
func (e *NetIPv4) Src() netip.Addr { return ipv4(e.SAddr) }

// NetIPv6 is the IPv6 twin of NetIPv4 (opcode + 16: 26…34).
type NetIPv6 struct {
	NetConn
	DAddr IPv6Addr `json:"daddr"`
	SAddr IPv6Addr `json:"saddr"`
}

// NetFail is TcpIp/UdpIp Fail (17): the protocol and failure code.
type NetFail struct {
	Proto       uint16 `json:"proto"`
	FailureCode uint16 `json:"failure_code"`
}

func (*NetIPv4) EventName() string { return "Net/IPv4" }
func (*NetIPv6) EventName() string { return "Net/IPv6" }
func (*NetFail) EventName() string { return "Net/Fail" }

func ipv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

func swap16(v uint16) uint16 { return v>>8 | v<<8 }

// netShape selects the optional groups of a TcpIp/UdpIp layout.
type netShape uint8

const (
	netGroup1  netShape = iota // PID … sport, seqnum, connid
	netSend                    // + startime, endtime before seqnum
	netConnect                 // + mss … sndwinscale before seqnum
)

// netLayout builds one TcpIp/UdpIp layout (MOF TcpIp_TypeGroup1…4,
// TcpIp_SendIPV4/6). T is NetIPv4 or NetIPv6; addr builds the two address
// fields, c locates the shared fields and da/sa the addresses.
func netLayout[T any](shape netShape, addr func(name string, ref func(*T) any) field[T],
	c func(*T) *NetConn, da, sa func(*T) any) *layout[T] {
	fs := []field[T]{
		u32("PID", func(e *T) any { return &c(e).PID }),
		u32("size", func(e *T) any { return &c(e).Size }),
		addr("daddr", da),
		addr("saddr", sa),
		u16("dport", func(e *T) any { return &c(e).DPort }),
		u16("sport", func(e *T) any { return &c(e).SPort }),
	}
	switch shape {
	case netSend:
		fs = append(fs,
			u32("startime", func(e *T) any { return &c(e).StartTime }),
			u32("endtime", func(e *T) any { return &c(e).EndTime }))
	case netConnect:
		fs = append(fs,
			u16("mss", func(e *T) any { return &c(e).MSS }),
			u16("sackopt", func(e *T) any { return &c(e).SackOpt }),
			u16("tsopt", func(e *T) any { return &c(e).TsOpt }),
			u16("wsopt", func(e *T) any { return &c(e).WsOpt }),
			u32("rcvwin", func(e *T) any { return &c(e).RcvWin }),
			u16("rcvwinscale", func(e *T) any { return &c(e).RcvWinScale }),
			u16("sndwinscale", func(e *T) any { return &c(e).SndWinScale }))
	}
	fs = append(fs,
		u32("seqnum", func(e *T) any { return &c(e).SeqNum }),
		pointer("connid", func(e *T) any { return &c(e).ConnID }))
	return fields(fs...)
}

func ip6[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kIPv6, ref: ref}
}

var netOpNames = map[Op]string{10: "SendIPV4", 11: "RecvIPV4", 12: "ConnectIPV4", 13: "DisconnectIPV4",
	14: "RetransmitIPV4", 15: "AcceptIPV4", 16: "ReconnectIPV4", 17: "Fail", 18: "TCPCopyIPV4",
	26: "SendIPV6", 27: "RecvIPV6", 28: "ConnectIPV6", 29: "DisconnectIPV6", 30: "RetransmitIPV6",
	31: "AcceptIPV6", 32: "ReconnectIPV6", 34: "TCPCopyIPV6"}

func init() {
	kernelClasses[TcpIpGUID] = true
	kernelClasses[UdpIpGUID] = true
	shapes := map[Op]netShape{10: netSend, 12: netConnect, 15: netConnect}
	v4 := map[netShape]*layout[NetIPv4]{}
	v6 := map[netShape]*layout[NetIPv6]{}
	for _, s := range []netShape{netGroup1, netSend, netConnect} {
		v4[s] = netLayout(s, u32[NetIPv4], func(e *NetIPv4) *NetConn { return &e.NetConn },
			func(e *NetIPv4) any { return &e.DAddr }, func(e *NetIPv4) any { return &e.SAddr })
		v6[s] = netLayout(s, ip6[NetIPv6], func(e *NetIPv6) *NetConn { return &e.NetConn },
			func(e *NetIPv6) any { return &e.DAddr }, func(e *NetIPv6) any { return &e.SAddr })
	}
	fail := fields(
		u16("Proto", func(e *NetFail) any { return &e.Proto }),
		u16("FailureCode", func(e *NetFail) any { return &e.FailureCode }))
	// UdpIp Send/Recv are all UdpIp_TypeGroup1 (no start/end times).
	classes := []struct {
		guid   etw.GUID
		name   string
		ops    []Op
		shapes map[Op]netShape
	}{
		{TcpIpGUID, "TcpIp", []Op{10, 11, 12, 13, 14, 15, 16, 18}, shapes},
		{UdpIpGUID, "UdpIp", []Op{10, 11}, nil},
	}
	for _, c := range classes {
		for _, op := range c.ops {
			def[NetIPv4, *NetIPv4]{name: c.name + "/" + netOpNames[op], l: v4[c.shapes[op]],
				slot: func(p *Parser) *NetIPv4 { return &p.ext.netIPv4 },
				init: setOp(op, func(e *NetIPv4) *Op { return &e.Op })}.add(KernelKey(c.guid, uint8(op), 2))
			op6 := op + 16
			def[NetIPv6, *NetIPv6]{name: c.name + "/" + netOpNames[op6], l: v6[c.shapes[op]],
				slot: func(p *Parser) *NetIPv6 { return &p.ext.netIPv6 },
				init: setOp(op6, func(e *NetIPv6) *Op { return &e.Op })}.add(KernelKey(c.guid, uint8(op6), 2))
		}
		def[NetFail, *NetFail]{name: c.name + "/Fail", l: fail,
			slot: func(p *Parser) *NetFail { return &p.ext.netFail }}.add(KernelKey(c.guid, 17, 2))
	}
}
