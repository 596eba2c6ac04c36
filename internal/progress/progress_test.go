package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/internal/termsize"
)

// syncBuffer is a bytes.Buffer safe for the meter's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNilMeter(t *testing.T) {
	var m *Meter
	r := strings.NewReader("abc")
	if m.ReaderAt(r) != io.ReaderAt(r) {
		t.Error("nil meter wraps the reader")
	}
	m.AddEvents(3)
	m.Done()
}

func TestLine(t *testing.T) {
	m := Start(io.Discard, "big\x1b.etl", 4_000_000, time.Hour)
	defer m.Done()
	buf := make([]byte, 1_000_000)
	if _, err := m.ReaderAt(bytes.NewReader(make([]byte, 4_000_000))).ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	m.AddEvents(2_500_000)
	got := m.Line(2 * time.Second)
	want := `big\x1b.etl: 1.0 MB of 4.0 MB (25%), 1.2 M events/s`
	if got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

// A read shorter than the delay shows nothing; a longer one draws a line
// and erases it at Done.
func TestDelayAndErase(t *testing.T) {
	var quick syncBuffer
	m := Start(&quick, "small.etl", 10, time.Hour)
	m.Done()
	m.Done()
	if quick.String() != "" {
		t.Errorf("quick read wrote %q", quick.String())
	}
	var slow syncBuffer
	m = Start(&slow, "large.etl", 10, 0)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(slow.String(), "large.etl: 0 B of 10 B (0%)") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	m.Done()
	out := slow.String()
	if !strings.HasPrefix(out, "\rlarge.etl: 0 B of 10 B (0%)\x1b[K") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("output %q", out)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 672: "672 B", 2359296: "2.4 MB", 1_100_000_000: "1.1 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStderrNotTerminal(t *testing.T) {
	if termsize.IsTerminal(os.Stderr) {
		t.Skip("stderr is a terminal")
	}
	if m := Stderr("x.etl", 1); m != nil {
		t.Error("a meter on a stderr that is not a terminal")
	}
}
