package hang

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// buildHandles writes SYSTEM_HANDLE_INFORMATION_EX at the offsets of
// docs/security.md#reading-descriptors (64-bit) and their 32-bit counterparts, as literals.
func buildHandles(ptr int, count uint64, es []HandleEntry) []byte {
	le := binary.LittleEndian
	put := func(b []byte, v uint64) {
		if ptr == 4 {
			le.PutUint32(b, uint32(v))
		} else {
			le.PutUint64(b, v)
		}
	}
	size := 40
	if ptr == 4 {
		size = 28
	}
	b := make([]byte, 2*ptr+len(es)*size)
	put(b, count)
	for i, e := range es {
		x := b[2*ptr+i*size:]
		put(x[0:], e.Object)
		put(x[ptr:], uint64(e.PID))
		put(x[2*ptr:], e.Handle)
		le.PutUint32(x[3*ptr:], e.Access)
		le.PutUint16(x[3*ptr+4:], 0x1234) // CreatorBackTraceIndex
		le.PutUint16(x[3*ptr+6:], e.TypeIndex)
		le.PutUint32(x[3*ptr+8:], e.Attributes)
	}
	return b
}

func TestParseHandleTable(t *testing.T) {
	es := []HandleEntry{
		{Object: 0xFFFF_A000_1234_5670, PID: 1200, Handle: 0x1A4, Access: 0x12019F, TypeIndex: 40, Attributes: 2},
		{Object: 0, PID: 700, Handle: 0x8, Access: 0x1F0003, TypeIndex: 16},
	}
	for _, ptr := range []int{8, 4} {
		want := es
		if ptr == 4 {
			want = append([]HandleEntry(nil), es...)
			want[0].Object = 0x1234_5670
		}
		got, err := ParseHandleTable(buildHandles(ptr, 2, want), ptr)
		if err != nil || len(got) != 2 {
			t.Fatalf("ptr %d: %v, %d entries", ptr, err, len(got))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("ptr %d entry %d = %+v, want %+v", ptr, i, got[i], want[i])
			}
		}
		// A count beyond the buffer: the entries that fit, and an error
		// at the end of the last one.
		got, err = ParseHandleTable(buildHandles(ptr, 1<<31, want), ptr)
		var pe *ParseError
		if !errors.As(err, &pe) || len(got) != 2 || pe.Offset != len(buildHandles(ptr, 0, want)) {
			t.Errorf("ptr %d huge count: %v, %d entries", ptr, err, len(got))
		}
	}
	if _, err := ParseHandleTable(make([]byte, 10), 8); err == nil || !strings.Contains(err.Error(), "header needs 16 bytes") {
		t.Errorf("short header: %v", err)
	}
}

func TestParsePipeLocalInfo(t *testing.T) {
	b := make([]byte, 40)
	for i, v := range []uint32{1, 2, 255, 3, 4096, 17, 8192, 8000, 3, 1} {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	p, err := ParsePipeLocalInfo(b)
	want := PipeLocalInfo{Type: 1, Configuration: 2, MaxInstances: 255, CurrentInstances: 3, InboundQuota: 4096,
		ReadDataAvailable: 17, OutboundQuota: 8192, WriteQuotaAvailable: 8000, State: PipeStateConnected, ServerEnd: true}
	if err != nil || p != want {
		t.Errorf("got %+v, %v", p, err)
	}
	binary.LittleEndian.PutUint32(b[36:], 0) // FILE_PIPE_CLIENT_END
	if p, _ = ParsePipeLocalInfo(b); p.ServerEnd {
		t.Error("client end read as server end")
	}
	if _, err := ParsePipeLocalInfo(b[:39]); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestPipeName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`\Device\NamedPipe\X`, "X", true},
		{`\device\namedpipe\a\b`, `a\b`, true},
		{`\Device\NamedPipe\`, "", false},
		{`\Device\HarddiskVolume3\x`, "", false},
	} {
		if got, ok := PipeName(c.in); got != c.want || ok != c.ok {
			t.Errorf("%q: %q %v", c.in, got, ok)
		}
	}
}

func TestSelectTargets(t *testing.T) {
	ps := []ProcInfo{{PID: 0}, {PID: 4, Image: "System"}, {PID: 700, Image: "svc.exe"}, {PID: 710, Image: "SVC.EXE"}, {PID: 900, Image: "ipctrace.exe"}}
	for _, c := range []struct {
		arg  string
		all  bool
		want []uint32
		err  string
	}{
		{"700", false, []uint32{700}, ""},
		{"svc", false, []uint32{700, 710}, ""},
		{"Svc.exe", false, []uint32{700, 710}, ""},
		{"system", false, []uint32{4}, ""},
		{"", true, []uint32{4, 700, 710}, ""},
		{"ipctrace", false, nil, `no process named "ipctrace"`},
		{"701", false, nil, "no process with PID 701"},
		{"nosuch.exe", false, nil, `no process named "nosuch.exe"`},
	} {
		got, err := SelectTargets(ps, c.arg, c.all, 900)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: %v, want %q", c.arg, err, c.err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%q: %v %v, want %v", c.arg, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.arg, got, c.want)
			}
		}
	}
}
