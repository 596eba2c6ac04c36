//go:build !windows

package main

const probeUnsupportedNote = "probes create named pipes, sections, RPC calls, windows and mailslots with Windows APIs; record the probe on Windows and run verify here"
