package verify

import (
	"strings"
	"testing"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
)

func TestExplainPipeSD(t *testing.T) {
	sd, err := secdesc.ParseSDDL("O:BAG:SYD:(A;;GA;;;SY)(A;;GRGW;;;WD)", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sd.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	sddl, lines, err := ExplainPipeSD(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sddl, "WD") || len(lines) < 3 {
		t.Fatalf("sddl %q lines %q", sddl, lines)
	}
	if !strings.HasPrefix(lines[0], "verdict high") {
		t.Errorf("Everyone read/write should be high exposure: %q", lines)
	}
	if _, _, err := ExplainPipeSD([]byte{1, 0}); err == nil {
		t.Error("truncated descriptor accepted")
	}
}
