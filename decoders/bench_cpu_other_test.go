//go:build !linux

package decoders

import "testing"

type cpuTimer struct{}

func startCPU(b *testing.B) *cpuTimer   { return &cpuTimer{} }
func (c *cpuTimer) report(b *testing.B) {}
