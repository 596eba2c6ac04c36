package decoders

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

func TestStatusNames(t *testing.T) {
	// Every status docs/events.md#alpc, docs/events.md#pipe-operations, docs/events.md#pipe-constants names, by value.
	for v, name := range map[uint32]string{
		0: "STATUS_SUCCESS", 0x103: "STATUS_PENDING", 0x80000005: "STATUS_BUFFER_OVERFLOW",
		0xC0000022: "STATUS_ACCESS_DENIED", 0xC0000034: "STATUS_OBJECT_NAME_NOT_FOUND",
		0xC0000004: "STATUS_INFO_LENGTH_MISMATCH",
		0xC00000AB: "STATUS_INSTANCE_NOT_AVAILABLE", 0xC00000AC: "STATUS_PIPE_NOT_AVAILABLE",
		0xC00000AD: "STATUS_INVALID_PIPE_STATE", 0xC00000AE: "STATUS_PIPE_BUSY", 0xC00000B0: "STATUS_PIPE_DISCONNECTED",
		0xC00000B1: "STATUS_PIPE_CLOSING", 0xC00000B2: "STATUS_PIPE_CONNECTED", 0xC00000B3: "STATUS_PIPE_LISTENING",
		0xC00000B4: "STATUS_INVALID_READ_MODE", 0xC00000B5: "STATUS_IO_TIMEOUT", 0xC00000D9: "STATUS_PIPE_EMPTY",
		0xC000014B: "STATUS_PIPE_BROKEN",
	} {
		if got := StatusName(v); got != name || !KnownStatus(v) {
			t.Errorf("%#x: %s, want %s", v, got, name)
		}
	}
	if got := StatusName(0xC0DE0001); got != "0xC0DE0001" || KnownStatus(0xC0DE0001) {
		t.Errorf("unknown status: %s", got)
	}
}

func TestFSCTLTable(t *testing.T) {
	// docs/events.md#pipe-constants: every pipe FSCTL equals CTL_CODE(0x11, fn, method, access).
	rows := []struct {
		name           string
		fn             uint16
		method, access uint8
		value          uint32
	}{
		{"FSCTL_PIPE_ASSIGN_EVENT", 0, 0, 0, 0x00110000}, {"FSCTL_PIPE_DISCONNECT", 1, 0, 0, 0x00110004},
		{"FSCTL_PIPE_LISTEN", 2, 0, 0, 0x00110008}, {"FSCTL_PIPE_PEEK", 3, 0, 1, 0x0011400C},
		{"FSCTL_PIPE_QUERY_EVENT", 4, 0, 0, 0x00110010}, {"FSCTL_PIPE_TRANSCEIVE", 5, 3, 3, 0x0011C017},
		{"FSCTL_PIPE_WAIT", 6, 0, 0, 0x00110018}, {"FSCTL_PIPE_IMPERSONATE", 7, 0, 0, 0x0011001C},
		{"FSCTL_PIPE_SET_CLIENT_PROCESS", 8, 0, 0, 0x00110020}, {"FSCTL_PIPE_QUERY_CLIENT_PROCESS", 9, 0, 0, 0x00110024},
		{"FSCTL_PIPE_GET_PIPE_ATTRIBUTE", 10, 0, 0, 0x00110028}, {"FSCTL_PIPE_SET_PIPE_ATTRIBUTE", 11, 0, 0, 0x0011002C},
		{"FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE", 12, 0, 0, 0x00110030}, {"FSCTL_PIPE_SET_CONNECTION_ATTRIBUTE", 13, 0, 0, 0x00110034},
		{"FSCTL_PIPE_GET_HANDLE_ATTRIBUTE", 14, 0, 0, 0x00110038}, {"FSCTL_PIPE_SET_HANDLE_ATTRIBUTE", 15, 0, 0, 0x0011003C},
		{"FSCTL_PIPE_FLUSH", 16, 0, 2, 0x00118040}, {"FSCTL_PIPE_DISABLE_IMPERSONATE", 17, 0, 0, 0x00110044},
		{"FSCTL_PIPE_SILO_ARRIVAL", 18, 0, 2, 0x00118048}, {"FSCTL_PIPE_CREATE_SYMLINK", 19, 0, 0, 0x0011004C},
		{"FSCTL_PIPE_DELETE_SYMLINK", 20, 0, 0, 0x00110050}, {"FSCTL_PIPE_QUERY_CLIENT_PROCESS_V2", 21, 0, 0, 0x00110054},
		{"FSCTL_PIPE_INTERNAL_READ", 2045, 0, 1, 0x00115FF4}, {"FSCTL_PIPE_INTERNAL_WRITE", 2046, 0, 2, 0x00119FF8},
		{"FSCTL_PIPE_INTERNAL_TRANSCEIVE", 2047, 3, 3, 0x0011DFFF}, {"FSCTL_PIPE_INTERNAL_READ_OVFLOW", 2048 & 0xFFF, 0, 1, 0x00116000},
	}
	for _, r := range rows {
		if r.name != "FSCTL_PIPE_INTERNAL_READ_OVFLOW" {
			if c := FSCTLCode(0x11, r.fn, r.method, r.access); c != r.value {
				t.Errorf("%s: CTL_CODE = %#x, table %#x", r.name, c, r.value)
			}
		}
		f := DecodeFSCTL(r.value)
		if f.Name != r.name || !f.IsPipe() || f.Method != r.method || f.Access != r.access {
			t.Errorf("%#x: %+v, want %s", r.value, f, r.name)
		}
	}
	// V7 numeric cross-check.
	for v, n := range map[uint32]string{1114112: "FSCTL_PIPE_ASSIGN_EVENT", 1114116: "FSCTL_PIPE_DISCONNECT",
		1114120: "FSCTL_PIPE_LISTEN", 1130508: "FSCTL_PIPE_PEEK", 1114128: "FSCTL_PIPE_QUERY_EVENT", 1163287: "FSCTL_PIPE_TRANSCEIVE"} {
		if DecodeFSCTL(v).Name != n {
			t.Errorf("%d: %s, want %s", v, DecodeFSCTL(v).Name, n)
		}
	}
	if s := DecodeFSCTL(0x00094321).String(); !strings.HasPrefix(s, "CTL_CODE(0x9, ") {
		t.Errorf("unknown FSCTL string %q", s)
	}
}

