package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/ipctrace/ipctrace/model"
)

// JSON writes the whole model as one indented JSON document (schema: package doc).
func JSON(w io.Writer, m *model.Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}

// JSON Lines kinds, the "kind" field of every JSONL object.
const (
	KindTrace    = "trace"
	KindProcess  = "process"
	KindPipe     = "pipe"
	KindALPC     = "alpc"
	KindRPC      = "rpc"
	KindSection  = "section"
	KindStuck    = "stuck"
	KindDeadlock = "deadlock"
	KindSecurity = "security"
	KindWarning  = "warning"
)

// JSONL writes one JSON object per line: the trace summary first, then one
// per process, conversation (pipe, alpc, rpc), section, stuck operation,
// deadlock, security finding and warning. Each object carries the fields of
// its model type plus "kind".
func JSONL(w io.Writer, m *model.Model) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	put := func(v any) error { return enc.Encode(v) }
	if err := put(struct {
		Kind string `json:"kind"`
		*model.Trace
	}{KindTrace, &m.Trace}); err != nil {
		return err
	}
	for i := range m.Processes {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.Process
		}{KindProcess, &m.Processes[i]}); err != nil {
			return err
		}
	}
	for i := range m.Pipes {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.Pipe
		}{KindPipe, &m.Pipes[i]}); err != nil {
			return err
		}
	}
	for i := range m.ALPC {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.ALPC
		}{KindALPC, &m.ALPC[i]}); err != nil {
			return err
		}
	}
	for i := range m.RPC {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.RPC
		}{KindRPC, &m.RPC[i]}); err != nil {
			return err
		}
	}
	for i := range m.Sections {
		// Section.Kind (the section type) moves to "section_kind".
		if err := put(struct {
			Kind        string `json:"kind"`
			SectionKind string `json:"section_kind,omitempty"`
			*model.Section
		}{KindSection, m.Sections[i].Kind, &m.Sections[i]}); err != nil {
			return err
		}
	}
	for i := range m.Stuck {
		// Stuck.Kind (what is waited for) moves to "stuck_kind".
		if err := put(struct {
			Kind      string `json:"kind"`
			StuckKind string `json:"stuck_kind"`
			*model.Stuck
		}{KindStuck, m.Stuck[i].Kind, &m.Stuck[i]}); err != nil {
			return err
		}
	}
	for i := range m.Deadlocks {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.Cycle
		}{KindDeadlock, &m.Deadlocks[i]}); err != nil {
			return err
		}
	}
	for i := range m.Security {
		if err := put(struct {
			Kind string `json:"kind"`
			*model.Exposed
		}{KindSecurity, &m.Security[i]}); err != nil {
			return err
		}
	}
	for _, s := range m.Warnings {
		if err := put(struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		}{KindWarning, s}); err != nil {
			return err
		}
	}
	return bw.Flush()
}
