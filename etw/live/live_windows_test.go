//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
)

// Windows tests. They run on real Windows (elevated) and under Wine, which
// accepts ETW calls but records nothing and lacks some NT queries: such
// cases are detected (ntdll!wine_get_version) and skipped or relaxed with
// the reason. Temporary directories come from os.MkdirTemp with best-effort
// cleanup (Wine cannot remove directories the way t.TempDir does).

func wine(t *testing.T) (string, bool) {
	v, ok := IsWine()
	if ok {
		t.Logf("running under Wine %s", v)
	}
	return v, ok
}

func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "ipctrace-live-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func needElevated(t *testing.T) {
	if err := CheckVersion(); err != nil {
		// Wine reports Windows 7 by default; its ETW stubs do not check the
		// version, so the session code still runs there.
		if v, ok := IsWine(); ok {
			t.Logf("Wine %s: ignoring the version check (%v)", v, err)
		} else {
			t.Skipf("cannot start kernel sessions here: %v", err)
		}
	}
	if err := CheckElevated(); err != nil {
		t.Skipf("cannot start kernel sessions here: %v", err)
	}
}

// traffic makes file and pipe activity for the session to see.
func traffic(t *testing.T, dir string) {
	for i := 0; i < 20; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d.txt", i))
		os.WriteFile(p, []byte("ipctrace"), 0o644)
		os.ReadFile(p)
	}
	name, _ := windows.UTF16PtrFromString(fmt.Sprintf(`\\.\pipe\ipctrace-live-%d`, os.Getpid()))
	h, err := windows.CreateNamedPipe(name, windows.PIPE_ACCESS_DUPLEX, windows.PIPE_TYPE_BYTE, 1, 4096, 4096, 0, nil)
	if err == nil {
		windows.CloseHandle(h)
	}
}

func TestWineDetection(t *testing.T) {
	v, ok := IsWine()
	t.Logf("IsWine = %v (%q)", ok, v)
	if ok && v == "" {
		t.Error("wine_get_version returned no version")
	}
}

// startOrSkip starts a session; under Wine a refusal is a skip with its reason.
func startOrSkip(t *testing.T, cfg Config) *Session {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		if _, w := wine(t); w {
			t.Skipf("Wine refused the session: %v", err)
		}
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Stop() })
	for _, w := range s.Warnings() {
		t.Logf("warning: %s", w)
	}
	return s
}

func TestRealTimeSession(t *testing.T) {
	needElevated(t)
	_, underWine := wine(t)
	dir := tempDir(t)
	s := startOrSkip(t, Config{Name: SessionName(os.Getpid()) + "-rt", RealTime: true})
	c, err := OpenRealTime(s.Name(), 1<<14)
	if err != nil {
		if underWine {
			t.Skipf("Wine: OpenTrace on a real-time session: %v", err)
		}
		t.Fatal(err)
	}
	traffic(t, dir)
	time.Sleep(2 * time.Second)
	var got []etw.Record
	drain := func() {
		for {
			select {
			case r, ok := <-c.Records():
				if !ok {
					return
				}
				got = append(got, r)
			default:
				return
			}
		}
	}
	drain()
	p, err := s.Stop()
	if err != nil {
		t.Errorf("Stop: %v", err)
	}
	done := make(chan struct{})
	go func() {
		for r := range c.Records() {
			got = append(got, r)
		}
		close(done)
	}()
	if err := c.Wait(15 * time.Second); err != nil {
		// ProcessTrace still running after STOP: close it, bounded again.
		c.Close()
		if err := c.Wait(5 * time.Second); err != nil {
			t.Fatalf("consumer did not end after stop and CloseTrace: %v", err)
		}
	}
	<-done
	st := c.Stats()
	t.Logf("stop: EventsLost %d BuffersWritten %d RealTimeBuffersLost %d; consumer: %+v, %d records",
		p.EventsLost, p.BuffersWritten, p.RealTimeBuffersLost, st, len(got))
	if len(got) == 0 {
		if underWine {
			t.Logf("Wine: ETW delivered nothing (expected: Wine records no kernel events)")
			return
		}
		t.Fatal("a real-time kernel session delivered no events")
	}
	kinds := map[etw.HeaderKind]int{}
	for _, r := range got {
		kinds[r.Kind]++
		if r.Time == 0 {
			t.Errorf("record without time: %+v", r)
			break
		}
	}
	t.Logf("record kinds: %v", kinds)
	if st.Panics != 0 {
		t.Errorf("%d callback panics", st.Panics)
	}
}

func TestFileSession(t *testing.T) {
	needElevated(t)
	_, underWine := wine(t)
	dir := tempDir(t)
	out := filepath.Join(dir, "t.etl")
	s := startOrSkip(t, Config{Name: SessionName(os.Getpid()) + "-file", LogFile: out, MaxFileMB: 64})
	traffic(t, dir)
	time.Sleep(time.Second)
	p, err := s.Stop()
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	fi, statErr := os.Stat(out)
	t.Logf("stop: LogFile %q EventsLost %d BuffersWritten %d LogBuffersLost %d; file: %v %v", p.LogFile,
		p.EventsLost, p.BuffersWritten, p.LogBuffersLost, fi, statErr)
	if statErr != nil || fi.Size() == 0 {
		if underWine {
			t.Logf("Wine: no .etl written (ETW delivered nothing)")
			return
		}
		t.Fatalf("no trace file: %v", statErr)
	}
	f, err := etw.Open(out)
	if err != nil {
		t.Fatalf("our own reader cannot open the file Windows wrote: %v", err)
	}
	defer f.Close()
	n := 0
	for _, err := range f.Records() {
		if err != nil {
			t.Errorf("read: %v", err)
			break
		}
		n++
	}
	if n == 0 {
		t.Error("file has no records")
	}
	t.Logf("%d records read back", n)
}

