package main

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// captureRun runs the command line through run and returns its exit code and stderr.
func captureRun(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	code := run(args)
	os.Stderr = old
	w.Close()
	var b bytes.Buffer
	b.ReadFrom(r)
	return code, b.String()
}

func TestRecordWatchRequireWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("this checks the non-Windows behaviour")
	}
	for _, args := range [][]string{
		{"record", "-o", "x.etl"},
		{"record", "-o", "x.etl", "--duration", "5s", "--pipes", "--security"},
		{"record", "--snapshot"},
		{"watch"},
		{"watch", "--alpc", "--window", "10s"},
	} {
		code, stderr := captureRun(t, args...)
		if code != 1 || !strings.Contains(stderr, "requires Windows") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and \"requires Windows\"", args, code, stderr)
		}
	}
	if _, err := os.Stat("x.etl"); err == nil {
		t.Error("record created x.etl on a system where it cannot record")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"256MB": 256 << 20, "1G": 1 << 30, "1GiB": 1 << 30, "512k": 512 << 10, "64": 64 << 20, " 2 m ": 2 << 20,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5M", "12X", "MB", "99999999999G"} {
		if _, err := parseSize(in); !errors.Is(err, errBadSize) {
			t.Errorf("parseSize(%q) accepted: %v", in, err)
		}
	}
	if sizeMB(1) != 1 || sizeMB(1<<20) != 1 || sizeMB(1<<20+1) != 2 {
		t.Error("sizeMB rounding")
	}
}

func TestRecordFlagValidation(t *testing.T) {
	for _, o := range []recordFlags{
		{},
		{output: "a.etl", ring: "1M", maxSize: "2M"},
		{output: "a.etl", ring: "zz"},
		{output: "a.etl", probe: "tcp"},
		{output: "a.etl", probe: "window"},               // without --messages
		{output: "a.etl", probe: "mailslot", alpc: true}, // FileIo narrowed away
	} {
		if err := o.validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	for _, o := range []*recordFlags{
		{output: "a.etl", ring: "64MB", probe: "pipe"},
		{output: "a.etl", probe: "window", messages: true},
		{output: "a.etl", probe: "mailslot"},
		{output: "a.etl", probe: "mailslot", pipes: true, alpc: true},
	} {
		if err := o.validate(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func synthRecords(t testing.TB, name string) ([]etw.Record, []byte) {
	t.Helper()
	recs, raw, err := synth.Records(name, synth.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return recs, raw
}

// The watch view shows the live model with the session's loss counters.
func TestRenderWatch(t *testing.T) {
	for _, sc := range []string{"pipe-pingpong", "alpc-rpc", "mixed"} {
		t.Run(sc, func(t *testing.T) {
			recs, _ := synthRecords(t, sc)
			l := correlate.NewLive(correlate.Options{}, 1000*time.Hour, correlate.LiveLimits{})
			for _, r := range recs {
				l.Add(r)
			}
			m := l.Model()
			var out bytes.Buffer
			if err := renderWatch(&out, m, watchStatus{Session: "ipctrace-1", Window: time.Minute}, 1000); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "no loss") {
				t.Errorf("view:\n%s", out.String())
			}
			for _, p := range m.Pipes {
				if !strings.Contains(out.String(), strings.TrimPrefix(p.Name, `\\.\pipe\`)) {
					t.Errorf("view does not show pipe %s:\n%s", p.Name, out.String())
				}
			}
			out.Reset()
			renderWatch(&out, m, watchStatus{Session: "ipctrace-1", Window: time.Minute, RealTimeBuffersLost: 3}, 10)
			if !strings.Contains(out.String(), "LOSS") || !strings.Contains(out.String(), "real-time buffers lost 3") {
				t.Errorf("loss not shown:\n%s", out.String())
			}
		})
	}
}
