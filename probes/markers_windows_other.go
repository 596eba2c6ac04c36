//go:build windows && !amd64 && !arm64

package probes

import "github.com/ipctrace/ipctrace/verify"

// markers is a no-op where etw/live does not build.
type markers struct{}

func newMarkers(id string) *markers         { return &markers{} }
func (m *markers) write(kind, phase string) {}
func (m *markers) close()                   {}
func (m *markers) info() verify.MarkerInfo {
	return verify.MarkerInfo{Error: "marker events need amd64 or arm64"}
}
