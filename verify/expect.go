// Package verify checks a recorded trace against an expectation file: the
// traffic a probe (package probes, Windows) says it generated, with known
// counts, sizes and timing. It runs on any OS, reads the trace once through
// the pipeline, and can also write the trace an expectation describes
// (SynthTrace, `ipctrace synth --expect`).
//
// The expectation format is defined in this file. Every probe writes one
// Expectation as indented JSON. docs/README.md#contract (probe, verify), docs/events.md#named-pipes
// (pipes), docs/events.md#mapfile (sections), docs/events.md#rpc and docs/rules.md A1–A7 (RPC over ALPC),
// docs/events.md#window-messages and docs/rules.md WM1–WM3 (window messages), docs/rules.md MS1, I3
// (mailslots).
package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ipctrace/ipctrace/internal/latency"
)

// FormatVersion is the version of the expectation file format written by
// this package. Readers reject files with a newer version.
const FormatVersion = 1

// Probe kinds.
const (
	KindPipe     = "pipe"
	KindSection  = "section"
	KindRPC      = "rpc"
	KindConnect  = "connect"
	KindWindow   = "window"
	KindMailslot = "mailslot"
)

// Kinds lists every probe kind, in the order the command line shows them.
var Kinds = []string{KindPipe, KindSection, KindRPC, KindConnect, KindWindow, KindMailslot}

// Operation kinds.
const (
	OpWrite    = "write"    // WriteFile on a pipe end; memory write into a section view
	OpRead     = "read"     // ReadFile on a pipe end; memory read from a section view
	OpTransact = "transact" // TransactNamedPipe (FSCTL_PIPE_TRANSCEIVE): write and read in one call
	OpMap      = "map"      // MapViewOfFile of a section
	OpSignal   = "signal"   // SetEvent on a named event
	OpCall     = "call"     // one RPC call
	OpConnect  = "connect"  // client open of a pipe or a mailslot (CreateFile)
	OpCreate   = "create"   // CreateMailslot by the mailslot's reader
	OpSend     = "send"     // SendMessage, on the sending thread
	OpHandle   = "handle"   // the window procedure handling a sent message, on the window's thread
	OpPost     = "post"     // PostMessage, on the posting thread
	OpRetrieve = "retrieve" // the window procedure receiving a posted message (Start = End)
)

// Directions of an operation relative to the server (pipes) or the creator
// (sections).
const (
	ToServer = "to_server"
	ToClient = "to_client"
)

// Expectation is the content of an expectation file: what a probe did,
// measured by the probe itself.
type Expectation struct {
	// Version is FormatVersion.
	Version int `json:"version"`
	// Kind is the probe kind: "pipe", "section", "rpc", "connect",
	// "window" or "mailslot".
	Kind string `json:"kind"`
	// ID is the probe's unique name, ipctrace-probe-<pid>-<random>: the
	// base of its pipe and section names and the probe_id of its marker
	// events.
	ID string `json:"id"`
	// Options are the options the probe ran with.
	Options Options `json:"options"`
	// Started and Finished are the wall-clock times of the run (RFC 3339,
	// 100 ns precision).
	Started  string `json:"started"`
	Finished string `json:"finished"`
	// Clock relates the probe's QPC timestamps to trace time.
	Clock Clock `json:"clock"`
	// Skipped, when not empty, says why the probe did not run (for
	// example "Wine has no ALPC"); nothing else is then meaningful.
	Skipped string `json:"skipped,omitempty"`
	// Processes are the probe's own processes (server, clients, peers).
	Processes []Process `json:"processes"`
	// Pipes are the pipe conversations, one per client.
	Pipes []Pipe `json:"pipes,omitempty"`
	// Sections are the shared sections.
	Sections []Section `json:"sections,omitempty"`
	// RPC are the RPC call series.
	RPC []RPC `json:"rpc,omitempty"`
	// Connect is the result of `probe connect`.
	Connect *Connect `json:"connect,omitempty"`
	// Windows are the windows of `probe window` (one), with the messages
	// sent and posted to them.
	Windows []Window `json:"windows,omitempty"`
	// Mailslots are the mailslots of `probe mailslot` (one).
	Mailslots []Mailslot `json:"mailslots,omitempty"`
	// Ops are all operations of the probe, in the order each process did
	// them (grouped by process).
	Ops []Operation `json:"ops"`
	// Latency is the probe's own round-trip baseline (µs): one sample per
	// request/response exchange (pipes), message hand-off (sections), call
	// (RPC), timed SendMessage (window: the hung one left out) or message
	// from write to read (mailslot, messages of 16 bytes or more).
	Latency latency.Summary `json:"latency_us"`
	// Markers names the marker events the probe wrote through ipctrace's
	// own provider, and why none were written when that failed.
	Markers MarkerInfo `json:"markers"`
}

