package correlate

import (
	"strings"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/decoders/secdesc"
)

// Security snapshots (docs/security.md#exposure): ipctrace's own events
// carrying the security descriptor of each pipe, section and ALPC port.

type snapshot struct {
	phase, typ, name string
	owner            uint32
	sd               []byte
	err              string
}

func (e *Engine) snapshot(ev *decoders.SecuritySnapshot) {
	s := snapshot{phase: ev.Phase, typ: ev.ObjectType, name: ev.Name, owner: ev.OwnerPID,
		sd: append([]byte(nil), ev.SD...), err: ev.Error}
	// Keep the latest snapshot of each object.
	for i := range e.sec {
		if e.sec[i].typ == s.typ && strings.EqualFold(e.sec[i].name, s.name) {
			e.sec[i] = s
			return
		}
	}
	e.sec = append(e.sec, s)
}

func (e *Engine) finishSecurity(m *model.Model) {
	for _, s := range e.sec {
		x := model.Exposed{Object: s.name, Type: s.typ, OwnerPID: s.owner, Exposure: []string{}, Error: s.err}
		if name, ok := pipeNameOf(s.name); ok {
			if pn := e.p.names[strings.ToLower(name)]; pn != nil {
				x.Ops = pn.ops
			}
			if !e.keepPipe(name) {
				continue
			}
		} else if e.opt.PipeGlob != "" {
			continue
		} else {
			x.Ops = e.objectOps(s.typ, s.name)
		}
		if s.owner != 0 && !e.keepPIDs(s.owner) {
			continue
		}
		if len(s.sd) > 0 {
			sd, err := secdesc.Parse(s.sd)
			if err != nil {
				x.Error = err.Error()
			} else {
				if sd.Owner != nil {
					x.Owner = sd.Owner.String()
					x.OwnerName = secdesc.Name(*sd.Owner)
				}
				if sddl, err := sd.SDDL(nil); err == nil {
					x.SDDL = sddl
				} else {
					x.Error = err.Error()
				}
				t, ok := secdesc.ParseObjectType(s.typ)
				if !ok {
					t = secdesc.TypeGeneric
				}
				ex := secdesc.Explain(sd, t)
				for _, f := range ex.Findings {
					x.Exposure = append(x.Exposure, f.Name)
				}
				x.Severity = ex.Verdict.String()
				x.Summary = ex.Summary
			}
		} else if x.Error == "" {
			x.Error = "no security descriptor in the snapshot"
		}
		m.Security = append(m.Security, x)
	}
}

// objectOps counts the trace's traffic on a section or ALPC port named by
// an NT path: ALPC calls (completed and pending) on a port whose name is
// the path or its last element, views of a section whose backing name or
// key matches.
func (e *Engine) objectOps(typ, name string) int64 {
	base := name
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		base = name[i+1:]
	}
	var n int64
	switch typ {
	case "alpc":
		for _, c := range e.a.order {
			if c.m.Port != "" && (strings.EqualFold(c.m.Port, name) || strings.EqualFold(c.m.Port, base)) {
				n += c.m.Calls + c.m.Pending
			}
		}
	case "section":
		for _, sec := range e.s.order {
			if nm := e.names[sec.key]; nm != "" && (strings.EqualFold(nm, name) || strings.EqualFold(nm, base)) {
				n += sec.views
			}
		}
	}
	return n
}
