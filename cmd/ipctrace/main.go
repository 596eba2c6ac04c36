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
	"os"

	"github.com/spf13/cobra"
)

// Exit codes (DESIGN.md §2).
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

func main() { os.Exit(run(os.Args[1:])) }

// run executes the command line and returns the process exit code.
func run(args []string) int {
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "ipctrace:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "ipctrace:", err)
	return exitUsage
}
