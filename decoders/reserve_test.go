package decoders

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
)

// TestParserReserve follows Parser.Reserve's contract: events of a layout
// go into the values it gave, one after the other, and it is asked again
// once they are used up or released; a layout it gives nothing for is
// decoded in the Parser's storage without asking again; Placed says where
// each event went; Want's refusal skips the payload.
func TestParserReserve(t *testing.T) {
	readKey := KernelKey(FileIoGUID, uint8(OpRead), 3)
	endKey := KernelKey(FileIoGUID, uint8(OpOperationEnd), 3)
	rec := func(key Key, ev Event) *etw.Record {
		payload, err := Encode(key, ev, 8)
		if err != nil {
			t.Fatal(err)
		}
		return &etw.Record{Kind: etw.KindSystem64, Provider: key.Provider, Opcode: uint8(key.ID), Version: key.Version, Payload: payload}
	}
	read := rec(readKey, &FileReadWrite{IrpPtr: 7})
	end := rec(endKey, &FileOpEnd{IrpPtr: 7, Status: 1})
	readEnt, _ := Lookup(readKey)
	endEnt, _ := Lookup(endKey)

	p := NewParser()
	var runs [][]FileReadWrite
	asked := map[string]int{}
	p.Reserve = func(e *Entry, dst []Event) []Event {
		asked[e.Name]++
		if e != readEnt {
			return dst // decoded in the Parser
		}
		run := make([]FileReadWrite, 3)
		for i := range run {
			dst = append(dst, &run[i])
		}
		runs = append(runs, run)
		return dst
	}
	decode := func(r *etw.Record) Event {
		var d Decoded
		if _, err := p.DecodeInto(r, &d); err != nil {
			t.Fatal(err)
		}
		return d.Event
	}
	var got []Event
	for range 4 {
		got = append(got, decode(read))
		if i, ok := p.Placed(); i != readEnt.Index() || !ok {
			t.Fatalf("Placed after a read: %d %v", i, ok)
		}
	}
	if asked["FileIo/Read"] != 2 {
		t.Fatalf("asked %d times for four reads in runs of three, want 2", asked["FileIo/Read"])
	}
	for i, ev := range got {
		if want := Event(&runs[i/3][i%3]); ev != want {
			t.Fatalf("read %d decoded into %p, want %p", i, ev, want)
		}
		if ev.(*FileReadWrite).IrpPtr != 7 || ev.(*FileReadWrite).Op != OpRead {
			t.Fatalf("read %d decoded as %+v", i, ev)
		}
	}
	p.Release()
	decode(read)
	if asked["FileIo/Read"] != 3 {
		t.Fatalf("after Release, asked %d times for reads, want 3", asked["FileIo/Read"])
	}
	for range 3 {
		ev := decode(end)
		if ev != Event(&p.fileOpEnd) || ev.(*FileOpEnd).Status != 1 {
			t.Fatalf("operation end decoded into %p, not the Parser's storage, or wrong: %+v", ev, ev)
		}
		if i, ok := p.Placed(); i != endEnt.Index() || ok {
			t.Fatalf("Placed after an operation end: %d %v", i, ok)
		}
	}
	if asked["FileIo/OperationEnd"] != 1 {
		t.Fatalf("asked %d times for operation ends, want 1", asked["FileIo/OperationEnd"])
	}

	q := NewParser()
	q.Want = func(e *Entry) bool { return e != readEnt }
	var d Decoded
	if ok, err := q.DecodeInto(rec(readKey, &FileReadWrite{}), &d); !ok || err != nil || d.Event != nil {
		t.Fatalf("refused layout: ok %v err %v event %v", ok, err, d.Event)
	}
	if i, _ := q.Placed(); i != -1 {
		t.Fatalf("Placed after a refused layout: %d, want -1", i)
	}
}

// TestReservedStaleValues decodes random payloads of every registered
// layout, at lengths around its minimum and both pointer sizes, into
// reserved values left stale by earlier events (every field set): each
// must come out as a fresh decode does, event and error alike.
func TestReservedStaleValues(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	n := 0
	for _, e := range Entries() {
		p := NewParser()
		p.PointerSize = 8
		p.Reserve = func(e *Entry, dst []Event) []Event {
			ev := e.New()
			stale(reflect.ValueOf(ev).Elem())
			return append(dst, ev)
		}
		for _, ptr := range []int{4, 8} {
			p.PointerSize = ptr
			for size := max(e.MinSize(ptr)-2, 0); size <= e.MinSize(ptr)+12; size++ {
				payload := make([]byte, size)
				for i := range payload {
					payload[i] = byte(r.Uint32())
				}
				want, werr := e.Decode(nil, payload, ptr)
				got, gerr := e.decodeTo(p, p.place(e, p.state(e)), payload, ptr)
				if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
					t.Fatalf("%s ptr %d size %d:\ninto a stale value %+v (%v)\nfresh %+v (%v)", e.Key, ptr, size, got, gerr, want, werr)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no layouts")
	}
}

// stale sets every field of v to a value no decode starts from.
func stale(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-5)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(0xA5)
	case reflect.String:
		v.SetString("stale")
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			stale(s.Index(i))
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			stale(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() || v.Field(i).CanSet() {
				stale(v.Field(i))
			}
		}
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
	}
}
