package decoders

import (
	"bytes"
	"strings"
	"testing"

	ipctrace "github.com/ipctrace/ipctrace"
	"github.com/ipctrace/ipctrace/etw"
)

// TestLine: every record of the demo trace becomes a Line; decoded ones
// carry an event name and fields and no payload hex, the others the hex.
func TestLine(t *testing.T) {
	f, err := etw.NewFile(bytes.NewReader(ipctrace.Demo), int64(len(ipctrace.Demo)))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser()
	var l Line
	decoded, raw := 0, 0
	for rec, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		ok := p.Line(rec, &l)
		switch {
		case ok && l.Event != "":
			decoded++
			if l.Fields == nil || (l.PayloadHex != nil && l.Error == "") {
				t.Errorf("decoded %s: fields %s, payload %v", l.Event, l.Fields, l.PayloadHex)
			}
		case !ok:
			raw++
			if l.PayloadHex == nil {
				t.Errorf("undecoded %s: no payload hex", UndecodedKey(rec))
			}
			if k := UndecodedKey(rec); !strings.HasPrefix(k, rec.Provider.String()+"|") {
				t.Errorf("key %q", k)
			}
		}
		if l.Time != etw.FormatFiletime(rec.Time) || l.PID != rec.ProcessID {
			t.Errorf("header fields %+v", l)
		}
	}
	if decoded < 1000 {
		t.Errorf("%d decoded, %d raw", decoded, raw)
	}
}
