package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// The output convention shared by every command (README "Output"):
//
//   - -o/--format FORMAT chooses the output format. "text" is the human
//     form (report also calls it "table"; both words work everywhere);
//     json, jsonl, html and perfetto where a command has them. The older
//     --json stays as an alias of -o json (dump: -o jsonl).
//   - --out FILE names an output file (synth's and record's trace). synth
//     still takes -o FILE and --output FILE as deprecated aliases.

// formatFlag is the value of -o/--format: one of a command's formats.
type formatFlag struct {
	value   string
	allowed []string // first is the default; "text" implies "table"
}

func (f *formatFlag) String() string { return f.value }
func (f *formatFlag) Type() string   { return "format" }
func (f *formatFlag) Set(s string) error {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "table" && slices.Contains(f.allowed, "text") {
		s = "text"
	}
	if s == "text" && slices.Contains(f.allowed, "table") {
		s = "table"
	}
	if !slices.Contains(f.allowed, s) {
		return fmt.Errorf("unknown format %q (want %s)", s, strings.Join(f.allowed, ", "))
	}
	f.value = s
	return nil
}

// jsonAlias is a --json bool flag that sets a formatFlag.
type jsonAlias struct {
	f  *formatFlag
	to string
}

func (j *jsonAlias) String() string   { return fmt.Sprint(j.f != nil && j.f.value == j.to) }
func (j *jsonAlias) Type() string     { return "bool" }
func (j *jsonAlias) IsBoolFlag() bool { return true }
func (j *jsonAlias) Set(s string) error {
	switch s {
	case "true":
		j.f.value = j.to
	case "false":
	default:
		return fmt.Errorf("--json takes no value")
	}
	return nil
}

// addFormatFlags defines -o/--format with the given formats (the first is
// the default) and, when jsonTo is not "", --json as an alias of -o jsonTo.
func addFormatFlags(fs *pflag.FlagSet, allowed []string, jsonTo string) *formatFlag {
	f := &formatFlag{value: allowed[0], allowed: allowed}
	fs.VarP(f, "format", "o", "output format: "+strings.Join(allowed, ", "))
	if jsonTo != "" {
		fl := fs.VarPF(&jsonAlias{f: f, to: jsonTo}, "json", "", "same as -o "+jsonTo)
		fl.NoOptDefVal = "true"
	}
	return f
}

// parsePIDs reads the --pid values of cmd (report, watch): decimal
// process ids, given repeated or comma-separated.
func parsePIDs(cmd string, vals []string) ([]uint32, error) {
	var out []uint32
	for _, s := range vals {
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: --pid %q: not a process id", cmd, s))
		}
		out = append(out, uint32(v))
	}
	return out, nil
}
