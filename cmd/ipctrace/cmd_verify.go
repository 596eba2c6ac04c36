package main

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/pipeline"
	"github.com/ipctrace/ipctrace/verify"
)

var verifyFlags struct {
	expect string
	json   bool
	format *formatFlag
	tolUS  int
	tolPct float64
}

var verifyCmd = &cobra.Command{
	Use:   "verify FILE.etl --expect FILE.json",
	Short: "Check that a trace shows exactly a probe's traffic",
	Long: `verify finds the probe's conversations in the trace (by its unique names and
PIDs) and checks processes, operation counts, bytes each way, pairing, latencies
(trace-derived against probe-measured, within the stated tolerance) and that
nothing was lost. Each difference is printed precisely; the exit status is 4 when
there is any.

It also reports which inferred [I] rules of docs/rules.md held in this trace (C1 FSCTL
code in InfoClass, C2 FileKey pairing H1, C3 ALPC message ids, C4 CreateNamedPipe
Create disposition, C5 read OperationEnd ExtraInfo = bytes, C12 Win32k message events
chained by pqmsg, C13 mailslot Creates and write sizes): held, contradicted or not
observable, with the evidence count.

Window probes: the SendMessage conversation (counts by message, handler time at least
the probe's handler, latencies), the posted queue, and the hung send of --hang: stuck
in its handler (WM1) when the trace ends during the hang, else a send at least as long.
Mailslot probes: reader, writers, messages and bytes, and the reader's last Read, idle
(I3) when the trace ends during it, never stuck.`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		verifyFlags.json = verifyFlags.format.value == "json"
		return runVerify(cmd.OutOrStdout(), args[0])
	},
}

func init() {
	f := verifyCmd.Flags()
	f.StringVar(&verifyFlags.expect, "expect", "", "expectation file written by 'ipctrace probe' (required)")
	verifyFlags.format = addFormatFlags(f, []string{"text", "json"}, "json")
	f.IntVar(&verifyFlags.tolUS, "tolerance-us", 50, "latency tolerance: absolute part, µs")
	f.Float64Var(&verifyFlags.tolPct, "tolerance-pct", 20, "latency tolerance: relative part, percent of the probe's value")
	rootCmd.AddCommand(verifyCmd)
}

func runVerify(stdout io.Writer, path string) error {
	if verifyFlags.expect == "" {
		return withCode(exitUsage, errors.New("verify: --expect FILE.json is required"))
	}
	e, err := verify.LoadExpectation(verifyFlags.expect)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fileError(verifyFlags.expect, err) // missing, a directory, …: 1
	}
	if err != nil {
		return withCode(exitUsage, err) // not an expectation file: a usage error, 1
	}
	tol := verify.Tolerance{Abs: time.Duration(verifyFlags.tolUS) * time.Microsecond, Rel: verifyFlags.tolPct / 100}
	r, err := verify.VerifyFile(path, e, tol)
	var oe *pipeline.OpenError
	if errors.As(err, &oe) {
		return fileError(oe.Path, oe.Err) // 1 for I/O errors, 2 for a file that is not ETL
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	if verifyFlags.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return withCode(exitUsage, err)
		}
	} else {
		r.WriteText(stdout)
	}
	if !r.OK() {
		return withCode(exitMismatch, nil)
	}
	return nil
}
