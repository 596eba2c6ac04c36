package memfile

import (
	"bytes"
	"io"
	"testing"
)

func TestWriteSeekPatch(t *testing.T) {
	var f File
	f.Write([]byte("hello world"))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("HELLO"))
	if _, err := f.Seek(2, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("!"))
	want := []byte("HELLO world\x00\x00!")
	if !bytes.Equal(f.Bytes(), want) {
		t.Fatalf("got %q, want %q", f.Bytes(), want)
	}
	if _, err := f.Seek(-100, io.SeekCurrent); err == nil {
		t.Fatal("negative offset accepted")
	}
}
