package ntdefs

import (
	"strings"
	"testing"
)

// Every named code with the CTL_CODE operands it is built from.
var fsctlOperands = []struct {
	code           uint32
	dev, fn        uint16
	method, access uint8
}{
	{0x00110000, 0x11, 0, 0, 0},
	{FsctlPipeDisconnect, 0x11, 1, 0, 0},
	{FsctlPipeListen, 0x11, 2, 0, 0},
	{FsctlPipePeek, 0x11, 3, 0, 1},
	{0x00110010, 0x11, 4, 0, 0},
	{FsctlPipeTransceive, 0x11, 5, 3, 3},
	{FsctlPipeWait, 0x11, 6, 0, 0},
	{FsctlPipeImpersonate, 0x11, 7, 0, 0},
	{0x00110020, 0x11, 8, 0, 0},
	{0x00110024, 0x11, 9, 0, 0},
	{0x00110028, 0x11, 10, 0, 0},
	{0x0011002C, 0x11, 11, 0, 0},
	{0x00110030, 0x11, 12, 0, 0},
	{0x00110034, 0x11, 13, 0, 0},
	{0x00110038, 0x11, 14, 0, 0},
	{0x0011003C, 0x11, 15, 0, 0},
	{FsctlPipeFlush, 0x11, 16, 0, 2},
	{0x00110044, 0x11, 17, 0, 0},
	{0x00118048, 0x11, 18, 0, 2},
	{0x0011004C, 0x11, 19, 0, 0},
	{0x00110050, 0x11, 20, 0, 0},
	{0x00110054, 0x11, 21, 0, 0},
	{0x00115FF4, 0x11, 2045, 0, 1},
	{0x00119FF8, 0x11, 2046, 0, 2},
	{0x0011DFFF, 0x11, 2047, 3, 3},
	{0x00116000, 0x11, 2048, 0, 1},
	{0x00090018, 9, 6, 0, 0},
	{0x0009001C, 9, 7, 0, 0},
	{0x00090020, 9, 8, 0, 0},
	{0x00090028, 9, 10, 0, 0},
	{0x00090060, 9, 24, 0, 0},
	{0x00090073, 9, 28, 3, 0},
	{0x0009009C, 9, 39, 0, 0},
	{0x000900A4, 9, 41, 0, 0},
	{0x000900A8, 9, 42, 0, 0},
	{0x000900BB, 9, 46, 3, 0},
	{0x000900C4, 9, 49, 0, 0},
	{0x000940CF, 9, 51, 3, 1},
	{0x000900EB, 9, 58, 3, 0},
	{0x000900F4, 9, 61, 0, 0},
	{0x00090240, 9, 144, 0, 0},
}

func TestFSCTLs(t *testing.T) {
	if len(fsctlOperands) != len(FSCTLs) {
		t.Fatalf("%d operand rows for %d named codes", len(fsctlOperands), len(FSCTLs))
	}
	names := map[string]bool{}
	for i, f := range FSCTLs {
		op := fsctlOperands[i]
		if op.code != f.Code {
			t.Fatalf("row %d: %s is %#x, operand row %#x", i, f.Name, f.Code, op.code)
		}
		if c := CtlCode(op.dev, op.fn, op.method, op.access); c != f.Code {
			t.Errorf("%s: CTL_CODE(%#x, %d, %d, %d) = %#x, table %#x", f.Name, op.dev, op.fn, op.method, op.access, c, f.Code)
		}
		dev, fn, method, access := SplitCtlCode(f.Code)
		if dev != op.dev || fn != op.fn || method != op.method || access != op.access {
			t.Errorf("%s: SplitCtlCode = %#x %d %d %d", f.Name, dev, fn, method, access)
		}
		if FSCTLNameOf(f.Code) != f.Name || names[f.Name] || !strings.HasPrefix(f.Name, "FSCTL_") {
			t.Errorf("%s: bad, repeated or unreachable name", f.Name)
		}
		names[f.Name] = true
		if pipe := strings.HasPrefix(f.Name, "FSCTL_PIPE_"); IsPipeFSCTL(f.Code) != pipe {
			t.Errorf("%s: IsPipeFSCTL = %v", f.Name, !pipe)
		}
	}
	for code, name := range map[uint32]string{
		FsctlPipeDisconnect: "FSCTL_PIPE_DISCONNECT", FsctlPipeListen: "FSCTL_PIPE_LISTEN",
		FsctlPipePeek: "FSCTL_PIPE_PEEK", FsctlPipeTransceive: "FSCTL_PIPE_TRANSCEIVE",
		FsctlPipeWait: "FSCTL_PIPE_WAIT", FsctlPipeImpersonate: "FSCTL_PIPE_IMPERSONATE",
		FsctlPipeFlush: "FSCTL_PIPE_FLUSH",
	} {
		if got := FSCTLNameOf(code); got != name {
			t.Errorf("constant %#x names %q, want %q", code, got, name)
		}
	}
	if FSCTLNameOf(0x00114321) != "" || FSCTLNameOf(0) != "" {
		t.Error("unknown codes got names")
	}
}
