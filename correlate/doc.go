// Package correlate rebuilds IPC conversations from decoded events: process
// and thread tables, file-object and name maps, named-pipe, ALPC/RPC and
// section conversations with latency, outstanding (stuck) operations, the
// wait-for graph and its cycles, and loss accounting. It streams: its state
// grows with open objects, not with the trace.
//
// Definitions: docs/rules.md#conversations; rules and their certainty: docs/rules.md.
// The result is a Model (model.go), whose JSON field names are stable.
//
// Use New, then Add for every event in time order (AddBuffer and SetHeader
// for loss), then Finish; or AnalyzeFiles / AnalyzeReader, which read,
// decode and correlate whole traces.
//
// What the engine applies, in short:
//
//   - Processes and threads: Process/Thread rundown and start events (and
//     Kernel-Process ones). FileIo events logged in arbitrary context (header
//     PID 0xFFFFFFFF) are attributed through their TTID (docs/events.md#conventions).
//   - Names: FileKey → name from Name/FileCreate/FileRundown events; pipe
//     ends from Create.OpenPath on \Device\NamedPipe\ (docs/events.md#pipe-names).
//   - IRPs: each start is paired with the next OperationEnd of the same
//     IrpPtr; a new start with a pending IrpPtr replaces the stale one (docs/events.md#fileio-identity).
//   - Pipe roles by the rules docs/rules.md P1–P3 in order (fsctl, disposition, FileKey
//     bit 0); pairing by FileKey (H1: client FileKey|1 = server FileKey)
//     when it holds, else by LISTEN completion closest to the client's open
//     (H2, with confidence 1/candidates) (docs/rules.md P4–P6). Reads are matched with the
//     peer's writes byte by byte (docs/rules.md P7–P9): latency = read end − write start for
//     pending reads, read start − write end for queued data; flows count the
//     bytes the reads returned. A failed open counts on the client's next
//     conversation on the name, else on an unpaired row.
//   - ALPC: Send(m) → Receive(m) in another process is a hop; a hop back with
//     the same m is the reply (docs/rules.md A1–A3). Unmatched sends and requests expire
//     after Options.AlpcExpiry (60 s). Ports come from WaitForNewMessage on
//     the server thread, or from the RPC endpoint.
//   - RPC: start/stop by ActivityId and thread; client and server calls are
//     joined through the ALPC request the server thread handles, else by
//     method and nesting in time (docs/events.md#rpc, docs/rules.md R2).
//   - Sections: views per FileKey (MapFile/UnmapFile/DCStart/DCEnd); kind
//     from MiscInfo >> 52 (docs/events.md#mapfile); shared when two or more processes map it.
//   - Stuck: operations open at the end (or slower than StuckAfter); for a
//     request nobody received, the server is guessed from the RPC endpoint,
//     the thread's own caller, or call history (docs/rules.md A6). Waits form a graph
//     (thread → thread, or thread → the waiting threads of a process); its
//     cycles are deadlocks.
//   - Loss: header counters, LostEvent records and lossy buffers' time
//     windows; conversations overlapping a window are marked lossy.
//
// Everything inferred is labelled Inferred in the model.
package correlate
