package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipctrace/ipctrace/model"

	"github.com/spf13/cobra"

	ipctrace "github.com/ipctrace/ipctrace"
	"github.com/ipctrace/ipctrace/correlate"
	"github.com/ipctrace/ipctrace/decoders/rpcif"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/internal/termsize"
	"github.com/ipctrace/ipctrace/pipeline"
	"github.com/ipctrace/ipctrace/report"
)

// reportFlags are the flags of `ipctrace report`.
type reportFlags struct {
	output      string
	pids        []string
	process     string
	pipe        string
	since       string
	until       string
	stuckAfter  time.Duration
	failOnStuck bool
	interfaces  string // --interfaces: UUID → name file
	wide        bool
	asJSON      bool   // --json: alias of -o json
	out         string // -o parquet: the dataset's directory
	machine     string // -o parquet: machine name of files without one
}

var reportOpts reportFlags

var reportCmd = &cobra.Command{
	Use:   "report [FILE.etl...]",
	Short: "Analyse IPC: pipe, ALPC/RPC and section conversations, latency, stuck operations, exposure",
	Long: `report reads .etl files and turns their events into conversations: named-pipe
clients paired with servers, ALPC requests with replies, RPC methods, shared
sections; with bytes, operation counts and latency per conversation, the
operations still waiting at the end of the trace (and deadlocks between them),
loss windows, and the security descriptors captured by 'record --security'.

Several files are merged in time order. Without FILE, the embedded demo trace
is reported. Values inferred from timing rules are marked.

Exit status: 0 success, 1 usage or I/O error, 2 no file could be read at all,
3 with --fail-on-stuck when stuck operations exist.`,
	RunE: func(cmd *cobra.Command, args []string) error {
		return runReport(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, reportOpts)
	},
}

func init() {
	f := reportCmd.Flags()
	f.StringVarP(&reportOpts.output, "format", "o", "table", "output format: table (or text), json, jsonl, perfetto (a trace for ui.perfetto.dev: redirect it to a file), html (one self-contained page) or parquet (a dataset of tables in the --out directory, docs/parquet.md)")
	f.StringVar(&reportOpts.out, "out", "", "-o parquet: the directory to write the tables to (created when missing; its table files are replaced)")
	f.StringVar(&reportOpts.machine, "machine", "", "-o parquet: machine name for files whose trace records no computer name (default: the file's base name)")
	f.StringVar(&reportOpts.output, "output", "table", "old name of --format")
	_ = f.MarkHidden("output")
	f.BoolVar(&reportOpts.asJSON, "json", false, "same as -o json")
	f.StringSliceVar(&reportOpts.pids, "pid", nil, "only results involving these process ids (repeat or comma-separate)")
	f.StringVar(&reportOpts.process, "process", "", "only results involving processes with this image name (e.g. svchost.exe)")
	f.StringVar(&reportOpts.pipe, "pipe", "", `only pipes whose name matches this glob, as shown (\\.\pipe\lsass*) or bare (lsass*), case-insensitive; ALPC, RPC over ALPC and sections are then left out`)
	f.StringVar(&reportOpts.since, "since", "", "only traffic from this time on (RFC 3339, or an offset from the trace start such as 2s): conversations opened earlier are kept with their traffic inside the window")
	f.StringVar(&reportOpts.until, "until", "", "only traffic up to this time (RFC 3339, or an offset from the trace start); stuck means still waiting at this time")
	f.DurationVar(&reportOpts.stuckAfter, "stuck-after", time.Second, "report owed waits (someone waits for an answer) open or lasting longer than this; 0: every owed wait still open at the end. Idle servers are listed apart, never as stuck")
	f.BoolVar(&reportOpts.failOnStuck, "fail-on-stuck", false, "exit with status 3 when stuck operations are found")
	f.StringVar(&reportOpts.interfaces, "interfaces", "", "name RPC and COM interfaces from this file (one \"UUID NAME [com] [OPNUM=METHOD ...]\" a line), beside the built-in well-known ones")
	f.BoolVarP(&reportOpts.wide, "wide", "v", false, "table: every column at full width (default: fit the terminal, $COLUMNS, or 120 columns)")
	rootCmd.AddCommand(reportCmd)
}

