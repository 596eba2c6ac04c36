package main

import (
	"strings"
	"testing"
)

// TestReportHTML renders the embedded demo trace as HTML.
func TestReportHTML(t *testing.T) {
	code, out, errs := runReportCmd(t, "-o", "html")
	if code != exitOK {
		t.Fatalf("exit %d (stderr %q)", code, errs)
	}
	if !strings.HasPrefix(out, "<!DOCTYPE html>\n<html") || !strings.HasSuffix(out, "</html>\n") {
		t.Errorf("not one HTML document: %q … %q", out[:min(len(out), 40)], out[max(0, len(out)-40):])
	}
	for _, want := range []string{"demo.etl (embedded demo trace)", `id="stuck"`, `id="pipes"`, `id="security"`,
		`id="timeline"`, "</svg>"} {
		if !strings.Contains(out, want) {
			t.Errorf("-o html lacks %q", want)
		}
	}
}
