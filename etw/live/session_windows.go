//go:build windows && (amd64 || arm64)

package live

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/etw"
)

// Config describes a recording session.
type Config struct {
	Options
	Name      string // default SessionName(os.Getpid()); ignored with Classic
	LogFile   string // -o FILE.etl; empty for real time only
	RealTime  bool   // also deliver events to a real-time consumer
	Ring      bool   // circular file of MaxFileMB
	MaxFileMB uint32
}

// Session is a started ETW session. Stop it exactly once (Stop is idempotent).
type Session struct {
	name     string
	handle   uint64
	plan     Plan
	cfg      Config
	warnings []string

	props     propertiesConfig // as NewSession built them
	withFlags bool             // started with the kernel flags in EnableFlags

	mu      sync.Mutex
	stopped bool
	final   Properties
}

// ErrUnsupportedWindows reports a Windows older than 8 / Server 2012 (build 9200).
var ErrUnsupportedWindows = errors.New("system-logger sessions need Windows 8 / Server 2012 (build 9200) or later")

// CheckPreconditions verifies what StartTrace needs (docs/recording.md#call-sequence, step 0):
// Windows build >= 9200 and an elevated token.
func CheckPreconditions() error {
	if err := CheckVersion(); err != nil {
		return err
	}
	return CheckElevated()
}

// CheckVersion fails on Windows older than build 9200.
func CheckVersion() error {
	v := windows.RtlGetVersion()
	if v.MajorVersion < 6 || (v.MajorVersion == 6 && v.MinorVersion < 2) || v.BuildNumber < 9200 {
		return fmt.Errorf("%w (this is %d.%d build %d)", ErrUnsupportedWindows, v.MajorVersion, v.MinorVersion, v.BuildNumber)
	}
	return nil
}

// CheckElevated fails when the process token is not elevated.
func CheckElevated() error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return &Error{Op: "StartTrace", Session: "(not started)", Errno: ErrnoAccessDenied}
	}
	return nil
}

func randomGUID() (etw.GUID, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return etw.GUID{}, err
	}
	b[7] = b[7]&0x0F | 0x40 // version 4 (Data3 is little-endian: high byte at 7)
	b[8] = b[8]&0x3F | 0x80
	return etw.GUIDFromBytes(b[:]), nil
}

// NewSession prepares a session for cfg without calling Windows: the plan,
// the session GUID and the encoded EVENT_TRACE_PROPERTIES. The steps of
// docs/recording.md#call-sequence are then its methods, in the order the Recorder
// (lifecycle.go) chooses: StartTrace, EnableKernel, EnableProviders, Rundown.
func NewSession(cfg Config) (*Session, error) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		return nil, fmt.Errorf("unsupported architecture %s (amd64 and arm64 only)", runtime.GOARCH)
	}
	if cfg.Name == "" {
		cfg.Name = SessionName(os.Getpid())
	}
	if cfg.Classic {
		cfg.Name = ClassicSessionName
	}
	plan := makePlan(cfg.Options)
	guid, err := randomGUID()
	if err != nil {
		return nil, err
	}
	sc := sessionConfig{Name: cfg.Name, LogFile: cfg.LogFile, RealTime: cfg.RealTime, Classic: cfg.Classic,
		Ring: cfg.Ring, MaxFileMB: cfg.MaxFileMB, NumCPU: runtime.NumCPU(), SessionGUID: guid,
		EnableFlags: plan.EnableFlags}
	pc, err := sc.Properties()
	if err != nil {
		return nil, err
	}
	if _, err := encodeProperties(pc); err != nil {
		return nil, err
	}
	return &Session{name: cfg.Name, plan: plan, cfg: cfg, props: pc}, nil
}

// restartPause is the wait between stopping a session and starting one of
// the same name again (the first attempt and the EnableFlags fallback alike).
const restartPause = 100 * time.Millisecond

