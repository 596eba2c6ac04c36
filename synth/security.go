package synth

import (
	"fmt"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/decoders/secdesc"
	"github.com/ipctrace/ipctrace/etw"
)

// SecuritySnapshot emits ipctrace's own SecuritySnapshot TraceLogging
// event (decoders.EncodeSecuritySnapshot) for an IPC object at t, logged
// by th. objectType is "pipe", "section" or "alpc"; name is the NT path;
// sddl is converted to a self-relative descriptor with package secdesc.
// The truth gets one Exposed entry: Object = name, Type = objectType,
// Owner = the owner SID string, SDDL = the descriptor formatted back by
// secdesc, Exposure = the names of secdesc.Explain's findings in order,
// Severity = its verdict.
func (b *Builder) SecuritySnapshot(t int64, th *Thread, objectType, name, sddl string) {
	sd, err := secdesc.ParseSDDL(sddl, nil)
	if err != nil {
		b.fail(fmt.Errorf("SDDL %q: %w", sddl, err))
		return
	}
	raw, err := sd.MarshalBinary()
	if err != nil {
		b.fail(fmt.Errorf("SDDL %q: %w", sddl, err))
		return
	}
	ev := &decoders.SecuritySnapshot{Phase: "start", ObjectType: objectType, Name: name, OwnerPID: th.Proc.PID, SD: raw}
	if objectType == "pipe" {
		ev.Instances, ev.MaxInstances = 1, 255
	}
	b.emitSnapshot(t, th, ev)
	if b.suppress {
		return
	}
	ot, _ := secdesc.ParseObjectType(objectType)
	ex := secdesc.Explain(sd, ot)
	e := model.Exposed{Object: name, Type: objectType, Exposure: []string{}, Severity: ex.Verdict.String(),
		OwnerPID: th.Proc.PID, Summary: ex.Summary}
	if sd.Owner != nil {
		e.Owner = sd.Owner.String()
		e.OwnerName = secdesc.Name(*sd.Owner)
	}
	if s, err := sd.SDDL(nil); err == nil {
		e.SDDL = s
	}
	for _, f := range ex.Findings {
		e.Exposure = append(e.Exposure, f.Name)
	}
	b.security = append(b.security, e)
}

// emitSnapshot queues the TraceLogging record of ev.
func (b *Builder) emitSnapshot(t int64, th *Thread, ev *decoders.SecuritySnapshot) {
	traits, schema, data, err := decoders.EncodeSecuritySnapshot(ev)
	b.emitTL(t, th, ev, traits, schema, data, err)
}

// ProbeMarker emits the ProbeMarker TraceLogging event ev
// (decoders.EncodeProbeMarker) that `probe` writes around its traffic,
// logged by th at t. The truth does not change: reports do not show
// markers.
func (b *Builder) ProbeMarker(t int64, th *Thread, ev *decoders.ProbeMarker) {
	traits, schema, data, err := decoders.EncodeProbeMarker(ev)
	b.emitTL(t, th, ev, traits, schema, data, err)
}

// emitTL queues the TraceLogging record of ev, of ipctrace's provider,
// from its encoding (err: the encoding failed, and the builder with it):
// EVENT_HEADER with PROV_TRAITS and EVENT_SCHEMA_TL extended items
// (docs/format.md#tracelogging).
func (b *Builder) emitTL(t int64, th *Thread, ev decoders.Event, traits, schema, data []byte, err error) {
	if err != nil {
		b.fail(fmt.Errorf("encoding %s: %w", ev.EventName(), err))
		return
	}
	ext := etw.AppendExtItem(nil, etw.ExtProvTraits, traits, false)
	ext = etw.AppendExtItem(ext, etw.ExtEventSchemaTL, schema, true)
	kind := etw.KindEvent64
	if b.ptr() == 4 {
		kind = etw.KindEvent32
	}
	it := b.newItem()
	it.rec = etw.Record{Kind: kind, Provider: decoders.IpcTraceProviderGUID, Level: 4, Channel: 11,
		ThreadID: th.TID, ProcessID: th.Proc.PID, Time: t, Ext: ext, Payload: data, Processor: th.Processor()}
	b.queue(t, it, Emitted{Kind: kind, Time: t, PID: th.Proc.PID, TID: th.TID, Processor: th.Processor(), Event: ev, TL: true})
}
