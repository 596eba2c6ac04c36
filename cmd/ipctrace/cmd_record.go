package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// recordFlags are the flags of `ipctrace record` (docs/README.md#contract).
type recordFlags struct {
	output     string
	duration   time.Duration
	pipes      bool
	alpc       bool
	sections   bool
	rpc        bool
	security   bool
	ring       string
	maxSize    string
	snapshot   bool
	session    string
	classic    bool
	handles    bool
	handlesRaw bool
	noRundown  bool
	messages   bool
	com        bool
	probe      string
	probeCount int
	probeSize  int
	probeMode  string
	clients    int
	transact   bool
	expect     string
}

var recordOpts recordFlags

var recordCmd = &cobra.Command{
	Use:   "record --out FILE.etl [--duration D] [--pipes] [--alpc] [--sections] [--rpc] [--messages] [--com]",
	Short: "Record IPC activity into an .etl file (Windows, elevated)",
	Long: `record starts a private ETW system-logger session named ipctrace-<pid> (never the
shared "NT Kernel Logger" unless --classic), with the kernel FileIo, FileIoInit,
DiskFileIo, ALPC, VaMap, Process, Thread and Image flags and the
Microsoft-Windows-Kernel-File and Microsoft-Windows-RPC providers, and writes it to
FILE.etl. --pipes, --alpc, --sections and --rpc narrow what is enabled (default: all).

It stops on Ctrl-C, console close, after --duration, when the file reaches
--max-size (4G unless given; --max-size 0 removes the limit), or when the session
is stopped from outside (the file is kept), and always stops its session. A
session left behind by a killed ipctrace is stopped by the next record or watch,
or by hand with "logman stop ipctrace-PID -ets".

--ring SIZE keeps only the last SIZE (circular file); the file holds the ring when
the recording stops, and "ipctrace record --snapshot" flushes a running ring to disk.
--security writes one SecuritySnapshot event per named pipe, named section and
ALPC port at start and stop (pipes are read through duplicated handles, never
by connecting to them). --probe runs a reference probe inside the recording and
writes its expectation file for "ipctrace verify".

Sizes: a number with K, M or G (binary units, optional B); a bare number is MB.`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		return runRecord(cmd, &recordOpts)
	},
}

func init() {
	f := recordCmd.Flags()
	o := &recordOpts
	f.StringVarP(&o.output, "out", "o", "", "the .etl file to write")
	f.StringVar(&o.output, "output", "", "same as --out")
	_ = f.MarkHidden("output")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until Ctrl-C)")
	f.BoolVar(&o.pipes, "pipes", false, "named pipes: FileIo kernel events and Microsoft-Windows-Kernel-File")
	f.BoolVar(&o.alpc, "alpc", false, "ALPC kernel events")
	f.BoolVar(&o.sections, "sections", false, "sections: MapFile (VaMap) kernel events")
	f.BoolVar(&o.rpc, "rpc", false, "Microsoft-Windows-RPC events")
	f.BoolVar(&o.messages, "messages", false, "window messages and hung pumps: Microsoft-Windows-Win32k MessagePump and UIUnresponsiveness (chatty: thousands of events/s on a desktop; off by default)")
	f.BoolVar(&o.com, "com", false, "COM call and modal-loop delays: Microsoft-Windows-COMRuntime (keywords 0x3)")
	f.BoolVar(&o.security, "security", false, "write security-descriptor snapshots of pipes, sections and ALPC ports at start and stop")
	f.StringVar(&o.ring, "ring", "", "circular file: keep only the last SIZE")
	f.StringVar(&o.maxSize, "max-size", "", "stop when the file reaches SIZE (default 4G; 0: no limit)")
	f.BoolVar(&o.snapshot, "snapshot", false, "flush a running --ring recording to its file and exit")
	f.StringVar(&o.session, "session", "", "with --snapshot: the session name (default: the only running ipctrace ring session)")
	f.BoolVar(&o.classic, "classic", false, "use the shared NT Kernel Logger session (no Kernel-File/RPC providers)")
	f.BoolVar(&o.handles, "handles", false, "also record Object handle events (group mask PERF_OB_HANDLE)")
	f.BoolVar(&o.handlesRaw, "handles-raw-mask", false, "like --handles, storing 0x80000040 in Masks[4] (docs/rules.md C8)")
	f.BoolVar(&o.noRundown, "no-start-rundown", false, "skip the file-name rundown at start")
	f.StringVar(&o.probe, "probe", "", "run a reference probe (pipe, section, rpc, window or mailslot) inside the recording")
	f.IntVar(&o.probeCount, "count", 100, "with --probe: exchanges, messages or calls")
	f.IntVar(&o.probeSize, "size", 4096, "with --probe: bytes per message")
	f.StringVar(&o.probeMode, "mode", "", "with --probe pipe: byte or message")
	f.IntVar(&o.clients, "clients", 1, "with --probe pipe: client processes")
	f.BoolVar(&o.transact, "transact", false, "with --probe pipe: clients use TransactNamedPipe (needs --mode message)")
	f.StringVar(&o.expect, "expect", "", "with --probe: expectation file to write (default FILE.expect.json)")
	rootCmd.AddCommand(recordCmd)
}

