// Package synth writes synthetic .etl traces of IPC scenarios whose right
// answer is known: the test bed of correlation and reports, the demo trace
// of the README and the input of the benchmarks.
//
// Events follow docs/events.md to the byte: payloads are encoded by package
// decoders (decoders.Encode, decoders.EncodeSecuritySnapshot) and written
// with etw.Writer (docs/format.md). Kernel events are SYSTEM records
// (SYSTEM64, or SYSTEM32 with 4-byte pointers) with the versions
// ProcessVersion, ThreadVersion, ImageVersion, FileIoVersion (V3 layouts)
// and ALPCVersion; Microsoft-Windows-RPC events are EVENT_HEADER records
// (version 1, ids 5–8, Start/Stop opcodes, tasks 1 client / 2 server,
// ActivityId shared by each Start/Stop pair); security snapshots are
// ipctrace's own TraceLogging events. FileIo events carry header PID/TID
// 0xFFFFFFFF and the issuing thread in TTID; Thread DCStart rundown gives
// TID → PID. ALPC and RPC events carry the acting thread in the header.
//
// # Building traces
//
//	b := synth.NewBuilder(seed)
//	srvP := b.Process(1004, 700, "srv.exe", "srv.exe", "S-1-5-18")
//	srv := srvP.Thread(b, 10004)
//	cli := b.Process(1008, 700, "cli.exe", "cli.exe", sid).Thread(b, 10008)
//	t := b.Start() + synth.Millisecond
//	s, t := b.CreatePipe(t, srv, "demo", false) // \\.\pipe\demo, server instance
//	b.Listen(t, s)
//	c, t := b.Connect(t+b.US(100), cli, "demo")
//	b.Read(t, srv, s, 4096)                      // pending server read
//	t = b.Write(t+b.US(20), cli, c, 128)         // completes it
//	err := b.WriteETL(w, etw.WriterOptions{})
//	truth := b.Truth()
//
// Every primitive takes its start time (FILETIME, 100 ns ticks) and
// returns when it ended. Pipes follow NPFS semantics: a Write satisfies
// the peer's pending reads (their OperationEnd is emitted then) or queues
// its bytes for a later Read. Long scenarios call Sync(t) to promise that
// no event before t follows, and Stream to write as they go (memory stays
// bounded by one round of events). Generate plays a named scenario
// (Scenarios) at a scale.
//
// FileKeys: with SetH1(true) (the default) both ends of an
// instance share the instance key and the server's has bit 0 set
// (docs/rules.md P4: server FileKey = client FileKey | 1); with false the
// keys are unrelated, so only LISTEN completion (H2) can pair the ends.
// IRP addresses are recycled; ALPC message ids are the lowest id free at
// the send time, so they are reused across calls but never shared by two
// messages in flight.
//
// # Truth
//
// Truth returns a model.Model computed from the scenario's own
// definitions, never by running the correlator. Durations are 100 ns ticks
// summarised by package internal/latency (the report uses the same
// package, so both quantise identically). Times are etw.FormatFiletime
// strings. Every number is defined as follows.
//
// Trace: Start = the header event (StartTime); End = the time of the last
// record (the end-of-trace rundown); DurationUS = End − Start. Events =
// records in the file, the logfile header event included; IPCEvents =
// records other than the header, Process, Thread and Image events.
// EventsLost = events dropped by Lose; BuffersLost = number of Lose
// windows. LossyWindows = one per written buffer flagged
// EVENTS_LOST/BUFFER_LOST that holds records: [time of its first record,
// time of its last record], Reason "EVENTS_LOST|BUFFER_LOST".
//
// Processes: every process of the scenario (PID order): PID, ParentPID,
// Image (ImageFileName), CommandLine, User = the UserSID string.
//
// LossyWindows are sorted by start, then end.
//
// Pipes, one per conversation (a client Connect to a listening server
// instance) in connection order:
//   - Name `\\.\pipe\X`; Instance = 1-based creation index of the server
//     instance within the name; Pairing "filekey" when the name follows H1,
//     else "listen-completion"; Confidence is not set (0); Inferred true.
//   - ToServer / ToClient count completed reads on the receiving end:
//     server Reads (ToServer), client Reads and TRANSCEIVE replies
//     (ToClient); Bytes = the OperationEnd ExtraInfo (bytes transferred).
//   - Latency: one sample per completed read, from the peer write that
//     supplied its first byte (docs/rules.md P7, byte FIFO per direction):
//     read end − write start when the read was pending (read start < write
//     start), else read start − write end. A TRANSCEIVE is a write at its
//     start (start = end) and a pending read that ends with its
//     OperationEnd. QueueDelay: the samples of the non-pending reads.
//   - RoundTrip: per client request, from the client's first Write after
//     its previous answer (or the TRANSCEIVE start) to the end of the
//     first client read that returns bytes (the TRANSCEIVE end).
//   - FlushDrain: Flush durations; ConnectWait: LISTEN start → LISTEN end.
//   - Failures: a failed client open (PIPE_BUSY, NOT_FOUND, ACCESS_DENIED)
//     counts in the first conversation the same client process opens later
//     on the same name; when there is none, in an unpaired entry {Name,
//     ClientPID, Pairing "unpaired"} (one per name and process).
//   - Impersonated: the server end issued FSCTL_PIPE_IMPERSONATE while
//     connected. ServerTID/ClientTID: the creating/opening threads;
//     ServerRule "fsctl", ClientRule "disposition".
//   - Lossy: [first, last] event of the conversation overlaps a lossy window.
//   - A server instance whose LISTEN never completes gives an unpaired
//     entry {Name, Instance, ServerPID, Pairing "unpaired"}. The Lossy span
//     of unpaired entries is [first failed Create start, last failed Create
//     end], or [instance Create start, LISTEN start].
//
// ALPC, one per (client PID, server PID, port) in first-call order: Calls
// = completed request/reply pairs; Pending = requests never answered;
// Latency = client Receive(reply) − client Send(request); ServerTime =
// server Send(reply) − server Receive(request); IdleWorkers = threads of
// the server process whose last ALPC event is WaitForNewMessage.
//
// RPC, one per (interface, procnum, endpoint, client, server): Protocol
// "ncalrpc"; Calls = completed client calls (event 5 … 7), Failed = those
// whose stop status is not 0; Latency = client stop − client start;
// ServerTime = server stop (8) − server start (6).
//
// Sections mapped in two or more processes: Key = FileKey as %#x; Name =
// the backing file's NT path (FileIo Name event), "" for page-file
// sections; PIDs sorted; Views = MapFile + MapFileDCStart events (a view
// seen at DCStart and DCEnd counts once; UnmapFile and DCEnd add nothing);
// Bytes = the sum of their ViewSize; Kind "file" or "pagefile"; First /
// Last = the first and last MapFile/UnmapFile/DCStart/DCEnd event;
// OverlapUS = the time during which views were mapped in two or more
// processes at once (views still mapped count until End); Open = views
// still mapped at the end (MapFileDCEnd).
//
// Stuck, in order of Since: pipe-read (a Read that never completes),
// pipe-transceive, pipe-listen, alpc-reply (Send + WaitForReply never
// answered). PID/TID = the waiting thread; Object = `\\.\pipe\X` or the
// port name; Since = the operation start (the ALPC Send); WaitedUS = End −
// Since; PeerPID/PeerTID = the other end's process and its last active
// thread (pipes) or the port's server process and thread (ALPC), 0 when
// unknown; PeerLastActivity = time of the peer process's last pipe, ALPC,
// RPC or MapFile event. ALPC entries also carry MessageID and Detail
// "received by the server, no reply (docs/rules.md A6)" or "never
// received: no server thread took the message (docs/rules.md A6)".
//
// Deadlocks: each cycle lists its waiters (PID, TID, Object = the port
// waited on), starting with the lowest PID, each waiting on the next.
//
// Security: one entry per snapshot: Object = the snapshot's NT name, Type,
// Owner = owner SID string, OwnerName = secdesc.Name of it, OwnerPID = the
// snapshot's owner PID, SDDL formatted by decoders/secdesc, Exposure = the
// names of secdesc.Explain's findings, Severity = its verdict, Summary =
// its summary; Ops is not computed (0).
//
// Loss: in the lossy and mixed scenarios the events of traffic rounds 2
// and 3 (0-based) are dropped and do not count anywhere in the truth.
//
// A 1 GiB trace for benchmarks: `ipctrace synth mixed --scale 13000 -o big.etl`
// (1.10 GB; about 17 s and 32 MiB peak RSS on the 2-core build machine).
package synth