func TestCreateNames(t *testing.T) {
	if got := DispositionName(uint8(0x03000020 >> 24)); got != "FILE_OPEN_IF" {
		t.Error(got)
	}
	if got := CreateOptionNames(0x01200060 | 0x80000000); !reflect.DeepEqual(got, []string{"FILE_SYNCHRONOUS_IO_NONALERT", "FILE_NON_DIRECTORY_FILE", "FILE_OPEN_REPARSE_POINT"}) {
		t.Error(got)
	}
	if got := ShareAccessNames(3); got != "FILE_SHARE_READ|FILE_SHARE_WRITE" {
		t.Error(got)
	}
	for c, n := range map[uint32]string{23: "FilePipeInformation", 24: "FilePipeLocalInformation", 25: "FilePipeRemoteInformation", 9: "FileNameInformation"} {
		if InfoClassName(c) != n {
			t.Errorf("info class %d: %q", c, InfoClassName(c))
		}
	}
	if AlpcOpName(OpAlpcSend) != "SendMessage" || RPCProtseq(3) != "ncalrpc" || RPCProtocolName(2) != "NamedPipes" ||
		RPCAuthnServiceName(0x14) != "Kernel" || RPCImpersonationName(3) != "Impersonate" || RPCAuthnLevelName(6) != "PktPrivacy" {
		t.Error("ALPC/RPC value maps")
	}
}

