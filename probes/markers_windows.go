//go:build windows && (amd64 || arm64)

package probes

import (
	"errors"
	"fmt"
	"time"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw/live"
	"github.com/ipctrace/ipctrace/verify"
)

// markers writes the probe's start/stop ProbeMarker events through
// ipctrace's own TraceLogging provider (decoders/secsnap.go). A session
// that enables the provider (record does) receives them; with no session
// the writes go nowhere, which is not an error.
type markers struct {
	id      string
	w       *live.TLWriter
	written int
	err     string

	waited     bool // WaitEnabled ran once
	notEnabled int  // markers not written: no session enabled the provider
}

// markerEnableWait bounds the wait for a session's enable to reach the
// freshly registered provider handle before the first marker.
const markerEnableWait = time.Second

func newMarkers(id string) *markers {
	m := &markers{id: id}
	traits, _, _, err := decoders.EncodeProbeMarker(&decoders.ProbeMarker{ProbeID: id})
	if err != nil {
		m.err = err.Error()
		return m
	}
	w, err := live.RegisterTraceLogging(decoders.IpcTraceProviderGUID, traits)
	if err != nil {
		m.err = err.Error()
		return m
	}
	m.w = w
	return m
}

// Opcodes of the markers (winmeta.xml win:Start, win:Stop).
const (
	opcodeStart = 1
	opcodeStop  = 2
)

func (m *markers) write(kind, phase string) {
	if m.w == nil {
		return
	}
	_, schema, data, err := decoders.EncodeProbeMarker(&decoders.ProbeMarker{
		ProbeID: m.id, Phase: phase, Kind: kind, QPC: uint64(qpc())})
	if err != nil {
		m.err = err.Error()
		return
	}
	op := uint8(opcodeStart)
	if phase == "stop" {
		op = opcodeStop
	}
	err = m.w.Write(4, op, 0, schema, data)
	if errors.Is(err, live.ErrNotEnabled) && !m.waited {
		// The handle was registered just now: a session's enable reaches it
		// asynchronously. Wait once (bounded) before the first marker.
		m.waited = true
		if m.w.WaitEnabled(markerEnableWait) {
			err = m.w.Write(4, op, 0, schema, data)
		}
	}
	if errors.Is(err, live.ErrNotEnabled) {
		m.notEnabled++
		m.err = fmt.Sprintf("no session enables the ipctrace provider: %d marker(s) not written", m.notEnabled)
		return
	}
	if err != nil {
		m.err = err.Error()
		return
	}
	m.written++
}

func (m *markers) close() {
	if m.w != nil {
		m.w.Close()
	}
}

func (m *markers) info() verify.MarkerInfo {
	return verify.MarkerInfo{Provider: decoders.IpcTraceProviderGUID.String(), Written: m.written, Error: m.err}
}
