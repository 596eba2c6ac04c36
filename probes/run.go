package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipctrace/ipctrace/verify"
)

// RunOptions are the options of Run. Zero values take the defaults
// documented on each field.
type RunOptions struct {
	Count    int    // exchanges per client, messages, or calls (default 100)
	Size     int    // bytes per message (default 4096; pipes and sections)
	Mode     string // pipes: "byte" (default) or "message"
	Clients  int    // pipes: client processes (default 1, at most 64)
	Transact bool   // pipes: clients use TransactNamedPipe (needs message mode)
	Target   string // connect: the pipe; rpc: the ncalrpc endpoint (default "epmapper")
	// Log receives one-line progress notes; nil discards them.
	Log io.Writer
	// Timeout bounds the whole probe (default 2 minutes).
	Timeout time.Duration

	id string // the probe's unique name, set by Run
}

// ErrUnsupported is returned by Run on systems other than Windows.
var ErrUnsupported = errors.New("traffic probes run on Windows only")

// ErrSkipped is wrapped by Run when a probe cannot run on this system (for
// example ALPC under Wine); the Expectation returned with it has Skipped set.
var ErrSkipped = errors.New("probe skipped")

func (o *RunOptions) normalize(kind string) error {
	if o.Count == 0 {
		o.Count = 100
	}
	if o.Size == 0 {
		o.Size = 4096
	}
	if o.Mode == "" {
		o.Mode = "byte"
	}
	if o.Clients == 0 {
		o.Clients = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if kind == verify.KindRPC && o.Target == "" {
		o.Target = "epmapper"
	}
	switch {
	case o.Count < 1 || o.Count > 10_000_000:
		return fmt.Errorf("--count %d out of range 1..10000000", o.Count)
	case o.Size < 1 || o.Size > 64<<20:
		return fmt.Errorf("--size %d out of range 1..67108864", o.Size)
	case o.Mode != "byte" && o.Mode != "message":
		return fmt.Errorf("--mode %q: want byte or message", o.Mode)
	case o.Clients < 1 || o.Clients > 64:
		return fmt.Errorf("--clients %d out of range 1..64", o.Clients)
	case o.Transact && o.Mode != "message":
		return errors.New("--transact needs --mode message (TransactNamedPipe requires a message-mode pipe)")
	case kind == verify.KindConnect && o.Target == "":
		return errors.New("connect needs a pipe name")
	}
	return nil
}

// Run runs the probe of the given kind ("pipe", "section", "rpc",
// "connect") and returns what it did. On systems other than Windows it
// returns ErrUnsupported. When the probe cannot run here (RPC under Wine)
// it returns an Expectation with Skipped set and an error wrapping
// ErrSkipped.
func Run(ctx context.Context, kind string, opts RunOptions) (*verify.Expectation, error) {
	switch kind {
	case verify.KindPipe, verify.KindSection, verify.KindRPC, verify.KindConnect:
	default:
		return nil, fmt.Errorf("unknown probe %q (want pipe, section, rpc or connect)", kind)
	}
	if err := opts.normalize(kind); err != nil {
		return nil, err
	}
	opts.id = verify.UniqueName(os.Getpid())
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	return run(ctx, kind, opts)
}

// Child processes. A probe re-executes its own binary with childEnv set to
// a JSON childArgs; the child does its half of the traffic and prints one
// JSON childReport on stdout.
const childEnv = "IPCTRACE_PROBE_CHILD"

// childArgs tells a child process what to do.
type childArgs struct {
	Role      string    `json:"role"` // "pipe-client", "section-peer"
	Name      string    `json:"name"` // pipe path or section name
	Events    [2]string `json:"events,omitempty"`
	Client    int       `json:"client,omitempty"`
	Count     int       `json:"count"`
	Size      int       `json:"size"`
	Mode      string    `json:"mode,omitempty"`
	Transact  bool      `json:"transact,omitempty"`
	TimeoutMS int64     `json:"timeout_ms"`
}

// childReport is what a child prints.
type childReport struct {
	PID   uint32             `json:"pid"`
	TIDs  []uint32           `json:"tids"`
	Ops   []verify.Operation `json:"ops"`
	RTT   []int64            `json:"rtt_qpc,omitempty"`
	Error string             `json:"error,omitempty"`
}

// IsChild reports whether this process was started by a probe as its peer.
// Programs that run probes call ChildMain first thing when it is true.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// ChildMain runs the peer half of a probe in a child process, prints its
// report on stdout and returns the process exit code.
func ChildMain() int {
	var a childArgs
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &a); err != nil {
		fmt.Fprintln(os.Stderr, "ipctrace probe child:", err)
		return 1
	}
	rep := runChild(a)
	code := 0
	if rep.Error != "" {
		code = 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return code
}