// Options are the probe options.
type Options struct {
	Count    int    `json:"count"`              // exchanges per client / messages / calls
	Size     int    `json:"size"`               // bytes per message
	Mode     string `json:"mode,omitempty"`     // pipes: "byte" or "message"
	Clients  int    `json:"clients,omitempty"`  // pipes: client processes
	Transact bool   `json:"transact,omitempty"` // pipes: clients use TransactNamedPipe
	Target   string `json:"target,omitempty"`   // connect: pipe name; rpc: endpoint
	// window: the handler's known time per message (µs), posted messages,
	// --hang and how long the probe held the hung handler (µs).
	HandlerUS int64 `json:"handler_us,omitempty"`
	Posted    int   `json:"posted,omitempty"`
	Hang      bool  `json:"hang,omitempty"`
	HangUS    int64 `json:"hang_us,omitempty"`
	// mailslot: writer processes (each writes Count messages of Size bytes).
	Writers int `json:"writers,omitempty"`
}

// Clock maps QPC ticks to FILETIME: FileTime(q) = BaseFileTime +
// (q - BaseQPC) * 10_000_000 / Frequency. Both bases were read together.
type Clock struct {
	Frequency    int64 `json:"qpc_frequency"`
	BaseQPC      int64 `json:"base_qpc"`
	BaseFileTime int64 `json:"base_filetime"` // 100 ns since 1601-01-01 UTC
}

// FileTime converts a QPC value of the probe to FILETIME.
func (c Clock) FileTime(qpc int64) int64 {
	if c.Frequency <= 0 {
		return c.BaseFileTime
	}
	d := qpc - c.BaseQPC
	return c.BaseFileTime + d/c.Frequency*10_000_000 + (d%c.Frequency)*10_000_000/c.Frequency
}

// Ticks converts a QPC interval to 100 ns ticks.
func (c Clock) Ticks(dqpc int64) int64 {
	if c.Frequency <= 0 {
		return 0
	}
	return dqpc/c.Frequency*10_000_000 + (dqpc%c.Frequency)*10_000_000/c.Frequency
}

// Process is one process of the probe.
type Process struct {
	PID  uint32   `json:"pid"`
	Role string   `json:"role"` // "server", "client", "creator", "peer", "caller", "sender", "window", "reader", "writer"
	TIDs []uint32 `json:"tids"` // threads that did operations
	// Client is the 1-based client number for client processes (pipes)
	// and writer processes (mailslots).
	Client int    `json:"client,omitempty"`
	Image  string `json:"image,omitempty"`
}

// Pipe is one expected pipe conversation: one server instance connected
// to one client process.
type Pipe struct {
	Name      string `json:"name"`   // \\.\pipe\X
	Mode      string `json:"mode"`   // "byte" or "message"
	Client    int    `json:"client"` // 1-based client number
	ServerPID uint32 `json:"server_pid"`
	ClientPID uint32 `json:"client_pid"`
	ToServer  Flow   `json:"to_server"`
	ToClient  Flow   `json:"to_client"`
}

// Flow counts the operations and bytes of one direction. For pipes, Ops
// counts the sending side's operations (writes, or transacts for
// to_server with --transact).
type Flow struct {
	Ops   int64 `json:"ops"`
	Bytes int64 `json:"bytes"`
}

// Section is one expected shared section.
type Section struct {
	Name     string   `json:"name"` // Win32 name, e.g. Local\ipctrace-probe-…
	Size     int64    `json:"size"` // section size requested
	ViewSize int64    `json:"view_size"`
	PIDs     []uint32 `json:"pids"`
	Views    int64    `json:"views"`    // views mapped in total
	Messages int64    `json:"messages"` // messages handed off
}

// RPC is one expected series of RPC calls.
type RPC struct {
	Protocol  string `json:"protocol"`  // "ncalrpc"
	Endpoint  string `json:"endpoint"`  // e.g. "epmapper"
	Interface string `json:"interface"` // interface UUID, when known
	Procedure string `json:"procedure"` // API used, e.g. RpcMgmtIsServerListening
	ClientPID uint32 `json:"client_pid"`
	Calls     int64  `json:"calls"`
	Failed    int64  `json:"failed"`
}

