package decoders

import (
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
)

// tlProviderNames maps the TraceLogging providers ipctrace defines to their names.
var tlProviderNames = map[etw.GUID]string{}

// ErrTLField: a TraceLogging event of a known provider and name lacks a
// field of the expected name and type.
var ErrTLField = fmt.Errorf("TraceLogging field missing or of the wrong type")

// decodeTraceLogging decodes a TraceLogging record through the reader's
// metadata decoding (etw.Record.TraceLogging): ipctrace's own events become
// typed events, any other becomes a TraceLoggingEvent (name and fields).
// A record without TraceLogging metadata has no decoder.
func (p *Parser) decodeTraceLogging(rec *etw.Record, d *Decoded) (bool, error) {
	tl, ok, err := rec.TraceLogging()
	if !ok {
		return false, nil
	}
	if tl == nil {
		return true, err
	}
	if byName, ok := tlDecoders[rec.Provider]; ok {
		if t, ok := byName[tl.Name]; ok {
			if err != nil {
				return true, err
			}
			ev, ferr := decodeTLTyped(p, t, tl, d.Key)
			d.Event = ev
			return true, ferr
		}
	}
	e := &p.tlEvent
	*e = TraceLoggingEvent{Name: tl.Name, Fields: tlFieldMap(tl.Fields)}
	d.Event = e
	return true, err
}

// decodeTLTyped checks the fields of tl against t and builds the typed event.
func decodeTLTyped(p *Parser, t tlTyped, tl *etw.TLEvent, key Key) (Event, error) {
	var err error
	vals := make([]any, len(t.fields))
	for i, want := range t.fields {
		found := false
		for _, f := range tl.Fields {
			if f.Name == want.Name {
				found = true
				if f.InType != want.InType || f.Array {
					err = &DecodeError{Key: key, Off: -1, What: fmt.Sprintf("%s field %q has InType %s", t.name, f.Name, etw.TLInTypeName(f.InType)), Err: ErrTLField}
				} else {
					vals[i] = f.Value
				}
				break
			}
		}
		if !found && err == nil {
			err = &DecodeError{Key: key, Off: -1, What: fmt.Sprintf("%s field %q", t.name, want.Name), Err: ErrTLField}
		}
	}
	if p == nil {
		p = &Parser{}
	}
	return t.decode(p, func(i int) any { return vals[i] }), err
}

// DecodeTraceLoggingEvent turns a decoded TraceLogging event of provider
// into a typed event when ipctrace defines it (SecuritySnapshot,
// ProbeMarker), else into a TraceLoggingEvent.
func DecodeTraceLoggingEvent(provider etw.GUID, tl *etw.TLEvent) (Event, error) {
	if byName, ok := tlDecoders[provider]; ok {
		if t, ok := byName[tl.Name]; ok {
			return decodeTLTyped(nil, t, tl, ManifestKey(provider, 0, 0))
		}
	}
	return &TraceLoggingEvent{Name: tl.Name, Fields: tlFieldMap(tl.Fields)}, nil
}

// tlFieldMap flattens TraceLogging fields into name → value; structs
// become nested maps.
func tlFieldMap(fs []etw.TLField) map[string]any {
	m := make(map[string]any, len(fs))
	for _, f := range fs {
		if f.InType == etw.TLInStruct && !f.Array {
			m[f.Name] = tlFieldMap(f.Fields)
			continue
		}
		m[f.Name] = f.Value
	}
	return m
}
