package verify

import (
	"errors"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/pipeline"
)

// VerifyFile reads the trace at path once through the pipeline, feeding
// every event both to the correlation engine and to a Rules checker for e
// (the inferred rules of docs/rules.md), and compares both with e. Reader
// warnings (skipped byte ranges) are returned in the Result's notes.
func VerifyFile(path string, e *Expectation, tol Tolerance) (*Result, error) {
	srcs, errs := pipeline.Open([]string{path})
	defer pipeline.Close(srcs)
	if len(srcs) == 0 {
		return nil, noTraceError{errors.Join(errs...)}
	}
	t := tee{e: correlate.New(correlate.Options{}), r: NewRules(e)}
	var w pipeline.Warnings
	pipeline.Run(srcs, t, w.Add)
	m := t.e.Finish()
	m.Trace.Files = []string{path}
	m.Warnings = append(m.Warnings, w.List()...)
	r := Verify(m, e, t.r, tol)
	for _, w := range m.Warnings {
		r.note("reader: %s", w)
	}
	return r, nil
}

// noTraceError reports that the trace could not be opened: its message is
// the file's own error ("FILE: problem", a *pipeline.OpenError inside), and
// it matches correlate.ErrNoInput.
type noTraceError struct{ err error }

func (e noTraceError) Error() string        { return e.err.Error() }
func (e noTraceError) Unwrap() error        { return e.err }
func (e noTraceError) Is(target error) bool { return target == correlate.ErrNoInput }

// tee hands each event of the pipeline to the engine and to the rules.
type tee struct {
	e *correlate.Engine
	r *Rules
}

func (t tee) Begin(s pipeline.Source) { t.e.Begin(s) }
func (t tee) Buffer(b etw.BufferInfo) { t.e.Buffer(b) }
func (t tee) Add(d *decoders.Decoded) {
	t.e.Add(d)
	if d.Event != nil {
		t.r.Add(d)
	}
}
