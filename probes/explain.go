package probes

import (
	"fmt"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
)

// ExplainPipeSD decodes a self-relative security descriptor of a pipe and
// returns its SDDL and one line per owner and DACL entry in words
// (EVENTS.md §6).
func ExplainPipeSD(raw []byte) (sddl string, lines []string, err error) {
	sd, err := secdesc.Parse(raw)
	if err != nil {
		return "", nil, err
	}
	sddl = sd.String()
	if sd.Owner != nil {
		lines = append(lines, fmt.Sprintf("owner: %s", sidWords(*sd.Owner)))
	}
	if sd.NullDACL() {
		return sddl, append(lines, "no DACL: everyone has full access"), nil
	}
	if len(sd.DACL.ACEs) == 0 {
		return sddl, append(lines, "empty DACL: nobody has access (except the owner's implicit rights)"), nil
	}
	for _, a := range sd.DACL.ACEs {
		verb := "?"
		switch {
		case a.Type.IsAllow():
			verb = "allows"
		case a.Type.IsDeny():
			verb = "denies"
		default:
			verb = a.Type.String() + ":"
		}
		lines = append(lines, fmt.Sprintf("%s %s %s", sidWords(a.SID), verb, secdesc.TypePipe.Words(a.Mask)))
	}
	return sddl, lines, nil
}

func sidWords(s secdesc.SID) string {
	if n := secdesc.Name(s); n != "" && n != s.String() {
		return fmt.Sprintf("%s (%s)", n, s)
	}
	return s.String()
}
