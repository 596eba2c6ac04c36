// Package testdata holds small traces the project makes itself: demo.etl
// (written by `ipctrace synth mixed`) is the trace `ipctrace report`
// shows when given no file.
package testdata

import _ "embed"

// Demo is testdata/demo.etl.
//
//go:embed demo.etl
var Demo []byte