func TestClassifyPath(t *testing.T) {
	for _, c := range []struct {
		in   string
		want PathInfo
	}{
		{`\Device\NamedPipe\ipctrace-test`, PathInfo{Kind: PathNamedPipe, PipeName: "ipctrace-test", Win32: `\\.\pipe\ipctrace-test`}},
		{`\DEVICE\NAMEDPIPE\LOCAL\x`, PathInfo{Kind: PathNamedPipe, PipeName: `LOCAL\x`, Win32: `\\.\pipe\LOCAL\x`}},
		{`\Device\NamedPipe\`, PathInfo{Kind: PathNPFSRoot, Win32: `\\.\pipe\`}},
		{`\Device\NamedPipe`, PathInfo{Kind: PathNPFSRoot, Win32: `\\.\pipe\`}},
		{`\Device\NamedPipe\Win32Pipes.00001a2c.00000003`, PathInfo{Kind: PathAnonymousPipe, PipeName: "Win32Pipes.00001a2c.00000003", Win32: `\\.\pipe\Win32Pipes.00001a2c.00000003`}},
		{`\Device\Mailslot\net\netlogon`, PathInfo{Kind: PathMailslot, PipeName: `net\netlogon`, Win32: `\\.\mailslot\net\netlogon`}},
		{`\Device\Mup\srv01\PIPE\lsarpc`, PathInfo{Kind: PathRemotePipe, PipeName: "lsarpc", Server: "srv01", Win32: `\\srv01\pipe\lsarpc`, Inferred: true}},
		{`\Device\Mup\;LanmanRedirector\;Z:000\srv02\pipe\spoolss`, PathInfo{Kind: PathRemotePipe, PipeName: "spoolss", Server: "srv02", Win32: `\\srv02\pipe\spoolss`, Inferred: true}},
		{`\Device\Mup\clrmain\public\x.etl`, PathInfo{Kind: PathFile}},
		{`\Device\NamedPipeX\y`, PathInfo{Kind: PathFile}},
		{`\Device\HarddiskVolume2\Windows\notepad.exe`, PathInfo{Kind: PathFile}},
		{``, PathInfo{Kind: PathFile}},
	} {
		if got := ClassifyPath(c.in); got != c.want {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
	}
	if got := ClassifyPipeName(""); got.Kind != PathAnonymousPipe || !got.Inferred {
		t.Errorf("empty pipe name: %+v", got)
	}
}

func TestSIDStrings(t *testing.T) {
	for s, hexs := range map[string]string{
		"S-1-1-0":      "01 01 00 00 00 00 00 01 00 00 00 00",
		"S-1-5-18":     "01 01 00 00 00 00 00 05 12 00 00 00",
		"S-1-5-32-544": "01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00",
		"S-1-16-12288": "01 01 00 00 00 00 00 10 00 30 00 00",
	} {
		b := unhex(t, hexs)
		if got := sidString(b); got != s {
			t.Errorf("%s: %s", hexs, got)
		}
		if got, err := parseSID(s); err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %x %v", s, got, err)
		}
	}
	for _, bad := range []string{"S-1", "X-1-5", "S-2-5-18", "S-1-5-x", "S-1-5-18-99999999999"} {
		if _, err := parseSID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestTruncatedPayloadErrors: every registered layout, fed every prefix
// shorter than its minimum, reports a DecodeError naming the field and the
// payload offset; no prefix panics.
func TestTruncatedPayloadErrors(t *testing.T) {
	for _, e := range Entries() {
		for _, ptr := range []int{4, 8} {
			min := e.MinSize(ptr)
			for n := 0; n < min; n++ {
				_, err := e.Decode(nil, make([]byte, n), ptr)
				var de *DecodeError
				if !errors.As(err, &de) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrBadValue)) {
					t.Fatalf("%s ptr %d, %d of %d bytes: err %v", e.Key, ptr, n, min, err)
				}
				if de.Off > n || de.What == "" || de.Key != e.Key {
					t.Fatalf("%s: error %+v", e.Key, de)
				}
			}
		}
	}
	// The message names the field and its offset.
	_, err := DecodePayload(KernelKey(FileIoGUID, 76, 3), make([]byte, 17), 8)
	if err == nil || !strings.Contains(err.Error(), "offset 16: NtStatus") {
		t.Errorf("OperationEnd error: %v", err)
	}
	// A SID whose sub-authority count runs past the payload.
	b := make([]byte, 36)
	b = append(b, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0, 0, 0, 0, 0, 5)
	if _, err := DecodePayload(KernelKey(ProcessGUID, 1, 4), b, 8); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "UserSID SID") {
		t.Errorf("bad SID: %v", err)
	}
	if _, err := DecodePayload(KernelKey(ALPCGUID, 33, 2), []byte{1, 2, 3, 4}, 6); !errors.Is(err, ErrPointerSize) {
		t.Errorf("pointer size 6: %v", err)
	}
}

// TestForwardCompatible: longer payloads decode, reading what is known.
func TestForwardCompatible(t *testing.T) {
	for _, v := range specVectors {
		b := append(unhex(t, v.hex), 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE)
		got, err := DecodePayload(v.key, b, v.ptr)
		if err != nil {
			t.Errorf("%s + 8 bytes: %v", v.name, err)
			continue
		}
		if v.key == KernelKey(FileIoGUID, 68, 3) {
			continue // ExtraFlags is already the optional tail
		}
		if !reflect.DeepEqual(got, v.want) {
			t.Errorf("%s + 8 bytes:\n got %+v\nwant %+v", v.name, got, v.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(KernelKey(FileIoGUID, 200, 3), &FileCreate{}, 8); !errors.Is(err, ErrNoDecoder) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := Encode(KernelKey(FileIoGUID, 64, 3), &FileInfo{}, 8); !errors.Is(err, ErrEventType) {
		t.Errorf("wrong type: %v", err)
	}
	if _, err := Encode(KernelKey(ProcessGUID, 1, 4), &Process{UserSID: "not-a-sid"}, 8); err == nil {
		t.Error("bad SID string encoded")
	}
	if _, err := Encode(ManifestKey(RPCGUID, 14, 1), &RPCInterface{SDSize: 3, SD: []byte{1}}, 8); err == nil {
		t.Error("SDSize mismatch encoded")
	}
}

// TestSecuritySnapshotRoundTrip encodes ipctrace's own TraceLogging events
// and decodes them back through the reader's metadata decoding.
func TestSecuritySnapshotRoundTrip(t *testing.T) {
	want := &SecuritySnapshot{Phase: "start", ObjectType: "pipe", Name: `\Device\NamedPipe\ipctrace-test`,
		OwnerPID: 6700, Instances: 2, MaxInstances: 255, SD: unhex(t, "01 00 00 80 14 00 00 00 24 00 00 00 00 00 00 00 00 00 00 00 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00 01 02 00 00 00 00 00 05 20 00 00 00 20 02 00 00")}
	traits, schema, data, err := EncodeSecuritySnapshot(want)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := etw.DecodeTraceLogging(traits, schema, data, 8)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Provider != IpcTraceProviderName || tl.Name != SecuritySnapshotEventName || len(tl.Fields) != len(SecuritySnapshotFields) {
		t.Fatalf("TraceLogging metadata %+v", tl)
	}
	for i, f := range tl.Fields {
		if f.Name != SecuritySnapshotFields[i].Name || f.InType != SecuritySnapshotFields[i].InType {
			t.Errorf("field %d: %s/%d, want %+v", i, f.Name, f.InType, SecuritySnapshotFields[i])
		}
	}
	got, err := DecodeTraceLoggingEvent(IpcTraceProviderGUID, tl)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, want)
	}
	// An unreadable SD: nil SD and an error text.
	traits, schema, data, err = EncodeSecuritySnapshot(&SecuritySnapshot{Phase: "stop", ObjectType: "alpc", Name: `\RPC Control\epmapper`, Error: "access denied"})
	if err != nil {
		t.Fatal(err)
	}
	tl, _ = etw.DecodeTraceLogging(traits, schema, data, 8)
	got, err = DecodeTraceLoggingEvent(IpcTraceProviderGUID, tl)
	if s := got.(*SecuritySnapshot); err != nil || s.SD != nil || s.Error != "access denied" || s.Phase != "stop" {
		t.Errorf("no-SD snapshot: %+v %v", s, err)
	}
	// The provider GUID is the TraceLogging hash of the name.
	if IpcTraceProviderGUID != etw.TraceLoggingProviderGUID("IpcTrace") || ProviderName(IpcTraceProviderGUID) != "IpcTrace" {
		t.Error("provider GUID/name")
	}
}

func TestProbeMarkerRoundTrip(t *testing.T) {
	want := &ProbeMarker{ProbeID: "pipe-1", Phase: "op", Kind: "write", Seq: 7, Size: 512, QPC: 123456789012}
	traits, schema, data, err := EncodeProbeMarker(want)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := etw.DecodeTraceLogging(traits, schema, data, 8)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTraceLoggingEvent(IpcTraceProviderGUID, tl)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("round trip: %v\n got %+v\nwant %+v", err, got, want)
	}
	// A field of the wrong type is a typed error.
	tl.Fields[3].InType = etw.TLInUint16
	if _, err := DecodeTraceLoggingEvent(IpcTraceProviderGUID, tl); !errors.Is(err, ErrTLField) {
		t.Errorf("wrong InType: %v", err)
	}
}

// TestEncodeNoSIDAmbiguous: a classic Process event without a UserSID is
// encoded as a u32 0; when the fields after it would read as a TOKEN_USER
// and a SID (decodeTokenSID's rule for zero PSIDs), Encode refuses with
// ErrAmbiguous rather than write a payload that decodes as another event.
// The event is the one FuzzProcessThreadImage found (testdata/fuzz).
func TestEncodeNoSIDAmbiguous(t *testing.T) {
	key := KernelKey(ProcessGUID, uint8(OpProcessDCStart), 4)
	for _, c := range []struct {
		cmdline string
		want    error
	}{
		{"〰\x01", ErrAmbiguous}, // "0\x00" then U+3030 U+0001: 01 00 00 00 00 00 00 00 at PSID+8
		{"cmd.exe", nil},
	} {
		ev := &Process{Op: OpProcessDCStart, ImageFileName: "0", CommandLine: c.cmdline}
		enc, err := Encode(key, ev, 4)
		if !errors.Is(err, c.want) {
			t.Errorf("command line %q: Encode error %v, want %v", c.cmdline, err, c.want)
			continue
		}
		if err != nil {
			continue
		}
		got, err := DecodePayload(key, enc, 4)
		if err != nil || got.(*Process).CommandLine != c.cmdline || got.(*Process).SID.HasToken {
			t.Errorf("command line %q: decoded %+v, %v", c.cmdline, got, err)
		}
	}
}
