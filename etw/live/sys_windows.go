//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/etw"
)

// Go mirrors of the ETW structures (docs/recording.md#structures). On amd64 and arm64 Go's
// natural alignment equals MSVC's; the assertions below stop the build if a
// field is ever added or moved.

type wnodeHeader struct {
	BufferSize, ProviderID uint32
	HistoricalContext      uint64
	TimeStamp              int64
	GUID                   windows.GUID
	ClientContext, Flags   uint32
}

type eventTraceProperties struct {
	Wnode                                                       wnodeHeader
	BufferSize, MinimumBuffers, MaximumBuffers, MaximumFileSize uint32
	LogFileMode, FlushTimer, EnableFlags                        uint32
	AgeLimit                                                    int32
	NumberOfBuffers, FreeBuffers, EventsLost, BuffersWritten    uint32
	LogBuffersLost, RealTimeBuffersLost                         uint32
	LoggerThreadID                                              uintptr
	LogFileNameOffset, LoggerNameOffset                         uint32
}

type eventDescriptor struct {
	ID                              uint16
	Version, Channel, Level, Opcode uint8
	Task                            uint16
	Keyword                         uint64
}

type eventHeader struct {
	Size, HeaderType, Flags, EventProperty uint16
	ThreadID, ProcessID                    uint32
	TimeStamp                              int64
	ProviderID                             windows.GUID
	EventDescriptor                        eventDescriptor
	KernelTime, UserTime                   uint32
	ActivityID                             windows.GUID
}

type eventRecord struct {
	EventHeader                         eventHeader
	ProcessorNumber, Alignment          uint8
	LoggerID                            uint16
	ExtendedDataCount, UserDataLength   uint16
	ExtendedData, UserData, UserContext uintptr
}

type extendedDataItem struct {
	Reserved1, ExtType, Linkage, DataSize uint16
	DataPtr                               uint64
}

type traceLogfileHeader struct {
	BufferSize, Version, ProviderVersion, NumberOfProcessors uint32
	EndTime                                                  int64
	TimerResolution, MaximumFileSize, LogFileMode            uint32
	BuffersWritten, StartBuffers, PointerSize, EventsLost    uint32
	CPUSpeedInMHz                                            uint32
	LoggerName, LogFileName                                  uintptr
	TimeZone                                                 [172]byte
	BootTime, PerfFreq, StartTime                            int64
	ReservedFlags, BuffersLost                               uint32
}

type eventTraceLogfile struct {
	LogFileName, LoggerName *uint16
	CurrentTime             int64
	BuffersRead             uint32
	ProcessTraceMode        uint32
	CurrentEvent            [88]byte // EVENT_TRACE; unused with EventRecordCallback
	LogfileHeader           traceLogfileHeader
	BufferCallback          uintptr
	BufferSize, Filled      uint32
	EventsLost              uint32
	_                       uint32
	EventRecordCallback     uintptr
	IsKernelTrace           uint32
	_                       uint32
	Context                 uintptr
}

type eventDataDescriptor struct {
	Ptr  uint64
	Size uint32
	Type uint32
}

var (
	_ [sizeWnodeHeader]byte            = [unsafe.Sizeof(wnodeHeader{})]byte{}
	_ [sizeEventTraceProperties]byte   = [unsafe.Sizeof(eventTraceProperties{})]byte{}
	_ [sizeEventDescriptor]byte        = [unsafe.Sizeof(eventDescriptor{})]byte{}
	_ [sizeEventHeader]byte            = [unsafe.Sizeof(eventHeader{})]byte{}
	_ [sizeEventRecord]byte            = [unsafe.Sizeof(eventRecord{})]byte{}
	_ [sizeExtendedDataItem]byte       = [unsafe.Sizeof(extendedDataItem{})]byte{}
	_ [sizeTraceLogfileHeader]byte     = [unsafe.Sizeof(traceLogfileHeader{})]byte{}
	_ [sizeEventTraceLogfile]byte      = [unsafe.Sizeof(eventTraceLogfile{})]byte{}
	_ [sizeFilterDescriptor]byte       = [unsafe.Sizeof(eventDataDescriptor{})]byte{}
	_ [offPropLoggerNameOffset]byte    = [unsafe.Offsetof(eventTraceProperties{}.LoggerNameOffset)]byte{}
	_ [offPropLogFileNameOffset]byte   = [unsafe.Offsetof(eventTraceProperties{}.LogFileNameOffset)]byte{}
	_ [offPropLoggerThreadID]byte      = [unsafe.Offsetof(eventTraceProperties{}.LoggerThreadID)]byte{}
	_ [offRecUserData]byte             = [unsafe.Offsetof(eventRecord{}.UserData)]byte{}
	_ [offRecUserContext]byte          = [unsafe.Offsetof(eventRecord{}.UserContext)]byte{}
	_ [offLogfileHeader]byte           = [unsafe.Offsetof(eventTraceLogfile{}.LogfileHeader)]byte{}
	_ [offLogfileBufferCallback]byte   = [unsafe.Offsetof(eventTraceLogfile{}.BufferCallback)]byte{}
	_ [offLogfileEventCallback]byte    = [unsafe.Offsetof(eventTraceLogfile{}.EventRecordCallback)]byte{}
	_ [offLogfileContext]byte          = [unsafe.Offsetof(eventTraceLogfile{}.Context)]byte{}
	_ [offLogfileProcessTraceMode]byte = [unsafe.Offsetof(eventTraceLogfile{}.ProcessTraceMode)]byte{}
	_ [offTLHPerfFreq]byte             = [unsafe.Offsetof(traceLogfileHeader{}.PerfFreq)]byte{}
	_ [offTLHBuffersLost]byte          = [unsafe.Offsetof(traceLogfileHeader{}.BuffersLost)]byte{}
)