// Connect is the result of `probe connect`.
type Connect struct {
	Pipe      string  `json:"pipe"`
	OK        bool    `json:"ok"`
	Reason    string  `json:"reason,omitempty"` // "busy", "absent", "denied", or the error text
	Error     string  `json:"error,omitempty"`
	LatencyUS float64 `json:"latency_us"`
	ServerPID uint32  `json:"server_pid,omitempty"`
	SDDL      string  `json:"sddl,omitempty"`
	SD        []byte  `json:"sd,omitempty"` // self-relative security descriptor
	SDError   string  `json:"sd_error,omitempty"`
	// Explanation is the security descriptor in words.
	Explanation []string `json:"explanation,omitempty"`
	// Note states that the check itself was a client connection.
	Note string `json:"note"`
}

// Window is the window of `probe window`: a message-only window (parent
// HWND_MESSAGE) of the receiver process, run by one thread's
// GetMessage/DispatchMessage loop; one thread of the sender process
// SendMessages and posts to it.
type Window struct {
	Class       string `json:"class"` // window class: the probe's unique name
	Hwnd        uint64 `json:"hwnd"`
	SenderPID   uint32 `json:"sender_pid"`
	SenderTID   uint32 `json:"sender_tid"`
	ReceiverPID uint32 `json:"receiver_pid"` // the window's process
	ReceiverTID uint32 `json:"receiver_tid"` // the thread that runs its message loop
	// Sent counts the SendMessage calls that returned, the hung one
	// included (it returns once released); Messages counts them by
	// message number, as report's window_messages[].messages does.
	Sent     int64          `json:"sent"`
	Messages []MessageCount `json:"messages"`
	// HandlerUS is the handler's known time: the window procedure held
	// each timed message at least this long (by QPC). Handler is that
	// time as the window's thread measured it (µs).
	HandlerUS float64         `json:"handler_us"`
	Handler   latency.Summary `json:"handler_measured_us"`
	// Posted counts PostMessage calls; Retrieved the posted messages the
	// window procedure received (all of them before the probe ended).
	Posted    int64 `json:"posted"`
	Retrieved int64 `json:"retrieved"`
	// Hang is the SendMessage whose handler the probe blocked (--hang).
	Hang *HungSend `json:"hang,omitempty"`
}

// MessageCount counts one window message number; Name is as the report
// names it (WM_USER+1, …).
type MessageCount struct {
	Message uint32 `json:"message"`
	Name    string `json:"name"`
	Count   int64  `json:"count"`
}

// HungSend is the SendMessage of `probe window --hang`: its handler blocked
// until the probe released it, HeldUS after the call was made. A trace that
// ends before the release shows it stuck in the handler (docs/rules.md
// WM1); one that ends later shows a send that took at least HeldUS.
type HungSend struct {
	Message   uint32  `json:"message"`
	HeldUS    float64 `json:"held_us"`
	LatencyUS float64 `json:"latency_us"` // the call's own time, release included
}

// Mailslot is the mailslot of `probe mailslot`: the reader (this process)
// created it and read every message; writer processes wrote to it.
type Mailslot struct {
	Name      string           `json:"name"` // \\.\mailslot\ipctrace-probe-…
	ReaderPID uint32           `json:"reader_pid"`
	ReaderTID uint32           `json:"reader_tid"`
	Writers   []MailslotWriter `json:"writers"`
	// Messages and Bytes count the writes; Reads and ReadBytes the reads
	// that took a message (every message was read).
	Messages  int64 `json:"messages"`
	Bytes     int64 `json:"bytes"`
	Reads     int64 `json:"reads"`
	ReadBytes int64 `json:"read_bytes"`
	// IdleUS is how long the reader's last Read waited, with nothing left
	// to read, before it timed out: idle (docs/rules.md I3), never stuck.
	IdleUS float64 `json:"idle_us"`
}

// MailslotWriter is one writer process of a mailslot.
type MailslotWriter struct {
	PID      uint32 `json:"pid"`
	Writer   int    `json:"writer"` // 1-based
	Messages int64  `json:"messages"`
	Bytes    int64  `json:"bytes"`
}

