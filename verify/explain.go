package verify

import (
	"fmt"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
)

// ExplainPipeSD decodes a self-relative security descriptor of a pipe and
// returns its SDDL and the explanation of decoders/secdesc in lines: the
// summary, who may do what, the integrity label and the findings
// (docs/security.md).
func ExplainPipeSD(raw []byte) (sddl string, lines []string, err error) {
	sd, err := secdesc.Parse(raw)
	if err != nil {
		return "", nil, err
	}
	sddl = sd.String()
	x := secdesc.Explain(sd, secdesc.TypePipe)
	lines = append(lines, fmt.Sprintf("verdict %s: %s", x.Verdict, x.Summary))
	for _, p := range x.Principals {
		lines = append(lines, p.Text)
	}
	if x.Label.Text != "" {
		lines = append(lines, x.Label.Text)
	}
	for _, f := range x.Findings {
		lines = append(lines, fmt.Sprintf("[%s] %s", f.Severity, f.Text))
	}
	lines = append(lines, x.Notes...)
	return sddl, lines, nil
}
