package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/internal/termsize"
	"github.com/ipctrace/ipctrace/internal/texttable"
)

var (
	statsJSON   bool
	statsFormat *formatFlag
)

var statsCmd = &cobra.Command{
	Use:   "stats [-o text|json] FILE.etl...",
	Short: "Print container facts of .etl files: event counts, header kinds, clock, loss",
	Long: `stats reads each .etl file and prints its container facts: the event total,
counts by event key (provider|event|id|op|v, class|sys|grp|op|v, GUID|classic|type|v,
GUID|message|id), header kinds, extended data item types, pointer size, OS version,
clock, compression, lost events and buffers, and the first/last/min/max timestamps.

Damaged files are read as far as possible; every skipped byte range is named on
stderr. A file that cannot be read at all exits with status 2.`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		statsJSON = statsFormat.value == "json"
		return runStats(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, statsJSON)
	},
}

func init() {
	statsFormat = addFormatFlags(statsCmd.Flags(), []string{"text", "json"}, "json")
	rootCmd.AddCommand(statsCmd)
}

// fileStats is the JSON form of one file's stats.
type fileStats struct {
	File string `json:"file"`
	*etw.Stats
}

func runStats(stdout, stderr io.Writer, paths []string, asJSON bool) error {
	var all []fileStats
	code := exitOK
	for _, p := range paths {
		st, err := statsOf(p)
		if err != nil {
			// Unreadable as a trace: exit 2; I/O errors (missing file): exit 1.
			// The other files are still read (main.go: exit codes).
			ferr := fileError(p, err)
			code = max(code, exitCodeOf(ferr))
			fmt.Fprintf(stderr, "ipctrace: %s\n", termsafe.Text(ferr.Error()))
			continue
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(stderr, "ipctrace: warning: %s: %s\n", termsafe.String(p), termsafe.String(w))
		}
		all = append(all, fileStats{File: p, Stats: st})
		if !asJSON {
			printStats(stdout, p, st)
		}
	}
	if asJSON && len(all) > 0 {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var v any = all
		if len(all) == 1 {
			v = all[0]
		}
		if err := enc.Encode(v); err != nil {
			return withCode(exitUsage, err)
		}
	}
	if code != exitOK {
		return withCode(code, nil)
	}
	return nil
}

func statsOf(path string) (*etw.Stats, error) {
	f, meter, closeFile, err := openTrace(path)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	defer meter.Done()
	return etw.ComputeStats(f, etw.Parallel(0))
}

func printStats(w io.Writer, path string, st *etw.Stats) {
	fmt.Fprintf(w, "%s\n", termsafe.String(path))
	kv := [][2]string{
		{"events", strconv.Itoa(st.Events)},
		{"os version", st.OSVersion},
		{"pointer size", strconv.Itoa(int(st.PointerSize))},
		{"clock", st.Clock},
		{"compressed", compressedText(st)},
		{"buffers", fmt.Sprintf("%d (%d compressed)", st.Buffers, st.CompressedBuffers)},
		{"events lost", strconv.FormatUint(uint64(st.EventsLost), 10)},
		{"buffers lost", strconv.FormatUint(uint64(st.BuffersLost), 10)},
		{"lossy buffers", strconv.Itoa(len(st.LossyBuffers))},
		{"first", st.First},
		{"last", st.Last},
		{"min", st.Min},
		{"max", st.Max},
		{"logger", st.LoggerName},
	}
	for _, p := range kv {
		if p[1] == "" {
			continue // e.g. a logger without a name: no empty line
		}
		fmt.Fprintf(w, "  %-14s %s\n", p[0]+":", termsafe.String(p[1]))
	}
	for _, lb := range st.LossyBuffers {
		fmt.Fprintf(w, "  lossy buffer at %#x seq %d cpu %d events_lost=%v buffer_lost=%v\n", lb.Off, lb.SequenceNumber, lb.Processor, lb.EventsLost, lb.BufferLost)
	}
	fmt.Fprintln(w)
	width := outputWidth(w)
	printCounts(w, width, "Header kind", "Records", st.HeaderKinds, false)
	if len(st.ExtTypes) > 0 {
		printCounts(w, width, "Extended item", "Items", st.ExtTypes, false)
	}
	printCounts(w, width, "Key", "Events", st.Counts, true)
}

// outputWidth is the width to fit tables to on w: the terminal's (or
// $COLUMNS) when w is a file, else termsize.Default.
func outputWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		return termsize.Columns(f)
	}
	return termsize.Default
}

func compressedText(st *etw.Stats) string {
	if !st.Compressed {
		return "no"
	}
	return "yes (" + st.CompressionFormat + ")"
}

// printCounts prints a table of counts sorted by count (descending), then
// key, in the table style of internal/texttable. With providers, a column
// names the key's provider the way dump does.
func printCounts(w io.Writer, width int, head, countHead string, m map[string]int, providers bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	cols := []texttable.Column{{Head: countHead, Right: true}, {Head: head, Shrink: 24}}
	if providers {
		cols = append(cols, texttable.Column{Head: "Provider", Shrink: 12, Priority: 1})
	}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		row := []string{strconv.Itoa(m[k]), termsafe.String(k)}
		if providers {
			row = append(row, keyProviderName(k))
		}
		rows = append(rows, row)
	}
	texttable.Render(w, cols, rows, width)
	fmt.Fprintln(w)
}

// keyProviderName names the provider whose GUID starts a stats key, or "".
func keyProviderName(key string) string {
	if len(key) < 36 {
		return ""
	}
	g, err := etw.ParseGUID(key[:36])
	if err != nil {
		return ""
	}
	return decoders.ProviderName(g)
}
