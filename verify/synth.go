package verify

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
	"github.com/ipctrace/ipctrace/synth"
)

// SynthOptions make SynthTrace write the trace of a faulty recorder, to
// test that verify notices. Zero values write the trace a correct recorder
// would have written.
type SynthOptions struct {
	Seed uint64
	// DropWrite leaves out the n-th (1-based) client write (pipes), writer
	// write (mailslots) or SendMessage (window: all four events of it),
	// silently.
	DropWrite int
	// WrongBytes makes the n-th (1-based) client or writer write one byte
	// longer.
	WrongBytes int
	// MissingClient leaves out every event of client (pipes), peer
	// (sections, 1) or writer (mailslots) number n: its process, its opens,
	// its traffic.
	MissingClient int
	// EndDuringWait ends the trace while the probe's last wait was open:
	// the hung SendMessage of `probe window --hang` (the trace ends when
	// the probe released the handler) or the mailslot reader's last, idle
	// Read (the trace ends just before it timed out), as when the recording
	// is stopped then.
	EndDuringWait bool
	// LoseFrom and LoseTo (1-based, inclusive, in time order of the
	// operations) are the operations during which the recorder loses
	// events; the trace then counts a lost buffer.
	LoseFrom, LoseTo int
}

// ErrSynthKind is returned by SynthTrace for probe kinds it cannot model.
var ErrSynthKind = errors.New("no synthetic trace for this probe kind")

// Win32 errors of a failed pipe open and their NTSTATUS in the trace.
var openStatus = map[uint32]uint32{
	231: synth.StatusPipeBusy,         // ERROR_PIPE_BUSY
	2:   synth.StatusObjectNameNotFnd, // ERROR_FILE_NOT_FOUND
	5:   synth.StatusAccessDenied,     // ERROR_ACCESS_DENIED
}

// synthUser is the user SID of the synthetic probe processes.
const synthUser = "S-1-5-21-1004336348-1177238915-682003330-1001"

