package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/synth"
)

var synthFlags struct {
	out      string
	seed     uint64
	scale    int
	truth    string
	compress bool
	ptr32    bool
}

var synthCmd = &cobra.Command{
	Use:   "synth SCENARIO -o FILE.etl [--seed N] [--scale K] [--truth FILE.json] [--compress]",
	Short: "Write a synthetic .etl trace of a named IPC scenario, with its known right answer",
	Long: `synth writes a trace that follows the ETL container format and the event layouts
of EVENTS.md, built from a scenario whose right answer is known. --truth writes that
answer as the JSON model the report produces (see package synth for how every number
is defined).

Scenarios: ` + strings.Join(synth.Scenarios, ", ") + `.

--scale K multiplies the traffic rounds; the trace is streamed to disk, so memory stays
bounded whatever K is (mixed --scale 13000 gives about 1.1 GB).`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		return runSynth(cmd.ErrOrStderr(), args[0])
	},
}

func init() {
	f := synthCmd.Flags()
	f.StringVarP(&synthFlags.out, "output", "o", "", "output .etl file (required)")
	f.Uint64Var(&synthFlags.seed, "seed", 1, "seed of the timing jitter")
	f.IntVar(&synthFlags.scale, "scale", 1, "multiply the traffic rounds by K")
	f.StringVar(&synthFlags.truth, "truth", "", "write the right answer (model.Model JSON) to this file")
	f.BoolVar(&synthFlags.compress, "compress", false, "write XPRESS-compressed buffers")
	f.BoolVar(&synthFlags.ptr32, "ptr32", false, "write a 32-bit trace (4-byte pointers)")
	_ = synthCmd.MarkFlagRequired("output")
	rootCmd.AddCommand(synthCmd)
}

func runSynth(stderr io.Writer, scenario string) error {
	if synthFlags.scale < 1 {
		return withCode(exitUsage, fmt.Errorf("--scale must be >= 1"))
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
	return nil
}
