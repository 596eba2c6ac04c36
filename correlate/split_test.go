package correlate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/memfile"
	"github.com/ipctrace/ipctrace/internal/shared"
	"github.com/ipctrace/ipctrace/pipeline"
	"github.com/ipctrace/ipctrace/synth"
)

// TestSplitMatchesOne: two engines (split.go) give the model one engine
// gives, byte for byte in JSON, for every scenario and corpus file, with
// and without filters.
func TestSplitMatchesOne(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	var ins []input
	for _, sc := range synth.Scenarios {
		var buf memfile.File
		if _, _, err := synth.Generate(sc, &buf, synth.Options{Seed: 3, Scale: 2}); err != nil {
			t.Fatal(sc, err)
		}
		ins = append(ins, input{sc, buf.Bytes()})
	}
	if _, ok := shared.Dir(); ok {
		for _, p := range shared.CorpusFiles(t) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ins = append(ins, input{filepath.Base(p), data})
		}
	}
	for _, in := range ins {
		f, err := etw.NewFile(bytes.NewReader(in.data), int64(len(in.data)))
		if err != nil {
			continue // not a trace at all: nothing to compare
		}
		srcs := []pipeline.Source{{Name: in.name, File: f}}
		one := analyze(srcs, Options{StuckAfter: time.Second}, false)
		start := one.Trace.Start.Std()
		opts := []Options{
			{StuckAfter: time.Second},
			{},
			{StuckAfter: time.Second, Since: start.Add(300 * time.Millisecond), Until: start.Add(900 * time.Millisecond)},
			{PIDs: []uint32{4, 1004, 1008, 2004}},
		}
		for i, opt := range opts {
			a, _ := json.Marshal(analyze(srcs, opt, false))
			b, _ := json.Marshal(analyze(srcs, opt, true))
			if !bytes.Equal(a, b) {
				t.Errorf("%s, options %d: the split engines' model differs from one engine's:\none   %.600s\nsplit %.600s", in.name, i, a, b)
			}
		}
	}
}
