package live

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ipctrace/ipctrace/decoders"
	"github.com/ipctrace/ipctrace/etw"
)

// SessionPrefix starts the name of every session ipctrace creates; the
// rest is the decimal PID of the controlling process (docs/recording.md#sessions).
const SessionPrefix = "ipctrace-"

// ClassicSessionName is the one NT Kernel Logger session (KERNEL_LOGGER_NAMEW).
const ClassicSessionName = "NT Kernel Logger"

// SessionName returns "ipctrace-<pid>".
func SessionName(pid int) string { return SessionPrefix + strconv.Itoa(pid) }

// SessionPID returns the PID encoded in an ipctrace session name.
func SessionPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, SessionPrefix)
	if !ok || rest == "" || len(rest) > 10 {
		return 0, false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return 0, false
		}
	}
	pid, err := strconv.Atoi(rest)
	return pid, err == nil
}

// Options selects what a recording enables. With none of Pipes, ALPC,
// Sections and RPC set, all four are enabled.
type Options struct {
	Pipes, ALPC, Sections, RPC bool

	// Handles adds the Object handle events (Masks[4] |= 0x40, docs/recording.md#group-masks);
	// HandlesRawMask stores 0x80000040 instead (checklist C8).
	Handles, HandlesRawMask bool

	// NoStartRundown skips the KernelRundownGuid file-name rundown at start.
	NoStartRundown bool

	// Classic uses the NT Kernel Logger instead of a private system logger
	// (no manifest providers in that session, docs/recording.md#sessions).
	Classic bool

	// Messages adds Microsoft-Windows-Win32k with the MessagePump and
	// UIUnresponsiveness keywords (window messages, hung pumps); COM adds
	// Microsoft-Windows-COMRuntime (call and modal-loop delays). Both are
	// off unless asked for: MessagePump is chatty. Neither changes the
	// default of enabling all four kernel classes.
	Messages, COM bool
}

// Provider is one EnableTraceEx2 call (docs/recording.md#call-sequence, step 5).
type Provider struct {
	Name     string
	GUID     etw.GUID
	Level    uint8
	MatchAny uint64
	MatchAll uint64
	// Rundown marks a provider enabled only to trigger a rundown.
	Rundown bool
}

// Plan is what a session enables: kernel flags and group masks, and the
// providers enabled into the same session.
type Plan struct {
	EnableFlags uint32
	Masks       GroupMask
	Providers   []Provider
}

// Provider keyword masks (docs/events.md#kernel-file, docs/events.md#rpc, docs/recording.md#rundown).
const (
	kernelFileKeywords    uint64 = 0x3F0 // FILENAME|FILEIO|OP_END|CREATE|READ|WRITE
	rpcKeywords           uint64 = 0xFFFFFFFFFFFFFFFF
	kernelRundownKeywords uint64 = 0x10 // file-name rundown (FileRundown 36)
	win32kKeywords        uint64 = decoders.Win32kKeywordMessagePump | decoders.Win32kKeywordUIUnresponsiveness
	comKeywords           uint64 = 0x3 // ComCallDelay and CliModalLoopDelay (docs/events.md#com)
)

// Provider names used in messages.
const (
	kernelFileName    = "Microsoft-Windows-Kernel-File"
	rpcName           = "Microsoft-Windows-RPC"
	kernelRundownName = "KernelRundown (file names)"
	win32kName        = "Microsoft-Windows-Win32k"
	comName           = "Microsoft-Windows-COMRuntime"
)

