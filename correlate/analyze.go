package correlate

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"

	"github.com/ipctrace/ipctrace/model"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// ErrNoInput is returned by AnalyzeFiles when none of the files could be
// read at all (wrapped with the per-file errors).
var ErrNoInput = errors.New("correlate: no file could be read")

// maxWarnings bounds Model.Warnings; later problems are counted in one line.
const maxWarnings = 1000

// Source is one trace to analyse: an open file and the name to report.
type Source struct {
	Name string
	File *etw.File
}

// AnalyzeFiles opens each path, reads its records in time order, decodes
// and correlates them, and returns the model. Files whose records overlap
// in time are merged by timestamp. Reader and decoder problems go to
// Model.Warnings with their offsets; a file that cannot be opened at all is
// a warning too, unless no file could be opened (ErrNoInput).
func AnalyzeFiles(paths []string, opt Options) (*model.Model, error) {
	var srcs []Source
	var warns []string
	var openErrs []error
	for _, p := range paths {
		f, err := etw.Open(p)
		if err != nil {
			openErrs = append(openErrs, fmt.Errorf("%s: %w", p, err))
			warns = append(warns, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		defer f.Close()
		srcs = append(srcs, Source{Name: p, File: f})
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoInput, errors.Join(openErrs...))
	}
	m := Analyze(srcs, opt)
	m.Warnings = append(warns, m.Warnings...)
	return m, nil
}

// AnalyzeReader analyses one trace held in r (for example a bytes.Reader).
func AnalyzeReader(name string, r io.ReaderAt, size int64, opt Options) (*model.Model, error) {
	f, err := etw.NewFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoInput, name, err)
	}
	return Analyze([]Source{{Name: name, File: f}}, opt), nil
}

// stream is one file's time-ordered records being merged.
type stream struct {
	src    Source
	parser *decoders.Parser
	next   func() (*etw.Record, error, bool)
	stop   func()
	rec    *etw.Record
	warned int
}

// Analyze correlates already opened traces.
func Analyze(srcs []Source, opt Options) *model.Model {
	e := New(opt)
	var warns []string
	dropped := 0
	warn := func(s string) {
		if len(warns) < maxWarnings {
			warns = append(warns, s)
		} else {
			dropped++
		}
	}
	var files []string
	streams := make([]*stream, 0, len(srcs))
	// Lossy buffers are found by a pass over the buffers that runs beside
	// the correlation: windows are only used by Finish.
	lossy := make(chan []etw.BufferInfo, 1)
	go func() {
		var bs []etw.BufferInfo
		for _, src := range srcs {
			for b, err := range src.File.LossyBuffers() {
				if err == nil && b.Lossy() {
					bs = append(bs, b)
				}
			}
		}
		lossy <- bs
	}()
	for _, src := range srcs {
		files = append(files, src.Name)
		e.SetHeader(src.File.Header())
		seedRundownNames(e, src.File)
		next, stop := iter.Pull2(src.File.Records(etw.TimeOrder()))
		streams = append(streams, &stream{src: src, parser: decoders.NewParser(), next: next, stop: stop})
	}
	defer func() {
		for _, s := range streams {
			s.stop()
		}
	}()
	// advance moves s to its next record, collecting reader errors.
	advance := func(s *stream) {
		s.rec = nil
		for {
			rec, err, ok := s.next()
			if !ok {
				return
			}
			if err != nil {
				continue // the File keeps every skipped range; reported below
			}
			s.rec = rec
			return
		}
	}
	decode := func(s *stream, rec *etw.Record) {
		d, _, err := s.parser.Decode(rec)
		if err != nil {
			warn(fmt.Sprintf("%s: buffer at offset %#x, record at %#x: %v", s.src.Name, rec.BufferOffset, rec.Pos, err))
			// The event holds the fields read before the error: count the
			// record, do not correlate it.
			d.Event = nil
		}
		e.Add(&d)
	}
	if len(streams) == 1 {
		// One file: reading and decoding on worker goroutines, one per
		// processor, correlation on this one (DESIGN.md §5).
		s := streams[0]
		s.stop()
		streams = nil
		decodeParallel(s.src.File, s.src.Name, warn, e.Add)
	}
	for _, s := range streams {
		advance(s)
	}
	for len(streams) > 0 {
		var cur *stream
		for _, s := range streams {
			if s.rec != nil && (cur == nil || s.rec.Time < cur.rec.Time) {
				cur = s
			}
		}
		if cur == nil {
			break
		}
		decode(cur, cur.rec)
		advance(cur)
	}
	for _, b := range <-lossy {
		e.AddBuffer(b)
	}
	m := e.Finish()
	m.Trace.Files = files
	for _, s := range srcs {
		// Buffers are read in parallel: report in file order, so the
		// output does not depend on scheduling.
		errs := s.File.Warnings()
		slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(errOffset(a), errOffset(b)) })
		for _, err := range errs {
			warn(fmt.Sprintf("%s: %v", s.Name, err))
		}
	}
	if dropped > 0 {
		warns = append(warns, fmt.Sprintf("%d more warnings not shown", dropped))
	}
	m.Warnings = append(m.Warnings, warns...)
	return m
}

// errOffset is the file offset named by a reader error; errors without one
// sort last.
func errOffset(err error) int64 {
	var fe *etw.FormatError
	if errors.As(err, &fe) {
		return fe.Off
	}
	return math.MaxInt64
}
