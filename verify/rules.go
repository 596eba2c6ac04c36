package verify

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// Rule verdicts.
const (
	Held          = "held"
	Contradicted  = "contradicted"
	NotObservable = "not observable in this trace"
)

// RuleResult is the verdict on one inferred ([I]) rule of docs/rules.md for one
// trace, from the probe's own traffic (docs/rules.md C1–C13).
type RuleResult struct {
	ID       string `json:"id"`   // "C1" … "C5", "C12", "C13"
	Rule     string `json:"rule"` // the rule in words
	Verdict  string `json:"verdict"`
	Evidence int    `json:"evidence"` // events or pairs that support the verdict
	Against  int    `json:"against"`  // events or pairs that contradict the rule
	Detail   string `json:"detail,omitempty"`
}

// ruleFile is one FileObject opened on the probe's pipe.
type ruleFile struct {
	disp     uint8
	listen   bool // issued FSCTL_PIPE_LISTEN
	fsctls   int
	fsctlDev int // FSCTLs whose InfoClass has device type 0x11
	keys     map[uint64]bool
}

// ruleIRP is an operation waiting for its OperationEnd.
type ruleIRP struct {
	fo   uint64
	kind decoders.Op
	size uint32
}

// alpcEvent is one ALPC Send/Receive of the probe's process or its peers.
type alpcEvent struct {
	op  decoders.Op
	pid uint32
	id  uint32
}

// Rules checks the inferred rules of docs/rules.md C1–C5, C12, C13 against the
// events of one trace, using only the probe's own objects (its unique pipe,
// window or mailslot name, its PIDs). Feed every decoded event to Add in
// time order, then call Results.
type Rules struct {
	pipe     string // NT name \Device\NamedPipe\X, lower case
	rpc      bool
	pids     map[uint32]bool
	caller   uint32
	files    map[uint64]*ruleFile
	closed   []*ruleFile // files whose FileObject was closed (addresses are reused)
	irps     map[uint64]ruleIRP
	readsN   int
	readsB   int64
	overflow int
	alpc     []alpcEvent
	wantRead int64 // bytes the probe read from its pipe
	wantN    int   // successful reads the probe made
	id       string
	markers  map[string]int // ProbeMarker events of this probe by phase
	msg      msgRules       // C12, C13 (rules_msg.go)
}

// NewRules returns a rule checker for the probe described by e.
func NewRules(e *Expectation) *Rules {
	r := &Rules{
		pids:    make(map[uint32]bool),
		files:   make(map[uint64]*ruleFile),
		irps:    make(map[uint64]ruleIRP),
		rpc:     e.Kind == KindRPC,
		id:      e.ID,
		markers: make(map[string]int),
	}
	if len(e.Pipes) > 0 {
		r.pipe = strings.ToLower(NTPipeName(e.Pipes[0].Name))
	} else if e.Connect != nil {
		r.pipe = strings.ToLower(NTPipeName(e.Connect.Pipe))
	}
	for _, p := range e.Processes {
		r.pids[p.PID] = true
	}
	if len(e.RPC) > 0 {
		r.caller = e.RPC[0].ClientPID
	}
	for _, op := range e.Ops {
		if op.Kind == OpRead && op.Status == 0 && len(e.Pipes) > 0 {
			r.wantRead += op.Bytes
			r.wantN++
		}
	}
	r.msg.init(e)
	return r
}

// NTPipeName returns \Device\NamedPipe\X for any spelling of a pipe name.
func NTPipeName(name string) string {
	return ntdefs.NamedPipeDevice + PipePath(name)[len(ntdefs.Win32PipeRoot):]
}

