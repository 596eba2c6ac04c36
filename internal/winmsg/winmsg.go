// Package winmsg names Windows window messages (the WM_* numbers of
// winuser.h) as they appear in the Microsoft-Windows-Win32k message events
// (docs/events.md#window-messages).
//
// Message numbers fall in ranges that Windows documents on its "WM_USER"
// and "WM_APP" pages: 0x0000–0x03FF are the system's own messages,
// 0x0400–0x7FFF (WM_USER) are private to a window class, 0x8000–0xBFFF
// (WM_APP) are private to an application, 0xC000–0xFFFF are strings
// registered with RegisterWindowMessage (their text is per session and not
// in the event), and values above 0xFFFF are reserved.
package winmsg

import "strconv"

// Range boundaries.
const (
	WMUser       = 0x0400
	WMApp        = 0x8000
	registeredLo = 0xC000
	registeredHi = 0xFFFF
)

// Range classifies a message number.
type Range uint8

// Message ranges.
const (
	System     Range = iota // 0x0000–0x03FF
	User                    // WM_USER+n, 0x0400–0x7FFF
	App                     // WM_APP+n, 0x8000–0xBFFF
	Registered              // RegisterWindowMessage, 0xC000–0xFFFF
	Reserved                // above 0xFFFF
)

func (r Range) String() string {
	switch r {
	case System:
		return "system"
	case User:
		return "user"
	case App:
		return "app"
	case Registered:
		return "registered"
	}
	return "reserved"
}

// RangeOf returns the range msg falls in.
func RangeOf(msg uint32) Range {
	switch {
	case msg < WMUser:
		return System
	case msg < WMApp:
		return User
	case msg < registeredLo:
		return App
	case msg <= registeredHi:
		return Registered
	}
	return Reserved
}

// MessageName names a window message: "WM_COPYDATA" for a known system
// message, "WM_USER+n" and "WM_APP+n" (n decimal) in the private ranges,
// "registered message 0xC0DE" for a registered one, "reserved message
// 0x…" above 0xFFFF, and "message 0x…" for a system number without a name
// here.
func MessageName(msg uint32) string {
	switch RangeOf(msg) {
	case System:
		if n, ok := names[uint16(msg)]; ok {
			return n
		}
		return "message " + hex4(msg)
	case User:
		return "WM_USER+" + strconv.FormatUint(uint64(msg-WMUser), 10)
	case App:
		return "WM_APP+" + strconv.FormatUint(uint64(msg-WMApp), 10)
	case Registered:
		return "registered message " + hex4(msg)
	}
	return "reserved message " + hex4(msg)
}

// Known reports whether msg is a system message this package names.
func Known(msg uint32) bool {
	if msg >= WMUser {
		return false
	}
	_, ok := names[uint16(msg)]
	return ok
}

// hex4 formats v as 0x with at least four upper-case hex digits.
func hex4(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(b)
}
