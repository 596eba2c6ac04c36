package decoders

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return b
}

func utf16z(s string) []byte { return append(appendUTF16(nil, s), 0, 0) }

// specVectors are the docs/events.md#vectors vectors with
// the values the spec asserts. encode marks those whose bytes the encoder
// must reproduce exactly.
var specVectors = []struct {
	name   string
	key    Key
	ptr    int
	hex    string
	want   Event
	encode bool
}{
	{"V4 MapFile V3 x64", KernelKey(FileIoGUID, 37, 3), 8,
		"00 00 7e 3e b9 02 00 00 70 fb 3f 2c 08 82 ff ff 00 00 00 00 00 00 c1 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 80 19 00 00",
		&MapFile{Op: OpMapFile, ViewBase: 0x000002B93E7E0000, FileKey: 0xFFFF82082C3FFB70, MiscInfo: 0x00C1000000000000,
			ViewSize: 0x1000, ByteOffset: 0, ProcessID: 6528}, true},
	{"V5 CloseHandle", KernelKey(ObjectGUID, 33, 2), 8, "e0 33 c5 94 81 c2 ff ff a0 07 00 00 10 00 00 00",
		&ObjectHandle{Op: 33, Object: 0xFFFFC28194C533E0, Handle: 0x7A0, ObjectType: 16}, true},
	{"V5 CreateHandle", KernelKey(ObjectGUID, 32, 2), 8, "60 cd e8 ae 83 c2 ff ff 78 3a 00 00 10 00 00 00",
		&ObjectHandle{Op: 32, Object: 0xFFFFC283AEE8CD60, Handle: 0x3A78, ObjectType: 16}, true},
	{"V5 CloseHandle 2", KernelKey(ObjectGUID, 33, 2), 8, "60 02 f9 ae 83 c2 ff ff 44 49 00 00 10 00 00 00",
		&ObjectHandle{Op: 33, Object: 0xFFFFC283AEF90260, Handle: 0x4944, ObjectType: 16}, true},
	{"V5 DuplicateHandle v3", KernelKey(ObjectGUID, 34, 3), 8,
		"60 3e ea ae 83 c2 ff ff 48 56 00 00 dc 1d 00 80 04 00 00 00 10 00 a8 50 00 00",
		&ObjectDuplicateHandle{Object: 0xFFFFC283AEEA3E60, SourceHandle: 0x5648, TargetHandle: 0x80001DDC,
			TargetProcessID: 4, ObjectType: 16, SourceProcessID: 20648}, true},
	{"V5 TypeDCEnd", KernelKey(ObjectGUID, 37, 2), 8, "08 00 00 00 54 00 68 00 72 00 65 00 61 00 64 00 00 00",
		&ObjectTypeDC{Op: 37, ObjectType: 8, TypeName: "Thread"}, true},
	{"V5 HandleDCEnd", KernelKey(ObjectGUID, 39, 2), 8,
		"a0 09 2e 86 0c 81 ff ff 04 00 00 00 44 00 00 80 13 00" + hex.EncodeToString(utf16z(`\KernelObjects\HighMemoryCondition`)),
		&ObjectHandleDC{Op: 39, Object: 0xFFFF810C862E09A0, ProcessID: 4, Handle: 0x80000044, ObjectType: 19,
			ObjectName: `\KernelObjects\HighMemoryCondition`}, true},
	{"V5 ReferenceObject", KernelKey(ObjectGUID, 50, 2), 8, "b0 24 3d b3 89 a8 ff ff 44 66 6c 74 01 00 00 00",
		&ObjectReference{Op: 50, Object: 0xFFFFA889B33D24B0, Tag: 0x746C6644, Count: 1}, true},
	{"V5 DereferenceObject", KernelKey(ObjectGUID, 51, 2), 8, "50 a0 e5 ef 89 a8 ff ff 44 66 6c 74 01 00 00 00",
		&ObjectReference{Op: 51, Object: 0xFFFFA889EFE5A050, Tag: 0x746C6644, Count: 1}, true},
	{"V5 CreateObject", KernelKey(ObjectGUID, 48, 2), 8, "00 c8 13 a6 89 a8 ff ff 30 00 00 00 00 00 00 00",
		&ObjectLifetime{Op: 48, Object: 0xFFFFA889A613C800, ObjectType: 48}, true},
	{"V5 DeleteObject", KernelKey(ObjectGUID, 49, 2), 8, "80 9d 13 a6 89 a8 ff ff 30 00 00 00 00 00 00 00",
		&ObjectLifetime{Op: 49, Object: 0xFFFFA889A6139D80, ObjectType: 48}, true},

	{"D1 FileIo Create V3", KernelKey(FileIoGUID, 64, 3), 8,
		"78 56 34 12 0a 8a ff ff 20 43 65 87 0a 8a ff ff 2c 1a 00 00 20 00 00 01 80 00 00 00 03 00 00 00 5c 00 44 00 65 00 76 00 69 00 63 00 65 00 5c 00 4e 00 61 00 6d 00 65 00 64 00 50 00 69 00 70 00 65 00 5c 00 69 00 70 00 63 00 74 00 72 00 61 00 63 00 65 00 2d 00 74 00 65 00 73 00 74 00 00 00",
		&FileCreate{Op: OpCreate, IrpPtr: 0xFFFF8A0A12345678, FileObject: 0xFFFF8A0A87654320, TTID: 6700,
			CreateOptions: 0x01000020, FileAttributes: 0x80, ShareAccess: 3, OpenPath: `\Device\NamedPipe\ipctrace-test`}, true},
	{"D2 FileIo FSControl V3", KernelKey(FileIoGUID, 75, 3), 8,
		"00 a0 34 12 0a 8a ff ff 10 00 65 87 0a 8a ff ff 01 00 99 99 0a 8a ff ff 00 00 00 00 00 00 00 00 30 1a 00 00 08 00 11 00",
		&FileInfo{Op: OpFSControl, IrpPtr: 0xFFFF8A0A1234A000, FileObject: 0xFFFF8A0A87650010, FileKey: 0xFFFF8A0A99990001,
			ExtraInfo: 0, TTID: 6704, InfoClass: 0x00110008}, true},
	{"D3 OperationEnd", KernelKey(FileIoGUID, 76, 3), 8,
		"00 a0 34 12 0a 8a ff ff 00 00 00 00 00 00 00 00 b2 00 00 c0",
		&FileOpEnd{IrpPtr: 0xFFFF8A0A1234A000, ExtraInfo: 0, Status: 0xC00000B2}, true},
	{"D4 FileIo Write V3 ExtraFlags", KernelKey(FileIoGUID, 68, 3), 8,
		"00 00 00 00 00 00 00 00 00 b0 34 12 0a 8a ff ff 20 43 65 87 0a 8a ff ff 00 00 99 99 0a 8a ff ff 2c 1a 00 00 00 02 00 00 00 0a 06 00 00 00 00 00",
		&FileReadWrite{Op: OpWrite, Offset: 0, IrpPtr: 0xFFFF8A0A1234B000, FileObject: 0xFFFF8A0A87654320,
			FileKey: 0xFFFF8A0A99990000, TTID: 6700, IoSize: 512, IoFlags: 0x00060A00, ExtraFlags: 0, HasExtraFlags: true}, true},
	{"D5 ALPC WaitForNewMessage", KernelKey(ALPCGUID, 36, 2), 8, "01 00 00 00 65 70 6d 61 70 70 65 72 00",
		&AlpcWaitNewMessage{IsServerPort: true, PortName: "epmapper"}, true},
	{"D6 RPC event 5", ManifestKey(RPCGUID, 5, 1), 8,
		"e6 73 0c e6 f9 88 cf 11 9a f1 00 20 af 6e 72 f4 08 00 00 00 03 00 00 00 00 00 65 00 70 00 6d 00 61 00 70 00 70 00 65 00 72 00 00 00 00 00 06 00 00 00 14 00 00 00 03 00 00 00",
		&RPCCallStart{InterfaceUUID: etw.MustParseGUID("e60c73e6-88f9-11cf-9af1-0020af6e72f4"), ProcNum: 8, Protocol: 3,
			Endpoint: "epmapper", AuthenticationLevel: 6, AuthenticationService: 20, ImpersonationLevel: 3}, true},
}

