package verify

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipctrace/ipctrace/model"
)

// FuzzExpectation: any expectation file gives an error or a result from
// ReadExpectation, SynthTrace and Verify, never a panic.
func FuzzExpectation(f *testing.F) {
	for _, name := range []string{"pipe-message.expect.json", "section.expect.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var small bytes.Buffer
	fakePipe(1, 2, 10, "byte", true).Write(&small)
	f.Add(small.Bytes())
	f.Add([]byte(`{"version":1,"kind":"pipe","pipes":[{}],"ops":[{"kind":"write","start_qpc":-9223372036854775808,"end_qpc":9223372036854775807}],"clock":{"qpc_frequency":10000000}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadExpectation(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = SynthTrace(io.Discard, e, SynthOptions{})
		r := Verify(&model.Model{}, e, NewRules(e), DefaultTolerance)
		r.WriteText(io.Discard)
	})
}
