package probes

import (
	"fmt"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// VerifyFile analyses the trace at path with correlate, checks EVENTS.md's
// inferred rules on its events, and compares both with e. Reader warnings
// (skipped byte ranges) are returned in the Result's notes.
func VerifyFile(path string, e *Expectation, tol Tolerance) (*Result, error) {
	m, err := correlate.AnalyzeFiles([]string{path}, correlate.Options{})
	if err != nil {
		return nil, err
	}
	rules, err := CheckRules(path, e)
	if err != nil {
		return nil, err
	}
	r := Verify(m, e, rules, tol)
	for _, w := range m.Warnings {
		r.note("reader: %s", w)
	}
	return r, nil
}

// CheckRules feeds every decodable event of the trace at path to a Rules
// checker for e.
func CheckRules(path string, e *Expectation) (*Rules, error) {
	f, err := etw.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	rules := NewRules(e)
	p := decoders.NewParser()
	for rec, err := range f.Records(etw.TimeOrder()) {
		if err != nil {
			continue // the reader keeps the skipped ranges; AnalyzeFiles reports them
		}
		d, ok, err := p.Decode(rec)
		if !ok || err != nil {
			continue
		}
		rules.Add(&d)
	}
	return rules, nil
}
