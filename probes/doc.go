// Package probes generates reference IPC traffic on Windows — named pipes,
// sections, RPC over ALPC, connection checks, window messages, mailslots —
// with known counts, sizes and timing, and writes what it did as a verify.Expectation, which package
// verify checks a recorded trace against on any OS.
package probes
