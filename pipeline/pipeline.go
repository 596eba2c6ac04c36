// Package pipeline carries a trace from its files to an analysis: it opens
// one or several .etl files, groups them into PID namespaces
// (docs/rules.md F1), reads and decodes every processor's buffers ahead on
// worker goroutines, and hands the decoded events of each namespace to a
// Sink in one time order, with the reader's and decoders' problems as
// warnings that name file and offset. It never interprets events: that is
// the Sink's (correlate's engine) work.
package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// Source is one trace file: the open file and the name to report.
type Source struct {
	Name string
	File *etw.File
}

// OpenError is a file that could not be opened as a trace at all.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Open opens each path. Files that cannot be opened are returned as
// *OpenError values, in order; the others as sources, in order. The caller
// closes the sources with Close.
func Open(paths []string) ([]Source, []error) {
	var srcs []Source
	var errs []error
	for _, p := range paths {
		f, err := etw.Open(p)
		if err != nil {
			errs = append(errs, &OpenError{Path: p, Err: err})
			continue
		}
		srcs = append(srcs, Source{Name: p, File: f})
	}
	return srcs, errs
}

// Close closes every source's file.
func Close(srcs []Source) {
	for _, s := range srcs {
		s.File.Close()
	}
}

// Sink receives one namespace's trace. Begin is called once per source,
// in order, before any event; Buffer once per lossy buffer (EVENTS_LOST or
// BUFFER_LOST) after the events; Add once per record in time order, with
// Event nil for records that are only counted (types batches do not keep,
// Keeps). d and d.Event are valid only during the call: the batch that
// holds them is reused, so a Sink copies what it keeps.
type Sink interface {
	Begin(src Source)
	Add(d *decoders.Decoded)
	Buffer(b etw.BufferInfo)
}

// MaxWarnings bounds the warnings Run reports; the rest are counted in a
// last warning.
const MaxWarnings = 1000

// Warnings collects warnings up to MaxWarnings.
type Warnings struct {
	list    []string
	dropped int
}

// Add records one warning.
func (w *Warnings) Add(s string) {
	if len(w.list) < MaxWarnings {
		w.list = append(w.list, s)
		return
	}
	w.dropped++
}

// List returns the warnings, with a count of those left out.
func (w *Warnings) List() []string {
	if w.dropped == 0 {
		return w.list
	}
	return append(slices.Clip(w.list), fmt.Sprintf("%d more warnings not shown", w.dropped))
}

// Run hands sink every record of srcs (one namespace) in time order. A
// pass over the buffer headers finds the lossy buffers beside the decoding.
// Decoder problems go to warn as they are met; afterwards, every byte range
// the reader skipped, per file in file order and offset order.
func Run(srcs []Source, sink Sink, warn func(string)) { RunSplit(srcs, sink, nil, warn) }

// RunSplit is Run with more sinks: every one of others gets Begin for each
// source and then the records, in the same time order, on a goroutine of
// its own, so that sinks which divide the work between them run side by
// side. A sink that is a Chooser gets only the records it chooses; the
// others get every record. Warnings and lossy buffers go to sink alone.
// RunSplit returns when every sink has had its records.
func RunSplit(srcs []Source, sink Sink, others []Sink, warn func(string)) {
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
	adds := []adder{sink}
	var choose []Chooser
	chooser := func(s Sink) Chooser {
		if c, ok := s.(Chooser); ok {
			return c
		}
		return nil
	}
	choose = append(choose, chooser(sink))
	for _, src := range srcs {
		sink.Begin(src)
	}
	for _, o := range others {
		for _, src := range srcs {
			o.Begin(src)
		}
		adds = append(adds, o)
		choose = append(choose, chooser(o))
	}
	decode(srcs, warn, choose, adds...)
	for _, b := range <-lossy {
		sink.Buffer(b)
	}
	for _, s := range srcs {
		// Buffers are read in parallel: report in file order, so the
		// output does not depend on scheduling.
		errs := s.File.Warnings()
		slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(errOffset(a), errOffset(b)) })
		for _, err := range errs {
			warn(fmt.Sprintf("%s: %v", s.Name, err))
		}
	}
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
