package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
	"github.com/ipctrace/ipctrace/internal/termsafe"
)

type dumpFlags struct {
	json      bool
	undecoded bool
}

var (
	dumpOpts   dumpFlags
	dumpFormat *formatFlag
)

var dumpCmd = &cobra.Command{
	Use:   "dump [-o text|jsonl] [--undecoded] FILE.etl",
	Short: "Print every record of an .etl file, with decoded fields or raw hex",
	Long: `dump prints one line per record: time (RFC 3339, 100 ns), header kind,
provider or kernel class GUID (and its name when known), event id or opcode,
version, pid, tid, then the decoded fields. Records without a decoder keep
their payload as hex. TraceLogging records show their event name and fields.

-o jsonl (or --json) prints JSON Lines with stable field names:
  {"time","kind","provider","provider_name","id","opcode","version","pid","tid",
   "event","fields","notes","payload_hex","error"}
"fields" uses the JSON names of the decoders package's event types, with
kernel addresses (pointer-sized fields other than sizes and counts) as "0x…"
hex strings, so that JSON tools reading numbers as doubles keep them; "notes"
adds names for codes (FSCTL, NTSTATUS, disposition, path kind; "inferred"
marks docs/rules.md#certainty [I] interpretations).

--undecoded lists instead the event keys that have no decoder, with counts.

Damaged files are read as far as possible; warnings with file offsets go to
stderr. A file from which nothing can be read exits with status 2.`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		dumpOpts.json = dumpFormat.value == "jsonl"
		return runDump(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], dumpOpts)
	},
}

func init() {
	dumpFormat = addFormatFlags(dumpCmd.Flags(), []string{"text", "jsonl"}, "jsonl")
	dumpCmd.Flags().BoolVar(&dumpOpts.undecoded, "undecoded", false, "list the keys that have no decoder and how often they occur")
	rootCmd.AddCommand(dumpCmd)
}

// dumpLine is the JSON form of one record (decoders.Line).
type dumpLine = decoders.Line

func runDump(stdout, stderr io.Writer, path string, opt dumpFlags) error {
	f, meter, closeFile, err := openTrace(path)
	if err != nil {
		return fileError(path, err)
	}
	defer closeFile()
	defer meter.Done()

	w := bufio.NewWriterSize(stdout, 1<<16)
	defer w.Flush()
	p := decoders.NewParser()
	undecoded := map[string]int{}
	records, warnings := 0, 0
	var line dumpLine
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)

	printed := map[string]bool{}
	warn := func(err error) {
		if msg := err.Error(); !printed[msg] {
			printed[msg] = true
			fmt.Fprintf(stderr, "ipctrace: warning: %s: %s\n", termsafe.String(path), termsafe.String(msg))
		}
	}
	for rec, rerr := range f.Records() {
		if rerr != nil {
			warnings++
			warn(rerr)
			continue
		}
		records++
		meter.AddEvents(1)
		if opt.undecoded {
			if _, ok, _ := p.Decode(rec); !ok {
				undecoded[decoders.UndecodedKey(rec)]++
			}
			continue
		}
		p.Line(rec, &line)
		if opt.json {
			if err := enc.Encode(&line); err != nil {
				return withCode(exitUsage, err)
			}
			continue
		}
		writeDumpText(w, &line)
	}
	for _, werr := range f.Warnings() {
		warn(werr)
	}
	if opt.undecoded {
		writeUndecoded(w, undecoded, opt.json)
		if len(undecoded) == 0 && !opt.json {
			fmt.Fprintf(w, "every one of the %d records has a decoder\n", records)
		}
	}
	if err := w.Flush(); err != nil {
		return withCode(exitUsage, err)
	}
	if records == 0 && warnings > 0 {
		return withCode(exitMalformed, fmt.Errorf("%s: no record could be read", termsafe.String(path)))
	}
	return nil
}

func writeUndecoded(w io.Writer, counts map[string]int, asJSON bool) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		name := ""
		if g, err := etw.ParseGUID(k[:36]); err == nil {
			name = decoders.ProviderName(g)
		}
		if asJSON {
			b, _ := json.Marshal(struct {
				Key          string `json:"key"`
				ProviderName string `json:"provider_name,omitempty"`
				Count        int    `json:"count"`
			}{k, name, counts[k]})
			fmt.Fprintf(w, "%s\n", b)
			continue
		}
		fmt.Fprintf(w, "%8d  %s", counts[k], termsafe.String(k))
		if name != "" {
			fmt.Fprintf(w, "  (%s)", termsafe.String(name))
		}
		fmt.Fprintln(w)
	}
}

func writeDumpText(w *bufio.Writer, l *dumpLine) {
	w.WriteString(l.Time)
	w.WriteByte(' ')
	w.WriteString(l.Kind)
	w.WriteByte(' ')
	w.WriteString(l.Provider)
	if l.ProviderName != "" {
		w.WriteString(" (")
		w.WriteString(termsafe.String(l.ProviderName))
		w.WriteByte(')')
	}
	fmt.Fprintf(w, " id=%d op=%d v=%d pid=%s tid=%s", l.ID, l.Opcode, l.Version, pidText(l.PID), pidText(l.TID))
	// Names and fields come from the trace: JSON escapes C0 controls, and
	// termsafe the rest a terminal could obey (C1, DEL, bidi overrides).
	if l.Event != "" {
		w.WriteByte(' ')
		w.WriteString(termsafe.String(l.Event))
		if l.Fields != nil {
			w.WriteByte(' ')
			w.WriteString(termsafe.String(string(l.Fields)))
		}
		if l.Notes != nil {
			if b, err := json.Marshal(l.Notes); err == nil {
				w.WriteString(" notes=")
				w.WriteString(termsafe.String(string(b)))
			}
		}
	}
	if l.Error != "" {
		w.WriteString(" error=")
		w.WriteString(termsafe.String(strconv.Quote(l.Error)))
	}
	if l.PayloadHex != nil {
		w.WriteString(" payload=")
		w.WriteString(*l.PayloadHex)
	}
	w.WriteByte('\n')
}

func pidText(v uint32) string {
	if v == 0xFFFFFFFF {
		return "-1"
	}
	return strconv.FormatUint(uint64(v), 10)
}