func TestSpecVectors(t *testing.T) {
	for _, v := range specVectors {
		t.Run(v.name, func(t *testing.T) {
			b := unhex(t, v.hex)
			got, err := DecodePayload(v.key, b, v.ptr)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, v.want) {
				t.Errorf("decoded\n got %+v\nwant %+v", got, v.want)
			}
			if !v.encode {
				return
			}
			enc, err := Encode(v.key, v.want, v.ptr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, b) {
				t.Errorf("encoded\n got %x\nwant %x", enc, b)
			}
		})
	}
}

// TestSpecVectorMeanings checks the interpretations docs/events.md#vectors asserts on top of the raw fields.
func TestSpecVectorMeanings(t *testing.T) {
	// V4: MiscInfo type >>52 = 0xC (page-file-backed), protection 0x1.
	if m := specVectors[0].want.(*MapFile); m.MiscInfo>>52 != 0xC || (m.MiscInfo>>48)&0xF != 1 {
		t.Errorf("V4 MiscInfo %#x", m.MiscInfo)
	}
	// V5: TargetHandle 0x80001DDC is a kernel handle.
	if d := specVectors[4].want.(*ObjectDuplicateHandle); d.TargetHandle&0x80000000 == 0 {
		t.Error("V5 kernel handle bit")
	}
	// D1: disposition FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, pipe path.
	c := specVectors[11].want.(*FileCreate)
	if c.Disposition() != 1 || DispositionName(c.Disposition()) != "FILE_OPEN" {
		t.Errorf("D1 disposition %d", c.Disposition())
	}
	if n := CreateOptionNames(c.CreateOptions); len(n) != 1 || n[0] != "FILE_SYNCHRONOUS_IO_NONALERT" {
		t.Errorf("D1 options %v", n)
	}
	if pi := ClassifyPath(c.OpenPath); pi.Kind != PathNamedPipe || pi.Win32 != `\\.\pipe\ipctrace-test` {
		t.Errorf("D1 path %+v", pi)
	}
	// D2: InfoClass decodes as FSCTL_PIPE_LISTEN; FileKey odd.
	f := DecodeFSCTL(specVectors[12].want.(*FileInfo).InfoClass)
	if f.Name != "FSCTL_PIPE_LISTEN" || !f.IsPipe() || f.Function != 2 || f.Method != 0 || f.Access != 0 {
		t.Errorf("D2 FSCTL %+v", f)
	}
	// D3: STATUS_PIPE_CONNECTED.
	if s := StatusName(specVectors[13].want.(*FileOpEnd).Status); s != "STATUS_PIPE_CONNECTED" {
		t.Errorf("D3 status %s", s)
	}
	// V8: the USN FSCTLs seen in the real payloads.
	for code, name := range map[uint32]string{0x000900BB: "FSCTL_READ_USN_JOURNAL", 0x000900F4: "FSCTL_QUERY_USN_JOURNAL"} {
		f := DecodeFSCTL(code)
		if f.Name != name || f.DeviceType != 9 || f.IsPipe() {
			t.Errorf("%#x: %+v", code, f)
		}
	}
	if f := DecodeFSCTL(0x000900BB); f.Function != 46 || f.Method != 3 || f.Access != 0 {
		t.Errorf("READ_USN_JOURNAL split %+v", f)
	}
}

