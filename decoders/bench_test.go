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
