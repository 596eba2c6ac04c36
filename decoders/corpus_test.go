package decoders

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
)

// eachRecord decodes every record of a corpus file with a fresh Parser.
func eachRecord(t *testing.T, path string, fn func(rec *etw.Record, d Decoded, ok bool, err error)) {
	t.Helper()
	f, err := etw.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := NewParser()
	for rec, err := range f.Records() {
		if err != nil {
			continue // reader warnings belong to the etw tests
		}
		d, ok, derr := p.Decode(rec)
		fn(rec, d, ok, derr)
	}
}

// TestCorpusDecodes: every record whose key has a decoder decodes without
// error, and re-encoding the typed event reproduces the payload byte for
// byte (so every byte of every decoded payload is accounted for).
func TestCorpusDecodes(t *testing.T) {
	for _, path := range shared.CorpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			n, bad := 0, 0
			eachRecord(t, path, func(rec *etw.Record, d Decoded, ok bool, err error) {
				if !ok {
					return
				}
				n++
				if err != nil {
					if bad++; bad <= 5 {
						t.Errorf("%s (payload %d bytes, buffer %#x+%#x): %v", d.Key, len(rec.Payload), rec.BufferOffset, rec.Pos, err)
					}
					return
				}
				e, registered := Lookup(d.Key)
				if !registered {
					if d.Layout != 0 {
						t.Errorf("%s: TraceLogging event with Layout %d, want 0", d.Key, d.Layout)
					}
					return // TraceLogging: decoded from the record's own metadata
				}
				if int(d.Layout) != e.Index()+1 {
					if bad++; bad <= 5 {
						t.Errorf("%s: Layout %d, want %d (Index+1)", d.Key, d.Layout, e.Index()+1)
					}
				}
				enc, err := e.Encode(nil, d.Event, rec.PointerSize())
				if err != nil || !bytes.Equal(enc, rec.Payload) {
					if bad++; bad <= 5 {
						t.Errorf("%s: re-encode differs (err %v)\n got %x\nwant %x", d.Key, err, enc, rec.Payload)
					}
				}
			})
			t.Logf("%d records decoded", n)
		})
	}
}

