package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/synth"
	"github.com/ipctrace/ipctrace/verify"
)

var synthFlags struct {
	out      string
	seed     uint64
	scale    int
	truth    string
	compress bool
	ptr32    bool
	expect   string
}

var synthCmd = &cobra.Command{
	Use:   "synth SCENARIO|--expect FILE.json --out FILE.etl [--seed N] [--scale K] [--truth FILE.json]",
	Short: "Write a synthetic .etl trace of a named IPC scenario or a probe's expectation, with its right answer",
	Long: `synth writes a trace that follows the ETL container format and the event layouts
of docs/events.md, built from a scenario whose right answer is known. --truth writes that
answer as the JSON model the report produces (see package synth for how every number
is defined).

Scenarios: ` + wrapList(synth.Scenarios, helpWidth-len("Scenarios: ")-1) + `.

--scale K multiplies the traffic rounds; the trace is streamed to disk, so memory stays
bounded whatever K is (mixed --scale 13000 gives about 1.1 GB).

--expect FILE.json writes instead the trace a correct recorder would have
written while the probe of that expectation file ran (pipe, section, window and
mailslot probes), so that 'ipctrace verify OUT.etl --expect FILE.json' can be tried
on any OS.

The output file is --out FILE; -o FILE and --output FILE still work for it.`,
	Args: cobra.MaximumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		scenario := ""
		if len(args) == 1 {
			scenario = args[0]
		}
		return runSynth(cmd.OutOrStdout(), scenario)
	},
}

func init() {
	f := synthCmd.Flags()
	f.StringVarP(&synthFlags.out, "out", "o", "", "output .etl file (required; -o is kept for it)")
	f.StringVar(&synthFlags.out, "output", "", "output .etl file (old name of --out)")
	_ = f.MarkHidden("output")
	f.StringVar(&synthFlags.expect, "expect", "", "write the trace of this probe expectation file instead of a scenario")
	f.Uint64Var(&synthFlags.seed, "seed", 1, "seed of the timing jitter")
	f.IntVar(&synthFlags.scale, "scale", 1, "multiply the traffic rounds by K")
	f.StringVar(&synthFlags.truth, "truth", "", "write the right answer (model.Model JSON) to this file")
	f.BoolVar(&synthFlags.compress, "compress", false, "write XPRESS-compressed buffers")
	f.BoolVar(&synthFlags.ptr32, "ptr32", false, "write a 32-bit trace (4-byte pointers)")
	rootCmd.AddCommand(synthCmd)
}

func runSynth(stdout io.Writer, scenario string) error {
	if synthFlags.scale < 1 {
		return withCode(exitUsage, fmt.Errorf("--scale must be >= 1"))
	}
	if synthFlags.out == "" {
		return withCode(exitUsage, errors.New("synth: --out FILE.etl is required"))
	}
	if (scenario == "") == (synthFlags.expect == "") {
		return withCode(exitUsage, fmt.Errorf("synth: give a SCENARIO or --expect FILE.json, not both or neither (scenarios: %s)", strings.Join(synth.Scenarios, ", ")))
	}
	if synthFlags.expect != "" {
		return runSynthExpect(stdout)
	}
	if !slices.Contains(synth.Scenarios, scenario) {
		return withCode(exitUsage, fmt.Errorf("synth: unknown scenario %q (known: %s)", termsafe.String(scenario), strings.Join(synth.Scenarios, ", ")))
	}
	out, err := os.Create(synthFlags.out)
	if err != nil {
		return withCode(exitUsage, err)
	}
	opts := synth.Options{Seed: synthFlags.seed, Scale: synthFlags.scale,
		Writer: etw.WriterOptions{Compress: synthFlags.compress, LogFileName: filepath.Base(synthFlags.out)}}
	if synthFlags.ptr32 {
		opts.Writer.PointerSize = 4
	}
	truth, _, err := synth.Generate(scenario, out, opts)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(synthFlags.out)
		return withCode(exitUsage, err)
	}
	if synthFlags.truth != "" {
		b, err := json.MarshalIndent(truth, "", "  ")
		if err != nil {
			return withCode(exitUsage, err)
		}
		if err := os.WriteFile(synthFlags.truth, append(b, '\n'), 0o644); err != nil {
			return withCode(exitUsage, err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s: scenario %s, seed %d, scale %d%s\n", synthFlags.out, scenario, synthFlags.seed, synthFlags.scale, sizeNote(synthFlags.out))
	if synthFlags.truth != "" {
		fmt.Fprintf(stdout, "wrote %s: the right answer\n", synthFlags.truth)
	}
	return nil
}

// runSynthExpect writes the trace of a probe expectation file.
func runSynthExpect(stdout io.Writer) error {
	e, err := verify.LoadExpectation(synthFlags.expect)
	if err != nil {
		return withCode(exitUsage, err)
	}
	out, err := os.Create(synthFlags.out)
	if err != nil {
		return withCode(exitUsage, err)
	}
	err = verify.SynthTrace(out, e, verify.SynthOptions{Seed: synthFlags.seed})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(synthFlags.out)
		return withCode(exitUsage, fmt.Errorf("synth --expect %s: %w", synthFlags.expect, err))
	}
	fmt.Fprintf(stdout, "wrote %s: the trace of probe %s %s%s\n", synthFlags.out, e.Kind, e.ID, sizeNote(synthFlags.out))
	fmt.Fprintf(stdout, "check it with: ipctrace verify %s --expect %s\n", synthFlags.out, synthFlags.expect)
	return nil
}

// sizeNote is ", N bytes" for the file at path, or "".
func sizeNote(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(", %d bytes", st.Size())
}

// wrapList joins items with ", ", breaking lines before width columns;
// continuation lines are indented to line up after "Scenarios: ".
func wrapList(items []string, width int) string {
	var b strings.Builder
	col := 0
	for i, it := range items {
		if i > 0 {
			b.WriteString(",")
			col++
			if col+1+len(it) > width {
				b.WriteString("\n" + strings.Repeat(" ", len("Scenarios: ")))
				col = 0
			} else {
				b.WriteString(" ")
				col++
			}
		}
		b.WriteString(it)
		col += len(it)
	}
	return b.String()
}
