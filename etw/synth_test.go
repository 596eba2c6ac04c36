package etw

import (
	"encoding/binary"
	"unicode/utf16"
)

// Small in-memory .etl files for tests and fuzz seeds, built byte by byte
// from docs/format.md (independent of the package's writer).

const testBufSize = 1024

// testHeader describes the logfile header written by buildHeaderEvent.
type testHeader struct {
	is64      bool
	clock     ClockType
	perfFreq  int64
	cpuMHz    uint32
	startTime int64
	refRaw    int64
	mode      uint32
}

func defaultTestHeader() testHeader {
	return testHeader{is64: true, clock: ClockQPC, perfFreq: 10_000_000, cpuMHz: 3000,
		startTime: 132000000000000000, refRaw: 1_000_000}
}

func putGUID(b []byte, g GUID) { g.AppendBinary(b[:0]) }

// buildHeaderEvent returns the SYSTEM header event carrying TRACE_LOGFILE_HEADER (docs/format.md#logfile-header).
func buildHeaderEvent(h testHeader) []byte {
	le := binary.LittleEndian
	size, ptr := logfileHeaderSize32, 4
	kind := KindSystem32
	if h.is64 {
		size, ptr, kind = logfileHeaderSize64, 8, KindSystem64
	}
	p := make([]byte, size)
	le.PutUint32(p[0x00:], testBufSize)
	p[4], p[5] = 10, 0
	le.PutUint32(p[0x08:], 19041)
	le.PutUint32(p[0x0C:], 2)
	le.PutUint32(p[0x20:], h.mode)
	le.PutUint32(p[0x2C:], uint32(ptr))
	le.PutUint32(p[0x34:], h.cpuMHz)
	b := 0x38 + 2*ptr + 0xB0
	le.PutUint64(p[b+8:], uint64(h.perfFreq))
	le.PutUint64(p[b+16:], uint64(h.startTime))
	le.PutUint32(p[b+24:], uint32(h.clock))
	for _, s := range []string{"TestLogger", "C:\\test.etl"} {
		for _, u := range utf16.Encode([]rune(s)) {
			p = le.AppendUint16(p, u)
		}
		p = append(p, 0, 0)
	}
	return sysRecord(kind, 2, 0, 0, h.refRaw, p)
}

// sysRecord builds a SYSTEM32/64 record (docs/format.md#system-header).
func sysRecord(kind HeaderKind, version uint16, group, opcode uint8, raw int64, payload []byte) []byte {
	le := binary.LittleEndian
	r := make([]byte, systemHeaderSize, systemHeaderSize+len(payload))
	le.PutUint16(r[0:], version)
	r[2], r[3] = byte(kind), 0xC0
	le.PutUint16(r[4:], uint16(systemHeaderSize+len(payload)))
	r[6], r[7] = opcode, group
	le.PutUint32(r[8:], 100)
	le.PutUint32(r[12:], 200)
	le.PutUint64(r[16:], uint64(raw))
	return append(r, payload...)
}

// eventRecord builds an EVENT_HEADER64 record (docs/format.md#event-header) with optional raw ext items.
func eventRecord(provider GUID, id uint16, version, opcode uint8, raw int64, ext, payload []byte) []byte {
	le := binary.LittleEndian
	r := make([]byte, eventHeaderSize)
	r[2], r[3] = byte(KindEvent64), 0xC0
	if ext != nil {
		le.PutUint16(r[4:], eventFlagExtended)
	}
	le.PutUint32(r[8:], 300)
	le.PutUint32(r[12:], 400)
	le.PutUint64(r[16:], uint64(raw))
	putGUID(r[0x18:], provider)
	le.PutUint16(r[0x28:], id)
	r[0x2A], r[0x2D] = version, opcode
	r = append(r, ext...)
	r = append(r, payload...)
	le.PutUint16(r[0:], uint16(len(r)))
	return r
}

// extItem builds one on-disk extended data item (docs/format.md#event-header).
func extItem(typ uint16, linked bool, data []byte) []byte {
	le := binary.LittleEndian
	size := (extItemHeaderSize + len(data) + 7) &^ 7
	b := make([]byte, size)
	le.PutUint16(b[0:], uint16(size))
	le.PutUint16(b[2:], typ)
	if linked {
		le.PutUint16(b[4:], 1)
	}
	le.PutUint16(b[6:], uint16(len(data)))
	copy(b[8:], data)
	return b
}

// buildBuffer packs records into one uncompressed buffer of testBufSize bytes.
func buildBuffer(seq uint64, proc uint16, typ uint16, records ...[]byte) []byte {
	le := binary.LittleEndian
	b := make([]byte, BufferHeaderSize, testBufSize)
	for _, r := range records {
		b = append(b, r...)
		for len(b)%recordAlign != 0 {
			b = append(b, 0)
		}
	}
	if len(b) > testBufSize {
		panic("records do not fit in a test buffer")
	}
	le.PutUint32(b[0x00:], testBufSize)
	le.PutUint32(b[0x04:], uint32(len(b)))
	le.PutUint64(b[0x18:], seq)
	le.PutUint16(b[0x28:], proc)
	le.PutUint32(b[0x2C:], 3)
	le.PutUint32(b[0x30:], uint32(len(b)))
	le.PutUint16(b[0x34:], BufferFlagFlushMarker|BufferFlagProcIndex)
	le.PutUint16(b[0x36:], typ)
	for len(b) < testBufSize {
		b = append(b, 0xFF)
	}
	return b
}

// buildFile returns a file of buffer 0 (header event) and one buffer per
// element of bufs, each holding the given records.
func buildFile(h testHeader, bufs ...[][]byte) []byte {
	out := buildBuffer(0, 0, BufferTypeHeader, buildHeaderEvent(h))
	for i, recs := range bufs {
		out = append(out, buildBuffer(uint64(i+1), uint16(i%2), BufferTypeGeneric, recs...)...)
	}
	return out
}