var (
	modAdvapi32 = windows.NewLazySystemDLL("advapi32.dll")
	modNtdll    = windows.NewLazySystemDLL("ntdll.dll")

	procStartTraceW          = modAdvapi32.NewProc("StartTraceW")
	procControlTraceW        = modAdvapi32.NewProc("ControlTraceW")
	procEnableTraceEx2       = modAdvapi32.NewProc("EnableTraceEx2")
	procTraceSetInformation  = modAdvapi32.NewProc("TraceSetInformation")
	procOpenTraceW           = modAdvapi32.NewProc("OpenTraceW")
	procProcessTrace         = modAdvapi32.NewProc("ProcessTrace")
	procCloseTrace           = modAdvapi32.NewProc("CloseTrace")
	procQueryAllTracesW      = modAdvapi32.NewProc("QueryAllTracesW")
	procEventRegister        = modAdvapi32.NewProc("EventRegister")
	procEventUnregister      = modAdvapi32.NewProc("EventUnregister")
	procEventWriteTransfer   = modAdvapi32.NewProc("EventWriteTransfer")
	procEventSetInformation  = modAdvapi32.NewProc("EventSetInformation")
	procEventProviderEnabled = modAdvapi32.NewProc("EventProviderEnabled")
	procWineGetVersion       = modNtdll.NewProc("wine_get_version")
)

// alignedBuf holds bytes in 8-byte-aligned memory, as ETW expects for
// EVENT_TRACE_PROPERTIES.
type alignedBuf struct{ words []uint64 }

func newAligned(b []byte) *alignedBuf {
	a := &alignedBuf{words: make([]uint64, (len(b)+7)/8)}
	copy(a.bytes(), b)
	return a
}

func (a *alignedBuf) bytes() []byte {
	if len(a.words) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&a.words[0])), 8*len(a.words))
}

func (a *alignedBuf) ptr() uintptr { return uintptr(unsafe.Pointer(&a.words[0])) }

func errno(r uintptr) error {
	if r == 0 {
		return nil
	}
	return syscall.Errno(r)
}

func utf16Ptr(s string) (*uint16, error) {
	if s == "" {
		return nil, nil
	}
	return windows.UTF16PtrFromString(s)
}

func startTrace(handle *uint64, name string, props *alignedBuf) error {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	r, _, _ := procStartTraceW.Call(uintptr(unsafe.Pointer(handle)), uintptr(unsafe.Pointer(p)), props.ptr())
	// StartTrace writes into props: keep it (and the name) alive across the
	// call, which a uintptr computed outside the argument list does not do.
	runtime.KeepAlive(props)
	runtime.KeepAlive(p)
	return errno(r)
}

func controlTrace(handle uint64, name string, props *alignedBuf, code uint32) error {
	p, err := utf16Ptr(name)
	if err != nil {
		return err
	}
	r, _, _ := procControlTraceW.Call(uintptr(handle), uintptr(unsafe.Pointer(p)), props.ptr(), uintptr(code))
	runtime.KeepAlive(props)
	runtime.KeepAlive(p)
	return errno(r)
}

func enableTraceEx2(handle uint64, provider *windows.GUID, code uint32, level uint8, any, all uint64, timeout uint32, params []byte) error {
	var pp uintptr
	var a *alignedBuf
	if params != nil {
		a = newAligned(params)
		pp = a.ptr()
	}
	r, _, _ := procEnableTraceEx2.Call(uintptr(handle), uintptr(unsafe.Pointer(provider)), uintptr(code),
		uintptr(level), uintptr(any), uintptr(all), uintptr(timeout), pp)
	runtime.KeepAlive(a)
	runtime.KeepAlive(provider)
	return errno(r)
}

func traceSetInformation(handle uint64, class uint32, data []byte) error {
	a := newAligned(data)
	r, _, _ := procTraceSetInformation.Call(uintptr(handle), uintptr(class), a.ptr(), uintptr(len(data)))
	runtime.KeepAlive(a)
	return errno(r)
}

func openTrace(lf *alignedBuf) (uint64, error) {
	r, _, e := procOpenTraceW.Call(lf.ptr())
	runtime.KeepAlive(lf) // OpenTrace fills in its LogfileHeader
	if uint64(r) == invalidProcessTraceHandle {
		if e == nil || e == windows.ERROR_SUCCESS {
			e = syscall.Errno(ErrnoInvalidHandle)
		}
		return 0, e
	}
	return uint64(r), nil
}

func processTrace(handle *uint64) error {
	r, _, _ := procProcessTrace.Call(uintptr(unsafe.Pointer(handle)), 1, 0, 0)
	return errno(r)
}

func closeTrace(handle uint64) error {
	r, _, _ := procCloseTrace.Call(uintptr(handle))
	if r == ErrnoCtxClosePending {
		return nil
	}
	return errno(r)
}

// winGUID converts an etw.GUID to a windows.GUID (same fields).
func winGUID(g etw.GUID) windows.GUID {
	return windows.GUID{Data1: g.Data1, Data2: g.Data2, Data3: g.Data3, Data4: g.Data4}
}

// callErr wraps the error of a Windows call.
func callErr(op, session string, err error) error {
	var en syscall.Errno
	if errors.As(err, &en) {
		return &Error{Op: op, Session: session, Errno: en}
	}
	return fmt.Errorf("%s on session %q: %w", op, session, err)
}
