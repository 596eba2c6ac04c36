package etw

import (
	"math/bits"
	"strconv"
	"time"
)

// ClockType is the session clock of a trace: TRACE_LOGFILE_HEADER.ReservedFlags
// (docs/format.md#logfile-header, docs/format.md#clocks; evntrace.h EVENT_TRACE_CLOCK_*).
type ClockType uint32

// Clock types.
const (
	ClockQPC        ClockType = 1 // QueryPerformanceCounter ticks at PerfFreq
	ClockSystemTime ClockType = 2 // FILETIME
	ClockCPUCycle   ClockType = 3 // CPU cycles at CpuSpeedInMHz
)

// String returns the clock names used by the corpus truth ("QPC (PerfFreq)", …).
func (c ClockType) String() string {
	switch c {
	case ClockQPC:
		return "QPC (PerfFreq)"
	case ClockSystemTime:
		return "SystemTime (FILETIME)"
	case ClockCPUCycle:
		return "CPU cycle counter (CpuSpeedInMHz)"
	}
	return "unknown (" + strconv.FormatUint(uint64(c), 10) + ")"
}

// filetimeUnixEpoch is 1970-01-01 as a FILETIME (100 ns units since 1601-01-01).
const filetimeUnixEpoch = 116444736000000000

// FiletimeToTime converts a FILETIME (100 ns units since 1601-01-01 UTC) to a UTC time.Time.
func FiletimeToTime(ft int64) time.Time {
	u := ft - filetimeUnixEpoch
	sec := u / 1e7
	rem := u % 1e7
	if rem < 0 {
		sec--
		rem += 1e7
	}
	return time.Unix(sec, rem*100).UTC()
}

// TimeToFiletime converts t to a FILETIME, truncating to 100 ns.
func TimeToFiletime(t time.Time) int64 {
	sec := t.Unix()
	return sec*1e7 + int64(t.Nanosecond()/100) + filetimeUnixEpoch
}

// ISOLayout formats times as the corpus truth does: UTC, always 7 fractional digits.
const ISOLayout = "2006-01-02T15:04:05.0000000Z"

// FormatFiletime formats a FILETIME as ISO 8601 UTC with 100 ns precision,
// e.g. "2016-08-17T23:30:22.0379266Z".
func FormatFiletime(ft int64) string {
	return string(AppendFiletime(make([]byte, 0, 28), ft))
}

// AppendFiletime appends the FormatFiletime form of ft to b.
func AppendFiletime(b []byte, ft int64) []byte {
	return FiletimeToTime(ft).AppendFormat(b, ISOLayout)
}

// clock converts raw record timestamps to FILETIMEs (docs/format.md#clocks):
//
//	filetime = StartTime + (raw - refRaw) * 1e7 / freq
//
// where refRaw is the raw timestamp of the logfile-header event and freq is
// PerfFreq (QPC), 1e7 (system time) or CpuSpeedInMHz*1e6 (CPU cycles). The
// division rounds toward minus infinity and is exact (128-bit intermediate).
type clock struct {
	start  int64
	refRaw int64
	freq   uint64 // ticks per second; 1e7 means identity
}

func newClock(h *LogfileHeader) clock {
	c := clock{start: h.StartTime, refRaw: h.HeaderRawTime, freq: 1e7}
	switch h.ClockType {
	case ClockQPC:
		if h.PerfFreq > 0 {
			c.freq = uint64(h.PerfFreq)
		}
	case ClockCPUCycle:
		if h.CpuSpeedInMHz > 0 {
			c.freq = uint64(h.CpuSpeedInMHz) * 1e6
		}
	}
	return c
}

// filetime converts a raw timestamp.
func (c *clock) filetime(raw int64) int64 {
	d := raw - c.refRaw
	if c.freq == 1e7 {
		return c.start + d
	}
	neg := d < 0
	u := uint64(d)
	if neg {
		u = uint64(-d)
	}
	hi, lo := bits.Mul64(u, 1e7)
	if hi >= c.freq {
		// The result does not fit in 64 bits: saturate.
		if neg {
			return minInt64
		}
		return maxInt64
	}
	q, r := bits.Div64(hi, lo, c.freq)
	if neg {
		if r != 0 {
			q++ // floor for negative differences
		}
		return c.start - int64(q)
	}
	return c.start + int64(q)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)
