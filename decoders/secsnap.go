package decoders

import (
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
)

// ipctrace's own TraceLogging events, defined once here for the writer
// (`record --security`, `probe`) and the decoder.
const (
	// IpcTraceProviderName is the TraceLogging provider name of ipctrace's events.
	IpcTraceProviderName = "IpcTrace"
	// SecuritySnapshotEventName is the event carrying one object's security descriptor.
	SecuritySnapshotEventName = "SecuritySnapshot"
	// ProbeMarkerEventName is the event `probe` writes around its reference traffic.
	ProbeMarkerEventName = "ProbeMarker"
)

// IpcTraceProviderGUID is the provider GUID derived from IpcTraceProviderName
// by the TraceLogging name hash (EventSource rule).
var IpcTraceProviderGUID = etw.TraceLoggingProviderGUID(IpcTraceProviderName)

// tlField names one field of an ipctrace TraceLogging event and its InType.
type tlField struct {
	Name   string
	InType uint8
}

// SecuritySnapshotFields are the fields of the SecuritySnapshot event, in order.
var SecuritySnapshotFields = []tlField{
	{"phase", etw.TLInUnicodeString},
	{"object_type", etw.TLInUnicodeString},
	{"name", etw.TLInUnicodeString},
	{"owner_pid", etw.TLInUint32},
	{"instances", etw.TLInUint32},
	{"max_instances", etw.TLInUint32},
	{"sd", etw.TLInBinary},
	{"error", etw.TLInUnicodeString},
}

// ProbeMarkerFields are the fields of the ProbeMarker event, in order.
var ProbeMarkerFields = []tlField{
	{"probe_id", etw.TLInUnicodeString},
	{"phase", etw.TLInUnicodeString},
	{"kind", etw.TLInUnicodeString},
	{"seq", etw.TLInUint32},
	{"size", etw.TLInUint32},
	{"qpc", etw.TLInUint64},
}

var ipcTraceProvider = etw.TLProviderMeta{Name: IpcTraceProviderName}

// EncodeSecuritySnapshot returns the PROV_TRAITS and EVENT_SCHEMA_TL
// extended-item blobs and the user data of ev (Level 4, Informational).
func EncodeSecuritySnapshot(ev *SecuritySnapshot) (traits, schema, data []byte, err error) {
	if len(ev.SD) > 0xFFFF {
		return nil, nil, nil, fmt.Errorf("security descriptor of %d bytes exceeds 65535", len(ev.SD))
	}
	sd := ev.SD
	if sd == nil {
		sd = []byte{}
	}
	vals := []any{ev.Phase, ev.ObjectType, ev.Name, ev.OwnerPID, ev.Instances, ev.MaxInstances, sd, ev.Error}
	return etw.EncodeTraceLogging(ipcTraceProvider,
		etw.TLEventMeta{Name: SecuritySnapshotEventName, Level: 4}, tlValues(SecuritySnapshotFields, vals))
}

// EncodeProbeMarker returns the extended-item blobs and user data of ev.
func EncodeProbeMarker(ev *ProbeMarker) (traits, schema, data []byte, err error) {
	vals := []any{ev.ProbeID, ev.Phase, ev.Kind, ev.Seq, ev.Size, ev.QPC}
	return etw.EncodeTraceLogging(ipcTraceProvider,
		etw.TLEventMeta{Name: ProbeMarkerEventName, Level: 4}, tlValues(ProbeMarkerFields, vals))
}

func tlValues(fs []tlField, vals []any) []etw.TLValue {
	out := make([]etw.TLValue, len(fs))
	for i, f := range fs {
		out[i] = etw.TLValue{Name: f.Name, InType: f.InType, Value: vals[i]}
	}
	return out
}

// tlTyped decodes a TraceLogging event of a known provider and name into a typed event.
type tlTyped struct {
	name   string
	fields []tlField
	decode func(p *Parser, get func(i int) any) Event
}

var tlDecoders = map[etw.GUID]map[string]tlTyped{
	IpcTraceProviderGUID: {
		SecuritySnapshotEventName: {name: SecuritySnapshotEventName, fields: SecuritySnapshotFields,
			decode: func(p *Parser, get func(int) any) Event {
				e := &p.secSnap
				*e = SecuritySnapshot{
					Phase: str(get(0)), ObjectType: str(get(1)), Name: str(get(2)),
					OwnerPID: u32v(get(3)), Instances: u32v(get(4)), MaxInstances: u32v(get(5)),
					Error: str(get(7)),
				}
				if b, _ := get(6).([]byte); len(b) > 0 {
					e.SD = b
				}
				return e
			}},
		ProbeMarkerEventName: {name: ProbeMarkerEventName, fields: ProbeMarkerFields,
			decode: func(p *Parser, get func(int) any) Event {
				e := &p.probe
				*e = ProbeMarker{ProbeID: str(get(0)), Phase: str(get(1)), Kind: str(get(2)),
					Seq: u32v(get(3)), Size: u32v(get(4)), QPC: u64v(get(5))}
				return e
			}},
	},
}

func init() {
	tlProviderNames[IpcTraceProviderGUID] = IpcTraceProviderName
}

func str(v any) string  { s, _ := v.(string); return s }
func u32v(v any) uint32 { n, _ := v.(uint32); return n }
func u64v(v any) uint64 { n, _ := v.(uint64); return n }
