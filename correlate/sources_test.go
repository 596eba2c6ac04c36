package correlate_test

import (
	"bytes"
	"testing"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

// feed runs a scenario's events, time-ordered, through an engine; asKernelFile
// re-labels classic FileIo I/O events as Microsoft-Windows-Kernel-File events
// (the decoders map both onto the same types), and twin adds such a copy after
// each classic one, as a session that enables both providers records them.
func feed(t *testing.T, raw []byte, asKernelFile, twin bool) (*model.Model, int64) {
	t.Helper()
	f, err := etw.NewFile(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	e := correlate.New(correlate.Options{})
	p := decoders.NewParser()
	var twins int64
	for rec, err := range f.Records(etw.TimeOrder()) {
		if err != nil {
			t.Fatal(err)
		}
		d, ok, derr := p.Decode(rec)
		if !ok || derr != nil {
			continue
		}
		classic := d.Key.Provider == decoders.FileIoGUID && correlate.IsFileIO(d.Event)
		if classic && asKernelFile {
			d.Key.Provider, d.Key.Manifest = decoders.KernelFileGUID, true
		}
		e.Add(&d)
		if classic && twin {
			dup := d
			dup.Key.Provider, dup.Key.Manifest = decoders.KernelFileGUID, true
			e.Add(&dup)
			twins++
		}
	}
	return e.Finish(), twins
}

func TestFileIoSourcesCountedOnce(t *testing.T) {
	for _, sc := range []string{"pipe-pingpong", "pipe-transceive", "pipe-busy", "pipe-stuck-read", "mixed"} {
		t.Run(sc, func(t *testing.T) {
			_, raw, err := synth.Records(sc, synth.Options{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := feed(t, raw, false, false)
			both, twins := feed(t, raw, false, true)
			if twins == 0 {
				t.Fatal("scenario has no FileIo I/O events")
			}
			if both.Trace.KernelFileIgnored != twins {
				t.Errorf("ignored %d Kernel-File events, added %d", both.Trace.KernelFileIgnored, twins)
			}
			if both.Trace.Events != want.Trace.Events+twins {
				t.Errorf("events %d, want %d", both.Trace.Events, want.Trace.Events+twins)
			}
			both.Trace = want.Trace
			for _, d := range compareModels(both, want) {
				t.Error("classic + Kernel-File:", d)
			}
			only, _ := feed(t, raw, true, false)
			if only.Trace.KernelFileIgnored != 0 {
				t.Errorf("Kernel-File-only trace ignored %d events", only.Trace.KernelFileIgnored)
			}
			for _, d := range compareModels(only, want) {
				t.Error("Kernel-File only:", d)
			}
		})
	}
}
