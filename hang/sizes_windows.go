//go:build windows

package hang

import "unsafe"

// Compile-time checks of the structure layouts against the mirrors in
// mirror.go as this architecture lays them out (uintptr is the native
// pointer). Each pair of array types fails to compile unless the two
// values are equal: a negative length is an error, and so is a non-zero
// one assigned to [0]byte.
const ptrSize = unsafe.Sizeof(uintptr(0))

// is64 is 1 on 64-bit Windows, 0 on 32-bit.
const is64 = ptrSize / 8

// The native layout's values, chosen by arithmetic on is64.
const (
	nativeProcSize   = procSize32 + is64*(procSize64-procSize32)
	nativeThreadSize = threadSize32 + is64*(threadSize64-threadSize32)
	nativePID        = p32UniqueProcessID + is64*(p64UniqueProcessID-p32UniqueProcessID)
	nativeParent     = p32InheritedFromPID + is64*(p64InheritedFromPID-p32InheritedFromPID)
	nativeSession    = p32SessionID + is64*(p64SessionID-p32SessionID)
	nativeClientID   = t32ClientID + is64*(t64ClientID-t32ClientID)
	nativeState      = t32ThreadState + is64*(t64ThreadState-t32ThreadState)
	nativeReason     = t32WaitReason + is64*(t64WaitReason-t32WaitReason)
)

var (
	sp sysProcess[uintptr]
	st sysThread[uintptr]
	wn waitchainNodeInfo
)

var (
	_ [0]byte = [unsafe.Sizeof(wn) - NodeSize]byte{}
	_ [0]byte = [unsafe.Sizeof(sp) - nativeProcSize]byte{}
	_ [0]byte = [unsafe.Offsetof(sp.ImageName) - pImageName]byte{}
	_ [0]byte = [unsafe.Offsetof(sp.UniqueProcessID) - nativePID]byte{}
	_ [0]byte = [unsafe.Offsetof(sp.InheritedFromUniqueProcessID) - nativeParent]byte{}
	_ [0]byte = [unsafe.Offsetof(sp.SessionID) - nativeSession]byte{}
	_ [0]byte = [unsafe.Offsetof(st.WaitTime) - tWaitTime]byte{}
	_ [0]byte = [unsafe.Offsetof(st.ClientID) - nativeClientID]byte{}
	_ [0]byte = [unsafe.Offsetof(st.ThreadState) - nativeState]byte{}
	_ [0]byte = [unsafe.Offsetof(st.WaitReason) - nativeReason]byte{}
	// Windows pads SYSTEM_THREAD_INFORMATION to 8 bytes; Go on 386
	// aligns int64 to 4 and leaves the last 4 bytes out.
	_ [0]byte = [(unsafe.Sizeof(st)+7)&^7 - nativeThreadSize]byte{}
)
