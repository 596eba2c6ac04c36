//go:build windows && (amd64 || arm64)

package live

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ipctrace/ipctrace/etw"
)

// Data descriptor types (evntprov.h EVENT_DATA_DESCRIPTOR_TYPE_*) and the
// EventSetInformation class for provider traits.
const (
	dataDescUserData         = 0
	dataDescEventMetadata    = 1
	dataDescProviderMetadata = 2
	eventProviderSetTraits   = 2
	traceLoggingChannel      = 11
)

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
var ErrWriterClosed = errors.New("live: TraceLogging provider is unregistered")

// Write writes one TraceLogging event (EventWriteTransfer) from the
// EVENT_SCHEMA_TL blob and packed data that etw.EncodeTraceLogging built.
func (w *TLWriter) Write(level, opcode uint8, keyword uint64, schema, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handle == 0 {
		return ErrWriterClosed
	}
	desc := eventDescriptor{Channel: traceLoggingChannel, Level: level, Opcode: opcode, Keyword: keyword}
	var dd [3]eventDataDescriptor
	n := 0
	add := func(b []byte, typ uint32) {
		if len(b) == 0 {
			return
		}
		dd[n] = eventDataDescriptor{Ptr: uint64(uintptr(unsafe.Pointer(&b[0]))), Size: uint32(len(b)), Type: typ}
		n++
	}
	add(w.traits, dataDescProviderMetadata)
	add(schema, dataDescEventMetadata)
	add(data, dataDescUserData)
	r, _, _ := procEventWriteTransfer.Call(uintptr(w.handle), uintptr(unsafe.Pointer(&desc)), 0, 0,
		uintptr(n), uintptr(unsafe.Pointer(&dd[0])))
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
