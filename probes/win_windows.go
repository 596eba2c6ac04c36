//go:build windows

package probes

import (
	"errors"
	"syscall"
	"unsafe"

	"github.com/ipctrace/ipctrace/verify"
	"golang.org/x/sys/windows"
)

// Procedures not wrapped by golang.org/x/sys/windows.
var (
	modkernel32 = windows.NewLazySystemDLL("kernel32.dll")
	modntdll    = windows.NewLazySystemDLL("ntdll.dll")

	procQueryPerformanceCounter   = modkernel32.NewProc("QueryPerformanceCounter")
	procQueryPerformanceFrequency = modkernel32.NewProc("QueryPerformanceFrequency")
	procTransactNamedPipe         = modkernel32.NewProc("TransactNamedPipe")
	procOpenFileMappingW          = modkernel32.NewProc("OpenFileMappingW")
	procWaitNamedPipeW            = modkernel32.NewProc("WaitNamedPipeW")
	procGetNamedPipeClientPID     = modkernel32.NewProc("GetNamedPipeClientProcessId")
	procWineGetVersion            = modntdll.NewProc("wine_get_version")
)

// qpc returns the current QueryPerformanceCounter value.
func qpc() int64 {
	var v int64
	procQueryPerformanceCounter.Call(uintptr(unsafe.Pointer(&v)))
	return v
}

// qpcFrequency returns QueryPerformanceFrequency (ticks per second).
func qpcFrequency() int64 {
	var v int64
	procQueryPerformanceFrequency.Call(uintptr(unsafe.Pointer(&v)))
	return v
}

// newClock samples QPC and the precise system time together.
func newClock() verify.Clock {
	var ft windows.Filetime
	q0 := qpc()
	windows.GetSystemTimePreciseAsFileTime(&ft)
	q1 := qpc()
	return verify.Clock{
		Frequency:    qpcFrequency(),
		BaseQPC:      q0 + (q1-q0)/2,
		BaseFileTime: int64(ft.HighDateTime)<<32 | int64(ft.LowDateTime),
	}
}

// WineVersion returns the Wine version when running under Wine (ntdll
// exports wine_get_version), or "".
func WineVersion() string {
	if procWineGetVersion.Find() != nil {
		return ""
	}
	r, _, _ := procWineGetVersion.Call()
	if r == 0 {
		return "unknown"
	}
	return windows.BytePtrToString(&viewBytes(r, 1)[0])
}

// transactNamedPipe is TransactNamedPipe without OVERLAPPED.
func transactNamedPipe(h windows.Handle, in, out []byte) (uint32, error) {
	var n uint32
	var inp, outp *byte
	if len(in) > 0 {
		inp = &in[0]
	}
	if len(out) > 0 {
		outp = &out[0]
	}
	r, _, err := procTransactNamedPipe.Call(uintptr(h),
		uintptr(unsafe.Pointer(inp)), uintptr(len(in)),
		uintptr(unsafe.Pointer(outp)), uintptr(len(out)),
		uintptr(unsafe.Pointer(&n)), 0)
	if r == 0 {
		return n, err
	}
	return n, nil
}

// openFileMapping is OpenFileMappingW.
func openFileMapping(access uint32, name string) (windows.Handle, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	r, _, err := procOpenFileMappingW.Call(uintptr(access), 0, uintptr(unsafe.Pointer(p)))
	if r == 0 {
		return 0, err
	}
	return windows.Handle(r), nil
}

// waitNamedPipe is WaitNamedPipeW.
func waitNamedPipe(name string, ms uint32) error {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	r, _, err := procWaitNamedPipeW.Call(uintptr(unsafe.Pointer(p)), uintptr(ms))
	if r == 0 {
		return err
	}
	return nil
}

// namedPipeClientPID is GetNamedPipeClientProcessId; 0 when unavailable.
func namedPipeClientPID(h windows.Handle) uint32 {
	if procGetNamedPipeClientPID.Find() != nil {
		return 0
	}
	var pid uint32
	r, _, _ := procGetNamedPipeClientPID.Call(uintptr(h), uintptr(unsafe.Pointer(&pid)))
	if r == 0 {
		return 0
	}
	return pid
}

// errno returns the Win32 error number of err, or 0.
func errno(err error) uint32 {
	var e syscall.Errno
	if errors.As(err, &e) {
		return uint32(e)
	}
	if err != nil {
		return 0xFFFFFFFF
	}
	return 0
}

// viewBytes returns the n bytes at addr, a mapped view or a string
// returned by a system call (memory Go's collector does not manage).
func viewBytes(addr uintptr, n int) []byte {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n)
}
