package live

import (
	"fmt"
	"syscall"
)

// win32Texts are the system messages of the Win32 errors ETW calls return
// most, so that an Error reads the same on every OS (tests run on Linux).
var win32Texts = map[syscall.Errno]string{
	ErrnoAccessDenied:      "Access is denied.",
	ErrnoInvalidHandle:     "The handle is invalid.",
	ErrnoInvalidParameter:  "The parameter is incorrect.",
	ErrnoAlreadyExists:     "Cannot create a file when that file already exists.",
	ErrnoMoreData:          "More data is available.",
	ErrnoCancelled:         "The operation was canceled by the user.",
	ErrnoNoSystemResources: "Insufficient system resources exist to complete the requested service.",
	ErrnoWMIInstanceAbsent: "The instance name passed was not recognized as valid by a WMI data provider.",
}

func win32Text(e syscall.Errno) string {
	if t, ok := win32Texts[e]; ok {
		return t
	}
	return e.Error()
}

// Error is a failed ETW call with the Win32 error and a hint for the user.
type Error struct {
	Op      string // StartTrace, ControlTrace(STOP), EnableTraceEx2(Microsoft-Windows-RPC), …
	Session string
	Errno   syscall.Errno
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s on session %q failed: %s (Win32 error %d)", e.Op, e.Session, win32Text(e.Errno), uint32(e.Errno))
	switch e.Errno {
	case ErrnoAccessDenied:
		msg += "; kernel ETW sessions and their consumers need an elevated prompt (Run as administrator)"
	case ErrnoNoSystemResources:
		msg += "; Windows allows 8 system-logger sessions and all are in use: list them with `logman query -ets` and stop a stale one with `logman stop NAME -ets`"
	case ErrnoInvalidParameter:
		msg += "; Windows rejected the session properties (structure layout or flags)"
	case ErrnoAlreadyExists:
		msg += "; a session with this name already exists"
	case ErrnoWMIInstanceAbsent:
		msg += "; the session does not exist (it was stopped from outside, e.g. `logman stop NAME -ets`, or never started)"
	case ErrnoCancelled:
		msg += "; the operation was cancelled (the consumer was closed or the session stopped)"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Errno }
