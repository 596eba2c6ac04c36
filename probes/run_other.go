//go:build !windows

package probes

import (
	"context"
	"os"

	"github.com/ipctrace/ipctrace/verify"
)

func run(ctx context.Context, kind string, o RunOptions) (*verify.Expectation, error) {
	return nil, ErrUnsupported
}

func runChild(a childArgs) childReport {
	return childReport{PID: uint32(os.Getpid()), Error: ErrUnsupported.Error()}
}
