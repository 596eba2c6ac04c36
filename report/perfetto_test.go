package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/model"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/report"
	"github.com/ipctrace/ipctrace/synth"
)

// pfEvent is a TrackEvent read back from the Perfetto output.
type pfEvent struct {
	ts          uint64
	typ         uint64
	track       uint64
	name        string
	flow, tflow []uint64
}

// fields parses one protobuf message into field number → raw values.
func fields(t *testing.T, b []byte) map[protowire.Number][]any {
	t.Helper()
	out := map[protowire.Number][]any{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			x, m := protowire.ConsumeVarint(b)
			v, n = x, m
		case protowire.Fixed64Type:
			x, m := protowire.ConsumeFixed64(b)
			v, n = x, m
		case protowire.BytesType:
			x, m := protowire.ConsumeBytes(b)
			v, n = x, m
		default:
			t.Fatalf("unexpected wire type %d", typ)
		}
		if n < 0 {
			t.Fatalf("bad field %d: %v", num, protowire.ParseError(n))
		}
		out[num] = append(out[num], v)
		b = b[n:]
	}
	return out
}

func TestPerfetto(t *testing.T) {
	for _, name := range synth.Scenarios {
		t.Run(name, func(t *testing.T) {
			var buf memfile.File
			if _, _, err := synth.Generate(name, &buf, synth.Options{Seed: 2}); err != nil {
				t.Fatal(err)
			}
			m, err := correlate.AnalyzeReader(name, bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())), correlate.Options{Timeline: true})
			if err != nil {
				t.Fatal(err)
			}
			// Scenarios with no pipe, ALPC or RPC operation to draw (an idle
			// listening server is not stuck) have an empty timeline.
			if len(m.Timeline) == 0 && name != "security" && name != "section-shared" && name != "pipe-stuck-listen" {
				t.Fatal("no timeline")
			}
			names := checkPerfetto(t, m)
			if name != "mixed" {
				return
			}
			for _, want := range []string{"call LRPC-", "serve LRPC-", "read \\\\.\\pipe\\", "write \\\\.\\pipe\\", "stuck "} {
				if !bytes.Contains([]byte(names), []byte(want)) {
					t.Errorf("no %q slice", want)
				}
			}
		})
	}
	var out bytes.Buffer
	if err := report.Perfetto(&out, &model.Model{}); !errors.Is(err, report.ErrNoTimeline) {
		t.Errorf("model without timeline: %v", err)
	}
}

// checkPerfetto renders m, parses the protobuf back and checks tracks,
// nesting, time order and flows. It returns the events for name checks.
func checkPerfetto(t *testing.T, m *model.Model) string {
	t.Helper()
	var out bytes.Buffer
	if err := report.Perfetto(&out, m); err != nil {
		t.Fatal(err)
	}
	tracks := map[uint64]bool{}
	var evs []pfEvent
	for _, p := range fields(t, out.Bytes())[1] {
		pkt := fields(t, p.([]byte))
		if pkt[10] == nil || pkt[10][0].(uint64) != 1 {
			t.Fatal("packet without trusted_packet_sequence_id 1")
		}
		if d := pkt[60]; d != nil {
			desc := fields(t, d[0].([]byte))
			tracks[desc[1][0].(uint64)] = true
			if p := desc[5]; p != nil && !tracks[p[0].(uint64)] {
				t.Errorf("track %x before its parent", desc[1][0])
			}
			continue
		}
		ev := fields(t, pkt[11][0].([]byte))
		e := pfEvent{ts: pkt[8][0].(uint64), typ: ev[9][0].(uint64), track: ev[11][0].(uint64)}
		if n := ev[23]; n != nil {
			e.name = string(n[0].([]byte))
		}
		for _, f := range ev[47] {
			e.flow = append(e.flow, f.(uint64))
		}
		for _, f := range ev[48] {
			e.tflow = append(e.tflow, f.(uint64))
		}
		evs = append(evs, e)
	}
	if len(evs) != 2*len(m.Timeline) {
		t.Fatalf("%d track events for %d spans", len(evs), len(m.Timeline))
	}
	// Slices nest properly on every track, timestamps never go back.
	stacks := map[uint64]int{}
	var last uint64
	out1, in1 := map[uint64]int{}, map[uint64]int{}
	for _, e := range evs {
		if e.ts < last {
			t.Fatalf("timestamps go back: %d after %d", e.ts, last)
		}
		last = e.ts
		if !tracks[e.track] {
			t.Fatalf("event on undeclared track %x", e.track)
		}
		switch e.typ {
		case 1:
			stacks[e.track]++
			if stacks[e.track] > 1 {
				t.Fatalf("overlapping slices on track %x at %d (%s)", e.track, e.ts, e.name)
			}
		case 2:
			stacks[e.track]--
			if stacks[e.track] < 0 {
				t.Fatalf("slice end without begin on track %x", e.track)
			}
		}
		for _, f := range e.flow {
			out1[f]++
		}
		for _, f := range e.tflow {
			in1[f]++
		}
	}
	for f, n := range in1 {
		if n != 1 || out1[f] != 1 {
			t.Errorf("flow %d: %d starts, %d ends", f, out1[f], n)
		}
	}
	return fmt.Sprint(evs)
}
