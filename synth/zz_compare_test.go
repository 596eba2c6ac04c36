package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/ipctrace/ipctrace/correlate"
)

func TestZZCompare(t *testing.T) {
	for _, name := range Scenarios {
		data, m, _ := generate(t, name, Options{Seed: 1})
		got, err := correlate.AnalyzeReader(name, bytes.NewReader(data), int64(len(data)), correlate.Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		a, _ := json.MarshalIndent(m, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		os.WriteFile(fmt.Sprintf("/tmp/syn/%s.truth.json", name), a, 0o644)
		os.WriteFile(fmt.Sprintf("/tmp/syn/%s.corr.json", name), b, 0o644)
	}
}