// TestD7ProcessStartV4 builds D7 from its description and decodes it.
func TestD7ProcessStartV4(t *testing.T) {
	b := make([]byte, 36) // UniqueProcessKey .. Flags, zero
	b[8] = 0x34           // ProcessId 0x1234
	b = append(b, unhex(t, "34 12 00 00 0a 8a ff ff 00 00 00 00 00 00 00 00")...)
	b = append(b, unhex(t, "01 01 00 00 00 00 00 05 12 00 00 00")...)
	b = append(b, "svchost.exe\x00"...)
	b = append(b, utf16z(`C:\Windows\system32\svchost.exe -k netsvcs`)...)
	b = append(b, 0, 0, 0, 0)
	ev, err := DecodePayload(KernelKey(ProcessGUID, 1, 4), b, 8)
	if err != nil {
		t.Fatal(err)
	}
	p := ev.(*Process)
	if p.UserSID != "S-1-5-18" || p.ImageFileName != "svchost.exe" || p.CommandLine != `C:\Windows\system32\svchost.exe -k netsvcs` ||
		p.SID.TokenPtr != 0xFFFF8A0A00001234 || p.ProcessID != 0x34 {
		t.Errorf("D7 decoded %+v", p)
	}
	enc, err := Encode(KernelKey(ProcessGUID, 1, 4), p, 8)
	if err != nil || !bytes.Equal(enc, b) {
		t.Errorf("D7 re-encode: %v\n got %x\nwant %x", err, enc, b)
	}
	// Encoding from the SID string alone gives the same SID bytes.
	q := *p
	q.SID = SIDField{TokenPtr: p.SID.TokenPtr}
	enc, err = Encode(KernelKey(ProcessGUID, 1, 4), &q, 8)
	if err != nil || !bytes.Equal(enc, b) {
		t.Errorf("D7 encode from string: %v\n got %x\nwant %x", err, enc, b)
	}
}
