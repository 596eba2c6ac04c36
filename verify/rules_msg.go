package verify

import (
	"fmt"
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/ntdefs"
)

// The first-run checks of the window and mailslot probes (docs/rules.md
// C12, C13), made on the probe's own window and mailslot only.

// wmChain is one SendMessage to the probe's window, by pqmsg.
type wmChain struct {
	receiverOK bool // event 60 named the window's thread
	retrieved  bool // 62 on the window's thread
	handled    bool // 83 after 62
}

// msgRules is the window and mailslot part of Rules.
type msgRules struct {
	// window
	hwnd              uint64
	senderTID         uint32
	recvPID, recvTID  uint32
	chains            map[uint64]*wmChain
	posts             map[uint64]bool
	wmEvents          int
	sendsOK, sendsBad int
	postsOK, postsBad int

	// mailslot
	slot         string // \Device\Mailslot\X, lower case
	slotFOs      map[uint64]bool
	slotIRPs     map[uint64]bool
	creates      map[uint8]int // Creates on the slot by disposition
	readerCreate bool
	writesN      int
	writesB      int64
	wantWrites   int
	wantBytes    int64
}

func (r *msgRules) init(e *Expectation) {
	if len(e.Windows) > 0 {
		w := e.Windows[0]
		r.hwnd, r.senderTID, r.recvPID, r.recvTID = w.Hwnd, w.SenderTID, w.ReceiverPID, w.ReceiverTID
		r.chains = map[uint64]*wmChain{}
		r.posts = map[uint64]bool{}
	}
	if len(e.Mailslots) > 0 {
		x := e.Mailslots[0]
		if ntdefs.HasPrefixFold(x.Name, ntdefs.Win32MailRoot) {
			r.slot = strings.ToLower(ntdefs.MailslotDevice + x.Name[len(ntdefs.Win32MailRoot):])
		}
		r.slotFOs = map[uint64]bool{}
		r.slotIRPs = map[uint64]bool{}
		r.creates = map[uint8]int{}
		for _, op := range e.Ops {
			if op.Kind == OpWrite && op.Status == 0 {
				r.wantWrites++
				r.wantBytes += op.Bytes
			}
		}
	}
}

// add consumes one event; it reports whether the event was one of these
// rules' (so that the pipe rules need not look at it).
func (r *msgRules) add(d *decoders.Decoded) bool {
	switch ev := d.Event.(type) {
	case *decoders.Win32kMessage:
		if r.chains == nil || ev.Hwnd != r.hwnd {
			return true
		}
		r.wmEvents++
		switch ev.ID {
		case decoders.Win32kSendMessageStartID:
			r.chains[ev.Pqmsg] = &wmChain{receiverOK: ev.ReceiverPID == r.recvPID && ev.ReceiverTID == r.recvTID}
		case decoders.Win32kRetrieveSendMessageStartID:
			c := r.chains[ev.Pqmsg]
			if c == nil || d.TID != r.recvTID {
				r.sendsBad++ // retrieved on another thread, or under another pqmsg
				return true
			}
			c.retrieved = true
		case decoders.Win32kQueuePostMessageID:
			r.posts[ev.Pqmsg] = true
		case decoders.Win32kRetrievePostMessageID:
			if r.posts[ev.Pqmsg] && d.TID == r.recvTID {
				r.postsOK++
				delete(r.posts, ev.Pqmsg)
			} else {
				r.postsBad++
			}
		}
		return true
	case *decoders.Win32kMessageStop:
		if r.chains == nil {
			return true
		}
		c := r.chains[ev.Pqmsg]
		if c == nil {
			return true
		}
		r.wmEvents++
		switch ev.ID {
		case decoders.Win32kRetrieveSendMessageStopID:
			if c.retrieved && d.TID == r.recvTID {
				c.handled = true
			}
		case decoders.Win32kSendMessageStopID:
			if d.TID != r.senderTID {
				return true
			}
			if c.receiverOK && c.retrieved && c.handled {
				r.sendsOK++
			} else {
				r.sendsBad++
			}
			delete(r.chains, ev.Pqmsg) // pqmsg is reused after 70
		}
		return true
	case *decoders.FileCreate:
		if r.slot == "" || !strings.EqualFold(ev.OpenPath, r.slot) {
			return false
		}
		disp := ev.Disposition()
		r.creates[disp]++
		r.slotFOs[ev.FileObject] = disp == ntdefs.FileOpen
		if disp == ntdefs.FileCreate {
			r.readerCreate = true
		}
		return true
	case *decoders.FileReadWrite:
		if r.slot == "" || ev.Op != decoders.OpWrite || !r.slotFOs[ev.FileObject] {
			return false
		}
		r.slotIRPs[ev.IrpPtr] = true
		return true
	case *decoders.FileOpEnd:
		if r.slot == "" || !r.slotIRPs[ev.IrpPtr] {
			return false
		}
		delete(r.slotIRPs, ev.IrpPtr)
		if ev.Status == 0 {
			r.writesN++
			r.writesB += int64(ev.ExtraInfo)
		}
		return true
	case *decoders.FileSimpleOp:
		if r.slot != "" && ev.Op == decoders.OpClose {
			delete(r.slotFOs, ev.FileObject) // FileObject addresses are reused
		}
	}
	return false
}

