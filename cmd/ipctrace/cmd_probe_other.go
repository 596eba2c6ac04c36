//go:build !windows

package main

const probeUnsupportedNote = "probes create named pipes, sections and RPC calls with Windows APIs; record the probe on Windows and run verify here"
