package winobj

import (
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"
)

// dirEntryBytes builds one FILE_DIRECTORY_INFORMATION entry (next = 0 for the last).
func dirEntryBytes(name string, cur, max int64, last bool) []byte {
	n := utf16Bytes(name)
	n = n[:len(n)-2] // FileName is not NUL-terminated
	size := align8(64 + len(n))
	b := make([]byte, size)
	le := binary.LittleEndian
	if !last {
		le.PutUint32(b[0:], uint32(size))
	}
	le.PutUint64(b[40:], uint64(cur))
	le.PutUint64(b[48:], uint64(max))
	le.PutUint32(b[56:], 0x80)
	le.PutUint32(b[60:], uint32(len(n)))
	copy(b[64:], n)
	return b
}

func TestParseFileDirectoryInformation(t *testing.T) {
	var b []byte
	b = append(b, dirEntryBytes("InitShutdown", 3, 0xFFFFFFFF, false)...)
	b = append(b, dirEntryBytes("lsass", 4, 0xFFFFFFFF, false)...)
	b = append(b, dirEntryBytes(`mojo.1234.5678.ü`, 1, 1, true)...)
	got, err := parseFileDirectoryInformation(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "InitShutdown" || got[1].Name != "lsass" || got[2].Name != "mojo.1234.5678.ü" {
		t.Fatalf("%+v", got)
	}
	cur, max := pipeInstances(got[0])
	if cur != 3 || max != 0xFFFFFFFF {
		t.Errorf("instances %d/%#x", cur, max)
	}
	if c, m := pipeInstances(got[2]); c != 1 || m != 1 {
		t.Errorf("instances %d/%d", c, m)
	}

	// A NextEntryOffset pointing past the buffer: the first entry survives.
	bad := append([]byte(nil), b[:len(dirEntryBytes("InitShutdown", 3, 0xFFFFFFFF, false))+10]...)
	got, err = parseFileDirectoryInformation(bad)
	if !errors.Is(err, ErrObjectInfo) || len(got) != 1 {
		t.Errorf("truncated chain: %d entries, %v", len(got), err)
	}
	loop := dirEntryBytes("x", 1, 1, true)
	binary.LittleEndian.PutUint32(loop[0:], 4) // smaller than the header: would loop
	if _, err := parseFileDirectoryInformation(loop); !errors.Is(err, ErrObjectInfo) {
		t.Errorf("bad next offset: %v", err)
	}
	long := dirEntryBytes("x", 1, 1, true)
	binary.LittleEndian.PutUint32(long[60:], 1000)
	if _, err := parseFileDirectoryInformation(long); !errors.Is(err, ErrObjectInfo) {
		t.Errorf("name length outside: %v", err)
	}
}

func TestParseHandleTable(t *testing.T) {
	b := make([]byte, 16+2*40)
	le := binary.LittleEndian
	le.PutUint64(b[0:], 2)
	e := b[16+40:]
	le.PutUint64(e[0:], 0xffff800012345678)
	le.PutUint64(e[8:], 1234)
	le.PutUint64(e[16:], 0x4c)
	le.PutUint32(e[24:], 0x0012019f)
	le.PutUint16(e[30:], 37)
	le.PutUint32(e[32:], 2)
	got, err := parseHandleTable(b)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d entries, %v", len(got), err)
	}
	h := got[1]
	if h.Object != 0xffff800012345678 || h.PID != 1234 || h.Handle != 0x4c || h.GrantedAccess != 0x0012019f ||
		h.ObjectTypeIndex != 37 || h.Attributes != 2 {
		t.Errorf("%+v", h)
	}
	le.PutUint64(b[0:], 1<<40) // hostile count: bounded by the bytes present
	got, err = parseHandleTable(b)
	if !errors.Is(err, ErrObjectInfo) || len(got) != 2 {
		t.Errorf("hostile count: %d entries, %v", len(got), err)
	}
	if _, err := parseHandleTable(b[:8]); !errors.Is(err, ErrObjectInfo) {
		t.Errorf("short: %v", err)
	}
}

func TestParseDirectoryObjects(t *testing.T) {
	const base = 0x10000
	b := make([]byte, 3*32+64)
	le := binary.LittleEndian
	put := func(entry, field int, s string, at int) {
		u := utf16Bytes(s)
		copy(b[at:], u)
		off := entry*32 + field*16
		le.PutUint16(b[off:], uint16(len(u)-2))
		le.PutUint16(b[off+2:], uint16(len(u)))
		le.PutUint64(b[off+8:], base+uint64(at))
	}
	put(0, 0, "ipct", 96)
	put(0, 1, "Section", 106)
	put(1, 0, "Ev", 122)
	put(1, 1, "Event", 128)
	got, err := parseDirectoryObjects(b, base)
	if err != nil || len(got) != 2 || got[0] != (dirObject{"ipct", "Section"}) || got[1] != (dirObject{"Ev", "Event"}) {
		t.Fatalf("%+v %v", got, err)
	}
	le.PutUint64(b[8:], 0x999999) // pointer outside the buffer
	if _, err := parseDirectoryObjects(b, base); !errors.Is(err, ErrObjectInfo) {
		t.Errorf("outside pointer: %v", err)
	}
}

func TestIsPipeName(t *testing.T) {
	if n, ok := IsPipeName(`\Device\NamedPipe\lsass`); !ok || n != "lsass" {
		t.Error(n, ok)
	}
	if n, ok := IsPipeName(`\device\namedpipe\X\y`); !ok || n != `X\y` {
		t.Error(n, ok)
	}
	for _, s := range []string{`\Device\NamedPipe\`, `\Device\HarddiskVolume1\x`, ""} {
		if _, ok := IsPipeName(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestSelfRelativeLength(t *testing.T) {
	// O:BAG:SYD:(A;;GA;;;WD): owner S-1-5-32-544 (16 bytes), group S-1-5-18 (12), DACL 8+20.
	sd := []byte{1, 0, 0x04, 0x80, 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
		1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0, // BA
		1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0, // SY
		2, 0, 28, 0, 1, 0, 0, 0, // ACL header, AclSize 28
		0, 0, 20, 0, 0, 0, 0, 0x10, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0} // ACE: GA to WD
	padded := append(append([]byte(nil), sd...), make([]byte, 100)...)
	if n, ok := selfRelativeLength(padded); !ok || n != len(sd) {
		t.Errorf("length %d, %v; want %d", n, ok, len(sd))
	}
	if _, ok := selfRelativeLength(sd[:60]); ok {
		t.Error("truncated DACL accepted")
	}
	abs := append([]byte(nil), sd...)
	abs[3] = 0 // not self-relative
	if _, ok := selfRelativeLength(abs); ok {
		t.Error("absolute SD accepted")
	}
}

func FuzzObjectParsers(f *testing.F) {
	f.Add(dirEntryBytes("x", 1, 2, true))
	f.Add(append(dirEntryBytes("a", 1, 2, false), dirEntryBytes("b", 1, 2, true)...))
	f.Add(make([]byte, 56))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseFileDirectoryInformation(b)
		parseHandleTable(b)
		parseDirectoryObjects(b, 0x1000)
		selfRelativeLength(b)
		unicodeStringAt(b, 0, 0x1000)
	})
}

// utf16Bytes is s in UTF-16LE with a terminating NUL, as Windows writes names.
func utf16Bytes(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

func align8(n int) int { return (n + 7) &^ 7 }
