package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/verify"
)

// runCapture runs the ipctrace command line and returns its exit code and stdout.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	verifyFlags.expect, verifyFlags.json = "", false
	verifyFlags.tolUS, verifyFlags.tolPct = 50, 20
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	code := run(args)
	return code, out.String()
}

// synthProbeTrace writes the synthetic trace of the expectation fixture
// name (from verify/testdata) with faults o; it returns the .etl and .json paths.
func synthProbeTrace(t *testing.T, name string, o verify.SynthOptions) (string, string) {
	t.Helper()
	src := filepath.Join("..", "..", "verify", "testdata", name)
	e, err := verify.LoadExpectation(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	etl := filepath.Join(dir, "probe.etl")
	f, err := os.Create(etl)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify.SynthTrace(f, e, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return etl, src
}

func TestVerifyCommand(t *testing.T) {
	const pipe = `pipe \\.\pipe\ipctrace-probe-4000-0123456789ab`
	const win = "window 0x30052: sender 4000 tid 4100 → window thread 5001 tid 6001: "
	const slot = `mailslot \\.\mailslot\ipctrace-probe-4000-0123456789ab: `
	cases := []struct {
		name    string
		fixture string
		o       verify.SynthOptions
		code    int
		want    []string
	}{
		{"correct-pipe", "pipe-byte-2clients.expect.json", verify.SynthOptions{}, exitOK,
			[]string{"verify pipe: the trace shows exactly the probe's traffic", "latency tolerance: max(50 µs, 20%)",
				"C2 held", "C4 held"}},
		{"correct-message", "pipe-message.expect.json", verify.SynthOptions{}, exitOK,
			[]string{"the trace shows exactly the probe's traffic"}},
		{"correct-section", "section.expect.json", verify.SynthOptions{}, exitOK,
			[]string{"verify section: the trace shows exactly the probe's traffic", "none can be seen in a section probe's traffic"}},
		{"dropped-write", "pipe-byte-2clients.expect.json", verify.SynthOptions{DropWrite: 10}, exitMismatch,
			[]string{"DIFF  " + pipe + " client 5001: to_server ops 49, expected 50",
				"DIFF  " + pipe + " client 5001: to_server bytes 49000, expected 50000"}},
		{"lost-buffer", "pipe-byte-2clients.expect.json", verify.SynthOptions{LoseFrom: 100, LoseTo: 110}, exitMismatch,
			[]string{"DIFF  trace: 1 buffers lost", "DIFF  trace: events may be missing from"}},
		{"wrong-bytes", "pipe-message.expect.json", verify.SynthOptions{WrongBytes: 5}, exitMismatch,
			[]string{"DIFF  " + pipe + " client 5001: to_server bytes 5121, expected 5120"}},
		{"missing-client", "pipe-byte-2clients.expect.json", verify.SynthOptions{MissingClient: 2}, exitMismatch,
			[]string{"DIFF  process 5002 (client 2): not in the trace",
				"DIFF  " + pipe + " client 5002: no conversation in the trace (client 2 missing)"}},
		{"missing-peer", "section.expect.json", verify.SynthOptions{MissingClient: 1}, exitMismatch,
			[]string{"DIFF  process 5001 (peer): not in the trace"}},
		{"correct-window", "window.expect.json", verify.SynthOptions{}, exitOK,
			[]string{"verify window: the trace shows exactly the probe's traffic", win + "20 sends returned, 0 open, by message WM_USER+1 ×20",
				win + "posted queue: 10 retrieved, none left queued", "C12 held"}},
		{"window-hang-released", "window-hang.expect.json", verify.SynthOptions{}, exitOK,
			[]string{win + "the hung send (WM_USER+2, handler held 1.5s): returned after the release"}},
		{"window-hang-stuck", "window-hang.expect.json", verify.SynthOptions{EndDuringWait: true}, exitOK,
			[]string{win + "10 sends returned, 1 open", "stuck in the window's handler (WM1"}},
		{"window-dropped-send", "window.expect.json", verify.SynthOptions{DropWrite: 5}, exitMismatch,
			[]string{"DIFF  " + win + "19 SendMessage calls returned, expected 20", "DIFF  " + win + "WM_USER+1 (0x401) sent 19 times, expected 20"}},
		{"correct-mailslot", "mailslot.expect.json", verify.SynthOptions{}, exitOK,
			[]string{"verify mailslot: the trace shows exactly the probe's traffic", slot + "reader 4000, 2 writers, 50 messages, 15000 bytes", "C13 held"}},
		{"mailslot-idle", "mailslot.expect.json", verify.SynthOptions{EndDuringWait: true}, exitOK,
			[]string{"pending at the end of the trace, idle (rule I3), not stuck"}},
		{"mailslot-wrong-size", "mailslot.expect.json", verify.SynthOptions{WrongBytes: 9}, exitMismatch,
			[]string{"DIFF  " + slot + "writer 1 (pid 5001): 7501 bytes, expected 7500", "C13 CONTRADICTED"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			etl, exp := synthProbeTrace(t, c.fixture, c.o)
			code, out := runCapture(t, "verify", etl, "--expect", exp)
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestVerifyCommandJSON(t *testing.T) {
	etl, exp := synthProbeTrace(t, "pipe-byte-2clients.expect.json", verify.SynthOptions{DropWrite: 1})
	code, out := runCapture(t, "verify", etl, "--expect", exp, "--json")
	if code != exitMismatch {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var r verify.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Differences) == 0 || len(r.Rules) != 4 || r.Tolerance != "max(50 µs, 20%)" {
		t.Errorf("result %+v", r)
	}
}

func TestVerifyCommandErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.etl")
	os.WriteFile(junk, []byte("not an etl file"), 0o644)
	exp := filepath.Join("..", "..", "verify", "testdata", "section.expect.json")
	reportJSON := filepath.Join(dir, "report.json")
	os.WriteFile(reportJSON, []byte(`{"model_version": 3, "pipes": []}`), 0o644)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"verify", junk}, exitUsage},                                                // no --expect
		{[]string{"verify", junk, "--expect", filepath.Join(dir, "absent.json")}, exitUsage}, // unreadable expectation
		{[]string{"verify", junk, "--expect", exp}, exitMalformed},                           // unreadable trace
		{[]string{"verify", filepath.Join(dir, "absent.etl"), "--expect", exp}, exitUsage},   // missing trace
		{[]string{"verify", dir, "--expect", exp}, exitUsage},                                // a directory
		{[]string{"verify", junk, "--expect", reportJSON}, exitUsage},                        // not an expectation
	}
	for _, c := range cases {
		if code, out := runCapture(t, c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.code, out)
		}
	}
}
