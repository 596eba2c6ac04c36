package secdesc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestDecodeHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"01 00 04 80", []byte{1, 0, 4, 0x80}, true},
		{"0x01000480", []byte{1, 0, 4, 0x80}, true},
		{"01:00:04:80", []byte{1, 0, 4, 0x80}, true},
		{"01-00-04-80", []byte{1, 0, 4, 0x80}, true},
		{"0100-0480", []byte{1, 0, 4, 0x80}, true},
		{"01::00", nil, false},
		{":0100", nil, false},
		{"0100:", nil, false},
		{"0:100", nil, false},
		{"D:(A;;GA;;;WD)", nil, false},
		{"", nil, false},
		{"abc", nil, false},
	} {
		got, ok := DecodeHex(tc.in)
		if ok != tc.ok || !bytes.Equal(got, tc.want) {
			t.Errorf("DecodeHex(%q) = %x, %v; want %x, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseInput(t *testing.T) {
	for _, in := range []string{"", "   ", "\n"} {
		if _, err := ParseInput(in, nil); !errors.Is(err, ErrEmpty) {
			t.Errorf("ParseInput(%q) = %v, want ErrEmpty", in, err)
		}
	}
	sd, err := ParseInput("D:(A;;GA;;;WD)", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sd.MarshalBinary()
	hexColon := colonHex(b)
	sd2, err := ParseInput(hexColon, nil)
	if err != nil {
		t.Fatalf("ParseInput(%q): %v", hexColon, err)
	}
	if s, _ := sd2.SDDL(nil); s != "D:(A;;GA;;;WD)" {
		t.Errorf("hex with ':' → %q", s)
	}
}

// colonHex is b as upper-case hex with ':' between bytes.
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{c}))
	}
	return strings.Join(parts, ":")
}

// A binary file that is no descriptor is refused in a short message: the
// message does not carry the file's contents.
func TestParseFileDataBinary(t *testing.T) {
	data := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 0xff}, 200000)
	_, err := ParseFileData(data, nil)
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("err = %.300v (%d bytes)", err, len(err.Error()))
	}
	_, err = ParseFileData(data[:1000], nil)
	if err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "neither SDDL text nor a binary") {
		t.Fatalf("err = %.300v", err)
	}
	sd, err := ParseFileData([]byte("D:(A;;GA;;;WD)\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := sd.SDDL(nil); s != "D:(A;;GA;;;WD)" {
		t.Errorf("text file → %q", s)
	}
}
