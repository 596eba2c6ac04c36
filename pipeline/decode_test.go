package pipeline_test

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/pipeline"
	"github.com/ipctrace/ipctrace/synth"
)

// seenEvent is what the engine sees of one event.
type seenEvent struct {
	d    decoders.Decoded
	name string // EventName, "" without an event
}

func (s seenEvent) String() string {
	return fmt.Sprintf("t=%d pid=%d tid=%d cpu=%d key=%v %s", s.d.Time, s.d.PID, s.d.TID, s.d.Processor, s.d.Key, s.name)
}

func seen(d *decoders.Decoded) seenEvent {
	s := seenEvent{d: *d}
	s.d.Event = nil
	if d.Event != nil {
		s.name = d.Event.EventName()
	}
	if d.Layout != 0 && (d.Event == nil || reflect.TypeOf(d.Event) != layoutTypes[d.Layout]) {
		s.name += " (Layout does not match the event)"
	}
	return s
}

// layoutTypes is the event type of each Decoded.Layout.
var layoutTypes = func() map[uint16]reflect.Type {
	m := map[uint16]reflect.Type{}
	for _, e := range decoders.Entries() {
		m[uint16(e.Index()+1)] = reflect.TypeOf(e.New())
	}
	return m
}()

// TestDecodeParallelOrder checks that the parallel decoding hands the engine the
// same events, in the same order and with the same decoder warnings, as
// decoding Records(TimeOrder()) on one goroutine.
func TestDecodeParallelOrder(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	var ins []input
	var buf memfile.File
	if _, _, err := synth.Generate("mixed", &buf, synth.Options{Seed: 5, Scale: 20}); err != nil {
		t.Fatal(err)
	}
	ins = append(ins, input{"mixed", buf.Bytes()})
	// A damaged copy: bytes overwritten in records and a cut last buffer.
	dmg := bytes.Clone(buf.Bytes())
	for off := 0x20100; off+64 < len(dmg); off += 0x31337 {
		copy(dmg[off:], bytes.Repeat([]byte{0xA5}, 40))
	}
	ins = append(ins, input{"mixed-damaged", dmg[:len(dmg)-1000]})
	ins = append(ins, input{"truncated-payloads", truncatedPayloads(t)})
	// Each processor's events for one consumer alone, over many batches:
	// two consumers each need a stream whose batches wait for the other.
	ins = append(ins, input{"one-consumer-per-processor", twoProcessors(t, 20000, 0)})
	if _, ok := shared.Dir(); ok {
		for _, p := range shared.CorpusFiles(t) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, input{p, data})
		}
	}
	warned := 0
	for _, in := range ins {
		f, err := etw.NewFile(bytes.NewReader(in.data), int64(len(in.data)))
		if err != nil {
			t.Logf("%s: %v", in.name, err)
			continue
		}
		// Choosers answer by event type (Chooser's contract).
		isFile := func(d *decoders.Decoded) bool {
			switch d.Event.(type) {
			case nil, *decoders.FileReadWrite, *decoders.FileOpEnd, *decoders.FileCreate:
				return true
			}
			return false
		}
		isALPC := func(d *decoders.Decoded) bool {
			switch d.Event.(type) {
			case *decoders.AlpcMessage, *decoders.AlpcUnwait, *decoders.AlpcWaitNewMessage:
				return true
			}
			return false
		}
		var want, wantFiles, wantNotALPC, wantALPC []seenEvent
		var wantWarn []string
		p := decoders.NewParser()
		p.Want = pipeline.EngineUses
		for rec, err := range f.Records(etw.TimeOrder()) {
			if err != nil {
				continue
			}
			d, _, derr := p.Decode(rec)
			if derr != nil {
				wantWarn = append(wantWarn, fmt.Sprintf("%s: buffer at offset %#x, record at %#x: %v", in.name, rec.BufferOffset, rec.Pos, derr))
				d.Event, d.Layout = nil, 0
			}
			if d.Event != nil && !pipeline.Keeps(d.Event) {
				d.Event, d.Layout = nil, 0 // counted only
			}
			want = append(want, seen(&d))
			if isFile(&d) {
				wantFiles = append(wantFiles, seen(&d))
			}
			if !isALPC(&d) {
				wantNotALPC = append(wantNotALPC, seen(&d))
			} else {
				wantALPC = append(wantALPC, seen(&d))
			}
		}
		// One consumer, then three (the split engine's case): each sees
		// every event in the same order.
		var got []seenEvent
		var gotWarn []string
		pipeline.Decode([]pipeline.Source{{Name: in.name, File: f}}, func(s string) { gotWarn = append(gotWarn, s) },
			func(d *decoders.Decoded) { got = append(got, seen(d)) })
		var split [3][]seenEvent
		pipeline.Decode([]pipeline.Source{{Name: in.name, File: f}}, func(string) {},
			func(d *decoders.Decoded) { split[0] = append(split[0], seen(d)) },
			func(d *decoders.Decoded) { split[1] = append(split[1], seen(d)) },
			func(d *decoders.Decoded) { split[2] = append(split[2], seen(d)) })
		for k, g := range split {
			if !slices.Equal(g, want) {
				t.Errorf("%s: consumer %d of 3 saw %d events, not the %d wanted, or in another order", in.name, k, len(g), len(want))
			}
		}
		// Choosers: each consumer gets the events it chooses, in order,
		// and the warnings all come, in order, whatever the first chooses.
		files := chooseFunc(isFile)
		notALPC := chooseFunc(func(d *decoders.Decoded) bool { return !isALPC(d) })
		var chosen [3][]seenEvent
		var chosenWarn []string
		pipeline.DecodeChosen([]pipeline.Source{{Name: in.name, File: f}}, func(s string) { chosenWarn = append(chosenWarn, s) },
			[]pipeline.Chooser{files, nil, notALPC},
			func(d *decoders.Decoded) { chosen[0] = append(chosen[0], seen(d)) },
			func(d *decoders.Decoded) { chosen[1] = append(chosen[1], seen(d)) },
			func(d *decoders.Decoded) { chosen[2] = append(chosen[2], seen(d)) })
		for k, w := range [][]seenEvent{wantFiles, want, wantNotALPC} {
			if !slices.Equal(chosen[k], w) {
				t.Errorf("%s: chooser %d: %d events, want %d in order", in.name, k, len(chosen[k]), len(w))
			}
		}
		if !slices.Equal(chosenWarn, wantWarn) {
			t.Errorf("%s: with choosers, warnings\n%q\nwant\n%q", in.name, chosenWarn, wantWarn)
		}
		// Two consumers taking disjoint events.
		var apart [2][]seenEvent
		pipeline.DecodeChosen([]pipeline.Source{{Name: in.name, File: f}}, func(string) {},
			[]pipeline.Chooser{files, chooseFunc(isALPC)},
			func(d *decoders.Decoded) { apart[0] = append(apart[0], seen(d)) },
			func(d *decoders.Decoded) { apart[1] = append(apart[1], seen(d)) })
		for k, w := range [][]seenEvent{wantFiles, wantALPC} {
			if !slices.Equal(apart[k], w) {
				t.Errorf("%s: disjoint chooser %d: %d events, want %d in order", in.name, k, len(apart[k]), len(w))
			}
		}
		// The warnings reach the first consumer even when it takes none
		// of the events they name.
		var alpcWarn []string
		pipeline.DecodeChosen([]pipeline.Source{{Name: in.name, File: f}}, func(s string) { alpcWarn = append(alpcWarn, s) },
			[]pipeline.Chooser{chooseFunc(isALPC)}, func(*decoders.Decoded) {})
		if !slices.Equal(alpcWarn, wantWarn) {
			t.Errorf("%s: first consumer taking ALPC only: warnings\n%q\nwant\n%q", in.name, alpcWarn, wantWarn)
		}
		warned += len(wantWarn)
		if len(got) != len(want) {
			t.Errorf("%s: %d events, want %d", in.name, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: event %d is %v, want %v", in.name, i, got[i], want[i])
				break
			}
		}
		if fmt.Sprint(gotWarn) != fmt.Sprint(wantWarn) {
			t.Errorf("%s: warnings\n%q\nwant\n%q", in.name, gotWarn, wantWarn)
		}
		if len(want) == 0 {
			t.Errorf("%s: no events", in.name)
		}
	}
	if warned == 0 {
		t.Error("no decoder warnings met: the damaged input no longer tests them")
	}
}

