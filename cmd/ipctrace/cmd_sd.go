package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipctrace/ipctrace/decoders/secdesc"
	"github.com/ipctrace/ipctrace/internal/termsafe"
	"github.com/ipctrace/ipctrace/internal/texttable"
)

var (
	sdType   string
	sdJSON   bool
	sdFormat *formatFlag
	sdDomain string
)

var sdCmd = &cobra.Command{
	Use:   "sd SDDL|HEX|@FILE",
	Short: "Decode and explain a security descriptor (SDDL or self-relative binary)",
	Long: `sd decodes a security descriptor given as SDDL text, as hex of the
self-relative binary form (spaces, and ':' or '-' between bytes allowed), or as @FILE holding either one
(or the raw binary). It prints the control flags, owner, group, each ACE
with its rights named for --type, the SDDL form, who may do what, the
integrity label and an exposure verdict. -o json (or --json) prints the same as JSON
(field names documented in package decoders/secdesc).`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		sdJSON = sdFormat.value == "json"
		return runSD(cmd.OutOrStdout(), args[0], sdType, sdDomain, sdJSON)
	},
}

func init() {
	sdCmd.Flags().StringVar(&sdType, "type", "pipe", "object type: pipe, section, alpc, file, directory, process, thread, generic")
	sdFormat = addFormatFlags(sdCmd.Flags(), []string{"text", "json"}, "json")
	sdCmd.Flags().StringVar(&sdDomain, "domain", "", "domain SID (S-1-5-21-x-y-z) for domain-relative aliases (LA, DA, …)")
	rootCmd.AddCommand(sdCmd)
}

// runSD decodes input and writes the report to w. Invalid input returns an
// error with exit code 1 naming the position or offset.
func runSD(w io.Writer, input, typ, domain string, asJSON bool) error {
	t, ok := secdesc.ParseObjectType(typ)
	if !ok {
		return withCode(exitUsage, fmt.Errorf("unknown --type %q", typ))
	}
	var opt secdesc.FormatOptions
	if domain != "" {
		d, err := secdesc.ParseSID(domain, nil)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("--domain: %w", err))
		}
		opt.Domain = &d
	}
	sd, err := loadSD(input, opt.Domain)
	if err != nil {
		return withCode(exitUsage, err)
	}
	r := secdesc.Describe(sd, t, &opt)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return writeSDText(w, &r)
}

// loadSD reads the descriptor: @FILE (raw binary or text), hex or SDDL, with
// the input detection of secdesc.ParseInput. An SDDL syntax error shows the
// part of the input around the position with a caret under it.
func loadSD(input string, dom *secdesc.SID) (*secdesc.SecurityDescriptor, error) {
	if name, ok := strings.CutPrefix(input, "@"); ok {
		data, err := readLimited(name, secdesc.MaxInputSize)
		if err != nil {
			return nil, err
		}
		sd, err := secdesc.ParseFileData(data, dom)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", termsafe.String(name), caretError(err, string(data)))
		}
		return sd, nil
	}
	sd, err := secdesc.ParseInput(input, dom)
	if err != nil {
		return nil, caretError(err, input)
	}
	return sd, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d bytes a descriptor can take", termsafe.String(name), limit)
	}
	return data, nil
}

// caretError adds to an SDDL syntax error the input around its position, at
// most 60 characters, with a caret under the position.
func caretError(err error, input string) error {
	var se *secdesc.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	input = strings.TrimSpace(input)
	pos := min(max(se.Pos, 0), len(input))
	from, to := max(0, pos-30), min(len(input), pos+30)
	line := input[from:to]
	prefix := ""
	if from > 0 {
		prefix = "…"
	}
	suffix := ""
	if to < len(input) {
		suffix = "…"
	}
	shown := termsafe.String(line[:pos-from])
	return fmt.Errorf("%w\n  %s%s%s\n  %s^", err, prefix, termsafe.String(line), suffix,
		strings.Repeat(" ", len([]rune(prefix+shown))))
}

