package decoders

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
)

// vector is one entry of ../shared/vectors/kernel-payloads.json.
type vector struct {
	Name            string          `json:"name"`
	Class           string          `json:"class"`
	ClassGUID       string          `json:"class_guid"`
	Opcode          uint8           `json:"opcode"`
	Version         uint16          `json:"version"`
	PointerSize     int             `json:"pointer_size"`
	EventName       string          `json:"event_name"`
	PayloadHex      string          `json:"payload_hex"`
	Expected        []expectedField `json:"expected"`
	TrailingPadding int             `json:"trailing_padding"`
	PayloadIsNull   bool            `json:"payload_is_null"`
	// DecodedLength, when set, is how many payload bytes the source test
	// decodes (PerfInfo DebuggerEnabled: a 1-byte placeholder, 0 decoded).
	DecodedLength        *int `json:"decoded_length"`
	IdentityFromNameOnly bool `json:"identity_from_name_only"`
}

type expectedField struct {
	Field       string          `json:"field"`
	Type        string          `json:"type"`
	Value       json.RawMessage `json:"value"`
	Fields      []expectedField `json:"fields"`
	ElementType string          `json:"element_type"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "vectors", "kernel-payloads.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// vectorFieldNames maps the field names the vectors use (libtrace's) to the
// JSON names of the typed events, where they differ only in spelling.
var vectorFieldNames = map[string]string{
	// Process
	"PageDirectoryBase":  "unique_process_key", // the v1 name of the first pointer slot
	"UniqueProcessKey":   "unique_process_key",
	"ProcessId":          "process_id",
	"ParentId":           "parent_id",
	"SessionId":          "session_id",
	"ExitStatus":         "exit_status",
	"DirectoryTableBase": "directory_table_base",
	"Flags":              "flags",
	"ImageFileName":      "image_file_name", // Image: file_name (see imageNames)
	"CommandLine":        "command_line",
	"PackageFullName":    "package_full_name",
	"ApplicationId":      "application_id",
	"ExitTime":           "exit_time",
	// Thread
	"TThreadId":      "thread_id",
	"StackBase":      "stack_base",
	"StackLimit":     "stack_limit",
	"UserStackBase":  "user_stack_base",
	"UserStackLimit": "user_stack_limit",
	"StartAddr":      "start_addr",
	"Affinity":       "start_addr",
	"Win32StartAddr": "win32_start_addr",
	"TebBase":        "teb_base",
	"SubProcessTag":  "sub_process_tag",
	"BasePriority":   "base_priority",
	"PagePriority":   "page_priority",
	"IoPriority":     "io_priority",
	"ThreadFlags":    "thread_flags",
	"WaitMode":       "wait_mode",
	// FileIo
	"IrpPtr":         "irp",
	"TTID":           "ttid",
	"FileObject":     "file_object",
	"FileKey":        "file_key",
	"CreateOptions":  "create_options",
	"FileAttributes": "file_attributes",
	"ShareAccess":    "share_access",
	"OpenPath":       "open_path",
	"Offset":         "offset",
	"IoSize":         "io_size",
	"IoFlags":        "io_flags",
	"ExtraInfo":      "extra_info",
	"InfoClass":      "info_class",
	"Length":         "length",
	"FileIndex":      "file_index",
	"FileName":       "file_name",
	"NtStatus":       "status",
}

// per-class overrides of vectorFieldNames.
var classFieldNames = map[string]map[string]string{
	"Image": {
		"BaseAddress": "image_base", "ModuleSize": "image_size", "ImageCheckSum": "image_checksum",
		"TimeDateStamp": "time_date_stamp", "DefaultBase": "default_base", "ImageFileName": "file_name",
		"SignatureLevel": "signature_level", "SignatureType": "signature_type", "Reserved0": "reserved0",
		"Reserved1": "reserved.0", "Reserved2": "reserved.1", "Reserved3": "reserved.2", "Reserved4": "reserved.3",
	},
	"FileIo": {"FileObject": "file_object"},
	"DiskIo": {"FileObject": "file_key"},
	"TcpIp": {
		"startime": "start_time", "endtime": "end_time", "sackopt": "sack_opt", "tsopt": "ts_opt",
		"wsopt": "ws_opt", "rcvwin": "rcv_win", "rcvwinscale": "rcv_win_scale", "sndwinscale": "snd_win_scale",
	},
	"Registry": {
		"Counter1": "counters.0", "Counter2": "counters.1", "Counter3": "counters.2", "Counter4": "counters.3",
		"Counter5": "counters.4", "Counter6": "counters.5", "Counter7": "counters.6", "Counter8": "counters.7",
		"Counter9": "counters.8", "Counter10": "counters.9", "Counter11": "counters.10",
	},
	"EventTrace": {
		"MaxFileSize": "maximum_file_size", "LoggerName": "logger_name_ptr", "LogFileName": "log_file_name_ptr",
		"SessionNameString": "session_name", "LogFileNameString": "log_file_name", "CPUSpeed": "cpu_speed",
		"GroupMask1": "group_masks.0", "GroupMask2": "group_masks.1", "GroupMask3": "group_masks.2",
		"GroupMask4": "group_masks.3", "GroupMask5": "group_masks.4", "GroupMask6": "group_masks.5",
		"GroupMask7": "group_masks.6", "GroupMask8": "group_masks.7",
	},
}

// fileIoNameOps are FileIo opcodes whose FileObject field is the FileKey.
var fileIoNameOps = map[uint8]bool{0: true, 32: true, 35: true, 36: true}

// flatten turns an event into name → value via its JSON form.
func flatten(t *testing.T, ev Event) map[string]any {
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				walk(prefix+k+".", vv)
			}
		case []any:
			for i, vv := range x {
				walk(prefix+strconv.Itoa(i)+".", vv)
			}
		default:
			out[strings.TrimSuffix(prefix, ".")] = v
		}
	}
	walk("", m)
	return out
}

// expectValue renders an expected scalar value as a comparable string.
func expectValue(f expectedField) string {
	var s string
	if err := json.Unmarshal(f.Value, &s); err == nil {
		if strings.HasPrefix(s, "0x") && f.Type != "StringValue" && f.Type != "WStringValue" {
			u, err := strconv.ParseUint(s[2:], 16, 64)
			if err == nil {
				if f.Type == "LongValue" {
					return strconv.FormatInt(int64(u), 10)
				}
				return strconv.FormatUint(u, 10)
			}
		}
		return s
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(f.Value))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String()
	}
	return string(f.Value)
}

func gotValue(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

// signedFix reinterprets a decoded unsigned value with the expected type's
// width and sign (libtrace types Char/Short/Int/Long are signed).
func signedFix(got string, typ string) string {
	u, err := strconv.ParseUint(got, 10, 64)
	if err != nil {
		return got
	}
	switch typ {
	case "CharValue":
		return strconv.Itoa(int(int8(u)))
	case "ShortValue":
		return strconv.Itoa(int(int16(u)))
	case "IntValue":
		if u <= math.MaxUint32 {
			return strconv.Itoa(int(int32(uint32(u))))
		}
	case "LongValue":
		return strconv.FormatInt(int64(u), 10)
	}
	return got
}

// TestKernelPayloadVectors decodes every vector of kernel-payloads.json,
// compares every asserted field and re-encodes the payload byte for byte.
// A vector without a decoder fails.
func TestKernelPayloadVectors(t *testing.T) {
	vs := loadVectors(t)
	decoded := 0
	perClass := map[string]int{}
	for i, v := range vs {
		name := fmt.Sprintf("%03d_%s_%s_op%d_v%d_p%d", i, v.Name, v.Class, v.Opcode, v.Version, v.PointerSize)
		t.Run(name, func(t *testing.T) {
			payload, err := hex.DecodeString(v.PayloadHex)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case v.PayloadIsNull:
				payload = nil
			case v.DecodedLength != nil:
				if *v.DecodedLength > len(payload) {
					t.Fatalf("decoded_length %d > payload length %d", *v.DecodedLength, len(payload))
				}
				payload = payload[:*v.DecodedLength]
			}
			key := KernelKey(etw.MustParseGUID(v.ClassGUID), v.Opcode, v.Version)
			if _, ok := Lookup(key); !ok {
				t.Fatalf("%s (%s): no decoder for %s", v.EventName, v.Name, key)
			}
			ev, err := DecodePayload(key, payload, v.PointerSize)
			if err != nil {
				t.Fatalf("decode %s: %v", key, err)
			}
			if ev == nil {
				t.Fatalf("decode %s: nil event", key)
			}
			if v.Expected == nil && !v.PayloadIsNull && v.DecodedLength == nil && !v.IdentityFromNameOnly {
				t.Fatalf("vector has no expected values")
			}
			got := flatten(t, ev)
			checkExpected(t, v, got, ev)
			// Encode(Decode(b)) == b, without the trailing padding.
			enc, err := Encode(key, ev, v.PointerSize)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			// Trailing padding is not asserted by the source; a decoder that
			// reads it as a field (FileIo Read/Write ExtraFlags) re-encodes it.
			want := payload[:len(payload)-v.TrailingPadding]
			if !bytes.Equal(enc, want) && !bytes.Equal(enc, payload) {
				t.Errorf("re-encoded payload differs:\n got %x\nwant %x", enc, want)
			}
			if !t.Failed() {
				decoded++
				perClass[v.Class]++
			}
		})
	}
	for c, n := range perClass {
		t.Logf("decoded and checked: %-10s %d", c, n)
	}
	t.Logf("vectors: %d of %d decoded and checked", decoded, len(vs))
	if decoded != len(vs) {
		t.Errorf("%d of %d vectors failed", len(vs)-decoded, len(vs))
	}
}

func checkExpected(t *testing.T, v vector, got map[string]any, ev Event) {
	t.Helper()
	names := classFieldNames[v.Class]
	for _, f := range v.Expected {
		if f.Field == "UserSID" {
			checkUserSID(t, f, ev)
			continue
		}
		if f.Type == "StructValue" {
			checkStruct(t, f, got)
			continue
		}
		key, ok := names[f.Field]
		if !ok {
			key, ok = vectorFieldNames[f.Field]
		}
		if v.Class == "FileIo" && fileIoNameOps[v.Opcode] && f.Field == "FileObject" {
			key = "file_key"
		}
		if !ok {
			key = snake(f.Field)
		}
		if f.Type == "ArrayValue" {
			checkArray(t, f, key, got)
			continue
		}
		gv, present := got[key]
		if !present {
			t.Errorf("field %s (%s): not in decoded event (have %v)", f.Field, key, keys(got))
			continue
		}
		want := expectValue(f)
		g := signedFix(gotValue(gv), f.Type)
		if g != want {
			t.Errorf("field %s: got %s, want %s", f.Field, g, want)
		}
	}
}

// checkArray compares an array value element by element (key.0, key.1, …)
// and checks that the decoded array has no extra element.
func checkArray(t *testing.T, f expectedField, key string, got map[string]any) {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(f.Value, &elems); err != nil {
		t.Fatalf("field %s: array value: %v", f.Field, err)
	}
	for i, raw := range elems {
		p := key + "." + strconv.Itoa(i)
		gv, ok := got[p]
		if !ok {
			t.Errorf("field %s[%d] (%s): not in decoded event", f.Field, i, p)
			continue
		}
		ef := expectedField{Field: f.Field, Type: f.ElementType, Value: raw}
		if g, w := signedFix(gotValue(gv), f.ElementType), expectValue(ef); g != w {
			t.Errorf("field %s[%d]: got %s, want %s", f.Field, i, g, w)
		}
	}
	if _, extra := got[key+"."+strconv.Itoa(len(elems))]; extra {
		t.Errorf("field %s: decoded more than %d elements", f.Field, len(elems))
	}
}

// checkStruct compares nested struct values (TimeZoneInformation) by snake-cased path.
func checkStruct(t *testing.T, f expectedField, got map[string]any) {
	t.Helper()
	var walk func(prefix string, fs []expectedField)
	walk = func(prefix string, fs []expectedField) {
		for i, sf := range fs {
			p := prefix + snake(sf.Field)
			if prefix == "time_zone.standard_date." || prefix == "time_zone.daylight_date." {
				p = prefix + strconv.Itoa(i)
			}
			if sf.Type == "StructValue" {
				walk(p+".", sf.Fields)
				continue
			}
			gv, ok := got[p]
			if !ok {
				t.Errorf("field %s: not in decoded event", p)
				continue
			}
			if g, w := signedFix(gotValue(gv), sf.Type), expectValue(sf); g != w {
				t.Errorf("field %s: got %s, want %s", p, g, w)
			}
		}
	}
	prefix := snake(f.Field) + "."
	if f.Field == "TimeZoneInformation" {
		prefix = "time_zone."
	}
	walk(prefix, f.Fields)
}

func checkUserSID(t *testing.T, f expectedField, ev Event) {
	t.Helper()
	p, ok := ev.(*Process)
	if !ok {
		t.Errorf("UserSID on %T", ev)
		return
	}
	for _, sf := range f.Fields {
		switch sf.Field {
		case "PSid":
			if g, w := strconv.FormatUint(p.SID.TokenPtr, 10), expectValue(sf); g != w {
				t.Errorf("UserSID.PSid: got %s, want %s", g, w)
			}
		case "Attributes":
			if g, w := strconv.FormatUint(uint64(p.SID.Attributes), 10), expectValue(sf); g != w {
				t.Errorf("UserSID.Attributes: got %s, want %s", g, w)
			}
		case "Sid":
			var want []byte
			if err := json.Unmarshal(sf.Value, &want); err != nil {
				var ints []int
				_ = json.Unmarshal(sf.Value, &ints)
				for _, i := range ints {
					want = append(want, byte(i))
				}
			}
			if !bytes.Equal(p.SID.Raw, want) {
				t.Errorf("UserSID.Sid: got %x, want %x", p.SID.Raw, want)
			}
			if p.UserSID != sidString(want) || !strings.HasPrefix(p.UserSID, "S-1-") {
				t.Errorf("UserSID string %q, want %q", p.UserSID, sidString(want))
			}
		}
	}
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(s[i-1] >= 'A' && s[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			b.WriteRune(r + 'a' - 'A')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