// truthCounts reads dissect_etl.counts of a corpus truth file.
func truthCounts(t *testing.T, file string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "corpus", "truth", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		DissectETL struct {
			Counts map[string]int `json:"counts"`
		} `json:"dissect_etl"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	return truth.DissectETL.Counts
}

// truthKey converts a truth key ("<guid>|sys|grp=0x04|op=36|v=2",
// "<guid>|event|id=12|op=0|v=1", "<guid>|classic|type=32|v=0") to a decoder Key.
func truthKey(t *testing.T, s string) (Key, bool) {
	parts := strings.Split(s, "|")
	g, err := etw.ParseGUID(parts[0])
	if err != nil || len(parts) < 3 {
		t.Fatalf("truth key %q", s)
	}
	val := map[string]uint64{}
	for _, kv := range parts[2:] {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			t.Fatalf("truth key %q: %v", s, err)
		}
		val[k] = n
	}
	switch parts[1] {
	case "sys":
		return KernelKey(g, uint8(val["op"]), uint16(val["v"])), true
	case "classic":
		return KernelKey(g, uint8(val["type"]), uint16(val["v"])), true
	case "event":
		if val["id"] == 0 && kernelClasses[g] {
			return KernelKey(g, uint8(val["op"]), uint16(val["v"])), true
		}
		return ManifestKey(g, uint16(val["id"]), uint16(val["v"])), true
	}
	return Key{}, false
}

// TestCorpusCountsPerKey: on named corpus files, the number of events
// decoded per key equals the truth count of every key that has a registered
// decoder (computed from the truth file, not written down here).
func TestCorpusCountsPerKey(t *testing.T) {
	for _, file := range []string{
		"perfview__net.4.5.2.x64.etl",
		"airbus__ShutdownPerfDiagLogger.etl",
		"perfview__diagsession__diaghub.kernel.1.etl",
		"perfview__smallEtlFile.etl",
		"perfview__diagsession__diaghub.etl",
	} {
		t.Run(file, func(t *testing.T) {
			want := map[Key]int{}
			for k, n := range truthCounts(t, file) {
				key, ok := truthKey(t, k)
				if _, registered := Lookup(key); ok && registered {
					want[key] += n
				}
			}
			got := map[Key]int{}
			eachRecord(t, shared.Path(t, "corpus", file), func(rec *etw.Record, d Decoded, ok bool, err error) {
				if _, registered := Lookup(d.Key); ok && registered && err == nil {
					got[d.Key]++
				}
			})
			if len(want) == 0 {
				t.Fatal("truth has no key with a decoder: nothing asserted")
			}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: decoded %d, truth %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: decoded %d, not in truth", k, n)
				}
			}
			t.Logf("%d keys with decoders asserted", len(want))
		})
	}
}

// TestCorpusKernelFileCreateNames: the 562 Microsoft-Windows-Kernel-File
// event-12 records of perfview__net.4.5.2.x64.etl decode with file names,
// as classic FileIo Create events whose TTID is the header thread.
func TestCorpusKernelFileCreateNames(t *testing.T) {
	const file = "perfview__net.4.5.2.x64.etl"
	var want int
	for k, n := range truthCounts(t, file) {
		if strings.HasPrefix(k, KernelFileGUID.String()+"|event|id=12|") {
			want += n
		}
	}
	if want != 562 {
		t.Fatalf("truth has %d Kernel-File event-12 records, the issue names 562", want)
	}
	got := 0
	eachRecord(t, shared.Path(t, "corpus", file), func(rec *etw.Record, d Decoded, ok bool, err error) {
		if rec.Provider != KernelFileGUID || rec.ID != 12 {
			return
		}
		if !ok || err != nil {
			t.Errorf("Kernel-File 12 v%d: ok=%v err=%v", rec.Version, ok, err)
			return
		}
		c, isCreate := d.Event.(*FileCreate)
		if !isCreate || c.Op != OpCreate {
			t.Errorf("Kernel-File 12 decoded as %T", d.Event)
			return
		}
		if c.OpenPath == "" || !strings.HasPrefix(c.OpenPath, `\`) {
			t.Errorf("Kernel-File 12: file name %q", c.OpenPath)
		}
		if c.TTID != d.TID {
			t.Errorf("Kernel-File 12: TTID %d, header TID %d", c.TTID, d.TID)
		}
		got++
	})
	if got != want {
		t.Errorf("decoded %d Kernel-File 12 records with names, want %d", got, want)
	}
}

// TestCorpusPIDAgreement checks header PID/TID against payload identities
// where docs/events.md#conventions and the event semantics say they must agree:
// Thread End/DCStart/DCEnd are logged in the thread's own context, Process
// End in the exiting process, Process Start in the creator (= parent),
// Image Load in the loading process; every process of the Process DCStart
// rundown has threads in the Thread DCStart rundown and vice versa.
func TestCorpusPIDAgreement(t *testing.T) {
	for _, file := range []string{"perfview__net.4.5.2.x64.etl", "airbus__ShutdownPerfDiagLogger.etl", "perfview__diagsession__diaghub.kernel.1.etl"} {
		t.Run(file, func(t *testing.T) {
			checked := 0
			procDC := map[uint32]bool{}
			thrDC := map[uint32]bool{}
			fail := t.Errorf
			eachRecord(t, shared.Path(t, "corpus", file), func(rec *etw.Record, d Decoded, ok bool, err error) {
				if !ok || err != nil {
					return
				}
				switch e := d.Event.(type) {
				case *Thread:
					if e.Op == 3 {
						thrDC[e.ProcessID] = true
					}
					if e.Op == 2 || e.Op == 3 || e.Op == 4 {
						checked++
						if e.ProcessID != d.PID || e.ThreadID != d.TID {
							fail("Thread op %d: payload %d/%d, header %d/%d", e.Op, e.ProcessID, e.ThreadID, d.PID, d.TID)
						}
					}
				case *Process:
					switch e.Op {
					case 3:
						procDC[e.ProcessID] = true
					case 1:
						checked++
						if e.ParentID != d.PID {
							fail("Process Start %d: parent %d, header PID %d", e.ProcessID, e.ParentID, d.PID)
						}
					case 2:
						checked++
						if e.ProcessID != d.PID {
							fail("Process End %d: header PID %d", e.ProcessID, d.PID)
						}
					}
				case *Image:
					if e.Op == 10 {
						checked++
						if e.ProcessID != d.PID {
							fail("Image Load in %d: header PID %d", e.ProcessID, d.PID)
						}
					}
				case *KernelProcessStart:
					checked++
					if e.ParentProcessID != d.PID {
						fail("Kernel-Process start: parent %d, header %d", e.ParentProcessID, d.PID)
					}
				case *KernelProcessStop:
					checked++
					if e.ProcessID != d.PID {
						fail("Kernel-Process stop: %d, header %d", e.ProcessID, d.PID)
					}
				}
			})
			if len(thrDC) > 0 {
				for pid := range procDC {
					checked++
					if !thrDC[pid] {
						t.Errorf("Process DCStart %d has no Thread DCStart", pid)
					}
				}
				for pid := range thrDC {
					checked++
					if !procDC[pid] {
						t.Errorf("Thread DCStart in process %d without Process DCStart", pid)
					}
				}
			}
			if checked == 0 {
				t.Fatal("nothing checked")
			}
			t.Logf("%d agreements checked", checked)
		})
	}
}

// TestCorpusTraceLogging: every record carrying TraceLogging metadata (the
// truth's EVENT_SCHEMA_TL item count) decodes, by the Parser, into a named
// TraceLogging event without error.
func TestCorpusTraceLogging(t *testing.T) {
	for _, path := range shared.CorpusFiles(t) {
		file := filepath.Base(path)
		b, err := os.ReadFile(shared.Path(t, "corpus", "truth", file+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var truth struct {
			DissectETL struct {
				Ext map[string]int `json:"extended_data_item_types"`
			} `json:"dissect_etl"`
		}
		if err := json.Unmarshal(b, &truth); err != nil {
			t.Fatal(err)
		}
		want := truth.DissectETL.Ext["EVENT_SCHEMA_TL"]
		got := 0
		eachRecord(t, path, func(rec *etw.Record, d Decoded, ok bool, err error) {
			tl, isTL := d.Event.(*TraceLoggingEvent)
			if !ok || !isTL {
				return
			}
			if err != nil || tl.Name == "" {
				t.Errorf("%s: TraceLogging %q: %v", file, tl.Name, err)
			}
			got++
		})
		if got != want {
			t.Errorf("%s: %d TraceLogging events decoded, truth has %d EVENT_SCHEMA_TL items", file, got, want)
		}
	}
}

// TestCorpusWant: with Parser.Want, a record whose layout is refused keeps
// its header fields and Key and gets no Event and no error, and every
// accepted record decodes exactly as without Want. It also counts, per
// corpus file, how many records Want spared from decoding.
func TestCorpusWant(t *testing.T) {
	onlyALPC := func(e *Entry) bool { _, ok := e.New().(*AlpcMessage); return ok }
	for _, path := range shared.CorpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := etw.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			all, some := NewParser(), NewParser()
			some.Want = onlyALPC
			skipped, kept := 0, 0
			for rec, err := range f.Records() {
				if err != nil {
					continue
				}
				want, wok, werr := all.Decode(rec)
				got, gok, gerr := some.Decode(rec)
				if gok != wok || got.Key != want.Key || got.Time != want.Time || got.PID != want.PID ||
					got.TID != want.TID || got.Processor != want.Processor || got.ActivityID != want.ActivityID {
					t.Fatalf("record at %#x+%#x: header %+v ok=%v, want %+v ok=%v", rec.BufferOffset, rec.Pos, got, gok, want, wok)
				}
				e, registered := Lookup(want.Key)
				if registered && !onlyALPC(e) {
					if got.Event != nil || gerr != nil {
						t.Fatalf("%s: refused layout decoded: %v, %v", want.Key, got.Event, gerr)
					}
					skipped++
					continue
				}
				if (gerr == nil) != (werr == nil) {
					t.Fatalf("%s: error %v, want %v", want.Key, gerr, werr)
				}
				if want.Event != nil {
					kept++
					a, _ := json.Marshal(got.Event)
					b, _ := json.Marshal(want.Event)
					if !bytes.Equal(a, b) {
						t.Fatalf("%s: %s, want %s", want.Key, a, b)
					}
				}
			}
			t.Logf("%d records not decoded, %d decoded", skipped, kept)
		})
	}
}