// ErrBadSize is returned by parseSize.
var errBadSize = errors.New("invalid size")

// parseSize parses "256MB", "1G", "512k", "64" (MB) into bytes.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "IB")
	t = strings.TrimSuffix(t, "B")
	mult := int64(1 << 20)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%w %q: want a positive number with K, M or G", errBadSize, s)
	}
	return n * mult, nil
}

// sizeMB rounds bytes up to whole MB (EVENT_TRACE_PROPERTIES.MaximumFileSize).
func sizeMB(n int64) uint32 {
	mb := (n + (1<<20 - 1)) >> 20
	if mb > 0xFFFFFFFF {
		mb = 0xFFFFFFFF
	}
	return uint32(mb)
}

// defaultMaxBytes limits a sequential file when --max-size is not given, so
// that a session left behind cannot fill the disk (docs/WINDOWS.md).
const defaultMaxBytes int64 = 4 << 30

// maxBytes is the file limit in bytes: --max-size, the default, or 0 for
// none (--max-size 0, or a ring, whose size is --ring).
func (o *recordFlags) maxBytes() int64 {
	if o.ring != "" {
		return 0
	}
	if o.maxSize == "" {
		return defaultMaxBytes
	}
	if isZeroSize(o.maxSize) {
		return 0
	}
	n, _ := parseSize(o.maxSize)
	return n
}

// isZeroSize reports "0" (with an optional unit): no limit.
func isZeroSize(s string) bool {
	t := strings.TrimRight(strings.ToUpper(strings.TrimSpace(s)), "KMGIB")
	return t == "0"
}

// validate checks flag combinations that do not need Windows.
func (o *recordFlags) validate() error {
	if o.snapshot {
		return nil
	}
	if o.output == "" {
		return withCode(exitUsage, errors.New("record: -o FILE.etl is required"))
	}
	if o.ring != "" && o.maxSize != "" {
		return withCode(exitUsage, errors.New("record: --ring and --max-size exclude each other"))
	}
	for _, s := range []string{o.ring, o.maxSize} {
		if s != "" && !(s == o.maxSize && isZeroSize(s)) {
			if _, err := parseSize(s); err != nil {
				return withCode(exitUsage, fmt.Errorf("record: %w", err))
			}
		}
	}
	switch o.probe {
	case "", "pipe", "section", "rpc", "mailslot":
	case "window":
		if !o.messages {
			return withCode(exitUsage, errors.New("record: --probe window needs --messages (its traffic is in the Win32k events)"))
		}
	default:
		return withCode(exitUsage, fmt.Errorf("record: --probe %q: want pipe, section, rpc, window or mailslot", o.probe))
	}
	if o.probe == "mailslot" && !o.pipes && (o.alpc || o.sections || o.rpc) {
		return withCode(exitUsage, errors.New("record: --probe mailslot needs --pipes (mailslot I/O is in the FileIo events)"))
	}
	if o.duration < 0 {
		return withCode(exitUsage, errors.New("record: --duration must be positive"))
	}
	return nil
}
