package fleet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/pipeline"
)

// Options configure Run.
type Options struct {
	// Analysis is applied to every file on its own.
	Analysis correlate.Options
	// Machine names the machine of files whose trace does not carry a
	// computer name; "" means the file's base name.
	Machine string
	// Workers is how many files are analysed at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when not nil, receives a status line redrawn after each
	// file ("\r…"), erased at the end. Pass a terminal only.
	Progress io.Writer
}

// Skipped is a file that could not be read; the run goes on without it.
type Skipped struct {
	Path string
	Err  error
}

func (s Skipped) Error() string { return s.Path + ": " + s.Err.Error() }

// Summary is the outcome of a Run.
type Summary struct {
	Files    int              // files written
	Skipped  []Skipped        // files left out, in argument order
	Warnings []string         // reader and decoder warnings, each prefixed by its file
	Rows     map[string]int64 // rows per table file
}

// result is one file's analysis, handed from a worker to the writer.
type result struct {
	m    *model.Model
	prov Provenance
	err  error
}

// Run analyses paths, each file on its own (one namespace per file, docs/parquet.md#provenance),
// on opt.Workers goroutines, and writes the rows of every file to the
// dataset in dir in argument order. A file that cannot be read is listed
// in Summary.Skipped and does not stop the run. The error is about
// writing the dataset.
//
// Memory: at most 2×Workers analysed files wait for the writer at once
// (the writer takes them in order), so a slow file does not let the
// others pile up.
func Run(dir string, paths []string, opt Options) (Summary, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w, err := Create(dir)
	if err != nil {
		return Summary{}, err
	}
	res := make([]chan result, len(paths))
	for i := range res {
		res[i] = make(chan result, 1)
	}
	jobs := make(chan int)
	window := make(chan struct{}, 2*workers)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(jobs)
		for i := range paths {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		go func() {
			for i := range jobs {
				res[i] <- analyzeOne(paths[i], i+1, opt)
			}
		}()
	}

	var sum Summary
	for i := range paths {
		r := <-res[i]
		<-window
		if r.err != nil {
			sum.Skipped = append(sum.Skipped, Skipped{Path: paths[i], Err: r.err})
		} else {
			sum.Warnings = append(sum.Warnings, r.m.Warnings...)
			if err := w.Add(r.m, r.prov); err != nil {
				w.Close()
				return sum, err
			}
			sum.Files++
		}
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "\rparquet: %d of %d files, %d skipped\x1b[K", i+1, len(paths), len(sum.Skipped))
		}
	}
	if opt.Progress != nil && len(paths) > 0 {
		fmt.Fprint(opt.Progress, "\r\x1b[K")
	}
	sum.Rows = w.Rows()
	return sum, w.Close()
}

// analyzeOne analyses one file as its own namespace ns. A panic while
// reading is turned into an error naming the file, so that one bad file
// cannot end a fleet run.
func analyzeOne(path string, ns int, opt Options) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{err: fmt.Errorf("internal error while analysing (please report it): %v", p)}
		}
	}()
	m, computer, err := Analyze(path, opt.Analysis)
	if err != nil {
		return result{err: err}
	}
	machine := computer
	if machine == "" {
		machine = opt.Machine
	}
	if machine == "" {
		machine = filepath.Base(path)
	}
	return result{m: m, prov: Provenance{Machine: machine, File: path, TraceStart: m.Trace.Start, NS: ns}}
}

// Analyze correlates one file like correlate.AnalyzeFiles([]string{path})
// and also returns the computer name the trace records (the SystemConfig
// CPU event's ComputerName, docs/events.md#systemconfig), or "" when it
// has none. An error means the file could not be opened as a trace.
func Analyze(path string, opt correlate.Options) (*model.Model, string, error) {
	srcs, errs := pipeline.Open([]string{path})
	defer pipeline.Close(srcs)
	if len(srcs) == 0 {
		err := errors.Join(errs...)
		var oe *pipeline.OpenError
		if len(errs) == 1 && errors.As(err, &oe) {
			err = oe.Err
		}
		// The path is said once, by Skipped.Error.
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == path {
			err = pe.Err
		}
		return nil, "", err
	}
	s := &nameSink{Engine: correlate.New(opt)}
	var warns pipeline.Warnings
	pipeline.Run(srcs, s, warns.Add)
	m := s.Finish()
	m.Trace.Files = append(m.Trace.Files, srcs[0].Name)
	m.Warnings = append(m.Warnings, warns.List()...)
	return m, cleanName(s.computer), nil
}

// nameSink is the correlation engine, noting the computer name on the way.
type nameSink struct {
	*correlate.Engine
	computer string
}

func (s *nameSink) Add(d *decoders.Decoded) {
	if c, ok := d.Event.(*decoders.SystemConfigCPU); ok && s.computer == "" {
		s.computer = c.ComputerName
	}
	s.Engine.Add(d)
}

// cleanName trims a computer name read from a fixed-size field and drops
// control characters, so that it is safe in a terminal and a column.
func cleanName(s string) string {
	s = strings.TrimRight(s, "\x00 ")
	return termsafe.String(strings.TrimSpace(s))
}
