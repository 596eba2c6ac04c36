// Command ipctrace records, analyses and explains Windows IPC: named pipes,
// ALPC/RPC and shared sections. See README.md for a tour of the commands.
//
// Each command lives in its own file (cmd_<name>.go) and registers itself
// with rootCmd in an init function. Commands hold no business logic: they
// parse flags and wire the packages together.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/termsafe"
)

// Exit codes (docs/README.md#contract). They are a public interface: every command
// follows them. With several input files, each file that cannot be read is
// named on stderr, the others are still processed, and the exit code is the
// highest of the failures (1 for a missing file next to a malformed one is
// raised to 2).
const (
	exitOK        = 0
	exitUsage     = 1 // usage or I/O error
	exitMalformed = 2 // malformed input that could not be read at all
	exitStuck     = 3 // --fail-on-stuck found stuck operations
	exitMismatch  = 4 // verify mismatch
)

// exitError carries a specific exit code out of a command's RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code. A nil err with a non-zero
// code exits silently with that code (the command already printed its result).
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

var rootCmd = &cobra.Command{
	Use:   "ipctrace",
	Short: "Trace and diagnose Windows IPC: named pipes, ALPC/RPC and shared sections",
	Long: `ipctrace records ETW traces of Windows inter-process communication and turns
them into conversations: who talks to whom, how much, how fast, what is stuck,
and who is allowed to connect. Analysis commands run on any OS from a .etl file.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// helpWidth is the width flag descriptions in --help are wrapped to, so
// that help fits the 120 columns tables fit.
const helpWidth = 120

func init() {
	// Cobra's template prints each flag's description on one line; wrap
	// them instead (every subcommand inherits the root's template).
	t := strings.ReplaceAll(rootCmd.UsageTemplate(), ".FlagUsages", ".FlagUsagesWrapped "+strconv.Itoa(helpWidth))
	t = strings.ReplaceAll(t, "{{.LocalFlags.FlagUsagesWrapped "+strconv.Itoa(helpWidth)+" |", "{{(.LocalFlags.FlagUsagesWrapped "+strconv.Itoa(helpWidth)+") |")
	t = strings.ReplaceAll(t, "{{.InheritedFlags.FlagUsagesWrapped "+strconv.Itoa(helpWidth)+" |", "{{(.InheritedFlags.FlagUsagesWrapped "+strconv.Itoa(helpWidth)+") |")
	rootCmd.SetUsageTemplate(t)
}

// fileError wraps err from opening or reading path with the exit code the
// contract gives it: 2 when the file could not be read as ETL at all
// (etw.ErrNoHeader, etw.ErrNotETL, *etw.FormatError), 1 for I/O errors such
// as a missing file, a directory or a permission error. The message is
// "FILE: problem", with the path once and terminal-safe.
func fileError(path string, err error) error {
	code := exitUsage
	var fe *etw.FormatError
	if errors.Is(err, etw.ErrNoHeader) || errors.As(err, &fe) {
		code = exitMalformed
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return withCode(code, fmt.Errorf("%s: %w", termsafe.String(path), err))
}

// exitCodeOf is the exit code run would return for err.
func exitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

func main() { os.Exit(run(os.Args[1:])) }

// run executes the command line and returns the process exit code.
func run(args []string) int {
	resetFlags(rootCmd)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "ipctrace:", termsafe.Text(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "ipctrace:", termsafe.Text(err.Error()))
	return exitUsage
}

// resetFlags sets every flag of c and its subcommands back to its default
// and unmarks it as given. A process runs one command, so this changes
// nothing there; it keeps a second run in the same process (the tests run
// many) from inheriting the flags of the first.
func resetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			_ = sv.Replace(nil)
		} else {
			_ = f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, sc := range c.Commands() {
		resetFlags(sc)
	}
}
