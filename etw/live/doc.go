// Package live runs ipctrace's private ETW kernel session on Windows and
// turns its real-time events into etw.Record values (EVENTS.md §5).
//
// The package has two halves:
//
//   - layout.go, plan.go and record.go carry no build tag: they encode every
//     structure handed to Windows (EVENT_TRACE_PROPERTIES with its trailing
//     names, PERFINFO_GROUPMASK, ENABLE_TRACE_PARAMETERS), hold the flag and
//     GUID constants, compute which kernel flags and providers a recording
//     enables, and convert a copied EVENT_RECORD into an etw.Record. They are
//     unit-tested on every OS against the sizes and offsets of EVENTS.md §5.1.
//   - the *_windows.go files bind advapi32/ntdll without cgo, start, query,
//     flush and stop the session (§5.5), consume it in real time, write
//     ipctrace's own SecuritySnapshot events and read the security
//     descriptors of pipes, sections and ALPC ports (§6.8). They hand Windows
//     exactly the bytes the pure encoder produced.
//
// Only amd64 and arm64 are supported (EVENTS.md §5 intro): on 386 the
// structure layouts and the TRACEHANDLE width differ.
package live
