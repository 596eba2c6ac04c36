package decoders

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
)

// familyKeys returns the registered keys of the given providers, in a stable order.
func familyKeys(providers ...etw.GUID) []Key {
	want := map[etw.GUID]bool{}
	for _, p := range providers {
		want[p] = true
	}
	var out []Key
	for _, e := range Entries() {
		if want[e.Key.Provider] {
			out = append(out, e.Key)
		}
	}
	return out
}

// fuzzFamily checks, for any payload: decoding gives an event or a typed
// error, never a panic; with a Parser and without one the results agree;
// a clean decode re-encodes, and the re-encoded bytes decode to the same
// event (decode∘encode is the identity on decoded events).
func fuzzFamily(f *testing.F, keys []Key, seeds [][]byte) {
	for i, s := range seeds {
		f.Add(s, uint16(i), true)
		f.Add(s, uint16(i), false)
	}
	p := NewParser()
	f.Fuzz(func(t *testing.T, payload []byte, which uint16, x64 bool) {
		key := keys[int(which)%len(keys)]
		ptr := 4
		if x64 {
			ptr = 8
		}
		e, _ := Lookup(key)
		ev, err := e.Decode(p, payload, ptr)
		if ev == nil {
			t.Fatalf("%s: nil event", key)
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Off < 0 || de.Off > len(payload) || de.What == "" {
				t.Fatalf("%s: error %v is not a DecodeError with a payload offset", key, err)
			}
			if len(payload) >= e.MinSize(ptr) && errors.Is(err, ErrPointerSize) {
				t.Fatalf("%s: %v", key, err)
			}
			return
		}
		if len(payload) < e.MinSize(ptr) {
			t.Fatalf("%s: %d-byte payload decoded, MinSize %d", key, len(payload), e.MinSize(ptr))
		}
		fresh, err := DecodePayload(key, payload, ptr)
		if err != nil || !reflect.DeepEqual(fresh, ev) {
			t.Fatalf("%s: Parser and DecodePayload disagree: %v\n%+v\n%+v", key, err, ev, fresh)
		}
		enc, err := Encode(key, ev, ptr)
		if errors.Is(err, ErrAmbiguous) {
			// The payload decoded with no classic UserSID, and the
			// fields after it would read as one once re-encoded (the
			// original payload was too short for that reading).
			return
		}
		if err != nil {
			t.Fatalf("%s: re-encode: %v (%+v)", key, err, ev)
		}
		again, err := DecodePayload(key, enc, ptr)
		if err != nil {
			t.Fatalf("%s: decode of re-encoded %x: %v", key, enc, err)
		}
		if !reflect.DeepEqual(again, fresh) {
			t.Fatalf("%s: decode(encode(ev)) != ev\n%+v\n%+v", key, again, fresh)
		}
		if enc2, _ := Encode(key, again, ptr); !bytes.Equal(enc2, enc) {
			t.Fatalf("%s: encoding not stable", key)
		}
	})
}

// addVectorSeeds adds, as seeds, the payload of every kernel payload vector
// (../shared/vectors) whose key is in keys, paired with that key's index
// and pointer size. Without the shared folder it adds nothing.
func addVectorSeeds(f *testing.F, keys []Key) {
	dir, ok := shared.Dir()
	if !ok {
		return
	}
	b, err := os.ReadFile(filepath.Join(dir, "vectors", "kernel-payloads.json"))
	if err != nil {
		return
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		f.Fatal(err)
	}
	index := map[Key]int{}
	for i, k := range keys {
		index[k] = i
	}
	for _, v := range vs {
		i, ok := index[KernelKey(etw.MustParseGUID(v.ClassGUID), v.Opcode, v.Version)]
		if !ok {
			continue
		}
		payload, err := hex.DecodeString(v.PayloadHex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload, uint16(i), v.PointerSize == 8)
	}
}

func specSeeds(keys ...Key) [][]byte {
	var out [][]byte
	want := map[Key]bool{}
	for _, k := range keys {
		want[k] = true
	}
	for _, v := range specVectors {
		if len(keys) == 0 || want[v.key] {
			out = append(out, unhex(nil, v.hex))
		}
	}
	return out
}

func FuzzFileIo(f *testing.F) {
	fuzzFamily(f, familyKeys(FileIoGUID), specSeeds(KernelKey(FileIoGUID, 37, 3), KernelKey(FileIoGUID, 64, 3),
		KernelKey(FileIoGUID, 75, 3), KernelKey(FileIoGUID, 76, 3), KernelKey(FileIoGUID, 68, 3)))
}

func FuzzALPC(f *testing.F) {
	fuzzFamily(f, familyKeys(ALPCGUID, LostEventGUID), [][]byte{
		{1, 2, 3, 4}, []byte("\x01\x00\x00\x00epmapper\x00"), {0x22, 0, 0, 0xC0}, {},
	})
}

func FuzzProcessThreadImage(f *testing.F) {
	keys := familyKeys(ProcessGUID, ThreadGUID, ImageGUID, EventTraceGUID, SystemConfigGUID, ObjectGUID,
		PageFaultGUID, DiskIoGUID)
	addVectorSeeds(f, keys)
	d7 := make([]byte, 36)
	d7 = append(d7, unhex(nil, "34 12 00 00 0a 8a ff ff 00 00 00 00 00 00 00 00 01 01 00 00 00 00 00 05 12 00 00 00")...)
	d7 = append(d7, "svchost.exe\x00c\x00\x00\x00\x00\x00\x00\x00"...)
	fuzzFamily(f, keys, [][]byte{d7, bytes.Repeat([]byte{0x41, 0}, 40), make([]byte, 72)})
}

// FuzzNetRegistryPerf covers TcpIp, UdpIp, Registry, PerfInfo and StackWalk.
func FuzzNetRegistryPerf(f *testing.F) {
	keys := familyKeys(TcpIpGUID, UdpIpGUID, RegistryGUID, PerfInfoGUID, StackWalkGUID)
	addVectorSeeds(f, keys)
	fuzzFamily(f, keys, [][]byte{nil, {1}, make([]byte, 24), bytes.Repeat([]byte{0x41, 0}, 60), make([]byte, 4000)})
}

func FuzzManifest(f *testing.F) {
	fuzzFamily(f, familyKeys(KernelFileGUID, KernelProcessGUID, RPCGUID), specSeeds(ManifestKey(RPCGUID, 5, 1)))
}