// Add consumes one decoded event.
func (r *Rules) Add(d *decoders.Decoded) {
	if d == nil || d.Event == nil {
		return
	}
	if r.msg.add(d) {
		return
	}
	switch ev := d.Event.(type) {
	case *decoders.FileCreate:
		if r.pipe != "" && strings.EqualFold(ev.OpenPath, r.pipe) {
			r.files[ev.FileObject] = &ruleFile{disp: ev.Disposition(), keys: map[uint64]bool{}}
		}
	case *decoders.FileInfo:
		f := r.files[ev.FileObject]
		if f == nil || ev.Op != decoders.OpFSControl {
			return
		}
		f.fsctls++
		if ntdefs.IsPipeFSCTL(ev.InfoClass) {
			f.fsctlDev++
		}
		if ev.InfoClass == ntdefs.FsctlPipeListen {
			f.listen = true
		}
		if ev.FileKey != 0 {
			f.keys[ev.FileKey] = true
		}
	case *decoders.FileReadWrite:
		f := r.files[ev.FileObject]
		if f == nil {
			return
		}
		if ev.FileKey != 0 {
			f.keys[ev.FileKey] = true
		}
		r.irps[ev.IrpPtr] = ruleIRP{fo: ev.FileObject, kind: ev.Op, size: ev.IoSize}
	case *decoders.FileOpEnd:
		op, ok := r.irps[ev.IrpPtr]
		if !ok {
			return
		}
		delete(r.irps, ev.IrpPtr)
		if op.kind != decoders.OpRead {
			return
		}
		switch {
		case ev.Status == 0:
			r.readsN++
			r.readsB += int64(ev.ExtraInfo)
		case ev.Status == ntdefs.StatusBufferOverflow:
			r.overflow++
		}
	case *decoders.FileSimpleOp:
		if ev.Op == decoders.OpClose {
			// A FileObject address may be reused after Close.
			if f, ok := r.files[ev.FileObject]; ok {
				delete(r.files, ev.FileObject)
				r.closed = append(r.closed, f)
			}
		}
	case *decoders.ProbeMarker:
		if r.id != "" && ev.ProbeID == r.id {
			r.markers[ev.Phase]++
		}
	case *decoders.AlpcMessage:
		if !r.rpc || (ev.Op != decoders.OpAlpcSend && ev.Op != decoders.OpAlpcReceive) {
			return
		}
		r.alpc = append(r.alpc, alpcEvent{op: ev.Op, pid: d.PID, id: ev.MessageID})
	}
}

// Results returns the verdicts on C1–C5, C12 and C13.
func (r *Rules) Results() []RuleResult {
	return []RuleResult{r.c1(), r.c2(), r.c3(), r.c4(), r.c5(), r.msg.c12(), r.msg.c13()}
}

// rulesFor lists the rules a probe kind's own traffic can show: the pipe
// rules (C1, C2, C4, C5) for the pipe probe, the ALPC rule C3 for the rpc
// probe, the Win32k rule C12 for the window probe, the mailslot rule C13
// for the mailslot probe, none for the section and connect probes (a
// connect probe makes one client open and no server-side event of its own).
var rulesFor = map[string][]string{
	KindPipe:     {"C1", "C2", "C4", "C5"},
	KindRPC:      {"C3"},
	KindWindow:   {"C12"},
	KindMailslot: {"C13"},
}

// ResultsFor returns the verdicts on the rules that apply to a probe of
// kind, never nil.
func (r *Rules) ResultsFor(kind string) []RuleResult {
	out := []RuleResult{}
	for _, x := range r.Results() {
		if slices.Contains(rulesFor[kind], x.ID) {
			out = append(out, x)
		}
	}
	return out
}

// Markers returns how many ProbeMarker events of this probe the trace
// holds, by phase ("start", "stop").
func (r *Rules) Markers() map[string]int { return r.markers }

// allFiles returns every file seen, closed ones first, open ones by address.
func (r *Rules) allFiles() []*ruleFile {
	keys := make([]uint64, 0, len(r.files))
	for k := range r.files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := slices.Clone(r.closed)
	for _, k := range keys {
		out = append(out, r.files[k])
	}
	return out
}

// server applies the role rules docs/rules.md P1–P2.
func (f *ruleFile) server() bool { return f.listen || f.disp != ntdefs.FileOpen }

// c1: the FSCTL code is in InfoClass (docs/events.md#fsctl-code).
func (r *Rules) c1() RuleResult {
	res := RuleResult{ID: "C1", Rule: "FSControl InfoClass holds the pipe FSCTL code (LISTEN 0x00110008 on the server end)"}
	var fsctls, dev, listens int
	for _, f := range r.allFiles() {
		fsctls += f.fsctls
		dev += f.fsctlDev
		if f.listen {
			listens++
		}
	}
	switch {
	case fsctls == 0:
		res.Verdict = NotObservable
		res.Detail = "no FSControl event on the probe's pipe"
	case dev > 0 && listens > 0:
		res.Verdict, res.Evidence, res.Against = Held, dev, fsctls-dev
		res.Detail = fmt.Sprintf("%d of %d FSControl events carry a named-pipe FSCTL; %d LISTEN", dev, fsctls, listens)
	default:
		res.Verdict, res.Evidence, res.Against = Contradicted, dev, fsctls-dev
		res.Detail = fmt.Sprintf("%d FSControl events on the probe's pipe, %d with device type 0x11, %d LISTEN", fsctls, dev, listens)
	}
	return res
}

