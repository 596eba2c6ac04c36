package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/progress"
	"github.com/ipctrace/ipctrace/model"
	"github.com/ipctrace/ipctrace/pipeline"
)

// openTrace opens an .etl file for a command that reads it whole, with a
// progress meter on stderr when stderr is a terminal (internal/progress).
// Close the returned closer and call Done on the meter (nil-safe) when done.
// Errors are those of etw.Open: give them to fileError.
func openTrace(path string) (*etw.File, *progress.Meter, func() error, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, nil, err
	}
	if st.IsDir() {
		fh.Close()
		return nil, nil, nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a directory")}
	}
	m := progress.Stderr(path, st.Size())
	f, err := etw.NewFile(m.ReaderAt(fh), st.Size())
	if err != nil {
		m.Done()
		fh.Close()
		return nil, nil, nil, err
	}
	return f, m, fh.Close, nil
}

// unreadableCode is the highest exit code of the paths that cannot be
// opened as traces (1 for I/O errors, 2 for files that are not ETL), 0
// when every one can. Opening reads only buffer 0 and the logfile header.
func unreadableCode(paths []string) int {
	code := exitOK
	for _, p := range paths {
		f, err := etw.Open(p)
		if err != nil {
			code = max(code, exitCodeOf(fileError(p, err)))
			continue
		}
		f.Close()
	}
	return code
}

// analyzePaths is correlate.AnalyzeFiles with a progress meter per file on
// stderr when stderr is a terminal: bytes read of the file's size while it
// is analysed, and its events at the end.
func analyzePaths(paths []string, opt correlate.Options) (*model.Model, error) {
	var srcs []pipeline.Source
	var meters []*progress.Meter
	var openErrs []error
	for _, p := range paths {
		f, m, closeFn, err := openTrace(p)
		if err != nil {
			openErrs = append(openErrs, &pipeline.OpenError{Path: p, Err: err})
			continue
		}
		defer closeFn()
		srcs = append(srcs, pipeline.Source{Name: p, File: f})
		meters = append(meters, m)
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("%w: %w", correlate.ErrNoInput, errors.Join(openErrs...))
	}
	m := correlate.Analyze(srcs, opt)
	for _, mt := range meters {
		mt.Done()
	}
	var warns []string
	for _, err := range openErrs {
		warns = append(warns, err.Error())
	}
	m.Warnings = append(warns, m.Warnings...)
	return m, nil
}
