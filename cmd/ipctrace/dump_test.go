package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/synth"
)

// corpusTotal reads summary.total_events_dissect of a corpus truth file.
func corpusTotal(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "corpus", "truth", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Summary struct {
			Total int `json:"total_events_dissect"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	return truth.Summary.Total
}

// TestDumpJSONCorpus: one JSON line per record with the documented fields;
// the 562 Kernel-File Create records carry their file names; undecoded
// records keep their payload as hex.
func TestDumpJSONCorpus(t *testing.T) {
	const file = "perfview__net.4.5.2.x64.etl"
	path := shared.Path(t, "corpus", file)
	var out, errb bytes.Buffer
	if err := runDump(&out, &errb, path, dumpFlags{json: true}); err != nil {
		t.Fatal(err)
	}
	lines, kfCreate, raw := 0, 0, 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		for _, k := range []string{"time", "kind", "provider", "id", "opcode", "version", "pid", "tid"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %q: %s", lines, k, sc.Bytes())
			}
		}
		ev, _ := m["event"].(string)
		if ev == "" {
			raw++
			if _, ok := m["payload_hex"]; !ok {
				t.Errorf("line %d: undecoded without payload_hex: %s", lines, sc.Bytes())
			}
		}
		if ev == "Kernel-File/Create" {
			kfCreate++
			f := m["fields"].(map[string]any)
			if p, _ := f["open_path"].(string); !strings.HasPrefix(p, `\`) {
				t.Errorf("Kernel-File Create without a path: %s", sc.Bytes())
			}
		}
	}
	if want := corpusTotal(t, file); lines != want {
		t.Errorf("%d lines, truth has %d events", lines, want)
	}
	if kfCreate != 562 {
		t.Errorf("%d Kernel-File/Create lines, want 562", kfCreate)
	}
	if raw == 0 {
		t.Error("no undecoded record: the file has PerfInfo/StackWalk records without decoders")
	}
}

// TestDumpUndecodedCorpus: --undecoded counts plus decoded records make the
// truth total, and the counts agree with the truth per key.
func TestDumpUndecodedCorpus(t *testing.T) {
	const file = "perfview__net.4.5.2.x64.etl"
	path := shared.Path(t, "corpus", file)
	var out, errb bytes.Buffer
	if err := runDump(&out, &errb, path, dumpFlags{json: true, undecoded: true}); err != nil {
		t.Fatal(err)
	}
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
	undecoded := 0
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if n := truth.DissectETL.Counts[l.Key]; n != l.Count {
			t.Errorf("%s: %d undecoded, truth %d", l.Key, l.Count, n)
		}
		undecoded += l.Count
	}
	var all bytes.Buffer
	if err := runDump(&all, &errb, path, dumpFlags{json: true}); err != nil {
		t.Fatal(err)
	}
	decoded := 0
	for _, line := range bytes.Split(all.Bytes(), []byte("\n")) {
		if bytes.Contains(line, []byte(`"event":`)) {
			decoded++
		}
	}
	if total := corpusTotal(t, file); decoded+undecoded != total {
		t.Errorf("decoded %d + undecoded %d != %d", decoded, undecoded, total)
	}
}

// dumpTrace writes a small trace of known IPC events (docs/events.md#vectors layouts
// and ipctrace's own SecuritySnapshot), plus one record without a decoder.
func dumpTrace(t *testing.T) string {
	t.Helper()
	var etl bytes.Buffer
	w, err := etw.NewWriter(&etl, etw.WriterOptions{LogFileName: "dump-golden.etl"})
	if err != nil {
		t.Fatal(err)
	}
	at := int64(etw.DefaultStartTime)
	put := func(r etw.Record) {
		t.Helper()
		at += 1234
		r.Time = at
		if err := w.WriteRecord(&r); err != nil {
			t.Fatal(err)
		}
	}
	kernel := func(group uint8, key decoders.Key, ev decoders.Event, pid, tid uint32) {
		t.Helper()
		payload, err := decoders.Encode(key, ev, 8)
		if err != nil {
			t.Fatal(err)
		}
		put(etw.Record{Kind: etw.KindSystem64, Group: group, Opcode: uint8(key.ID), Version: key.Version,
			ProcessID: pid, ThreadID: tid, Payload: payload})
	}
	kernel(0x03, decoders.KernelKey(decoders.ProcessGUID, 3, 4), &decoders.Process{ProcessID: 1004, ParentID: 700,
		SessionID: 1, UserSID: "S-1-5-18", ImageFileName: "pipesrv.exe", CommandLine: `pipesrv.exe --pipe ipctrace-test`}, 0, 0)
	kernel(0x05, decoders.KernelKey(decoders.ThreadGUID, 3, 3), &decoders.Thread{ProcessID: 1004, ThreadID: 6700}, 1004, 6700)
	kernel(0x04, decoders.KernelKey(decoders.FileIoGUID, 64, 3), &decoders.FileCreate{IrpPtr: 0xFFFF8A0A12345678,
		FileObject: 0xFFFF8A0A87654320, TTID: 6700, CreateOptions: 0x03000020, FileAttributes: 0x80, ShareAccess: 3,
		OpenPath: `\Device\NamedPipe\ipctrace-test`}, 0xFFFFFFFF, 0xFFFFFFFF)
	kernel(0x04, decoders.KernelKey(decoders.FileIoGUID, 75, 3), &decoders.FileInfo{IrpPtr: 0xFFFF8A0A1234A000,
		FileObject: 0xFFFF8A0A87654320, FileKey: 0xFFFF8A0A99990001, TTID: 6700, InfoClass: 0x00110008}, 0xFFFFFFFF, 0xFFFFFFFF)
	kernel(0x04, decoders.KernelKey(decoders.FileIoGUID, 76, 3), &decoders.FileOpEnd{IrpPtr: 0xFFFF8A0A1234A000, Status: 0xC00000B2}, 0xFFFFFFFF, 0xFFFFFFFF)
	kernel(0x04, decoders.KernelKey(decoders.FileIoGUID, 68, 3), &decoders.FileReadWrite{IrpPtr: 0xFFFF8A0A1234B000,
		FileObject: 0xFFFF8A0A87654320, FileKey: 0xFFFF8A0A99990001, TTID: 6700, IoSize: 512, IoFlags: 0x60A00, HasExtraFlags: true}, 0xFFFFFFFF, 0xFFFFFFFF)
	kernel(0x04, decoders.KernelKey(decoders.FileIoGUID, 37, 3), &decoders.MapFile{ViewBase: 0x2B93E7E0000,
		FileKey: 0xFFFF82082C3FFB70, MiscInfo: 0x00C1000000000000, ViewSize: 0x1000, ProcessID: 6528}, 6528, 31380)
	kernel(0x1A, decoders.KernelKey(decoders.ALPCGUID, 36, 2), &decoders.AlpcWaitNewMessage{IsServerPort: true, PortName: "epmapper"}, 900, 901)
	kernel(0x1A, decoders.KernelKey(decoders.ALPCGUID, 33, 2), &decoders.AlpcMessage{MessageID: 42}, 1004, 6700)
	kernel(0x1A, decoders.KernelKey(decoders.ALPCGUID, 37, 2), &decoders.AlpcUnwait{Status: 0xC0000037}, 1004, 6700)
	kernel(0x11, decoders.KernelKey(decoders.ObjectGUID, 34, 3), &decoders.ObjectDuplicateHandle{Object: 0xFFFFC283AEEA3E60,
		SourceHandle: 0x5648, TargetHandle: 0x80001DDC, TargetProcessID: 4, ObjectType: 16, SourceProcessID: 20648}, 20648, 1)
	rpc, err := decoders.Encode(decoders.ManifestKey(decoders.RPCGUID, 5, 1), &decoders.RPCCallStart{
		InterfaceUUID: etw.MustParseGUID("e60c73e6-88f9-11cf-9af1-0020af6e72f4"), ProcNum: 8, Protocol: 3,
		Endpoint: "epmapper", AuthenticationLevel: 6, AuthenticationService: 20, ImpersonationLevel: 3}, 8)
	if err != nil {
		t.Fatal(err)
	}
	put(etw.Record{Kind: etw.KindEvent64, Provider: decoders.RPCGUID, ID: 5, Opcode: 1, Version: 1, Level: 4,
		ProcessID: 1004, ThreadID: 6700, Payload: rpc})
	traits, schema, data, err := decoders.EncodeSecuritySnapshot(&decoders.SecuritySnapshot{Phase: "start", ObjectType: "pipe",
		Name: `\Device\NamedPipe\ipctrace-test`, OwnerPID: 1004, Instances: 1, MaxInstances: 255,
		SD: []byte{1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	ext := etw.AppendExtItem(nil, etw.ExtProvTraits, traits, false)
	ext = etw.AppendExtItem(ext, etw.ExtEventSchemaTL, schema, true)
	put(etw.Record{Kind: etw.KindEvent64, Provider: decoders.IpcTraceProviderGUID, Level: 4, ProcessID: 1004, ThreadID: 6700, Ext: ext, Payload: data})
	// No decoder: kept as hex.
	put(etw.Record{Kind: etw.KindEvent64, Provider: etw.MustParseGUID("12345678-1234-1234-1234-123456789abc"), ID: 7,
		ProcessID: 1, ThreadID: 2, Payload: []byte{0xde, 0xad, 0xbe, 0xef}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dump-golden.etl")
	if err := os.WriteFile(path, etl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDumpGolden dumps a trace of known events in both output forms and
// compares them with golden files (-update rewrites them).
func TestDumpGolden(t *testing.T) {
	path := dumpTrace(t)
	for _, c := range []struct {
		name string
		opt  dumpFlags
	}{{"dump.golden", dumpFlags{}}, {"dump.jsonl.golden", dumpFlags{json: true}}, {"dump_undecoded.golden", dumpFlags{undecoded: true}}} {
		var out, errb bytes.Buffer
		if err := runDump(&out, &errb, path, c.opt); err != nil {
			t.Fatal(err)
		}
		if errb.Len() != 0 {
			t.Errorf("warnings: %s", errb.String())
		}
		checkGolden(t, c.name, out.Bytes())
	}
}

// TestDumpSynth: every record of the synthetic scenarios decodes (no raw
// payload but the EventTrace markers).
func TestDumpSynth(t *testing.T) {
	for _, sc := range synth.Scenarios {
		var etl bytes.Buffer
		if _, _, err := synth.Generate(sc, &etl, synth.Options{Seed: 1}); err != nil {
			t.Fatalf("synth %s: %v", sc, err)
		}
		path := filepath.Join(t.TempDir(), sc+".etl")
		if err := os.WriteFile(path, etl.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if err := runDump(&out, &errb, path, dumpFlags{undecoded: true}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), "every one of the ") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%s: records without a decoder:\n%s", sc, out.String())
		}
	}
}

// TestDumpMalformed: a file with no readable record exits with status 2.
func TestDumpMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.etl")
	garbage := bytes.Repeat([]byte{0xA5, 0x5A, 0x13, 0x37}, 2048)
	if err := os.WriteFile(path, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := runDump(&out, &errb, path, dumpFlags{})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitMalformed {
		t.Fatalf("err = %v, want exit %d", err, exitMalformed)
	}
	if code := run([]string{"dump", filepath.Join(t.TempDir(), "missing.etl")}); code != exitUsage {
		t.Errorf("missing file: exit %d, want %d", code, exitUsage)
	}
	// A directory is an I/O error (1), a text file renamed .etl malformed (2).
	dir := t.TempDir()
	err = runDump(&out, &errb, dir, dumpFlags{})
	if !errors.As(err, &ee) || ee.code != exitUsage || err.Error() != dir+": is a directory" {
		t.Errorf("directory: err = %v, want exit %d and %q", err, exitUsage, dir+": is a directory")
	}
	text := filepath.Join(dir, "notes.etl")
	os.WriteFile(text, []byte("just some notes\n"), 0o644)
	err = runDump(&out, &errb, text, dumpFlags{})
	want := text + ": not an ETL file: no WMI buffer header at offset 0 (found 16 bytes, fewer than the 72 of a buffer header)"
	if !errors.As(err, &ee) || ee.code != exitMalformed || err.Error() != want {
		t.Errorf("text file: err = %v, want exit %d and %q", err, exitMalformed, want)
	}
}

func TestFormatFiletime(t *testing.T) {
	for ft, want := range map[int64]string{
		116444736000000000: "1970-01-01T00:00:00.0000000Z",
		132404548206236167: "2020-07-29T00:07:00.6236167Z",
		0:                  "1601-01-01T00:00:00.0000000Z",
	} {
		if got := etw.FormatFiletime(ft); got != want {
			t.Errorf("%d: %s, want %s", ft, got, want)
		}
	}
}

// TestDumpTextEscapes: trace-derived names and fields cannot reach the
// terminal as control sequences (ESC, C1 CSI, bidi override).
func TestDumpTextEscapes(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeDumpText(w, &dumpLine{Time: "t", Kind: "k", Provider: "g", ProviderName: "p\u202etxt.exe",
		Event: "ev\x1b]0;pwned\x07", Fields: []byte("{\"name\":\"\u009b31m\"}"), Error: "bad \u0085"})
	w.Flush()
	out := b.String()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b", "\u0085"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q raw: %q", bad, out)
		}
	}
	if !strings.Contains(out, `ev\x1b]0;pwned\x07`) {
		t.Errorf("escaped event name missing: %q", out)
	}
}