// SynthTrace writes to w the .etl trace that a correct recorder would have
// written while the probe described by e ran (pipe, section, window and
// mailslot probes): process and thread rundown, then each operation at the
// probe's own time, through the synth builder, and the probe's start and
// stop markers when it says it wrote them (e.Markers). Kernel-side
// completions follow the builder's model (docs/rules.md P7–P9).
func SynthTrace(w io.Writer, e *Expectation, o SynthOptions) error {
	if e.Skipped != "" {
		return fmt.Errorf("%w: the probe was skipped (%s)", ErrSynthKind, e.Skipped)
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := checkTimes(e); err != nil {
		return err
	}
	s := &synthRun{b: synth.NewBuilder(o.Seed), e: e, o: o, threads: map[uint32]*synth.Thread{}}
	if err := s.processes(); err != nil {
		return err
	}
	var err error
	switch e.Kind {
	case KindPipe:
		err = s.pipes()
	case KindSection:
		err = s.sections()
	case KindWindow:
		err = s.windows()
	case KindMailslot:
		err = s.mailslots()
	default:
		err = fmt.Errorf("%w: %s", ErrSynthKind, e.Kind)
	}
	if err != nil {
		return err
	}
	if err := s.markers(); err != nil {
		return err
	}
	if err := s.b.Err(); err != nil {
		return err
	}
	return s.b.WriteETL(w, etw.WriterOptions{})
}

// maxSpan bounds the time an expectation may cover: one day.
const maxSpan = 24 * 3600

// checkTimes rejects clocks and operation times that cannot be placed in a
// trace (a hostile or damaged expectation file).
func checkTimes(e *Expectation) error {
	f := e.Clock.Frequency
	if f < 1000 || f > 1e11 {
		return fmt.Errorf("expectation: QPC frequency %d out of range", f)
	}
	if len(e.Ops) == 0 {
		return errors.New("expectation: no operation")
	}
	lo, hi := e.Ops[0].Start, e.Ops[0].Start
	for i, op := range e.Ops {
		if op.End < op.Start {
			return fmt.Errorf("expectation: op %d ends before it starts", i)
		}
		lo, hi = min(lo, op.Start), max(hi, op.End)
	}
	if hi-lo < 0 || (hi-lo)/f > maxSpan {
		return fmt.Errorf("expectation: operations span more than %d s", maxSpan)
	}
	return nil
}

type synthRun struct {
	b       *synth.Builder
	e       *Expectation
	o       SynthOptions
	q0      int64
	procs   map[uint32]*synth.Proc
	threads map[uint32]*synth.Thread
	skipPID uint32
	busy    int64 // see slot
}

// at converts a probe QPC value to trace time: 1 ms after the trace
// start for the earliest operation.
func (s *synthRun) at(q int64) int64 {
	return s.b.Start() + 10*synth.Millisecond + s.e.Clock.Ticks(q-s.q0)
}

func (s *synthRun) processes() error {
	s.procs = map[uint32]*synth.Proc{}
	if len(s.e.Processes) == 0 {
		return errors.New("the expectation lists no process")
	}
	parent := s.e.Processes[0].PID
	for i, p := range s.e.Processes {
		if s.o.MissingClient > 0 && i > 0 && (p.Client == s.o.MissingClient || (p.Client == 0 && s.o.MissingClient == i)) {
			s.skipPID = p.PID
			continue
		}
		image := p.Image
		if image == "" {
			image = "ipctrace.exe"
		}
		ppid := parent
		if i == 0 {
			ppid = 4
		}
		pr := s.b.Process(p.PID, ppid, image, image+" probe", synthUser)
		s.procs[p.PID] = pr
		for _, tid := range p.TIDs {
			s.threads[tid] = pr.Thread(s.b, tid)
		}
	}
	s.q0 = 0
	for i, op := range s.e.Ops {
		if i == 0 || op.Start < s.q0 {
			s.q0 = op.Start
		}
	}
	return nil
}

// markers writes the probe's start and stop marker events (as many as it
// says it wrote, at most those two), 1 ms before its first operation and
// after its last, logged by the first thread of its first process.
func (s *synthRun) markers() error {
	n := s.e.Markers.Written
	if n <= 0 {
		return nil
	}
	p := s.e.Processes[0]
	tid := p.PID + 4 // a thread of its own when the process lists none
	if len(p.TIDs) > 0 {
		tid = p.TIDs[0]
	}
	th, err := s.thread(p.PID, tid)
	if err != nil {
		return err
	}
	lo, hi := s.q0, s.q0 // q0: the first operation's start
	for _, op := range s.e.Ops {
		hi = max(hi, op.End)
	}
	s.b.ProbeMarker(s.at(lo)-synth.Millisecond, th, &decoders.ProbeMarker{ProbeID: s.e.ID, Phase: "start", Kind: s.e.Kind, QPC: uint64(lo)})
	if n > 1 {
		s.b.ProbeMarker(s.at(hi)+synth.Millisecond, th, &decoders.ProbeMarker{ProbeID: s.e.ID, Phase: "stop", Kind: s.e.Kind, QPC: uint64(hi)})
	}
	return nil
}

// thread returns the builder thread of op, adding it to its process when
// the process list did not name it.
func (s *synthRun) thread(pid, tid uint32) (*synth.Thread, error) {
	if th := s.threads[tid]; th != nil {
		return th, nil
	}
	pr := s.procs[pid]
	if pr == nil {
		return nil, fmt.Errorf("operation of pid %d, which the expectation does not list", pid)
	}
	th := pr.Thread(s.b, tid)
	s.threads[tid] = th
	return th, nil
}

// sortedOps returns the operations to emit in time order.
func (s *synthRun) sortedOps() []Operation {
	ops := slices.Clone(s.e.Ops)
	slices.SortStableFunc(ops, func(a, b Operation) int { return cmpInt64(a.Start, b.Start) })
	return ops
}

// lose switches simulated loss on and off around operation i (0-based).
func (s *synthRun) lose(i int, t int64) {
	if s.o.LoseFrom > 0 && i == s.o.LoseFrom-1 {
		s.b.Lose(true, t)
	}
	if s.o.LoseTo > 0 && i == s.o.LoseTo {
		s.b.Lose(false, t)
	}
}

func (s *synthRun) pipes() error {
	e := s.e
	if len(e.Pipes) == 0 {
		return errors.New("pipe expectation without pipes")
	}
	name := PipePath(e.Pipes[0].Name)[len(`\\.\pipe\`):]
	message := e.Pipes[0].Mode == "message"
	server := e.Processes[0]
	ops := s.sortedOps()
	first := s.at(ops[0].Start)

	// Server instances exist and listen before the first client opens.
	srvThread := make([]*synth.Thread, len(e.Pipes))
	for i := range e.Pipes {
		tid := uint32(0)
		for _, op := range ops {
			if op.Conv == i && op.PID == server.PID {
				tid = op.TID
				break
			}
		}
		if tid == 0 && len(server.TIDs) > 0 {
			tid = server.TIDs[min(i, len(server.TIDs)-1)]
		}
		th, err := s.thread(server.PID, tid)
		if err != nil {
			return err
		}
		srvThread[i] = th
	}
	byInstance := map[int]*synth.PipeEnd{}
	t := first - synth.Millisecond
	for i := range e.Pipes {
		srv, end := s.b.CreatePipe(t, srvThread[i], name, message)
		s.b.Listen(end+2*synth.Microsecond, srv)
		byInstance[srv.Instance] = srv
		t = end + 5*synth.Microsecond
	}

	// Each client closes its end after its last operation; the server
	// disconnects when its read fails (or soon after the client closed)
	// and closes the instance.
	lastClient := make([]int64, len(e.Pipes))
	hangup := make([]int64, len(e.Pipes))
	for _, op := range ops {
		if op.PID == server.PID {
			if op.Kind == OpRead && op.Status != 0 {
				hangup[op.Conv] = op.End
			}
		} else {
			lastClient[op.Conv] = max(lastClient[op.Conv], op.End)
		}
	}
	type action struct {
		t     int64
		op    *Operation
		index int // position among the operations, for loss windows
		close int // 1 + conversation to close, for close actions
	}
	var acts []action
	for i := range ops {
		acts = append(acts, action{t: s.at(ops[i].Start), op: &ops[i], index: i})
	}
	for i := range e.Pipes {
		if lastClient[i] == 0 {
			continue
		}
		acts = append(acts, action{t: s.at(lastClient[i]) + 20*synth.Microsecond, index: -1, close: i + 1})
	}
	slices.SortStableFunc(acts, func(a, b action) int { return cmpInt64(a.t, b.t) })

	clients := make([]*synth.PipeEnd, len(e.Pipes))
	servers := make([]*synth.PipeEnd, len(e.Pipes))
	writes := 0
	for _, a := range acts {
		if a.close > 0 {
			i := a.close - 1
			if c := clients[i]; c != nil {
				t := s.slot(a.t, 40)
				s.b.ClosePipe(t, c)
			}
			if srv := servers[i]; srv != nil {
				t := s.slot(max(a.t+40*synth.Microsecond, s.at(hangup[i])), 60)
				t = s.b.Disconnect(t, srv)
				s.b.ClosePipe(t+5*synth.Microsecond, srv)
			}
			continue
		}
		op := *a.op
		s.lose(a.index, a.t)
		if op.PID == s.skipPID || (s.skipPID != 0 && e.Pipes[op.Conv].ClientPID == s.skipPID) {
			continue
		}
		th, err := s.thread(op.PID, op.TID)
		if err != nil {
			return err
		}
		isServer := op.PID == server.PID
		end := clients[op.Conv]
		if isServer {
			end = servers[op.Conv]
		}
		if op.Kind != OpConnect && end == nil {
			return fmt.Errorf("%s by pid %d on conversation %d before its connection", op.Kind, op.PID, op.Conv)
		}
		switch op.Kind {
		case OpConnect:
			t := s.slot(a.t, 35)
			if op.Status != 0 {
				st, ok := openStatus[op.Status]
				if !ok {
					st = 0xC0000001
				}
				s.b.ConnectFail(t, th, name, st)
				continue
			}
			c, _ := s.b.Connect(t, th, name)
			if c == nil {
				return fmt.Errorf("client %d connects to %s with no listening instance", op.PID, name)
			}
			clients[op.Conv], servers[op.Conv] = c, byInstance[c.Instance]
		case OpWrite:
			n := op.Bytes
			if !isServer {
				writes++
				if writes == s.o.DropWrite {
					continue
				}
				if writes == s.o.WrongBytes {
					n++
				}
			}
			s.b.Write(s.slot(a.t, 22), th, end, n)
		case OpRead:
			if op.Status != 0 {
				continue // the failed read at hang-up: see the close action
			}
			s.b.Read(s.slot(a.t, 6), th, end, op.Size)
		case OpTransact:
			writes++
			if writes == s.o.DropWrite {
				continue
			}
			n := op.Size
			if writes == s.o.WrongBytes {
				n++
			}
			s.b.Transceive(s.slot(a.t, 14), th, end, n, op.Size)
		}
	}
	if s.o.LoseFrom > 0 && s.o.LoseTo >= len(ops) {
		s.b.Lose(false, s.slot(s.at(ops[len(ops)-1].End), 1))
	}
	return nil
}

// slot returns the time at which to issue the next primitive: t, or later
// when an earlier primitive may still complete after t, so that the
// builder never hands out an IRP whose previous operation is still in
// flight at that time. holdUS bounds, in µs, when the kernel-side effects
// of this primitive (its own completion, and the peer read it satisfies)
// are over. The shift only ever delays a call and keeps the call order.
func (s *synthRun) slot(t, holdUS int64) int64 {
	t = max(t, s.busy)
	s.busy = t + holdUS*synth.Microsecond
	return t
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *synthRun) sections() error {
	e := s.e
	if len(e.Sections) != 1 {
		return fmt.Errorf("section expectation with %d sections", len(e.Sections))
	}
	sec := s.b.PagefileSection()
	views := map[uint32]*synth.View{}
	mapper := map[uint32]*synth.Thread{}
	last := map[uint32]int64{}
	ops := s.sortedOps()
	for i, op := range ops {
		t := s.at(op.Start)
		s.lose(i, t)
		if op.PID == s.skipPID {
			continue
		}
		last[op.PID] = max(last[op.PID], s.at(op.End))
		if op.Kind != OpMap || op.Status != 0 {
			continue // memory traffic and event signals leave no IPC event
		}
		th, err := s.thread(op.PID, op.TID)
		if err != nil {
			return err
		}
		views[op.PID] = s.b.MapView(t, th, sec, uint64(op.Bytes), 0)
		mapper[op.PID] = th
	}
	if s.o.LoseFrom > 0 && s.o.LoseTo >= len(ops) {
		s.b.Lose(false, s.at(ops[len(ops)-1].End)+synth.Microsecond)
	}
	for _, p := range e.Processes {
		if v := views[p.PID]; v != nil {
			s.b.UnmapView(last[p.PID]+10*synth.Microsecond, mapper[p.PID], v)
		}
	}
	return nil
}

// windows writes the Win32k MessagePump events of `probe window`
// (docs/rules.md WM1, WM3) at the probe's own times: for each SendMessage
// its start and return on the sender and the handler's start and end on
// the window's thread; for each PostMessage the post and its retrieval.
func (s *synthRun) windows() error {
	e := s.e
	if len(e.Windows) != 1 {
		return fmt.Errorf("window expectation with %d windows", len(e.Windows))
	}
	if s.skipPID != 0 {
		return errors.New("a window probe has no client process to leave out")
	}
	x := e.Windows[0]
	sender, err := s.thread(x.SenderPID, x.SenderTID)
	if err != nil {
		return err
	}
	recv, err := s.thread(x.ReceiverPID, x.ReceiverTID)
	if err != nil {
		return err
	}
	w := &synth.Window{Hwnd: x.Hwnd, Thread: recv, Class: x.Class}
	type key struct {
		msg uint32
		seq int
	}
	handled := map[key]Operation{}
	retrieved := map[key]Operation{}
	ops := s.sortedOps()
	for _, op := range ops {
		switch op.Kind {
		case OpHandle:
			handled[key{op.Message, op.Seq}] = op
		case OpRetrieve:
			retrieved[key{op.Message, op.Seq}] = op
		}
	}
	sends := 0
	cut := int64(0) // EndDuringWait: the end of the trace
	for i, op := range ops {
		t := s.at(op.Start)
		if cut != 0 && t >= cut {
			break
		}
		s.lose(i, t)
		switch op.Kind {
		case OpSend:
			if op.Status != 0 {
				continue // SendMessage failed: it reached no window
			}
			sends++
			if sends == s.o.DropWrite {
				continue
			}
			h, ok := handled[key{op.Message, op.Seq}]
			if !ok {
				return fmt.Errorf("send %d of message %#x: no handler operation", op.Seq, op.Message)
			}
			// QPC is system-wide: the handler ran within the call. Clamp
			// anyway, so that a damaged file cannot order them otherwise.
			hs := min(max(s.at(h.Start), t), s.at(op.End))
			he := min(max(s.at(h.End), hs), s.at(op.End))
			if x.Hang != nil && op.Message == x.Hang.Message && s.o.EndDuringWait {
				s.b.SendMessageStuck(t, sender, w, op.Message, true, hs-t)
				cut = he // the probe released the handler here
				s.b.Advance(cut)
				continue
			}
			s.b.SendMessageAt(t, sender, w, op.Message, hs, he, s.at(op.End))
		case OpPost:
			if op.Status != 0 {
				continue
			}
			p := s.b.PostMessage(t, sender, w, op.Message)
			if rt, ok := retrieved[key{op.Message, op.Seq}]; ok {
				s.b.RetrievePost(max(s.at(rt.Start), t), p)
			}
		}
	}
	if s.o.LoseFrom > 0 && s.o.LoseTo >= len(ops) {
		s.b.Lose(false, s.at(ops[len(ops)-1].End)+synth.Microsecond)
	}
	return nil
}

// mailslots writes the FileIo events of `probe mailslot` (docs/rules.md
// MS1): the reader's CreateMailslot, each writer's open and writes, the
// reader's reads, and its last Read, which times out (or is still pending
// when the trace ends, EndDuringWait: idle, I3).
func (s *synthRun) mailslots() error {
	e := s.e
	if len(e.Mailslots) != 1 {
		return fmt.Errorf("mailslot expectation with %d mailslots", len(e.Mailslots))
	}
	x := e.Mailslots[0]
	if !ntdefs.HasPrefixFold(x.Name, ntdefs.Win32MailRoot) || len(x.Name) == len(ntdefs.Win32MailRoot) {
		return fmt.Errorf("mailslot name %q is not \\\\.\\mailslot\\NAME", x.Name)
	}
	name := x.Name[len(ntdefs.Win32MailRoot):]
	var ms *synth.Mailslot
	writers := map[uint32]*synth.MailslotWriter{}
	writes := 0
	cut := int64(0)
	ops := s.sortedOps()
	for i, op := range ops {
		t := s.at(op.Start)
		if cut != 0 && t >= cut {
			break
		}
		s.lose(i, t)
		if op.PID == s.skipPID {
			continue
		}
		th, err := s.thread(op.PID, op.TID)
		if err != nil {
			return err
		}
		if op.Kind != OpCreate && ms == nil {
			return fmt.Errorf("%s by pid %d before the mailslot was created", op.Kind, op.PID)
		}
		switch op.Kind {
		case OpCreate:
			if op.Status == 0 {
				ms, _ = s.b.CreateMailslot(t, th, name)
			}
		case OpConnect:
			if op.Status == 0 {
				writers[op.PID], _ = s.b.OpenMailslot(t, th, ms)
			}
		case OpWrite:
			wr := writers[op.PID]
			if wr == nil {
				return fmt.Errorf("write by pid %d, which did not open the mailslot", op.PID)
			}
			if op.Status != 0 {
				continue
			}
			writes++
			if writes == s.o.DropWrite {
				continue
			}
			n := op.Bytes
			if writes == s.o.WrongBytes {
				n++
			}
			s.b.MailslotWrite(t, wr, n)
		case OpRead:
			switch {
			case op.Status == 0:
				s.b.MailslotRead(t, ms, op.Bytes, max(s.at(op.End), t))
			case s.o.EndDuringWait:
				s.b.MailslotRead(t, ms, 0, 0)
				cut = max(s.at(op.End)-synth.Microsecond, t)
				s.b.Advance(cut)
			default:
				s.b.MailslotReadTimeout(t, ms, max(s.at(op.End), t))
			}
		}
	}
	if s.o.LoseFrom > 0 && s.o.LoseTo >= len(ops) {
		s.b.Lose(false, s.at(ops[len(ops)-1].End)+synth.Microsecond)
	}
	return nil
}
