//go:build windows && (amd64 || arm64)

package live

import (
	"fmt"
	"time"
)

// WinBackend is the Backend of lifecycle.go over a real ETW session.
type WinBackend struct {
	S     *Session
	Queue int // consumer queue length; 0: a counting consumer

	// Own, with OwnProvider, is ipctrace's own TraceLogging provider; nil
	// when the recording writes no events of its own.
	Own         *TLWriter
	OwnProvider Provider
	// OnSnapshot writes the security snapshot of one phase.
	OnSnapshot func(phase string)
}

// ownEnableTimeout bounds EnableTraceEx2 for ipctrace's own provider and the
// wait until the writer sees itself enabled.
const ownEnableTimeout = 5 * time.Second

func (b *WinBackend) StartTrace(withFlags bool) error { return b.S.StartTrace(withFlags) }

func (b *WinBackend) OpenConsumer() (Feed, error) {
	c, err := OpenRealTime(b.S.Name(), b.Queue)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (b *WinBackend) EnableKernel() ([]string, error) { return b.S.EnableKernel() }
func (b *WinBackend) EnableProviders() []string       { return b.S.EnableProviders() }
func (b *WinBackend) Rundown() error                  { return b.S.Rundown() }
func (b *WinBackend) Query() (Properties, error)      { return b.S.Query() }
func (b *WinBackend) Stop() (Properties, error)       { return b.S.Stop() }

// EnableOwn enables ipctrace's provider with a timeout, then waits until
// EventProviderEnabled is true for the writer's handle.
func (b *WinBackend) EnableOwn() error {
	if b.Own == nil {
		return fmt.Errorf("ipctrace's own provider is not registered: no snapshots or markers")
	}
	if err := b.S.EnableProviderSync(b.OwnProvider, ownEnableTimeout); err != nil {
		return err
	}
	if !b.Own.WaitEnabled(ownEnableTimeout) {
		return fmt.Errorf("ipctrace's own provider was enabled but did not report itself enabled (EventProviderEnabled) within %v: no security snapshots are written, and probe markers only if the enable arrives later", ownEnableTimeout)
	}
	return nil
}

func (b *WinBackend) Snapshot(phase string) {
	if b.OnSnapshot != nil {
		b.OnSnapshot(phase)
	}
}