func runReport(stdout, stderr io.Writer, paths []string, fl reportFlags) error {
	if fl.asJSON {
		fl.output = "json"
	}
	if fl.output == "text" {
		fl.output = "table" // the human form is "text" in the other commands
	}
	switch fl.output {
	case "table", "json", "jsonl", "perfetto", "html", "parquet":
	default:
		return withCode(exitUsage, fmt.Errorf("report: unknown output format %q (table, json, jsonl, perfetto, html, parquet)", fl.output))
	}
	if fl.output == "parquet" {
		if err := checkParquetFlags(paths, fl); err != nil {
			return err
		}
	} else if fl.out != "" || fl.machine != "" {
		return withCode(exitUsage, errors.New("report: --out and --machine go with -o parquet; other formats write to stdout"))
	}
	if fl.output == "perfetto" && writesToTerminal(stdout) {
		return withCode(exitUsage, errors.New("report: -o perfetto writes a binary trace: redirect it to a file (ipctrace report -o perfetto FILE.etl > trace.pftrace) and open that at ui.perfetto.dev"))
	}
	if fl.stuckAfter < 0 {
		return withCode(exitUsage, fmt.Errorf("report: --stuck-after %v: must not be negative", fl.stuckAfter))
	}
	if fl.pipe != "" {
		if err := correlate.CheckPipePattern(fl.pipe); err != nil {
			return withCode(exitUsage, fmt.Errorf("report: --pipe: %w", err))
		}
	}
	for _, v := range []struct{ name, s string }{{"--since", fl.since}, {"--until", fl.until}} {
		if d, err := time.ParseDuration(v.s); err == nil && d < 0 {
			return withCode(exitUsage, fmt.Errorf("report: %s %s: an offset from the trace start must not be negative", v.name, v.s))
		}
	}
	opt := correlate.Options{StuckAfter: fl.stuckAfter, Process: fl.process, PipeGlob: fl.pipe,
		Timeline: fl.output == "perfetto" || fl.output == "html"}
	pids, err := parsePIDs("report", fl.pids)
	if err != nil {
		return err
	}
	opt.PIDs = pids
	if fl.interfaces != "" {
		t := rpcif.New()
		if err := t.LoadFile(fl.interfaces); err != nil {
			return withCode(exitUsage, fmt.Errorf("report: --interfaces: %w", err))
		}
		opt.Interfaces = t
	}

	// --since/--until offsets need the trace start: read it from the first file.
	var start time.Time
	needStart := isOffset(fl.since) || isOffset(fl.until)
	if needStart {
		st, err := traceStart(paths)
		if err != nil {
			return withCode(exitMalformed, err)
		}
		start = st
	}
	if opt.Since, err = parseWhen(fl.since, start); err != nil {
		return withCode(exitUsage, fmt.Errorf("report: --since: %w", err))
	}
	if opt.Until, err = parseWhen(fl.until, start); err != nil {
		return withCode(exitUsage, fmt.Errorf("report: --until: %w", err))
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && opt.Until.Before(opt.Since) {
		return withCode(exitUsage, fmt.Errorf("report: --until %s is before --since %s", fl.until, fl.since))
	}

	if fl.output == "parquet" {
		return runParquet(stdout, stderr, paths, fl, opt)
	}
	var m *model.Model
	if len(paths) == 0 {
		m, err = correlate.AnalyzeReader("demo.etl (embedded demo trace)", bytes.NewReader(ipctrace.Demo), int64(len(ipctrace.Demo)), opt)
	} else {
		m, err = analyzePaths(paths, opt)
	}
	var oe *pipeline.OpenError
	if err != nil && len(paths) == 1 && errors.As(err, &oe) {
		return fileError(oe.Path, oe.Err) // FILE: problem; 1 for I/O, 2 for not ETL
	}
	if err != nil {
		code := exitUsage
		var fe *etw.FormatError
		if errors.As(err, &fe) || errors.Is(err, etw.ErrNoHeader) {
			code = exitMalformed
		}
		return withCode(code, err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(stderr, "ipctrace: warning: %s\n", termsafe.String(w))
	}
	switch fl.output {
	case "json":
		err = report.JSON(stdout, m)
	case "jsonl":
		err = report.JSONL(stdout, m)
	case "perfetto":
		if err = report.Perfetto(stdout, m); err == nil && len(m.Timeline) == 0 {
			fmt.Fprintf(stderr, "ipctrace: the Perfetto timeline is empty (0 bytes written): none of the %d events is a pipe, ALPC or RPC operation to draw\n", m.Trace.Events)
		}
	case "html":
		err = report.HTML(stdout, m, report.TableOptions{})
	default:
		err = report.Table(stdout, m, report.TableOptions{Width: reportWidth(stdout), Wide: fl.wide})
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	// Files that could not be read next to ones that could: the report of
	// the readable ones is printed, each other file is a warning above, and
	// the exit code is the highest of theirs (main.go: exit codes).
	code := unreadableCode(paths)
	if fl.failOnStuck && len(m.Stuck) > 0 {
		fmt.Fprintf(stderr, "ipctrace: %d stuck operations\n", len(m.Stuck))
		code = max(code, exitStuck)
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

// isOffset reports whether s is a duration (an offset from the trace start).
func isOffset(s string) bool {
	if s == "" {
		return false
	}
	_, err := time.ParseDuration(s)
	return err == nil
}

// parseWhen parses an RFC 3339 time or an offset from start.
func parseWhen(s string, start time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return start.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t, nil
}

// traceStart is the start time of the first readable file (or of the demo).
func traceStart(paths []string) (time.Time, error) {
	if len(paths) == 0 {
		f, err := etw.NewFile(bytes.NewReader(ipctrace.Demo), int64(len(ipctrace.Demo)))
		if err != nil {
			return time.Time{}, err
		}
		return etw.FiletimeToTime(f.Header().StartTime), nil
	}
	var errs []error
	for _, p := range paths {
		f, err := etw.Open(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st := f.Header().StartTime
		f.Close()
		return etw.FiletimeToTime(st), nil
	}
	return time.Time{}, errors.Join(errs...)
}

// writesToTerminal reports whether w is a terminal; tests replace it.
var writesToTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && termsize.IsTerminal(f)
}

// reportWidth is the width the table report fits: $COLUMNS, else the
// terminal's width, else 120 (also for writers that are not files).
func reportWidth(w io.Writer) int {
	f, _ := w.(*os.File)
	return termsize.Columns(f)
}
