//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/ipctrace/ipctrace/etw"
)

// The two ETW callbacks are created once for the whole process
// (docs/recording.md#pitfalls, pitfall 5): callbacks are never freed. Each consumer is
// found again through EVENT_TRACE_LOGFILEW.Context, which ETW passes back
// as EVENT_RECORD.UserContext.
var (
	eventCallback  = windows.NewCallback(onEvent)
	bufferCallback = windows.NewCallback(onBuffer)
	consumers      sync.Map // uintptr id → *Consumer
	nextConsumerID atomic.Uintptr
)

// Consumer reads one session in real time (or one .etl file) with
// OpenTrace/ProcessTrace and EventRecordCallback (docs/recording.md#call-sequence, steps 6–7).
// The callback only copies the event out of ETW's buffer and queues it on
// a bounded channel; a full queue drops the event and counts it.
type Consumer struct {
	id      uintptr
	out     chan etw.Record
	handle  uint64
	lf      *alignedBuf // EVENT_TRACE_LOGFILEW as encodeLogfile built it
	name    *uint16     // kept alive: lf holds its address
	header  etw.LogfileHeader
	ptrSize int

	closing atomic.Bool
	done    chan struct{}
	err     error

	events, dropped, buffers, panics atomic.Uint64
}

// OpenRealTime opens a real-time consumer on the named session. With queue
// > 0 records are delivered on Records(); with queue == 0 events are only
// counted (record's status line).
func OpenRealTime(session string, queue int) (*Consumer, error) {
	name, err := windows.UTF16PtrFromString(session)
	if err != nil {
		return nil, err
	}
	c := logfileConfig{LoggerName: uint64(uintptr(unsafe.Pointer(name))),
		ProcessTraceMode: processTraceModeEventRecord | processTraceModeRealTime}
	return open(c, name, queue, session)
}

// OpenFile opens a consumer over an .etl file (events in file order).
func OpenFile(path string, queue int) (*Consumer, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	c := logfileConfig{LogFileName: uint64(uintptr(unsafe.Pointer(name))), ProcessTraceMode: processTraceModeEventRecord}
	return open(c, name, queue, path)
}

func open(lc logfileConfig, name *uint16, queue int, what string) (*Consumer, error) {
	c := &Consumer{id: nextConsumerID.Add(1), name: name, done: make(chan struct{})}
	if queue > 0 {
		c.out = make(chan etw.Record, queue)
	}
	lc.EventCallback = uint64(eventCallback)
	lc.BufferCallback = uint64(bufferCallback)
	lc.Context = uint64(c.id)
	c.lf = newAligned(encodeLogfile(lc))
	consumers.Store(c.id, c)
	h, err := openTrace(c.lf)
	if err != nil {
		consumers.Delete(c.id)
		return nil, callErr("OpenTrace", what, err)
	}
	c.handle = h
	c.header, _ = etw.ParseLogfileHeader(c.lf.bytes()[offLogfileHeader:offLogfileHeader+sizeTraceLogfileHeader], 8)
	c.ptrSize = int(c.header.PointerSize)
	if c.ptrSize != 4 && c.ptrSize != 8 {
		c.ptrSize = int(unsafe.Sizeof(uintptr(0)))
	}
	go c.run()
	return c, nil
}

func (c *Consumer) run() {
	// Callbacks run on the thread that calls ProcessTrace (docs/recording.md#call-sequence, step 7).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h := c.handle
	err := processTrace(&h)
	if errors.Is(err, syscall.Errno(ErrnoCancelled)) && c.closing.Load() {
		err = nil
	}
	if err != nil {
		c.err = callErr("ProcessTrace", "consumer", err)
	}
	consumers.Delete(c.id)
	if c.out != nil {
		close(c.out)
	}
	close(c.done)
}

// Records returns the queue of records; it is closed when ProcessTrace
// returns. Nil for a counting consumer.
func (c *Consumer) Records() <-chan etw.Record { return c.out }

// Header returns the TRACE_LOGFILE_HEADER OpenTrace filled in.
func (c *Consumer) Header() etw.LogfileHeader { return c.header }

// Stats returns the counters so far.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Events: c.events.Load(), Dropped: c.dropped.Load(),
		Buffers: c.buffers.Load(), Panics: c.panics.Load()}
}

// Done is closed when ProcessTrace has returned.
func (c *Consumer) Done() <-chan struct{} { return c.done }

// Err returns ProcessTrace's error once Done is closed (nil before, and
// for a normal end). The error is an *Error with the Win32 code.
func (c *Consumer) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close calls CloseTrace: ProcessTrace returns after delivering what is
// still buffered (7007 CTX_CLOSE_PENDING counts as success).
func (c *Consumer) Close() error {
	if c.closing.Swap(true) {
		return nil
	}
	if err := closeTrace(c.handle); err != nil {
		return callErr("CloseTrace", "consumer", err)
	}
	return nil
}

// ErrConsumerTimeout reports a ProcessTrace that did not return in time.
var ErrConsumerTimeout = errors.New("ProcessTrace did not return in time")

// Wait waits until ProcessTrace returns (at most timeout) and returns its error.
func (c *Consumer) Wait(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		return fmt.Errorf("%w (%v)", ErrConsumerTimeout, timeout)
	}
}

// ptrAt turns an address handed over by ETW into a pointer.
func ptrAt(u uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&u)) }

func onEvent(er *eventRecord) uintptr {
	v, ok := consumers.Load(er.UserContext)
	if !ok {
		return 0
	}
	c := v.(*Consumer)
	defer func() {
		if recover() != nil {
			c.panics.Add(1)
		}
	}()
	c.events.Add(1)
	if c.out == nil {
		return 0
	}
	hdr := unsafe.Slice((*byte)(unsafe.Pointer(er)), sizeEventRecord)
	var data []byte
	if n := int(er.UserDataLength); n > 0 && er.UserData != 0 {
		data = make([]byte, n)
		copy(data, unsafe.Slice((*byte)(ptrAt(er.UserData)), n))
	}
	var ext []extData
	if n := int(er.ExtendedDataCount); n > 0 && er.ExtendedData != 0 {
		items := unsafe.Slice((*extendedDataItem)(ptrAt(er.ExtendedData)), n)
		ext = make([]extData, 0, n)
		for _, it := range items {
			d := make([]byte, it.DataSize)
			if it.DataSize > 0 && it.DataPtr != 0 {
				copy(d, unsafe.Slice((*byte)(ptrAt(uintptr(it.DataPtr))), int(it.DataSize)))
			}
			ext = append(ext, extData{Type: it.ExtType, Linkage: it.Linkage, Data: d})
		}
	}
	rec, err := recordFromEvent(hdr, data, ext, c.ptrSize)
	if err != nil {
		return 0
	}
	select {
	case c.out <- rec:
	default:
		c.dropped.Add(1)
	}
	return 0
}

func onBuffer(lf *eventTraceLogfile) uintptr {
	v, ok := consumers.Load(lf.Context)
	if !ok {
		return 1
	}
	c := v.(*Consumer)
	c.buffers.Add(1)
	if c.closing.Load() {
		return 0
	}
	return 1
}