// Operation is one operation of the probe with the probe's own QPC
// timestamps taken around the API call.
type Operation struct {
	Kind string `json:"kind"` // OpWrite, OpRead, ...
	// Conv is the index into Pipes, Sections or RPC the operation
	// belongs to.
	Conv int    `json:"conv"`
	PID  uint32 `json:"pid"`
	TID  uint32 `json:"tid"`
	Dir  string `json:"dir,omitempty"` // ToServer / ToClient for pipe data
	// Size is the bytes requested; Bytes the bytes transferred. For a
	// transact, Size is the request written and Bytes the reply read.
	Size  int64 `json:"size"`
	Bytes int64 `json:"bytes"`
	Start int64 `json:"start_qpc"`
	End   int64 `json:"end_qpc"`
	// Seq is the exchange/message number (0-based) within the conversation.
	Seq    int    `json:"seq"`
	Status uint32 `json:"status,omitempty"` // Win32 error, 0 on success
	// Message is the window message number (send, handle, post, retrieve).
	Message uint32 `json:"message,omitempty"`
}

// MarkerInfo describes the probe's start/stop marker events.
type MarkerInfo struct {
	Provider string `json:"provider,omitempty"` // provider GUID
	Written  int    `json:"written"`
	Error    string `json:"error,omitempty"`
}

// ErrVersion is returned for expectation files of a newer format.
var ErrVersion = errors.New("unsupported expectation file version")

// ErrNotExpectation is returned for JSON that is no expectation file at all
// (a report's JSON, a truth file): it has neither "version" nor "kind".
var ErrNotExpectation = errors.New("not an expectation file (those are written by 'ipctrace probe' and have \"version\" and \"kind\")")

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ReadExpectation decodes an expectation file from r.
func ReadExpectation(r io.Reader) (*Expectation, error) {
	var e Expectation
	cr := &countingReader{r: io.LimitReader(r, 256<<20)}
	dec := json.NewDecoder(cr)
	if err := dec.Decode(&e); err != nil {
		// Name where the JSON went wrong: encoding/json's syntax and type
		// errors carry an offset; a truncated file ends where input ran out.
		// SyntaxError.Offset counts the bad byte itself: the 0-based
		// offset of that byte is one less.
		off := cr.n
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = max(se.Offset-1, 0)
		case errors.As(err, &te):
			if te.Field == "" {
				// The top level is not an object: an array, a string, …
				return nil, fmt.Errorf("%w: its top level is a JSON %s, not an object", ErrNotExpectation, te.Value)
			}
			off = te.Offset
		}
		return nil, fmt.Errorf("offset %#x: reading the expectation: %w", off, err)
	}
	if e.Version == 0 && e.Kind == "" {
		return nil, ErrNotExpectation
	}
	if e.Version < 1 || e.Version > FormatVersion {
		return nil, fmt.Errorf("%w: %d (this build reads %d)", ErrVersion, e.Version, FormatVersion)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}

// LoadExpectation reads the expectation file at path.
func LoadExpectation(path string) (*Expectation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e, err := ReadExpectation(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Write encodes e as indented JSON.
func (e *Expectation) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(e)
}

// Save writes e to path.
func (e *Expectation) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := e.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Validate checks the internal consistency of e: known kind, operations
// that reference existing conversations.
func (e *Expectation) Validate() error {
	if !slices.Contains(Kinds, e.Kind) {
		return fmt.Errorf("expectation: unknown kind %q", e.Kind)
	}
	n := 0
	switch e.Kind {
	case KindPipe:
		n = len(e.Pipes)
	case KindSection:
		n = len(e.Sections)
	case KindRPC:
		n = len(e.RPC)
	case KindWindow:
		n = len(e.Windows)
	case KindMailslot:
		n = len(e.Mailslots)
	}
	for i, op := range e.Ops {
		if op.Size < 0 || op.Bytes < 0 {
			return fmt.Errorf("expectation: op %d has a negative size", i)
		}
		if op.Conv < 0 || (op.Conv >= n && e.Kind != KindConnect) {
			return fmt.Errorf("expectation: op %d refers to conversation %d of %d", i, op.Conv, n)
		}
	}
	return nil
}

// Process returns the process with pid, or nil.
func (e *Expectation) Process(pid uint32) *Process {
	for i := range e.Processes {
		if e.Processes[i].PID == pid {
			return &e.Processes[i]
		}
	}
	return nil
}

// Summarize turns QPC round-trip samples measured by a probe into the
// latency summary its expectation carries.
func Summarize(c Clock, rtts []int64) latency.Summary {
	var h latency.Hist
	for _, d := range rtts {
		h.Record(c.Ticks(d))
	}
	return h.Summary()
}
