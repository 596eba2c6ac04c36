package ntdefs

import (
	"strings"
	"testing"
)

func TestStatusTable(t *testing.T) {
	seen := map[string]bool{}
	for i, s := range Statuses {
		if i > 0 && Statuses[i-1].Code >= s.Code {
			t.Errorf("row %d (%s): codes not in increasing order", i, s.Name)
		}
		if !strings.HasPrefix(s.Name, "STATUS_") || seen[s.Name] {
			t.Errorf("row %d: bad or repeated name %q", i, s.Name)
		}
		seen[s.Name] = true
		if got := StatusName(s.Code); got != s.Name {
			t.Errorf("StatusName(%#x) = %q, want %q", s.Code, got, s.Name)
		}
		// A short failure name is the name without STATUS_, except that
		// OBJECT_NAME_NOT_FOUND and OBJECT_PATH_NOT_FOUND drop OBJECT_NAME_ / OBJECT_.
		want := strings.TrimPrefix(s.Name, "STATUS_")
		switch s.Code {
		case StatusObjectNameNotFound:
			want = "NOT_FOUND"
		case StatusObjectPathNotFound:
			want = "PATH_NOT_FOUND"
		}
		if s.Failure != "" && s.Failure != want {
			t.Errorf("%s: failure name %q, want %q", s.Name, s.Failure, want)
		}
		if s.Failure != "" && Success(s.Code) {
			t.Errorf("%s: a success code has a failure name", s.Name)
		}
	}
}

func TestStatusNames(t *testing.T) {
	tests := []struct {
		code          uint32
		name, failure string
	}{
		{StatusSuccess, "STATUS_SUCCESS", "STATUS_00000000"},
		{StatusPending, "STATUS_PENDING", "STATUS_00000103"},
		{StatusMoreEntries, "STATUS_MORE_ENTRIES", "STATUS_00000105"},
		{StatusBufferOverflow, "STATUS_BUFFER_OVERFLOW", "BUFFER_OVERFLOW"},
		{StatusNoMoreFiles, "STATUS_NO_MORE_FILES", "STATUS_80000006"},
		{StatusNoMoreEntries, "STATUS_NO_MORE_ENTRIES", "STATUS_8000001A"},
		{StatusInfoLengthMismatch, "STATUS_INFO_LENGTH_MISMATCH", "STATUS_C0000004"},
		{StatusBufferTooSmall, "STATUS_BUFFER_TOO_SMALL", "STATUS_C0000023"},
		{StatusAccessDenied, "STATUS_ACCESS_DENIED", "ACCESS_DENIED"},
		{StatusObjectNameNotFound, "STATUS_OBJECT_NAME_NOT_FOUND", "NOT_FOUND"},
		{StatusObjectPathNotFound, "STATUS_OBJECT_PATH_NOT_FOUND", "PATH_NOT_FOUND"},
		{StatusInstanceNotAvailable, "STATUS_INSTANCE_NOT_AVAILABLE", "INSTANCE_NOT_AVAILABLE"},
		{StatusPipeNotAvailable, "STATUS_PIPE_NOT_AVAILABLE", "PIPE_NOT_AVAILABLE"},
		{StatusInvalidPipeState, "STATUS_INVALID_PIPE_STATE", "INVALID_PIPE_STATE"},
		{StatusPipeBusy, "STATUS_PIPE_BUSY", "PIPE_BUSY"},
		{StatusPipeDisconnected, "STATUS_PIPE_DISCONNECTED", "PIPE_DISCONNECTED"},
		{StatusPipeClosing, "STATUS_PIPE_CLOSING", "PIPE_CLOSING"},
		{StatusPipeConnected, "STATUS_PIPE_CONNECTED", "STATUS_C00000B2"},
		{StatusPipeListening, "STATUS_PIPE_LISTENING", "PIPE_LISTENING"},
		{StatusIOTimeout, "STATUS_IO_TIMEOUT", "IO_TIMEOUT"},
		{StatusPipeEmpty, "STATUS_PIPE_EMPTY", "PIPE_EMPTY"},
		{StatusCancelled, "STATUS_CANCELLED", "CANCELLED"},
		{StatusPipeBroken, "STATUS_PIPE_BROKEN", "PIPE_BROKEN"},
		{0xC0000043, "STATUS_SHARING_VIOLATION", "STATUS_C0000043"},
		{0xC0DE0001, "0xC0DE0001", "STATUS_C0DE0001"},
		{0x0000ABCD, "0x0000ABCD", "STATUS_0000ABCD"},
		{0xFFFFFFFF, "0xFFFFFFFF", "STATUS_FFFFFFFF"},
	}
	for _, tc := range tests {
		if got := StatusName(tc.code); got != tc.name {
			t.Errorf("StatusName(%#x) = %q, want %q", tc.code, got, tc.name)
		}
		if got := FailureName(tc.code); got != tc.failure {
			t.Errorf("FailureName(%#x) = %q, want %q", tc.code, got, tc.failure)
		}
		_, known := LookupStatus(tc.code)
		if known != !strings.HasPrefix(tc.name, "0x") {
			t.Errorf("LookupStatus(%#x) known = %v", tc.code, known)
		}
	}
}

func TestSuccess(t *testing.T) {
	for code, want := range map[uint32]bool{
		StatusSuccess: true, StatusPending: true, 0x40000000: true, 0x7FFFFFFF: true,
		StatusBufferOverflow: false, 0x80000000: false, StatusPipeBusy: false,
	} {
		if Success(code) != want {
			t.Errorf("Success(%#x) = %v", code, !want)
		}
	}
}

func BenchmarkFailureName(b *testing.B) {
	codes := []uint32{StatusPipeBusy, StatusObjectNameNotFound, 0xC0000043}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		FailureName(codes[i%len(codes)])
	}
}
