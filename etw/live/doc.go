// Package live runs ipctrace's private ETW kernel session on Windows and
// turns its real-time events into etw.Record values (docs/recording.md).
//
// The package has two halves:
//
//   - layout.go, plan.go and record.go carry no build tag: they encode every
//     structure handed to Windows (EVENT_TRACE_PROPERTIES with its trailing
//     names, PERFINFO_GROUPMASK, ENABLE_TRACE_PARAMETERS), hold the flag and
//     GUID constants, compute which kernel flags and providers a recording
//     enables, and convert a copied EVENT_RECORD into an etw.Record. They are
//     unit-tested on every OS against the sizes and offsets of docs/recording.md#structures.
//   - the *_windows.go files bind advapi32/ntdll without cgo, start, query,
//     flush and stop the session (docs/recording.md#call-sequence), consume it in real time and write
//     ipctrace's own TraceLogging events. They hand Windows exactly the
//     bytes the pure encoder produced. The security-descriptor snapshots of
//     pipes, sections and ALPC ports are in package winobj.
//   - lifecycle.go (no build tag) is the order of a recording's steps —
//     signals first, StartTrace, consumer, kernel masks, providers,
//     rundown, snapshots, wait, rundown, stop, drain — as the Recorder type,
//     driven through the Backend interface; WinBackend implements it over
//     a Session, and the tests drive it with a fake (docs/WINDOWS.md).
//
// Only amd64 and arm64 are supported (docs/recording.md): on 386 the
// structure layouts and the TRACEHANDLE width differ.
package live
