package decoders

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// pointerJSON returns the JSON names of the event fields that hold
// pointer-sized values (kernel addresses such as IrpPtr, FileObject, FileKey),
// found by matching each located kPtr destination to the struct field at that
// offset.
func (l *layout[T]) pointerJSON() []string {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for _, f := range l.fields {
		if f.kind != kPtr || f.dsz != 8 {
			continue
		}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.Offset != f.dst || sf.Type.Size() != 8 {
				continue
			}
			if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name != "" && name != "-" && !isQuantity(name) {
				names = append(names, name)
			}
			break
		}
	}
	return names
}

// isQuantity reports whether a pointer-sized field holds a number rather than
// an address: sizes and counts (SIZE_T), IoStatus.Information (bytes
// transferred, docs/events.md#fileio-v3 OpEnd) and flags stay decimal.
func isQuantity(name string) bool {
	for _, s := range []string{"size", "count", "usage", "extra_info", "flag"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// MarshalFields returns the JSON object of ev, the decoded event of entry e,
// with the same field names and order as encoding/json, except that
// pointer-sized fields are written as "0x…" hex strings: kernel addresses
// exceed 2^53, which JSON tools that read numbers as doubles would round, and
// hex is how Windows tools print them.
func (e *Entry) MarshalFields(ev Event) ([]byte, error) {
	if len(e.PointerFields) == 0 {
		return json.Marshal(ev)
	}
	// Marshal once, then rewrite the pointer fields in place: the keys keep
	// encoding/json's order and its handling of omitempty and embedding.
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var obj []jsonMember
	if obj, err = splitObject(b); err != nil {
		return b, nil // not a flat object: leave it as encoding/json wrote it
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for i, f := range obj {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(f.key)
		out.WriteByte(':')
		val := f.val
		if isPointerField(e.PointerFields, f.key) {
			if n, err := strconv.ParseUint(string(val), 10, 64); err == nil {
				val = []byte(`"0x` + strconv.FormatUint(n, 16) + `"`)
			}
		}
		out.Write(val)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

type jsonMember struct{ key, val []byte }

// splitObject splits a JSON object into its raw keys (quoted) and values.
func splitObject(b []byte) ([]jsonMember, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject
	}
	var out []jsonMember
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := json.Marshal(k)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, jsonMember{key: key, val: raw})
	}
	return out, nil
}

var errNotObject = &json.UnsupportedValueError{Str: "not a JSON object"}

func isPointerField(names []string, quoted []byte) bool {
	for _, n := range names {
		if len(quoted) == len(n)+2 && string(quoted[1:len(quoted)-1]) == n {
			return true
		}
	}
	return false
}
