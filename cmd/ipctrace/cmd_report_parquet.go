//go:build !noparquet

package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/fleet"
	"github.com/ipctrace/ipctrace/internal/termsafe"
)

// checkParquetFlags checks what -o parquet needs: --out, files, and
// --since/--until as times (an offset would be from the first file's
// start, wrong for the others: each file is analysed on its own).
func checkParquetFlags(paths []string, fl reportFlags) error {
	if fl.out == "" {
		return withCode(exitUsage, errors.New("report: -o parquet writes a directory of tables: name it with --out DIR"))
	}
	if len(paths) == 0 {
		return withCode(exitUsage, errors.New("report: -o parquet: name the .etl files to write (ipctrace report -o parquet --out DIR traces/*.etl)"))
	}
	if isOffset(fl.since) || isOffset(fl.until) {
		return withCode(exitUsage, errors.New("report: -o parquet: --since and --until take RFC 3339 times here (every file has its own start)"))
	}
	return nil
}

// runParquet writes the files' analyses as a dataset (docs/parquet.md).
// Files that cannot be read are named on stderr and skipped; the exit
// code is then the worst of theirs, as for a report of several files.
func runParquet(stdout, stderr io.Writer, paths []string, fl reportFlags, opt correlate.Options) error {
	fo := fleet.Options{Analysis: opt, Machine: fl.machine}
	if writesToTerminal(stderr) {
		fo.Progress = stderr
	}
	sum, err := fleet.Run(fl.out, paths, fo)
	for _, w := range sum.Warnings {
		fmt.Fprintf(stderr, "ipctrace: warning: %s\n", termsafe.String(w))
	}
	code := exitOK
	for _, s := range sum.Skipped {
		fe := fileError(s.Path, s.Err)
		fmt.Fprintf(stderr, "ipctrace: %s (skipped)\n", termsafe.Text(fe.Error()))
		code = max(code, exitCodeOf(fe))
	}
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("report: %w", err))
	}
	var rows []string
	for _, t := range fleet.Tables() {
		rows = append(rows, fmt.Sprintf("%s %d", t, sum.Rows[t+".parquet"]))
	}
	fmt.Fprintf(stdout, "%s: %d of %d files written (%s rows)\n", termsafe.String(fl.out), sum.Files, len(paths), strings.Join(rows, ", "))
	if fl.failOnStuck && sum.Rows["stuck.parquet"] > 0 {
		fmt.Fprintf(stderr, "ipctrace: %d stuck operations\n", sum.Rows["stuck.parquet"])
		code = max(code, exitStuck)
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}