// TestDecodeParallelPanic checks that a panic while correlating, early,
// mid-way or late, stops the other consumers and the decoding goroutines instead of
// leaving the call blocked or goroutines behind.
func TestDecodeParallelPanic(t *testing.T) {
	var buf memfile.File
	if _, _, err := synth.Generate("mixed", &buf, synth.Options{Seed: 5, Scale: 20}); err != nil {
		t.Fatal(err)
	}
	f, err := etw.NewFile(bytes.NewReader(buf.Bytes()), int64(len(buf.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	// consumers: how many; which: the one that panics.
	for _, c := range []struct{ consumers, which int }{{1, 0}, {2, 0}, {2, 1}, {3, 2}} {
		for _, at := range []int{1, 4097, 5000, 20000} {
			n := 0
			adds := make([]func(*decoders.Decoded), c.consumers)
			for k := range adds {
				adds[k] = func(*decoders.Decoded) {}
			}
			adds[c.which] = func(*decoders.Decoded) {
				if n++; n == at {
					panic("stop")
				}
			}
			func() {
				defer func() {
					if r := recover(); r != "stop" {
						t.Errorf("%d consumers, #%d panics at %d: recovered %v, want the panic of add", c.consumers, c.which, at, r)
					}
				}()
				pipeline.Decode([]pipeline.Source{{Name: "mixed", File: f}}, func(string) {}, adds...)
			}()
			if n != at {
				t.Errorf("%d consumers: add called %d times after its panic at %d", c.consumers, n-at, at)
			}
		}
	}
	// The goroutines end soon after Decode returns; wait for them, within
	// bounds, rather than for a fixed time.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines left behind", g-before)
	}
}

// chooseFunc is a pipeline.Chooser from a function.
type chooseFunc func(*decoders.Decoded) bool

func (f chooseFunc) Wants(d *decoders.Decoded) bool { return f(d) }

// truncatedPayloads is a trace on two processors of ALPC sends and FileIo
// reads whose payloads are cut short every third record, so that the
// decoder warns about those; the last record of the trace is one of them.
func truncatedPayloads(t *testing.T) []byte {
	t.Helper()
	return twoProcessors(t, 600, 3)
}

// twoProcessors is a trace of n records, FileIo reads on processor 0 and
// ALPC sends on processor 1, alternating in time; with cut > 0 the payload
// of every cut-th record and of the last is cut short.
func twoProcessors(t *testing.T, n, cut int) []byte {
	t.Helper()
	var buf memfile.File
	w, err := etw.NewWriter(&buf, etw.WriterOptions{BufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	read, err := decoders.Encode(decoders.KernelKey(decoders.FileIoGUID, uint8(decoders.OpRead), 3),
		&decoders.FileReadWrite{IrpPtr: 1, IoSize: 8}, 8)
	if err != nil {
		t.Fatal(err)
	}
	send, err := decoders.Encode(decoders.KernelKey(decoders.ALPCGUID, 33, 2), &decoders.AlpcMessage{MessageID: 5}, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := etw.Record{Kind: etw.KindSystem64, Group: 0x04, Opcode: uint8(decoders.OpRead), Version: 3,
			Provider: decoders.FileIoGUID, ProcessID: 4, ThreadID: 8, Processor: uint16(i % 2),
			Time: etw.DefaultStartTime + int64(i)*10, Payload: read}
		if i%2 == 1 {
			r.Group, r.Opcode, r.Version, r.Provider, r.Payload = 0x1a, 33, 2, decoders.ALPCGUID, send
		}
		if cut > 0 && (i%cut == cut-1 || i == n-1) {
			r.Payload = r.Payload[:2]
		}
		if err := w.WriteRecord(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
