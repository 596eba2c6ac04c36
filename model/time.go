package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipctrace/ipctrace/etw"
)

// Time is an instant as a FILETIME: 100 ns units since 1601-01-01 UTC, the
// unit every trace timestamp is converted to (docs/format.md#clocks). The
// zero Time means "not known" and is written as "" in JSON.
type Time int64

// IsZero reports whether t is unknown.
func (t Time) IsZero() bool { return t == 0 }

// String formats t as RFC 3339 UTC with 100 ns precision
// ("2026-01-01T00:00:00.0000000Z"), or "" when t is zero.
func (t Time) String() string {
	if t == 0 {
		return ""
	}
	return etw.FormatFiletime(int64(t))
}

// Std converts t to a time.Time (the zero time.Time when t is zero).
func (t Time) Std() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return etw.FiletimeToTime(int64(t))
}

// Sub returns t − u.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// MarshalJSON writes t as a string (see String).
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 30)
	b = append(b, '"')
	if t != 0 {
		b = etw.AppendFiletime(b, int64(t))
	}
	return append(b, '"'), nil
}

// UnmarshalJSON reads the form MarshalJSON writes ("" is zero).
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if s == "" {
		*t = 0
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("time %q: %w", s, err)
	}
	*t = Time(etw.TimeToFiletime(v))
	return nil
}

// Duration is a span of time in 100 ns units. In JSON it appears as a
// number of microseconds in fields whose names end in _us.
type Duration int64

// US returns d in microseconds.
func (d Duration) US() float64 { return float64(d) / 10 }

// Std converts d to a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) * 100 }
