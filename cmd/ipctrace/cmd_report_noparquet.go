//go:build noparquet

package main

import (
	"errors"
	"io"

	"github.com/ipctrace/ipctrace/correlate"
)

// Built with -tags noparquet: the binary leaves out the Parquet writer
// (package fleet and the Arrow library, most of the binary's size).

func checkParquetFlags(paths []string, fl reportFlags) error {
	return withCode(exitUsage, errors.New("report: -o parquet is not available in this build (built with -tags noparquet); use -o jsonl"))
}

func runParquet(stdout, stderr io.Writer, paths []string, fl reportFlags, opt correlate.Options) error {
	return checkParquetFlags(paths, fl)
}
