//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/ipctrace/ipctrace/etw"
)

// eventProviderSetTraits is the EventSetInformation class for provider traits.
const eventProviderSetTraits = 2

// TLWriter is a registered TraceLogging provider: ipctrace's own events
// (SecuritySnapshot) are written with it into the recording session.
type TLWriter struct {
	GUID   etw.GUID
	mu     sync.Mutex
	handle uint64
	traits []byte
}

// RegisterTraceLogging registers a provider (EventRegister) and attaches
// its traits blob (EventSetInformation, ProviderSetTraits). The traits are
// also sent with every event as PROVIDER_METADATA.
func RegisterTraceLogging(guid etw.GUID, traits []byte) (*TLWriter, error) {
	w := &TLWriter{GUID: guid, traits: append([]byte(nil), traits...)}
	g := winGUID(guid)
	r, _, _ := procEventRegister.Call(uintptr(unsafe.Pointer(&g)), 0, 0, uintptr(unsafe.Pointer(&w.handle)))
	if err := errno(r); err != nil {
		return nil, callErr("EventRegister", guid.String(), err)
	}
	if len(w.traits) > 0 && procEventSetInformation.Find() == nil {
		// Not fatal: Windows 10 reads the traits from the data descriptor too.
		procEventSetInformation.Call(uintptr(w.handle), eventProviderSetTraits,
			uintptr(unsafe.Pointer(&w.traits[0])), uintptr(len(w.traits)))
	}
	return w, nil
}

// ErrWriterClosed is returned by Write after Close.
var ErrWriterClosed = errors.New("TraceLogging provider is unregistered")

// ErrNotEnabled is returned by Write when no session enables the provider
// at the event's level and keyword: EventWriteTransfer would succeed and
// the event would go nowhere, so it is not written and not counted.
var ErrNotEnabled = errors.New("no session enables the provider for this event")

// Enabled reports whether a session enables the provider for level and
// keyword (EventProviderEnabled).
func (w *TLWriter) Enabled(level uint8, keyword uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enabledLocked(level, keyword)
}

func (w *TLWriter) enabledLocked(level uint8, keyword uint64) bool {
	if w.handle == 0 || procEventProviderEnabled.Find() != nil {
		return false
	}
	r, _, _ := procEventProviderEnabled.Call(uintptr(w.handle), uintptr(level), uintptr(keyword))
	return uint8(r) != 0
}

// WaitEnabled polls Enabled(level 4, any keyword) until it is true or
// timeout passes, and returns the last answer. Enabling reaches a
// registration asynchronously, also for a handle registered after the
// session enabled the provider.
func (w *TLWriter) WaitEnabled(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if w.Enabled(4, 0) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Write writes one TraceLogging event (EventWriteTransfer) from the
// EVENT_SCHEMA_TL blob and packed data that etw.EncodeTraceLogging built.
func (w *TLWriter) Write(level, opcode uint8, keyword uint64, schema, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handle == 0 {
		return ErrWriterClosed
	}
	if !w.enabledLocked(level, keyword) {
		return ErrNotEnabled
	}
	desc := newAligned(encodeEventDescriptor(0, 0, traceLoggingChannel, level, opcode, 0, keyword))
	var dd []byte
	n := 0
	add := func(b []byte, typ uint32) {
		if len(b) == 0 {
			return
		}
		dd = appendDataDescriptor(dd, uint64(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b)), typ)
		n++
	}
	add(w.traits, dataDescProviderMetadata)
	add(schema, dataDescEventMetadata)
	add(data, dataDescUserData)
	if n == 0 {
		return nil
	}
	ddBuf := newAligned(dd)
	r, _, _ := procEventWriteTransfer.Call(uintptr(w.handle), desc.ptr(), 0, 0, uintptr(n), ddBuf.ptr())
	runtime.KeepAlive(desc)
	runtime.KeepAlive(ddBuf)
	runtime.KeepAlive(w.traits)
	runtime.KeepAlive(schema)
	runtime.KeepAlive(data)
	if err := errno(r); err != nil {
		return callErr("EventWriteTransfer", w.GUID.String(), err)
	}
	return nil
}

// Close unregisters the provider.
func (w *TLWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handle == 0 {
		return nil
	}
	r, _, _ := procEventUnregister.Call(uintptr(w.handle))
	w.handle = 0
	if err := errno(r); err != nil {
		return callErr("EventUnregister", w.GUID.String(), err)
	}
	return nil
}