// StartTrace creates the session (docs/recording.md#call-sequence, steps 1–2): it stops a
// leftover session of the same name, calls StartTrace, and on
// ERROR_ALREADY_EXISTS stops, waits and retries once. withFlags writes the
// kernel flags into EnableFlags, the fallback when TraceSetInformation
// refuses the group masks (docs/recording.md#group-masks).
func (s *Session) StartTrace(withFlags bool) error {
	pc := s.props
	if withFlags {
		pc.EnableFlags = s.plan.EnableFlags
	}
	raw, err := encodeProperties(pc)
	if err != nil {
		return err
	}
	if !s.cfg.Classic {
		StopSession(s.name) // a leftover of ours (same PID reused, or a crash)
		if withFlags {
			time.Sleep(restartPause)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var h uint64
	err = startTrace(&h, s.name, newAligned(raw))
	if errors.Is(err, syscall.Errno(ErrnoAlreadyExists)) {
		if s.cfg.Classic {
			return fmt.Errorf("%w; the NT Kernel Logger is in use by another tool (xperf, WPR, Process Monitor…); ipctrace does not steal it — stop that tool or run without --classic", callErr("StartTrace", s.name, err))
		}
		StopSession(s.name)
		time.Sleep(restartPause)
		err = startTrace(&h, s.name, newAligned(raw))
	}
	if err != nil {
		return callErr("StartTrace", s.name, err)
	}
	s.handle, s.stopped, s.final, s.withFlags = h, false, Properties{}, withFlags
	return nil
}

// EnableKernel sets the kernel flags and group masks with
// TraceSetInformation (docs/recording.md#call-sequence, step 3). For a private session an
// all-zero mask goes first (the rundown trigger). When Windows refuses
// both the 32-byte and the 8-byte mask it returns ErrKernelFlagsRefused:
// the caller restarts with StartTrace(true).
func (s *Session) EnableKernel() ([]string, error) {
	var warnings []string
	plan := s.plan
	if s.cfg.Classic || s.withFlags {
		if plan.Masks[4] != 0 {
			if err := traceSetInformation(s.handle, traceSystemTraceEnableFlags, plan.Masks.Encode()); err != nil {
				warnings = append(warnings, fmt.Sprintf("handle events (group mask Masks[4]) not enabled: %v", err))
			}
		}
		return warnings, nil
	}
	var zero GroupMask
	if err := traceSetInformation(s.handle, traceSystemTraceEnableFlags, zero.Encode()); err != nil {
		warnings = append(warnings, fmt.Sprintf("zero group mask (rundown trigger) not accepted: %v", err))
	}
	err := traceSetInformation(s.handle, traceSystemTraceEnableFlags, plan.Masks.Encode())
	if err != nil && [6]uint32(plan.Masks[2:]) == [6]uint32{} {
		// PerfView passes only Masks[0..1] (8 bytes) for system loggers (docs/recording.md#group-masks).
		if err8 := traceSetInformation(s.handle, traceSystemTraceEnableFlags, plan.Masks.Encode()[:8]); err8 == nil {
			warnings = append(warnings, fmt.Sprintf("32-byte group mask refused (%v); 8-byte form accepted", err))
			err = nil
		}
	}
	if err != nil {
		return warnings, fmt.Errorf("%w: %w", ErrKernelFlagsRefused,
			callErr("TraceSetInformation(TraceSystemTraceEnableFlagsInfo)", s.name, err))
	}
	return warnings, nil
}

// EnableProviders enables the plan's providers except the rundown one
// (docs/recording.md#call-sequence, step 5). A provider Windows refuses is a warning.
func (s *Session) EnableProviders() []string {
	var warnings []string
	for _, p := range s.plan.Providers {
		if p.Rundown {
			continue
		}
		if err := s.EnableProvider(p); err != nil {
			warnings = append(warnings, err.Error())
		}
	}
	return warnings
}

// HasStartRundown reports whether the plan asks for the start rundown.
func (s *Session) HasStartRundown() bool {
	for _, p := range s.plan.Providers {
		if p.Rundown {
			return true
		}
	}
	return false
}

// Start prepares and starts a session with every step in one call, in the
// order of the Recorder without a consumer (tests and file-only use):
// StartTrace, kernel masks (restarting with EnableFlags when they are
// refused), providers, start rundown.
func Start(cfg Config) (*Session, error) {
	s, err := NewSession(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.StartTrace(false); err != nil {
		return nil, err
	}
	w, err := s.EnableKernel()
	s.warnings = append(s.warnings, w...)
	if errors.Is(err, ErrKernelFlagsRefused) {
		s.Stop()
		if err2 := s.StartTrace(true); err2 != nil {
			return nil, fmt.Errorf("%w; restarting with EnableFlags also failed: %w", err, err2)
		}
		s.warnings = append(s.warnings, fmt.Sprintf("%v; kernel flags set through EnableFlags instead", err))
		w, _ = s.EnableKernel()
		s.warnings = append(s.warnings, w...)
	} else if err != nil {
		s.Stop()
		return nil, err
	}
	s.warnings = append(s.warnings, s.EnableProviders()...)
	if s.HasStartRundown() {
		if err := s.Rundown(); err != nil {
			s.warnings = append(s.warnings, err.Error())
		}
	}
	return s, nil
}

// EnableProvider enables one provider into the session (EnableTraceEx2, ENABLE_PROVIDER).
func (s *Session) EnableProvider(p Provider) error {
	g := winGUID(p.GUID)
	if err := enableTraceEx2(s.handle, &g, enableEnableProvider, p.Level, p.MatchAny, p.MatchAll, 0, nil); err != nil {
		return callErr("EnableTraceEx2("+p.Name+")", s.name, err)
	}
	return nil
}

// EnableProviderSync enables a user-mode provider and waits (at most
// timeout) until its registrations have been told: with Timeout 0
// EnableTraceEx2 returns before the provider's enable callback has run, and
// events written at once would be lost (used for ipctrace's own provider).
func (s *Session) EnableProviderSync(p Provider, timeout time.Duration) error {
	g := winGUID(p.GUID)
	ms := uint32(timeout / time.Millisecond)
	if ms == 0 {
		ms = 1
	}
	if err := enableTraceEx2(s.handle, &g, enableEnableProvider, p.Level, p.MatchAny, p.MatchAll, ms, nil); err != nil {
		return callErr("EnableTraceEx2("+p.Name+")", s.name, err)
	}
	return nil
}

// Rundown asks for the file-name rundown now (KernelRundownGuid kw 0x10,
// docs/recording.md#rundown), e.g. right before the session stops.
// The provider is disabled first: enabling an already enabled provider
// with the same parameters need not start a new rundown.
func (s *Session) Rundown() error {
	g := winGUID(kernelRundownGUID)
	enableTraceEx2(s.handle, &g, enableDisableProvider, 0, 0, 0, 0, nil)
	return s.EnableProvider(Provider{Name: kernelRundownName, GUID: kernelRundownGUID,
		Level: levelInformational, MatchAny: kernelRundownKeywords})
}

// Name returns the session name.
func (s *Session) Name() string { return s.name }

// Plan returns what the session enabled.
func (s *Session) Plan() Plan { return s.plan }

// Warnings lists the parts of the plan Windows refused (a provider, the
// rundown trigger), each with its error.
func (s *Session) Warnings() []string { return s.warnings }

// Query returns the session's current properties and loss counters.
func (s *Session) Query() (Properties, error) { return control(s.handle, "", controlTraceQuery) }

// Stop stops the session (docs/recording.md#call-sequence, step 8). The returned properties
// carry the final loss counters. Calling Stop again returns the same result.
func (s *Session) Stop() (Properties, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return s.final, nil
	}
	p, err := control(s.handle, "", controlTraceStop)
	if err != nil {
		// The handle may be stale (stopped from outside); try by name.
		if p2, err2 := control(0, s.name, controlTraceStop); err2 == nil {
			p, err = p2, nil
		}
	}
	s.stopped = true
	s.final = p
	return p, err
}

func control(handle uint64, name string, code uint32) (Properties, error) {
	buf := newAligned(controlBuffer())
	err := controlTrace(handle, name, buf, code)
	if errors.Is(err, syscall.Errno(ErrnoMoreData)) {
		err = nil // the operation happened; the names did not fit (docs/recording.md#pitfalls, pitfall 3)
	}
	op := [...]string{"QUERY", "STOP", "UPDATE", "FLUSH"}[code&3]
	if err != nil {
		n := name
		if n == "" {
			n = fmt.Sprintf("handle %#x", handle)
		}
		return Properties{}, callErr("ControlTrace("+op+")", n, err)
	}
	p, _ := decodeProperties(buf.bytes())
	return p, nil
}

// StopSession stops a session by name. A session that does not exist
// (4201) is not an error.
func StopSession(name string) (Properties, error) {
	p, err := control(0, name, controlTraceStop)
	if errors.Is(err, syscall.Errno(ErrnoWMIInstanceAbsent)) {
		return p, nil
	}
	return p, err
}

// FlushSession flushes a running session by name (record --snapshot).
func FlushSession(name string) (Properties, error) {
	if _, err := control(0, name, controlTraceFlush); err != nil {
		return Properties{}, err
	}
	return control(0, name, controlTraceQuery)
}

// QuerySession returns the properties of a running session by name.
func QuerySession(name string) (Properties, error) { return control(0, name, controlTraceQuery) }

// maxSessions is the size of the QueryAllTraces array (64 sessions per machine).
const maxSessions = 64

// ListSessions enumerates the running sessions (QueryAllTracesW).
func ListSessions() ([]Properties, error) {
	bufs := make([]*alignedBuf, maxSessions)
	ptrs := make([]uintptr, maxSessions)
	for i := range bufs {
		bufs[i] = newAligned(controlBuffer())
		ptrs[i] = bufs[i].ptr()
	}
	var count uint32
	r, _, _ := procQueryAllTracesW.Call(uintptr(unsafe.Pointer(&ptrs[0])), maxSessions, uintptr(unsafe.Pointer(&count)))
	if err := errno(r); err != nil && !errors.Is(err, syscall.Errno(ErrnoMoreData)) {
		return nil, callErr("QueryAllTraces", "*", err)
	}
	if count > maxSessions {
		count = maxSessions
	}
	out := make([]Properties, 0, count)
	for i := 0; i < int(count); i++ {
		p, _ := decodeProperties(bufs[i].bytes())
		out = append(out, p)
	}
	runtime.KeepAlive(bufs)
	return out, nil
}

// processRunning reports whether pid names a live process.
func processRunning(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		// Access denied means it exists (a protected process); anything else: gone.
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	return code == 259 // STILL_ACTIVE
}

// processImage returns the base name of pid's executable, "" if unknown.
func processImage(pid int) string {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if windows.QueryFullProcessImageName(h, 0, &buf[0], &n) != nil {
		return ""
	}
	return filepath.Base(windows.UTF16ToString(buf[:n]))
}

// ownerGone reports whether the process named by an ipctrace session is
// gone: not running, or its PID now belongs to a program that is neither
// ipctrace nor this executable (PID reuse).
func ownerGone(pid int) bool {
	if !processRunning(pid) {
		return true
	}
	img := strings.ToLower(processImage(pid))
	if img == "" {
		return false // cannot tell: keep the session
	}
	self, _ := os.Executable()
	return !strings.Contains(img, "ipctrace") && img != strings.ToLower(filepath.Base(self))
}

// CleanupStale stops every "ipctrace-<pid>" session whose process no
// longer runs, or whose PID now runs another program (left by a killed
// ipctrace; docs/recording.md#pitfalls, pitfalls 1 and 8), and returns their names.
func CleanupStale() ([]string, error) {
	list, err := ListSessions()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var stopped []string
	var errs []error
	for _, p := range list {
		pid, ok := SessionPID(p.SessionName)
		if !ok || pid == self || !ownerGone(pid) {
			continue
		}
		if _, err := StopSession(p.SessionName); err != nil {
			errs = append(errs, err)
			continue
		}
		stopped = append(stopped, p.SessionName)
	}
	return stopped, errors.Join(errs...)
}

// IsWine reports whether the process runs under Wine, and its version
// (ntdll!wine_get_version).
func IsWine() (string, bool) {
	if procWineGetVersion.Find() != nil {
		return "", false
	}
	r, _, _ := procWineGetVersion.Call()
	if r == 0 {
		return "", true
	}
	return windows.BytePtrToString((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&r)))), true
}
