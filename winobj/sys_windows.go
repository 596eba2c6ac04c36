//go:build windows && (amd64 || arm64)

package winobj

import "golang.org/x/sys/windows"

// ntdll entry points that golang.org/x/sys/windows does not wrap. Every
// call passes its buffers as uintptr(unsafe.Pointer(...)) inside the
// argument list, which keeps them alive for the call.
var (
	modNtdll                 = windows.NewLazySystemDLL("ntdll.dll")
	procNtQueryDirectoryFile = modNtdll.NewProc("NtQueryDirectoryFile")
	procNtOpenDirectoryObj   = modNtdll.NewProc("NtOpenDirectoryObject")
	procNtQueryDirectoryObj  = modNtdll.NewProc("NtQueryDirectoryObject")
	procNtOpenSection        = modNtdll.NewProc("NtOpenSection")
	procNtQuerySecurityObj   = modNtdll.NewProc("NtQuerySecurityObject")
	procNtQueryObject        = modNtdll.NewProc("NtQueryObject")
	procWineGetVersion       = modNtdll.NewProc("wine_get_version")
)
