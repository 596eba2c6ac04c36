//go:build windows

package probes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipctrace/ipctrace/verify"
)

func run(ctx context.Context, kind string, o RunOptions) (*verify.Expectation, error) {
	var (
		e   *verify.Expectation
		err error
	)
	mk := newMarkers(o.id)
	defer mk.close()
	mk.write(kind, "start")
	switch kind {
	case verify.KindPipe:
		e, err = runPipe(ctx, o)
	case verify.KindSection:
		e, err = runSection(ctx, o)
	case verify.KindRPC:
		e, err = runRPC(ctx, o)
	case verify.KindConnect:
		e, err = runConnect(ctx, o)
	case verify.KindWindow:
		e, err = runWindow(ctx, o)
	case verify.KindMailslot:
		e, err = runMailslot(ctx, o)
	}
	mk.write(kind, "stop")
	if e != nil {
		e.Markers = mk.info()
	}
	return e, err
}

func runChild(a childArgs) childReport {
	switch a.Role {
	case "pipe-client":
		return pipeClient(a)
	case "section-peer":
		return sectionPeer(a)
	case "window-peer":
		return windowPeer(a)
	case "mailslot-writer":
		return mailslotWriter(a)
	}
	return childReport{PID: uint32(os.Getpid()), Error: fmt.Sprintf("unknown child role %q", a.Role)}
}

// startChildren starts n copies of this executable as probe peers, waits
// for all of them and returns their reports in order.
func startChildren(ctx context.Context, n int, args func(i int) childArgs) ([]childReport, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locating this executable to start peers: %w", err)
	}
	reports := make([]childReport, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		a, err := json.Marshal(args(i))
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), childEnv+"="+string(a))
		// A process the peer started may hold its output pipes after the
		// peer exits: Wine starts its desktop process (explorer.exe
		// /desktop) from the first process that creates a window, handing
		// it that process's stderr. The report is read by then.
		cmd.WaitDelay = childWaitDelay
		var stdout, stderr bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting peer %d: %w", i+1, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			werr := cmd.Wait()
			if errors.Is(werr, exec.ErrWaitDelay) {
				werr = nil // exited; a process it started kept its pipes open
			}
			var rep childReport
			if err := json.Unmarshal(lastLine(stdout.Bytes()), &rep); err != nil {
				errs[i] = fmt.Errorf("peer %d (pid %d): %v; no report (%v): %s", i+1, cmd.Process.Pid, werr, err, bytes.TrimSpace(stderr.Bytes()))
				return
			}
			if rep.Error != "" {
				errs[i] = fmt.Errorf("peer %d (pid %d): %s", i+1, rep.PID, rep.Error)
			}
			reports[i] = rep
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return reports, err
		}
	}
	return reports, nil
}

// childWaitDelay bounds the wait for a peer's output pipes to close once
// the peer has exited.
const childWaitDelay = 2 * time.Second

// childResult is the outcome of startChildren.
type childResult struct {
	reps []childReport
	err  error
}

// lastLine returns the last non-empty line of b.
func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func nowString() string { return time.Now().UTC().Format(timeLayout) }

func exeName() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Base(exe)
}

func (o *RunOptions) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// newExpectation fills the fields common to every probe.
func newExpectation(kind string, o RunOptions) *verify.Expectation {
	e := &verify.Expectation{
		Version: verify.FormatVersion,
		Kind:    kind,
		ID:      o.id,
		Options: verify.Options{Count: o.Count, Size: o.Size, Target: o.Target},
		Started: time.Now().UTC().Format(timeLayout),
	}
	switch kind {
	case verify.KindPipe:
		e.Options.Mode = o.Mode
		e.Options.Clients = o.Clients
		e.Options.Transact = o.Transact
	case verify.KindWindow:
		e.Options.Size = 0
		e.Options.HandlerUS = o.Handler.Microseconds()
		e.Options.Posted = o.Posted
		e.Options.Hang = o.Hang
		if o.Hang {
			e.Options.HangUS = o.HangFor.Microseconds()
		}
	case verify.KindMailslot:
		e.Options.Writers = o.Writers
	}
	return e
}

const timeLayout = "2006-01-02T15:04:05.0000000Z07:00"
