package hang

import (
	"testing"
	"unsafe"
)

// The offsets of Layout64/Layout32 against the Go mirrors, laid out by the
// compiler. On a host whose int64 alignment is not 8 (386) the mirrors do
// not have Windows' layout: the Windows build checks that case itself.
func TestLayoutsMatchMirrors(t *testing.T) {
	if unsafe.Alignof(int64(0)) != 8 {
		t.Skip("host aligns int64 to", unsafe.Alignof(int64(0)), "bytes; Windows aligns it to 8")
	}
	var p64 sysProcess[uint64]
	var t64 sysThread[uint64]
	var p32 sysProcess[uint32]
	var t32 sysThread[uint32]
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"64 proc size", uintptr(Layout64.ProcSize), unsafe.Sizeof(p64)},
		{"64 thread size", uintptr(Layout64.ThreadSize), unsafe.Sizeof(t64)},
		{"64 NumberOfThreads", uintptr(Layout64.NumberOfThreads), unsafe.Offsetof(p64.NumberOfThreads)},
		{"64 CreateTime", uintptr(Layout64.CreateTime), unsafe.Offsetof(p64.CreateTime)},
		{"64 ImageName", uintptr(Layout64.ImageName), unsafe.Offsetof(p64.ImageName)},
		{"64 ImageName.Buffer", uintptr(Layout64.ImageName + Layout64.PtrSize), unsafe.Offsetof(p64.ImageName) + unsafe.Offsetof(p64.ImageName.Buffer)},
		{"64 BasePriority", uintptr(Layout64.BasePriority), unsafe.Offsetof(p64.BasePriority)},
		{"64 UniqueProcessId", uintptr(Layout64.UniqueProcessID), unsafe.Offsetof(p64.UniqueProcessID)},
		{"64 InheritedFrom", uintptr(Layout64.InheritedFromPID), unsafe.Offsetof(p64.InheritedFromUniqueProcessID)},
		{"64 HandleCount", uintptr(Layout64.HandleCount), unsafe.Offsetof(p64.HandleCount)},
		{"64 SessionId", uintptr(Layout64.SessionID), unsafe.Offsetof(p64.SessionID)},
		{"64 th CreateTime", uintptr(Layout64.ThCreateTime), unsafe.Offsetof(t64.CreateTime)},
		{"64 th WaitTime", uintptr(Layout64.ThWaitTime), unsafe.Offsetof(t64.WaitTime)},
		{"64 th StartAddress", uintptr(Layout64.ThStartAddress), unsafe.Offsetof(t64.StartAddress)},
		{"64 th ClientId", uintptr(Layout64.ThClientID), unsafe.Offsetof(t64.ClientID)},
		{"64 th Priority", uintptr(Layout64.ThPriority), unsafe.Offsetof(t64.Priority)},
		{"64 th ContextSwitches", uintptr(Layout64.ThContextSwitches), unsafe.Offsetof(t64.ContextSwitches)},
		{"64 th ThreadState", uintptr(Layout64.ThThreadState), unsafe.Offsetof(t64.ThreadState)},
		{"64 th WaitReason", uintptr(Layout64.ThWaitReason), unsafe.Offsetof(t64.WaitReason)},
		{"32 proc size", uintptr(Layout32.ProcSize), unsafe.Sizeof(p32)},
		{"32 thread size", uintptr(Layout32.ThreadSize), unsafe.Sizeof(t32)},
		{"32 ImageName", uintptr(Layout32.ImageName), unsafe.Offsetof(p32.ImageName)},
		{"32 ImageName.Buffer", uintptr(Layout32.ImageName + Layout32.PtrSize), unsafe.Offsetof(p32.ImageName) + unsafe.Offsetof(p32.ImageName.Buffer)},
		{"32 BasePriority", uintptr(Layout32.BasePriority), unsafe.Offsetof(p32.BasePriority)},
		{"32 UniqueProcessId", uintptr(Layout32.UniqueProcessID), unsafe.Offsetof(p32.UniqueProcessID)},
		{"32 InheritedFrom", uintptr(Layout32.InheritedFromPID), unsafe.Offsetof(p32.InheritedFromUniqueProcessID)},
		{"32 HandleCount", uintptr(Layout32.HandleCount), unsafe.Offsetof(p32.HandleCount)},
		{"32 SessionId", uintptr(Layout32.SessionID), unsafe.Offsetof(p32.SessionID)},
		{"32 th StartAddress", uintptr(Layout32.ThStartAddress), unsafe.Offsetof(t32.StartAddress)},
		{"32 th ClientId", uintptr(Layout32.ThClientID), unsafe.Offsetof(t32.ClientID)},
		{"32 th Priority", uintptr(Layout32.ThPriority), unsafe.Offsetof(t32.Priority)},
		{"32 th ContextSwitches", uintptr(Layout32.ThContextSwitches), unsafe.Offsetof(t32.ContextSwitches)},
		{"32 th ThreadState", uintptr(Layout32.ThThreadState), unsafe.Offsetof(t32.ThreadState)},
		{"32 th WaitReason", uintptr(Layout32.ThWaitReason), unsafe.Offsetof(t32.WaitReason)},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: layout says %#x, mirror %#x", c.name, c.got, c.want)
		}
	}
	if n := unsafe.Sizeof(waitchainNodeInfo{}); n != NodeSize {
		t.Errorf("WAITCHAIN_NODE_INFO mirror is %d bytes, want %d", n, NodeSize)
	}
}
