// Package correlate rebuilds IPC conversations from decoded events: process
// and thread tables, file-object and name maps, named-pipe, ALPC/RPC and
// section conversations with latency, outstanding (stuck) operations, the
// wait-for graph and its cycles, and loss accounting. It streams: its state
// grows with open objects, not with the trace.
//
// Definitions: DESIGN.md §3; rules and their certainty: EVENTS.md §3–§4.
// The result is a Model (model.go), whose JSON field names are stable.
package correlate
