// Package progress shows how far a long read has come, on stderr, when
// stderr is a terminal: "FILE: 312 MB of 1.1 GB (27%), 1.2 M events/s".
//
// It never writes when its output is not a terminal, so logs, pipes and
// tests stay clean, and it says nothing for reads that end before a short
// delay (small files). A *Meter is counted through the io.ReaderAt that
// Meter.ReaderAt wraps (bytes) and through AddEvents (events); all methods
// are safe for concurrent use and do nothing on a nil *Meter.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/internal/termsize"
)

// Delay is how long a read runs before the meter first shows; Interval how
// often it is redrawn.
const (
	Delay    = 1 * time.Second
	Interval = 250 * time.Millisecond
)

// Meter counts the bytes and events of one read and redraws one status
// line.
type Meter struct {
	w     io.Writer
	name  string
	total int64
	start time.Time

	bytes  atomic.Int64
	events atomic.Int64

	mu    sync.Mutex
	shown bool // a line is on the screen
	stop  chan struct{}
	done  chan struct{}
}

// Stderr returns a meter for reading name (total bytes) that draws on
// os.Stderr, or nil when stderr is not a terminal.
func Stderr(name string, total int64) *Meter {
	if !termsize.IsTerminal(os.Stderr) {
		return nil
	}
	return Start(os.Stderr, name, total, Delay)
}

// Start returns a running meter drawing on w after delay. Callers that do
// not know whether w is a terminal use Stderr instead.
func Start(w io.Writer, name string, total int64, delay time.Duration) *Meter {
	m := &Meter{w: w, name: termsafe.String(name), total: total, start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	go m.loop(delay)
	return m
}

func (m *Meter) loop(delay time.Duration) {
	defer close(m.done)
	select {
	case <-m.stop:
		return
	case <-time.After(delay):
	}
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		m.draw()
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

func (m *Meter) draw() {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(m.w, "\r%s\x1b[K", m.Line(time.Since(m.start)))
	m.shown = true
}

// Line is the status text after elapsed time.
func (m *Meter) Line(elapsed time.Duration) string {
	b := min(m.bytes.Load(), m.total)
	s := m.name + ": " + Bytes(b)
	if m.total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", Bytes(m.total), b*100/m.total)
	}
	if ev := m.events.Load(); ev > 0 && elapsed > 0 {
		s += ", " + rate(float64(ev)/elapsed.Seconds()) + " events/s"
	}
	return s
}

// AddEvents counts n more events read.
func (m *Meter) AddEvents(n int) {
	if m != nil {
		m.events.Add(int64(n))
	}
}

// Done stops the meter and erases its line. It may be called more than once.
func (m *Meter) Done() {
	if m == nil {
		return
	}
	m.mu.Lock()
	select {
	case <-m.stop:
		m.mu.Unlock()
		return
	default:
		close(m.stop)
	}
	m.mu.Unlock()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shown {
		fmt.Fprint(m.w, "\r\x1b[K")
		m.shown = false
	}
}

// ReaderAt returns r counting the bytes read through it into m; on a nil
// meter it returns r itself.
func (m *Meter) ReaderAt(r io.ReaderAt) io.ReaderAt {
	if m == nil {
		return r
	}
	return &countingReaderAt{r: r, m: m}
}

type countingReaderAt struct {
	r io.ReaderAt
	m *Meter
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.m.bytes.Add(int64(n))
	return n, err
}

// Bytes formats n with a decimal unit: "672 B", "3.4 MB", "1.1 GB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, " kMGT"[i])
}

// rate formats an events-per-second figure: "950", "12.3 k", "1.2 M".
func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
