// Package ipctrace holds what the repository ships besides code: the demo
// trace, testdata/demo.etl (written by `ipctrace synth mixed`, with its
// truth in testdata/demo.truth.json), which `ipctrace report` shows when
// given no file. The command is cmd/ipctrace; docs/ARCHITECTURE.md maps
// the packages.
package ipctrace

import _ "embed"

// Demo is testdata/demo.etl.
//
//go:embed testdata/demo.etl
var Demo []byte