// c2: FileKey(server) == FileKey(client) | 1 (hypothesis H1, docs/rules.md P4).
func (r *Rules) c2() RuleResult {
	res := RuleResult{ID: "C2", Rule: "H1: FileKey(server end) == FileKey(client end) | 1"}
	serverKeys := map[uint64]bool{}
	var clients []*ruleFile
	for _, f := range r.allFiles() {
		if f.server() {
			for k := range f.keys {
				serverKeys[k] = true
			}
		} else if len(f.keys) > 0 {
			clients = append(clients, f)
		}
	}
	if len(clients) == 0 || len(serverKeys) == 0 {
		res.Verdict = NotObservable
		res.Detail = "no FileKey on both ends of the probe's pipe"
		return res
	}
	for _, c := range clients {
		ok := false
		for k := range c.keys {
			if k&1 == 0 && serverKeys[k|1] {
				ok = true
			}
		}
		if ok {
			res.Evidence++
		} else {
			res.Against++
		}
	}
	res.Detail = fmt.Sprintf("%d of %d client ends have a server end with FileKey | 1", res.Evidence, len(clients))
	if res.Against == 0 {
		res.Verdict = Held
	} else {
		res.Verdict = Contradicted
	}
	return res
}

// c3: an ALPC reply carries the request's MessageID; ids are reused
// (docs/rules.md A1).
func (r *Rules) c3() RuleResult {
	res := RuleResult{ID: "C3", Rule: "ALPC reply MessageID equals the request's; ids are reused"}
	if !r.rpc || r.caller == 0 {
		res.Verdict = NotObservable
		res.Detail = "no ALPC traffic from the probe (only the rpc probe makes it)"
		return res
	}
	// For each Send by the caller, the caller's next Receive is the reply.
	var pending []uint32
	uses := map[uint32]int{}
	for _, a := range r.alpc {
		if a.pid != r.caller {
			continue
		}
		switch a.op {
		case decoders.OpAlpcSend:
			pending = append(pending, a.id)
			uses[a.id]++
		case decoders.OpAlpcReceive:
			if len(pending) == 0 {
				continue
			}
			if pending[len(pending)-1] == a.id {
				res.Evidence++
			} else {
				res.Against++
			}
			pending = pending[:len(pending)-1]
		}
	}
	if res.Evidence+res.Against == 0 {
		res.Verdict = NotObservable
		res.Detail = "no ALPC send/receive pair by the probe's process"
		return res
	}
	reused := 0
	for _, n := range uses {
		if n > 1 {
			reused++
		}
	}
	res.Detail = fmt.Sprintf("%d of %d calls had equal request/reply ids; %d distinct ids, %d reused", res.Evidence, res.Evidence+res.Against, len(uses), reused)
	if res.Against == 0 {
		res.Verdict = Held
	} else {
		res.Verdict = Contradicted
	}
	return res
}

// c4: CreateNamedPipe produces a FileIo Create, with a disposition other
// than FILE_OPEN (docs/rules.md P2, docs/events.md#disagreements D7).
func (r *Rules) c4() RuleResult {
	res := RuleResult{ID: "C4", Rule: "CreateNamedPipe emits a Create event whose disposition is not FILE_OPEN"}
	disp := map[uint8]int{}
	var clients int
	files := r.allFiles()
	for _, f := range files {
		if f.disp == ntdefs.FileOpen {
			clients++
		} else {
			disp[f.disp]++
			res.Evidence++
		}
	}
	switch {
	case len(files) == 0 || r.pipe == "":
		res.Verdict = NotObservable
		res.Detail = "no Create event on the probe's pipe"
		return res
	case res.Evidence > 0:
		res.Verdict = Held
	case clients > 0:
		res.Verdict = Contradicted
		res.Against = clients
		res.Detail = fmt.Sprintf("%d client opens but no server-instance Create", clients)
		return res
	}
	var parts []string
	ds := make([]int, 0, len(disp))
	for d := range disp {
		ds = append(ds, int(d))
	}
	sort.Ints(ds)
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("disposition %d ×%d", d, disp[uint8(d)]))
	}
	res.Detail = strings.Join(parts, ", ")
	return res
}

// c5: a read's OperationEnd ExtraInfo is the number of bytes read (docs/rules.md P7).
func (r *Rules) c5() RuleResult {
	res := RuleResult{ID: "C5", Rule: "Read OperationEnd ExtraInfo = bytes transferred"}
	if r.readsN == 0 || r.wantN == 0 {
		res.Verdict = NotObservable
		res.Detail = "no completed read on the probe's pipe"
		return res
	}
	res.Detail = fmt.Sprintf("trace: %d reads, %d bytes; probe: %d reads, %d bytes", r.readsN, r.readsB, r.wantN, r.wantRead)
	if r.overflow > 0 {
		res.Detail += fmt.Sprintf("; %d partial message reads (0x80000005)", r.overflow)
	}
	if r.readsB == r.wantRead {
		res.Verdict, res.Evidence = Held, r.readsN
	} else {
		res.Verdict, res.Against = Contradicted, r.readsN
	}
	return res
}