// makePlan computes the kernel flags and providers for o:
//   - always Process|Thread|Image (names of processes and images);
//   - pipes: FileIo|FileIoInit|DiskFileIo and Kernel-File (kw 0x3F0, level 4);
//   - sections: VaMap|DiskFileIo (MapFile and backing-file names);
//   - ALPC: the ALPC flag; RPC: Microsoft-Windows-RPC (all keywords, level 4);
//   - file-name rundown at start (KernelRundownGuid kw 0x10) whenever file
//     names are wanted, unless o.NoStartRundown.
//
// With every class selected the flags are defaultEnableFlags (0x06108207).
// Manifest providers are left out of a classic NT Kernel Logger session.
func makePlan(o Options) Plan {
	if !o.Pipes && !o.ALPC && !o.Sections && !o.RPC {
		o.Pipes, o.ALPC, o.Sections, o.RPC = true, true, true, true
	}
	var p Plan
	p.EnableFlags = flagProcess | flagThread | flagImageLoad
	if o.Pipes {
		p.EnableFlags |= flagFileIO | flagFileIOInit | flagDiskFileIO
	}
	if o.Sections {
		p.EnableFlags |= flagVAMap | flagDiskFileIO
	}
	if o.ALPC {
		p.EnableFlags |= flagALPC
	}
	p.Masks[0] = p.EnableFlags
	if o.Handles || o.HandlesRawMask {
		if o.HandlesRawMask {
			p.Masks.SetRaw(perfObHandle)
		} else {
			p.Masks.Set(perfObHandle)
		}
	}
	if o.Classic {
		return p
	}
	if o.Pipes {
		p.Providers = append(p.Providers, Provider{Name: kernelFileName, GUID: kernelFileGUID,
			Level: levelInformational, MatchAny: kernelFileKeywords})
	}
	if o.RPC {
		p.Providers = append(p.Providers, Provider{Name: rpcName, GUID: rpcGUID,
			Level: levelInformational, MatchAny: rpcKeywords})
	}
	if o.Messages {
		p.Providers = append(p.Providers, Provider{Name: win32kName, GUID: decoders.Win32kGUID,
			Level: levelInformational, MatchAny: win32kKeywords})
	}
	if o.COM {
		p.Providers = append(p.Providers, Provider{Name: comName, GUID: decoders.COMRuntimeGUID,
			Level: levelInformational, MatchAny: comKeywords})
	}
	if p.EnableFlags&flagDiskFileIO != 0 && !o.NoStartRundown {
		p.Providers = append(p.Providers, Provider{Name: kernelRundownName, GUID: kernelRundownGUID,
			Level: levelInformational, MatchAny: kernelRundownKeywords, Rundown: true})
	}
	return p
}

// sessionConfig describes one session to start.
type sessionConfig struct {
	Name        string
	LogFile     string // empty: real time only
	RealTime    bool   // deliver events to a real-time consumer
	Classic     bool   // NT Kernel Logger
	Ring        bool   // circular file: keep the last MaxFileMB
	MaxFileMB   uint32 // 0: unlimited (sequential) — required for Ring
	NumCPU      int
	SessionGUID etw.GUID // a fresh random GUID for a system logger
	EnableFlags uint32   // written into EnableFlags (NT Kernel Logger only)
}

// errConfig reports an impossible session configuration.
var errConfig = errors.New("invalid session configuration")

// Properties returns the propertiesConfig for c (docs/recording.md#call-sequence, step 2):
// 64 KB buffers, MinimumBuffers = 2×CPUs (at least 4), MaximumBuffers =
// MinimumBuffers + 64, FlushTimer 1 s, QPC clock; REAL_TIME and/or a
// sequential or circular file; SYSTEM_LOGGER_MODE and EnableFlags = 0 for a
// private session (flags are set with TraceSetInformation), the
// SystemTraceControlGuid and EnableFlags for the NT Kernel Logger.
func (c sessionConfig) Properties() (propertiesConfig, error) {
	if !c.RealTime && c.LogFile == "" {
		return propertiesConfig{}, fmt.Errorf("%w: neither real time nor a log file", errConfig)
	}
	if c.Ring && (c.LogFile == "" || c.MaxFileMB == 0) {
		return propertiesConfig{}, fmt.Errorf("%w: a ring needs a log file and a size", errConfig)
	}
	minBuf := uint32(2 * c.NumCPU)
	if minBuf < 4 {
		minBuf = 4
	}
	pc := propertiesConfig{
		SessionName:   c.Name,
		LogFile:       c.LogFile,
		SessionGUID:   c.SessionGUID,
		ClockType:     clockQPC,
		BufferSizeKB:  defaultBufferSizeKB,
		MinBuffers:    minBuf,
		MaxBuffers:    minBuf + 64,
		MaxFileSizeMB: c.MaxFileMB,
		FlushTimer:    1,
	}
	if c.RealTime {
		pc.LogFileMode |= modeRealTime
	}
	if c.LogFile != "" {
		if c.Ring {
			pc.LogFileMode |= ModeFileCircular
		} else {
			pc.LogFileMode |= modeFileSequential
		}
	}
	if c.Classic {
		pc.SessionName = ClassicSessionName
		pc.SessionGUID = systemTraceControlGUID
		pc.EnableFlags = c.EnableFlags
	} else {
		if c.SessionGUID.IsZero() || c.SessionGUID == systemTraceControlGUID {
			return propertiesConfig{}, fmt.Errorf("%w: a private system logger needs its own session GUID", errConfig)
		}
		pc.LogFileMode |= modeSystemLogger
	}
	return pc, nil
}
