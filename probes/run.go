package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ipctrace/ipctrace/verify"
)

// RunOptions are the options of Run. Zero values take the defaults
// documented on each field.
type RunOptions struct {
	Count    int    // exchanges per client, messages (per writer), sends, or calls (default 100)
	Size     int    // bytes per message (default 4096; pipes, sections, mailslots)
	Mode     string // pipes: "byte" (default) or "message"
	Clients  int    // pipes: client processes (default 1, at most 64)
	Transact bool   // pipes: clients use TransactNamedPipe (needs message mode)
	Target   string // connect: the pipe; rpc: the ncalrpc endpoint (default "epmapper")
	// window: the handler's time per sent message (default 10 ms), the
	// messages posted after the sends, and --hang: one more send whose
	// handler blocks until the probe releases it HangFor (default 3 s)
	// after the call.
	Handler time.Duration
	Posted  int
	Hang    bool
	HangFor time.Duration
	// mailslot: writer processes (default 2, at most 64).
	Writers int
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
	if o.Handler == 0 {
		o.Handler = 10 * time.Millisecond
	}
	if o.HangFor == 0 {
		o.HangFor = 3 * time.Second
	}
	if o.Writers == 0 {
		o.Writers = 2
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
	case o.Handler < 0 || o.Handler > 10*time.Second:
		return fmt.Errorf("--handler %s out of range 0..10s", o.Handler)
	case o.Posted < 0 || o.Posted > 100_000:
		return fmt.Errorf("--posted %d out of range 0..100000", o.Posted)
	case o.HangFor < time.Millisecond || o.HangFor >= o.Timeout:
		return fmt.Errorf("--hang-for %s out of range 1ms..%s (the probe's time limit)", o.HangFor, o.Timeout)
	case o.Writers < 1 || o.Writers > 64:
		return fmt.Errorf("--writers %d out of range 1..64", o.Writers)
	case kind == verify.KindMailslot && o.Size > maxMailslotMessage:
		return fmt.Errorf("--size %d: mailslot messages wait in kernel memory until read; this probe keeps them to %d bytes", o.Size, maxMailslotMessage)
	}
	return nil
}

// maxMailslotMessage is the largest message `probe mailslot` writes.
const maxMailslotMessage = 1 << 20

// Run runs the probe of the given kind ("pipe", "section", "rpc",
// "connect", "window", "mailslot") and returns what it did. On systems other than Windows it
// returns ErrUnsupported. When the probe cannot run here (RPC under Wine)
// it returns an Expectation with Skipped set and an error wrapping
// ErrSkipped.
func Run(ctx context.Context, kind string, opts RunOptions) (*verify.Expectation, error) {
	if !slices.Contains(verify.Kinds, kind) {
		return nil, fmt.Errorf("unknown probe %q (want %s)", kind, strings.Join(verify.Kinds, ", "))
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
	Role      string    `json:"role"` // "pipe-client", "section-peer", "window-peer", "mailslot-writer"
	Name      string    `json:"name"` // pipe path, section name, window class or mailslot path
	Events    [2]string `json:"events,omitempty"`
	Client    int       `json:"client,omitempty"`
	Count     int       `json:"count"`
	Size      int       `json:"size"`
	Mode      string    `json:"mode,omitempty"`
	Transact  bool      `json:"transact,omitempty"`
	TimeoutMS int64     `json:"timeout_ms"`
	// window-peer: the handler's time per timed message (µs), how many
	// posted messages to expect, and whether a hung send follows.
	HandlerUS int64 `json:"handler_us,omitempty"`
	Posted    int   `json:"posted,omitempty"`
	Hang      bool  `json:"hang,omitempty"`
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
