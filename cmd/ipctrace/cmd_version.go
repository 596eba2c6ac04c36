package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is what the build info tells about this binary.
type buildVersion struct {
	Module   string // module version: "v1.2.3", or "(devel)" for a local build
	Revision string // vcs.revision, "" when not built from a VCS checkout
	Time     string // vcs.time
	Modified bool   // vcs.modified: the work tree had uncommitted changes
	Go       string // Go version of the toolchain
}

// readBuildVersion reads the version from the binary's build info.
func readBuildVersion() buildVersion {
	var v buildVersion
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		v.Module = "unknown"
		return v
	}
	v.Module = bi.Main.Version
	if v.Module == "" {
		v.Module = "(devel)"
	}
	v.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// short is the one-line form, e.g. "v0.1.0 (commit 4f23ced, 2026-12-01T10:00:00Z, modified) go1.26.0".
func (v buildVersion) short() string {
	s := v.Module
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (commit " + rev
		if v.Time != "" {
			s += ", " + v.Time
		}
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	if v.Go != "" {
		s += " " + v.Go
	}
	return s
}

func (v buildVersion) write(w io.Writer) {
	fmt.Fprintf(w, "ipctrace %s\n", v.Module)
	rev := v.Revision
	if rev == "" {
		rev = "unknown (not built from a git checkout)"
	} else if v.Modified {
		rev += " (with uncommitted changes)"
	}
	fmt.Fprintf(w, "commit:  %s\n", rev)
	if v.Time != "" {
		fmt.Fprintf(w, "date:    %s\n", v.Time)
	}
	if v.Go != "" {
		fmt.Fprintf(w, "go:      %s\n", v.Go)
	}
}

var versionCmd = &cobra.Command{
	Use:   "version",
	Short: "Print the version, commit and Go version of this binary",
	Args:  cobra.NoArgs,
	Run: func(cmd *cobra.Command, args []string) {
		readBuildVersion().write(cmd.OutOrStdout())
	},
}

func init() {
	rootCmd.AddCommand(versionCmd)
	rootCmd.Version = readBuildVersion().short()
	rootCmd.SetVersionTemplate("ipctrace {{.Version}}\n")
}
