package verify

import (
	"os"
)

// writeFile writes the synthetic trace of e to path.
func writeFile(path string, e *Expectation) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := SynthTrace(f, e, SynthOptions{Seed: 1}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
