package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/etw"
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
			var fe *etw.FormatError
			if errors.As(err, &fe) || errors.Is(err, etw.ErrNoHeader) {
				code = max(code, exitMalformed)
			} else {
				code = max(code, exitUsage)
			}
			fmt.Fprintf(stderr, "ipctrace: %s: %v\n", p, err)
			continue
		}
		for _, w := range st.Warnings {
			fmt.Fprintf(stderr, "ipctrace: warning: %s: %s\n", p, w)
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
	f, err := etw.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return etw.ComputeStats(f, etw.Parallel(0))
}

func printStats(w io.Writer, path string, st *etw.Stats) {
	fmt.Fprintf(w, "%s\n", path)
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
		fmt.Fprintf(w, "  %-14s %s\n", p[0]+":", p[1])
	}
	for _, lb := range st.LossyBuffers {
		fmt.Fprintf(w, "  lossy buffer at %#x seq %d cpu %d events_lost=%v buffer_lost=%v\n", lb.Off, lb.SequenceNumber, lb.Processor, lb.EventsLost, lb.BufferLost)
	}
	fmt.Fprintln(w)
	printCounts(w, []string{"header kind", "records"}, st.HeaderKinds)
	if len(st.ExtTypes) > 0 {
		printCounts(w, []string{"extended item", "items"}, st.ExtTypes)
	}
	printCounts(w, []string{"key", "events"}, st.Counts)
}

func compressedText(st *etw.Stats) string {
	if !st.Compressed {
		return "no"
	}
	return "yes (" + st.CompressionFormat + ")"
}

// printCounts prints a two-column table sorted by count (descending), then key.
func printCounts(w io.Writer, header []string, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	table := tablewriter.NewTable(w)
	table.Header(header)
	for _, k := range keys {
		table.Append([]string{k, strconv.Itoa(m[k])})
	}
	table.Render()
	fmt.Fprintln(w)
}
