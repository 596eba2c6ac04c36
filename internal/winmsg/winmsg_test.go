package winmsg

import (
	"strings"
	"testing"
)

func TestMessageName(t *testing.T) {
	for _, c := range []struct {
		msg  uint32
		want string
		r    Range
	}{
		{0x0000, "WM_NULL", System},
		{0x0010, "WM_CLOSE", System},
		{0x004A, "WM_COPYDATA", System},
		{0x000F, "WM_PAINT", System},
		{0x0100, "WM_KEYDOWN", System},
		{0x0113, "WM_TIMER", System},
		{0x0200, "WM_MOUSEMOVE", System},
		{0x03E0, "WM_DDE_INITIATE", System},
		{0x0004, "message 0x0004", System},
		{0x03FF, "message 0x03FF", System},
		{0x0400, "WM_USER+0", User},
		{0x0401, "WM_USER+1", User},
		{0x7FFF, "WM_USER+31743", User},
		{0x8000, "WM_APP+0", App},
		{0x8010, "WM_APP+16", App},
		{0xBFFF, "WM_APP+16383", App},
		{0xC000, "registered message 0xC000", Registered},
		{0xC0DE, "registered message 0xC0DE", Registered},
		{0xFFFF, "registered message 0xFFFF", Registered},
		{0x10000, "reserved message 0x10000", Reserved},
		{0xFFFFFFFF, "reserved message 0xFFFFFFFF", Reserved},
	} {
		if got := MessageName(c.msg); got != c.want {
			t.Errorf("MessageName(%#x) = %q, want %q", c.msg, got, c.want)
		}
		if got := RangeOf(c.msg); got != c.r {
			t.Errorf("RangeOf(%#x) = %v, want %v", c.msg, got, c.r)
		}
	}
	if !Known(0x004A) || Known(0x0004) || Known(0x0401) {
		t.Error("Known")
	}
}

// TestNamesTable: every name is in the system range, unique, and a
// WM_/MN_ symbol.
func TestNamesTable(t *testing.T) {
	seen := map[string]uint16{}
	for v, n := range names {
		if v >= WMUser {
			t.Errorf("%#x %s outside the system range", v, n)
		}
		if !strings.HasPrefix(n, "WM_") && !strings.HasPrefix(n, "MN_") {
			t.Errorf("%#x: %q", v, n)
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("%s at %#x and %#x", n, prev, v)
		}
		seen[n] = v
	}
	for _, r := range []Range{System, User, App, Registered, Reserved} {
		if r.String() == "" {
			t.Error("empty range name")
		}
	}
}
