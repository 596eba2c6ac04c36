package etw

import (
	"strconv"
	"time"
)

// Damage that passes the structural checks (a changed byte inside a
// timestamp) would otherwise move an event silently and change latencies
// and the trace's time range. So every record's time is checked against
// the file's own bounds, and against the previous record of its buffer:
// a buffer belongs to one processor, whose records are written in time
// order (docs/format.md#buffers). A record that fails is excluded with a
// warning naming its offset (ErrBadTime).

// timeSlack is how far outside the logfile header's start and end times a
// record may lie: clocks are read at slightly different moments, and the
// header's times are rounded to the session's clock.
const timeSlack = int64(time.Minute / 100) // in 100 ns units

// timeBounds is the plausible FILETIME range of a file's records; a zero
// bound is not checked.
type timeBounds struct {
	lo, hi int64
}

// newTimeBounds derives the bounds from the logfile header: StartTime and,
// when the session was closed cleanly (EndTime after StartTime), EndTime.
func newTimeBounds(h *LogfileHeader) timeBounds {
	var b timeBounds
	if h.StartTime > 0 {
		b.lo = h.StartTime - timeSlack
		if h.EndTime > h.StartTime {
			b.hi = h.EndTime + timeSlack
		}
	}
	return b
}

// checkTime returns why t is implausible for the next record of c's
// buffer, or "" after accepting it.
func (c *cursor) checkTime(f *File, t int64) string {
	tb := f.tb
	switch {
	case tb.lo != 0 && t < tb.lo:
		return "record timestamp " + fileTimeText(t) + " before the trace start " + fileTimeText(f.hdr.StartTime)
	case tb.hi != 0 && t > tb.hi:
		return "record timestamp " + fileTimeText(t) + " after the trace end " + fileTimeText(f.hdr.EndTime)
	case c.timed && t < c.last:
		return "record timestamp " + fileTimeText(t) + " before the previous record of its buffer (" + fileTimeText(c.last) + ")"
	}
	c.last, c.timed = t, true
	return ""
}

// fileTimeText formats a FILETIME as RFC 3339 UTC with 100 ns digits, or
// as a number when it is outside the years time.Time formats sensibly.
func fileTimeText(ft int64) string {
	const unixEpoch = 116444736000000000
	const maxFT = 2650467743990000000 // 9999-12-31
	if ft < 0 || ft > maxFT {
		return "FILETIME " + strconv.FormatInt(ft, 10)
	}
	d := ft - unixEpoch
	return time.Unix(d/1e7, (d%1e7)*100).UTC().Format("2006-01-02T15:04:05.0000000Z")
}
