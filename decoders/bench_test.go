package decoders

import (
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

func benchRecord(b *testing.B, key Key, hexPayload string) {
	payload := unhex(b, hexPayload)
	rec := &etw.Record{Kind: etw.KindSystem64, Provider: key.Provider, Opcode: uint8(key.ID), Version: key.Version, Payload: payload}
	p := NewParser()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	c := startCPU(b)
	for i := 0; i < b.N; i++ {
		d, ok, err := p.Decode(rec)
		if !ok || err != nil || d.Event == nil {
			b.Fatal(ok, err)
		}
	}
	c.report(b)
}

// D4: FileIo Write V3 (fixed layout).
func BenchmarkDecodeFileIoReadWrite(b *testing.B) {
	benchRecord(b, KernelKey(FileIoGUID, 68, 3), specVectors[14].hex)
}

// D1: FileIo Create V3 with a pipe path (interned after the first decode).
func BenchmarkDecodeFileIoCreate(b *testing.B) {
	benchRecord(b, KernelKey(FileIoGUID, 64, 3), specVectors[11].hex)
}

// ALPC Send (fixed layout).
func BenchmarkDecodeAlpcSend(b *testing.B) {
	benchRecord(b, KernelKey(ALPCGUID, 33, 2), "2a 00 00 00")
}

// Encode of a fixed layout into a reused buffer.
func BenchmarkEncodeFileIoReadWrite(b *testing.B) {
	e, _ := Lookup(KernelKey(FileIoGUID, 68, 3))
	ev := specVectors[14].want
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	c := startCPU(b)
	defer c.report(b)
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = e.Encode(buf[:0], ev, 8); err != nil {
			b.Fatal(err)
		}
	}
}

// TcpIp SendIPV4 v2, x64 (fixed layout, 40 bytes): pid 4, size 1460,
// 10.0.0.1 -> 10.0.0.2, ports 443/50000, times, seqnum, connid.
func BenchmarkDecodeTcpIpSend(b *testing.B) {
	benchRecord(b, KernelKey(TcpIpGUID, 10, 2), "04000000 b4050000 0a000002 0a000001 01bb c350"+
		"10270000 20270000 01000000 00a0b3c4d5e6ffff")
}

// Thread CSwitch v2 (fixed layout, 24 bytes).
func BenchmarkDecodeCSwitch(b *testing.B) {
	benchRecord(b, KernelKey(ThreadGUID, 36, 2), "e8030000 d0070000 08 09 01 00 05 01 05 02 10000000 00000000")
}

// StackWalk Stack v2, x64, 32 frames (into the event's own frame storage).
func BenchmarkDecodeStackWalk(b *testing.B) {
	h := "0102030405060708 e8030000 d0070000"
	for i := 0; i < 32; i++ {
		h += " 00106000f8ffffff"
	}
	benchRecord(b, KernelKey(StackWalkGUID, 32, 2), h)
}

// RPC client CallStart (GUID, three strings interned after the first decode).
func BenchmarkDecodeRPCCallStart(b *testing.B) {
	key := ManifestKey(RPCGUID, 5, 1)
	payload, err := Encode(key, &RPCCallStart{InterfaceUUID: etw.MustParseGUID("12345778-1234-abcd-ef00-0123456789ab"),
		ProcNum: 7, Protocol: 3, Endpoint: "LRPC-0a1b2c3d4e5f60718293", Options: "", AuthenticationLevel: 6,
		AuthenticationService: 0x14, ImpersonationLevel: 3}, 8)
	if err != nil {
		b.Fatal(err)
	}
	rec := &etw.Record{Kind: etw.KindEvent64, Provider: key.Provider, ID: key.ID, Version: key.Version, Payload: payload}
	p := NewParser()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	c := startCPU(b)
	for i := 0; i < b.N; i++ {
		d, ok, err := p.Decode(rec)
		if !ok || err != nil || d.Event.(*RPCCallStart).Endpoint == "" {
			b.Fatal(ok, err)
		}
	}
	c.report(b)
}
