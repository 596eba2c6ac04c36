package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/ipctrace/ipctrace/model"
)

// jsonTrace is model.Trace with the counts the view adds (package doc:
// has_ipc, processes_shown, lossy_windows_merged).
type jsonTrace struct {
	model.Trace
	HasIPC             bool           `json:"has_ipc"`
	ProcessesShown     int            `json:"processes_shown"`
	LossyWindowsMerged []model.Window `json:"lossy_windows_merged"`
}

// jsonProcess is model.Process with "ipc": true when the view lists it.
type jsonProcess struct {
	model.Process
	IPC bool `json:"ipc,omitempty"`
}

// jsonModel is the JSON document: the model, whose trace and processes
// carry the view's additions (the outer fields hide the embedded ones).
type jsonModel struct {
	Trace     jsonTrace     `json:"trace"`
	Processes []jsonProcess `json:"processes"`
	*model.Model
}

func newJSONModel(m *model.Model) *jsonModel {
	multiNS := len(m.Trace.Namespaces) > 1
	shown := shownProcesses(m, multiNS)
	j := &jsonModel{Model: m, Trace: jsonTrace{Trace: m.Trace, HasIPC: HasIPC(m), ProcessesShown: len(shown),
		LossyWindowsMerged: mergeWindows(m.Trace.LossyWindows)}}
	if j.Trace.LossyWindowsMerged == nil {
		j.Trace.LossyWindowsMerged = []model.Window{}
	}
	if m.Processes != nil {
		j.Processes = make([]jsonProcess, len(m.Processes))
		for i := range m.Processes {
			j.Processes[i] = jsonProcess{Process: m.Processes[i], IPC: processShown(shown, multiNS, &m.Processes[i])}
		}
	}
	return j
}

// JSON writes the whole model as one indented JSON document (schema: package doc).
func JSON(w io.Writer, m *model.Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(newJSONModel(m))
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
	KindIdle     = "idle"
	KindDeadlock = "deadlock"
	KindSecurity = "security"
	KindWarning  = "warning"
	// Window messages and COM (docs/rules.md WM1–WM4, COM1–COM2).
	KindWindowMessages = "window_messages"
	KindPostedQueue    = "posted_queue"
	KindHungPump       = "hung_pump"
	KindCOM            = "com"
	KindMailslot       = "mailslot" // docs/rules.md MS1
)

// JSONL writes one JSON object per line: the trace summary first, then one
// per process, conversation (pipe, alpc, rpc), section, stuck operation,
// idle operation, deadlock, security finding and warning. Each object carries the fields of
// its model type plus "kind".
func JSONL(w io.Writer, m *model.Model) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	put := func(v any) error { return enc.Encode(v) }
	j := newJSONModel(m)
	prov := provenanceOf(m)
	if err := put(struct {
		Kind string `json:"kind"`
		jsonlProvenance
		*jsonTrace
	}{KindTrace, prov, &j.Trace}); err != nil {
		return err
	}
	for i := range j.Processes {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*jsonProcess
		}{KindProcess, prov, &j.Processes[i]}); err != nil {
			return err
		}
	}
	for i := range m.Pipes {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.Pipe
		}{KindPipe, prov, &m.Pipes[i]}); err != nil {
			return err
		}
	}
	for i := range m.ALPC {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.ALPC
		}{KindALPC, prov, &m.ALPC[i]}); err != nil {
			return err
		}
	}
	for i := range m.RPC {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.RPC
		}{KindRPC, prov, &m.RPC[i]}); err != nil {
			return err
		}
	}
	for i := range m.Sections {
		// Section.Kind (the section type) moves to "section_kind".
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			SectionKind string `json:"section_kind,omitempty"`
			*model.Section
		}{KindSection, prov, m.Sections[i].Kind, &m.Sections[i]}); err != nil {
			return err
		}
	}
	for i := range m.Stuck {
		// Stuck.Kind (what is waited for) moves to "stuck_kind".
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			StuckKind string `json:"stuck_kind"`
			*model.Stuck
		}{KindStuck, prov, m.Stuck[i].Kind, &m.Stuck[i]}); err != nil {
			return err
		}
	}
	for i := range m.Idle {
		// Idle.Kind moves to "idle_kind" like Stuck.Kind.
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			IdleKind string `json:"idle_kind"`
			*model.Idle
		}{KindIdle, prov, m.Idle[i].Kind, &m.Idle[i]}); err != nil {
			return err
		}
	}
	for i := range m.Deadlocks {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.Cycle
		}{KindDeadlock, prov, &m.Deadlocks[i]}); err != nil {
			return err
		}
	}
	for i := range m.Security {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.Exposed
		}{KindSecurity, prov, &m.Security[i]}); err != nil {
			return err
		}
	}
	for i := range m.HungPumps {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.HungPump
		}{KindHungPump, prov, &m.HungPumps[i]}); err != nil {
			return err
		}
	}
	for i := range m.WindowMessages {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.WindowMessages
		}{KindWindowMessages, prov, &m.WindowMessages[i]}); err != nil {
			return err
		}
	}
	for i := range m.PostedQueues {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.PostedQueue
		}{KindPostedQueue, prov, &m.PostedQueues[i]}); err != nil {
			return err
		}
	}
	for i := range m.COM {
		// COMCall.Kind ("call-delay", "modal-loop") moves to "com_kind".
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			COMKind string `json:"com_kind"`
			*model.COMCall
		}{KindCOM, prov, m.COM[i].Kind, &m.COM[i]}); err != nil {
			return err
		}
	}
	for i := range m.Mailslots {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			*model.Mailslot
		}{KindMailslot, prov, &m.Mailslots[i]}); err != nil {
			return err
		}
	}
	for _, s := range m.Warnings {
		if err := put(struct {
			Kind string `json:"kind"`
			jsonlProvenance
			Message string `json:"message"`
		}{KindWarning, prov, s}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// jsonlProvenance is what every JSON Lines row carries of where it came
// from, as the Parquet tables do (docs/parquet.md): the file, when the
// model is of one file, and the trace's start. Rows of a model of several
// namespaces carry "ns" as well.
type jsonlProvenance struct {
	File       string     `json:"file,omitempty"`
	TraceStart model.Time `json:"trace_start,omitempty"`
}

func provenanceOf(m *model.Model) jsonlProvenance {
	p := jsonlProvenance{TraceStart: m.Trace.Start}
	if len(m.Trace.Files) == 1 {
		p.File = m.Trace.Files[0]
	}
	return p
}