func sidText(s *secdesc.SIDInfo) string {
	if s == nil {
		return "(none)"
	}
	out := s.SID
	var extra []string
	if s.Alias != "" {
		extra = append(extra, s.Alias)
	}
	if s.Name != "" {
		extra = append(extra, s.Name)
	}
	if len(extra) > 0 {
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

func writeSDText(w io.Writer, r *secdesc.Report) error {
	fmt.Fprintf(w, "Control:  0x%04x %s\n", r.Control, strings.Join(r.ControlFlags, "|"))
	fmt.Fprintf(w, "Owner:    %s\n", sidText(r.Owner))
	fmt.Fprintf(w, "Group:    %s\n", sidText(r.Group))
	for _, l := range []struct {
		name  string
		state string
		acl   *secdesc.ACLInfo
	}{{"DACL", r.DACLState, r.DACL}, {"SACL", r.SACLState, r.SACL}} {
		switch l.state {
		case "absent":
			fmt.Fprintf(w, "%s:     absent\n", l.name)
			continue
		case "null":
			fmt.Fprintf(w, "%s:     NULL (no access control)\n", l.name)
			continue
		}
		fmt.Fprintf(w, "%s:     revision %d, %d ACEs\n", l.name, l.acl.Revision, len(l.acl.ACEs))
		if len(l.acl.ACEs) == 0 {
			continue
		}
		// The table style of internal/texttable at its natural width: every
		// right and SID is shown in full (this is the command that explains
		// them); -o json has the same content for narrow outputs.
		cols := []texttable.Column{{Head: "#", Right: true}, {Head: "Type"}, {Head: "Flags"},
			{Head: "Mask"}, {Head: "Rights"}, {Head: "SID"}, {Head: "Name"}}
		var rows [][]string
		for _, a := range l.acl.ACEs {
			typ := a.Type
			if a.Token != "" {
				typ = a.Token + " " + a.Type
			}
			flags := strings.Join(a.FlagNames, " ")
			rights := strings.Join(a.Rights, " ")
			if len(a.MappedRights) > 0 {
				rights += " = " + strings.Join(a.MappedRights, " ")
			}
			if a.ObjectType != "" {
				rights += " object=" + a.ObjectType
			}
			if a.InheritedObjectType != "" {
				rights += " inherited-object=" + a.InheritedObjectType
			}
			if a.ClientSID != nil {
				rights += " client=" + a.ClientSID.SID
			}
			if a.Condition != "" {
				rights += " if (" + a.Condition + ")"
			} else if a.Attribute != "" {
				rights += " attribute (" + a.Attribute + ")"
			} else if a.AppDataHex != "" {
				rights += " data=" + a.AppDataHex
			}
			sid := a.SID.SID
			if a.SID.Alias != "" {
				sid += " (" + a.SID.Alias + ")"
			}
			rows = append(rows, []string{fmt.Sprint(a.Index), typ, flags, fmt.Sprintf("0x%08x", a.Mask),
				termsafe.String(rights), sid, termsafe.String(a.SID.Name)})
		}
		if _, err := texttable.Render(w, cols, rows, 0); err != nil {
			return err
		}
	}
	if r.SDDLError != "" {
		fmt.Fprintf(w, "SDDL:     (not representable: %s)\n", r.SDDLError)
	} else {
		fmt.Fprintf(w, "SDDL:     %s\n", r.SDDL)
	}
	ex := &r.Explanation
	fmt.Fprintf(w, "Label:    %s\n", ex.Label.Text)
	fmt.Fprintf(w, "Access (%s):\n", ex.ObjectType)
	if len(ex.Principals) == 0 {
		fmt.Fprintf(w, "  nobody\n")
	}
	for _, p := range ex.Principals {
		fmt.Fprintf(w, "  %s\n", p.Text)
	}
	fmt.Fprintf(w, "Findings:\n")
	if len(ex.Findings) == 0 {
		fmt.Fprintf(w, "  none\n")
	}
	for _, f := range ex.Findings {
		fmt.Fprintf(w, "  [%s] %s: %s\n", f.Severity, f.Name, f.Text)
	}
	fmt.Fprintf(w, "Verdict:  %s\n", ex.Summary)
	for _, n := range ex.Notes {
		fmt.Fprintf(w, "Note:     %s\n", n)
	}
	return nil
}