func TestStopByNameAndStale(t *testing.T) {
	needElevated(t)
	_, underWine := wine(t)
	// A PID that no longer runs: a finished child process.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v", err)
	}
	dead := cmd.Process.Pid
	if processRunning(dead) {
		t.Skipf("pid %d reused already", dead)
	}
	name := SessionName(dead)
	s := startOrSkip(t, Config{Name: name, RealTime: true})
	list, err := ListSessions()
	if err != nil {
		if underWine {
			t.Skipf("Wine: QueryAllTraces: %v", err)
		}
		t.Fatal(err)
	}
	found := false
	for _, p := range list {
		if strings.EqualFold(p.SessionName, name) {
			found = true
		}
	}
	if !found {
		if underWine {
			t.Skipf("Wine: QueryAllTraces does not list sessions (%d listed)", len(list))
		}
		t.Fatalf("session %s not listed by QueryAllTraces (%d sessions)", name, len(list))
	}
	stopped, err := CleanupStale()
	if err != nil {
		t.Logf("cleanup errors: %v", err)
	}
	ok := false
	for _, n := range stopped {
		ok = ok || n == name
	}
	if !ok {
		t.Errorf("CleanupStale stopped %v, want %s", stopped, name)
	}
	if _, err := QuerySession(name); !errors.Is(err, syscall.Errno(ErrnoWMIInstanceAbsent)) {
		t.Errorf("session still queryable after cleanup: %v", err)
	}
	s.Stop()
}

func TestStopMissingSession(t *testing.T) {
	if _, err := StopSession("ipctrace-no-such-session-xyz"); err != nil {
		if _, w := wine(t); w {
			t.Skipf("Wine: ControlTrace(STOP) on a missing session: %v", err)
		}
		t.Errorf("stopping a missing session: %v (4201 must be ignored)", err)
	}
}

func TestTraceLoggingWriter(t *testing.T) {
	traits, schema, data, err := etw.EncodeTraceLogging(etw.TLProviderMeta{Name: "IpcTraceTest"},
		etw.TLEventMeta{Name: "Hello", Level: 4}, []etw.TLValue{{Name: "n", InType: etw.TLInUint32, Value: uint32(7)}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := RegisterTraceLogging(etw.TraceLoggingProviderGUID("IpcTraceTest"), traits)
	if err != nil {
		t.Fatal(err)
	}
	// No session enables this provider: the event is refused, not counted.
	if w.Enabled(4, 0) {
		t.Error("a provider no session enables reports itself enabled")
	}
	if err := w.Write(4, 0, 0, schema, data); !errors.Is(err, ErrNotEnabled) {
		t.Errorf("write (no session listening): %v, want ErrNotEnabled", err)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
	if err := w.Write(4, 0, 0, schema, data); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("write after close: %v", err)
	}
}

// The struct mirrors must match the pure encoder byte for byte: Windows
// receives encodeProperties' bytes, and reads results through the mirrors.
func TestMirrorsMatchEncoder(t *testing.T) {
	b, err := encodeProperties(propertiesConfig{SessionName: "x", LogFile: `C:\y.etl`, BufferSizeKB: 64,
		MinBuffers: 4, MaxBuffers: 68, LogFileMode: modeRealTime | modeSystemLogger, FlushTimer: 1, EnableFlags: 7, ClockType: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := newAligned(b)
	p := (*eventTraceProperties)(unsafe.Pointer(&a.words[0]))
	if p.Wnode.BufferSize != uint32(len(b)) || p.Wnode.Flags != wnodeFlagTracedGUID || p.BufferSize != 64 ||
		p.LogFileMode != 0x02000100 || p.EnableFlags != 7 || p.LoggerNameOffset != 120 || p.LogFileNameOffset != 128 {
		t.Errorf("mirror reads %+v", *p)
	}
}

// TestFileConsumer reads a corpus .etl through OpenTrace/ProcessTrace and
// EventRecordCallback, and compares it with the project's own reader.
func TestFileConsumer(t *testing.T) {
	_, underWine := wine(t)
	path := shared.Path(t, "corpus", "perfview__smallEtlFile.etl")
	c, err := OpenFile(path, 1<<16)
	if err != nil {
		if underWine {
			t.Skipf("Wine: OpenTrace on a file: %v", err)
		}
		t.Fatal(err)
	}
	var got []etw.Record
	done := make(chan struct{})
	go func() {
		for r := range c.Records() {
			got = append(got, r)
		}
		close(done)
	}()
	if err := c.Wait(30 * time.Second); err != nil {
		c.Close()
		t.Fatalf("ProcessTrace on a file: %v", err)
	}
	<-done
	c.Close()
	f, err := etw.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := 0
	for _, err := range f.Records() {
		if err == nil {
			want++
		}
	}
	t.Logf("ETW delivered %d records (%+v), our reader %d; header %+v", len(got), c.Stats(), want, c.Header())
	if len(got) == 0 {
		if underWine {
			t.Skip("Wine: ProcessTrace delivered nothing from the file")
		}
		t.Fatal("no records delivered")
	}
	if !underWine && (len(got) < want-1 || len(got) > want+1) {
		// ETW may or may not deliver the EventTrace header record.
		t.Errorf("ETW delivered %d records, our reader %d", len(got), want)
	}
}