// c12: the Win32k events of one message share pqmsg (docs/rules.md WM1, WM3).
func (r *msgRules) c12() RuleResult {
	res := RuleResult{ID: "C12", Rule: "a sent message's Win32k events share pqmsg: 60 names the window's thread, which writes 62 and 83 " +
		"before 70 on the sender; a posted message's 59 and 61 share pqmsg"}
	if r.wmEvents == 0 {
		res.Verdict = NotObservable
		res.Detail = "no Win32k MessagePump event on the probe's window"
		return res
	}
	res.Evidence, res.Against = r.sendsOK+r.postsOK, r.sendsBad+r.postsBad
	res.Detail = fmt.Sprintf("%d sends complete, %d broken; %d posts retrieved under their pqmsg, %d not", r.sendsOK, r.sendsBad, r.postsOK, r.postsBad)
	switch {
	case res.Against > 0:
		res.Verdict = Contradicted
	case res.Evidence == 0:
		res.Verdict = NotObservable
	default:
		res.Verdict = Held
	}
	return res
}

// c13: CreateMailslot logs a FileIo Create with FILE_CREATE, writers open
// with FILE_OPEN, and a write's OperationEnd ExtraInfo is its size
// (docs/rules.md MS1).
func (r *msgRules) c13() RuleResult {
	res := RuleResult{ID: "C13", Rule: "CreateMailslot logs a FileIo Create (FILE_CREATE) on \\Device\\Mailslot\\X, writers open it with FILE_OPEN, " +
		"and a write's OperationEnd ExtraInfo is the message's size"}
	n := 0
	for _, c := range r.creates {
		n += c
	}
	if n == 0 {
		res.Verdict = NotObservable
		res.Detail = "no Create event on the probe's mailslot"
		return res
	}
	opens := r.creates[ntdefs.FileOpen]
	other := n - opens - r.creates[ntdefs.FileCreate]
	res.Detail = fmt.Sprintf("Creates: FILE_CREATE ×%d, FILE_OPEN ×%d, other ×%d; writes in the trace %d, %d bytes; probe %d, %d bytes",
		r.creates[ntdefs.FileCreate], opens, other, r.writesN, r.writesB, r.wantWrites, r.wantBytes)
	res.Evidence = r.creates[ntdefs.FileCreate] + opens
	res.Against = other
	if !r.readerCreate || other > 0 || r.writesN != r.wantWrites || r.writesB != r.wantBytes {
		res.Verdict = Contradicted
		res.Against = max(res.Against, 1)
		return res
	}
	res.Verdict = Held
	res.Evidence += r.writesN
	return res
}
