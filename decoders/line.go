package decoders

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/ipctrace/ipctrace/etw"
)

// Line is one record as 'ipctrace dump' prints it: the record header's
// identity, the decoded event's name, fields and notes, or the raw payload
// when there is no decoder. Its JSON field names are a public interface
// (dump -o jsonl): they are only ever added to.
type Line struct {
	Time         string          `json:"time"`
	Kind         string          `json:"kind"`
	Provider     string          `json:"provider"`
	ProviderName string          `json:"provider_name,omitempty"`
	ID           uint16          `json:"id"`
	Opcode       uint8           `json:"opcode"`
	Version      uint16          `json:"version"`
	PID          uint32          `json:"pid"`
	TID          uint32          `json:"tid"`
	Event        string          `json:"event,omitempty"`
	Fields       json.RawMessage `json:"fields,omitempty"`
	Notes        *Notes          `json:"notes,omitempty"`
	PayloadHex   *string         `json:"payload_hex,omitempty"` // set when undecoded or on error
	Error        string          `json:"error,omitempty"`
}

// Line decodes rec and fills l. It reports whether rec has a decoder.
// Fields holds the decoded event as JSON, with kernel addresses
// (pointer-sized fields other than sizes and counts) as "0x…" strings.
func (p *Parser) Line(rec *etw.Record, l *Line) bool {
	d, ok, derr := p.Decode(rec)
	*l = Line{
		Time:         etw.FormatFiletime(rec.Time),
		Kind:         rec.Kind.String(),
		Provider:     rec.Provider.String(),
		ProviderName: ProviderName(rec.Provider),
		ID:           rec.ID,
		Opcode:       rec.Opcode,
		Version:      rec.Version,
		PID:          rec.ProcessID,
		TID:          rec.ThreadID,
	}
	if ok && d.Event != nil {
		l.Event = eventName(d)
		l.Fields = eventFields(d)
		l.Notes = Annotate(d.Event)
	}
	if !ok || d.Event == nil || derr != nil {
		h := hex.EncodeToString(rec.Payload)
		l.PayloadHex = &h
	}
	if derr != nil {
		l.Error = derr.Error()
	}
	return ok
}

// eventName is the registry name of a decoded event, or the TraceLogging name.
func eventName(d Decoded) string {
	if e, ok := Lookup(d.Key); ok {
		return e.Name
	}
	return d.Event.EventName()
}

// eventFields is the JSON object of a decoded event.
func eventFields(d Decoded) json.RawMessage {
	var b []byte
	var err error
	if e, ok := Lookup(d.Key); ok {
		b, err = e.MarshalFields(d.Event)
	} else {
		b, err = json.Marshal(d.Event)
	}
	if err != nil {
		b, _ = json.Marshal(map[string]string{"marshal_error": err.Error()})
	}
	return b
}

// UndecodedKey names a record's key in the syntax of 'ipctrace stats' and
// the corpus truth files (GUID|sys|grp=…|op=…|v=…, GUID|classic|type=…|v=…,
// GUID|event|id=…|op=…|v=…, GUID|message|id=…).
func UndecodedKey(rec *etw.Record) string {
	g := rec.Provider.String()
	switch {
	case rec.Kind.IsKernel():
		return fmt.Sprintf("%s|sys|grp=0x%02x|op=%d|v=%d", g, rec.Group, rec.Opcode, rec.Version)
	case rec.Kind.IsClassic():
		return fmt.Sprintf("%s|classic|type=%d|v=%d", g, rec.Opcode, rec.Version)
	case rec.Kind.IsEventHeader():
		return fmt.Sprintf("%s|event|id=%d|op=%d|v=%d", g, rec.ID, rec.Opcode, rec.Version)
	case rec.Kind == etw.KindMessage:
		return fmt.Sprintf("%s|message|id=%d", g, rec.ID)
	}
	return fmt.Sprintf("%s|%s|op=%d|v=%d", g, rec.Kind, rec.Opcode, rec.Version)
}
