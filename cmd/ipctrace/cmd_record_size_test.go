package main

import "testing"

func TestRecordMaxBytes(t *testing.T) {
	tests := []struct {
		o    recordFlags
		want int64
	}{
		{recordFlags{output: "a.etl"}, defaultMaxBytes},
		{recordFlags{output: "a.etl", maxSize: "0"}, 0},
		{recordFlags{output: "a.etl", maxSize: "0MB"}, 0},
		{recordFlags{output: "a.etl", maxSize: "256M"}, 256 << 20},
		{recordFlags{output: "a.etl", ring: "64M"}, 0},
	}
	for _, tt := range tests {
		if err := tt.o.validate(); err != nil {
			t.Errorf("%+v: validate: %v", tt.o, err)
		}
		if got := tt.o.maxBytes(); got != tt.want {
			t.Errorf("%+v: maxBytes = %d, want %d", tt.o, got, tt.want)
		}
	}
	for _, bad := range []string{"-1", "0x", "00.5"} {
		o := recordFlags{output: "a.etl", maxSize: bad}
		if err := o.validate(); err == nil {
			t.Errorf("--max-size %q accepted", bad)
		}
	}
	if err := (&recordFlags{output: "a.etl", ring: "1M", maxSize: "0"}).validate(); err == nil {
		t.Error("--ring with --max-size 0 accepted")
	}
}
