package decoders

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestPointerFieldsMarshalAsHex(t *testing.T) {
	e, ok := Lookup(KernelKey(FileIoGUID, uint8(OpRead), 3))
	if !ok {
		t.Fatal("no FileIo Read v3 entry")
	}
	for _, want := range []string{"irp", "file_object", "file_key"} {
		if !slices.Contains(e.PointerFields, want) {
			t.Errorf("PointerFields %v lacks %q", e.PointerFields, want)
		}
	}
	ev := &FileReadWrite{Op: OpRead, IrpPtr: 0xFFFFE000077E1998, FileObject: 0xFFFFE00004FB1F20,
		FileKey: 0xFFFFC000186EDC30, TTID: 6592, IoSize: 8191}
	b, err := e.MarshalFields(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if m["file_key"] != "0xffffc000186edc30" || m["irp"] != "0xffffe000077e1998" {
		t.Errorf("pointers not hex: %s", b)
	}
	if m["io_size"] != float64(8191) || m["ttid"] != float64(6592) {
		t.Errorf("plain numbers changed: %s", b)
	}
	// Key order follows the struct, as encoding/json writes it.
	plain, _ := json.Marshal(ev)
	var a, c []string
	for _, f := range mustSplit(t, plain) {
		a = append(a, string(f.key))
	}
	for _, f := range mustSplit(t, b) {
		c = append(c, string(f.key))
	}
	if !slices.Equal(a, c) {
		t.Errorf("key order %v, want %v", c, a)
	}
}

func TestOpEndByteCountStaysDecimal(t *testing.T) {
	e, ok := Lookup(KernelKey(FileIoGUID, uint8(OpOperationEnd), 3))
	if !ok {
		t.Fatal("no OperationEnd entry")
	}
	b, err := e.MarshalFields(&FileOpEnd{IrpPtr: 0xFFFF8A0A1234A000, ExtraInfo: 100})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["extra_info"] != float64(100) || m["irp"] != "0xffff8a0a1234a000" {
		t.Errorf("got %s", b)
	}
}

func mustSplit(t *testing.T, b []byte) []jsonMember {
	t.Helper()
	f, err := splitObject(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
