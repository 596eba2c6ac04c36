// Package report renders a model.Model for people (Table, HTML), for
// programs (JSON, JSONL) and for timeline viewers (Perfetto). It never
// reads files or decodes events.
//
// Conventions (docs/README.md#contract): times are RFC 3339 UTC strings with 100 ns
// precision ("2026-01-01T00:00:00.0000000Z"); durations are microseconds
// (fields ending in _us); field names are stable: fields may be added,
// never renamed. Values computed by the inference rules
// (docs/rules.md P4–P9, A1–A7) are marked "inferred": true.
//
// # JSON (-o json)
//
// One object, the Model:
//
//	trace       object   trace facts and loss accounting (below)
//	processes   array    every process of the process table
//	pipes       array    named-pipe conversations and unpaired ends
//	alpc        array    ALPC conversations
//	rpc         array    RPC methods per client/server pair
//	sections    array    sections mapped by two or more processes
//	stuck       array    operations outstanding at the end or slower than --stuck-after
//	deadlocks   array    cycles in the wait-for graph
//	security    array    IPC objects with their security descriptor
//	window_messages  array  SendMessage conversations (omitted when none)
//	posted_queues    array  posted-message queues per receiving thread (omitted when none)
//	hung_pumps       array  threads reported as not pumping messages (omitted when none)
//	com              array  COM call delays (omitted when none)
//	mailslots        array  mailslots: one reader, its writers (omitted when none)
//	warnings    array    reader/decoder problems with file offsets (omitted when none)
//	timeline    array    per-operation spans, only with correlate.Options.Timeline (-o perfetto):
//	                     {pid, tid, category ("pipe", "alpc", "rpc", "window-message", "stuck"), name,
//	                     start_us (from trace.start), dur_us, flow_out, flow_in}
//	timeline_dropped     spans left out beyond Options.MaxSpans (omitted when 0)
//
// trace:
//
//	files               input file names
//	start, end          first and last event time
//	duration_us         end − start
//	events              records read (header event included)
//	ipc_events          records other than trace header, configuration, process, thread and image events
//	events_lost         logfile header EventsLost (sum over files)
//	buffers_lost        logfile header BuffersLost
//	lossy_windows       [{start, end, reason}]: buffers flagged EVENTS_LOST/BUFFER_LOST
//	                    (reason "EVENTS_LOST", "BUFFER_LOST", "EVENTS_LOST|BUFFER_LOST")
//	                    and LostEvent records (reason "LostEvent record")
//	lost_event_records  LostEvent class records (omitted when 0)
//	has_ipc             true when the model holds any IPC result: a pipe, ALPC, RPC or
//	                    section conversation, a stuck or idle operation, a deadlock or a
//	                    security object (report.HasIPC; ipc_events does not decide it)
//	processes_shown     the processes the table and HTML list: those the results name
//	                    (each also has "ipc": true in processes[])
//	lossy_windows_merged  lossy_windows merged where they overlap or touch, as the table
//	                    and HTML show them: [{start, end, reason}], reason listing the
//	                    distinct reasons and "(N windows)" when N were merged
//	namespaces          [{ns, files, reason}] when the input spans PID namespaces
//	filter              {pids, process, pipe, since, until, excluded_events} when a
//	                    filter applied
//
// processes[]: pid, parent_pid (omitted when 0), image, command_line, user (SID string),
// ns (omitted when 0), ipc (true when the table and HTML list the process; omitted when
// false).
//
// pipes[] (one server end connected to one client end, docs/rules.md#conversations):
//
//	name               \\.\pipe\X
//	instance           1-based server instance within the name (0 when unknown)
//	server_pid, client_pid   0 when that end is not in the trace
//	pairing            "filekey" (H1), "listen-completion" (H2) or "unpaired"
//	confidence         H2: 1/number of instances that could have taken the client
//	inferred           true: pairing and read/write matching are inferred
//	to_server, to_client     {ops, bytes}: reads completed on the server (client)
//	                   end and the bytes they returned (OperationEnd ExtraInfo)
//	latency_us         read latency: read end − start of the write that supplied its
//	                   first byte for pending reads, read start − write end for data
//	                   already queued (docs/rules.md P7–P9); TRANSCEIVE replies included
//	failures           {"PIPE_BUSY": n, "NOT_FOUND": n, "ACCESS_DENIED": n, "PIPE_BROKEN": n,
//	                   …, "STATUS_XXXXXXXX": n}; a failed open counts on the client's next
//	                   conversation on the name, else on an unpaired row
//	impersonated       the server issued FSCTL_PIPE_IMPERSONATE
//	lossy              the conversation overlaps a lossy window (omitted when false)
//	first, last        first and last event of the conversation
//	server_tid, client_tid, server_image, client_image
//	server_rule, client_rule  docs/rules.md P1–P3 rule that decided the role:
//	                   "fsctl", "disposition", "filekey-bit"
//	round_trip_us      client request (first write or TRANSCEIVE) to the end of the read
//	                   of the response
//	queue_delay_us     the queued-data part of latency_us
//	flush_drain_us     FlushFileBuffers durations (the peer draining the pipe)
//	connect_wait_us    LISTEN start to a client connecting
//
// Every *_us latency object is a latency.Summary: {count, p50, p90, p99, max,
// mean, approx}; approx is true when percentiles come from the HdrHistogram
// (more than 256 samples, 2 significant digits).
//
// alpc[] (keyed by client, server and port, docs/rules.md A1–A3):
//
//	port               server port name from WaitForNewMessage or the RPC endpoint
//	client_pid, server_pid
//	calls              completed request/reply pairs
//	pending            requests still waiting for a reply at the end
//	latency_us         client Receive(reply) − client Send(request)
//	server_time_us     server Send(reply) − server Receive(request)
//	inferred           true
//	lossy              overlaps a lossy window (omitted when false)
//	idle_workers       server threads whose last ALPC event is WaitForNewMessage
//	client_image, server_image, first, last
//
// rpc[] (docs/events.md#rpc, docs/rules.md R2): interface (UUID), procnum, endpoint, protocol
// ("ncalrpc", "ncacn_np", "ncacn_ip_tcp", "ncacn_http"), client_pid,
// server_pid (0 when not found), calls, failed (stop status ≠ 0, omitted when
// 0), latency_us (client call start → stop; server-side duration when the
// client is not in the trace), server_time_us (server call start → stop),
// interface_name and method (from the interface table, built-in or
// --interfaces; omitted when it does not know them), transport (ncacn_np:
// the pipe conversation \\.\pipe\X that carries the calls, docs/rules.md R3;
// omitted otherwise).
//
// sections[] (docs/rules.md#conversations, docs/events.md#mapfile): key (FileKey, 0x hex), name
// (backing file when known), pids, views (views mapped during or at the
// start of the trace), bytes (sum of their sizes), kind ("file", "pagefile",
// "physical", "type-0xN"), first, last, overlap_us (time with views in two
// or more processes), open_views (still mapped at the end).
//
// stuck[]:
//
//	kind               "pipe-read", "pipe-listen", "pipe-transceive", "pipe-flush",
//	                   "pipe-write", "alpc-reply", "sendmessage" (rule WM1: the
//	                   receiver is in its handler; WM2: it never retrieved the message)
//	pid, tid           the waiting thread
//	object             pipe name or ALPC port (or "ALPC message N")
//	since, waited_us   start of the wait and its length at the end of the trace
//	peer_pid, peer_tid the other end (for ALPC: the server; guessed from RPC
//	                   endpoint, port and call history when it never received)
//	peer_last_activity time of the peer process's last IPC event
//	inferred           true
//	detail             e.g. whether the ALPC server received the request
//	message_id         ALPC message id (omitted when 0)
//
// idle[]: operations open at the end that nobody waits on (servers waiting
// for work; never in stuck[]): kind, pid, tid, object, since, waited_us,
// rule, evidence, inferred, image, ns. The table and HTML group them by kind.
//
// deadlocks[]: {cycle: [{pid, tid, object, mechanism, kind, waited_us,
// receiver_tid, receiver_waits, ns}], level ("thread" or "process"),
// probable (process-level cycles: a probable deadlock), summary, inferred}:
// each waiter waits on the object served by the next one; the list starts at
// the lowest PID.
//
// window_messages[] (docs/rules.md WM1): sender_pid, sender_tid,
// receiver_pid, receiver_tid, sender_image, receiver_image, sent (SendMessage
// calls that returned), pending (still open at the end), messages
// ([{message, name, count}]: every send by number, returned or open; name
// is the WM_* name, "WM_USER+n", "WM_APP+n" or "registered message 0x…"),
// latency_us (SendMessageStart → SendMessageStop), queue_wait_us (→ the
// receiver's RetrieveSendMessageStart), handler_us (its Start → Stop),
// inferred, first, last.
//
// posted_queues[] (WM3): pid, tid (the receiving thread), image, retrieved,
// still_queued (posted and not retrieved at the end, counted on the thread
// that owns the window when it is known), poster_pids, queue_delay_us
// (QueuePostMessage → RetrievePostMessage), oldest_queued_us, inferred.
//
// hung_pumps[] (WM4): pid, tid, event ("MessageCheckDelay",
// "InputProcessDelay", or their "Immersive…" forms), class_name,
// top_level_class_name, image, image_path, app_user_model_id, reports,
// max_delay_ms, first, last, inferred. One per thread, event and window class.
//
// com[] (COM1–COM2): kind ("call-delay" or "modal-loop"), caller_pid,
// caller_tid, target_pid, target_tid, interface (IID), method (vtable slot),
// interface_name, method_name, caller_image, target_image, calls, failed
// (HRESULT < 0), results ({HRESULT name: n}), time_us (the time Windows
// reported), rpc_joined (calls matched to an RPC call on the same thread and
// interface), rpc_endpoint, rpc_protocol, inferred.
//
// mailslots[] (MS1): name (\\.\mailslot\X), reader_pid, reader_tid,
// reader_image, writers ([{pid, image, messages, bytes}]), messages and
// bytes (completed writes), reads and read_bytes (the reader's completed
// reads), pending_read (the reader waits for mail at the end: also an
// idle[] entry of kind "mailslot-read", rule I3), inferred.
//
// security[]: object (NT path), type ("pipe", "section", "alpc"), owner (SID
// string), sddl, exposure (secdesc finding names in order), severity
// (verdict), error (why there is no descriptor), owner_pid, owner_name, ops
// (the trace's operations on the object), summary.
//
// # JSON Lines (-o jsonl)
//
// One object per line, each with "kind": "trace" (the trace object above),
// then "process", "pipe", "alpc", "rpc", "section", "stuck", "idle",
// "deadlock", "security", "hung_pump", "window_messages", "posted_queue",
// "com", "mailslot" and "warning" ({"kind":"warning","message":…}); in "com" lines the
// COM kind is "com_kind".
// Objects carry the fields above (the trace line has_ipc, processes_shown and
// lossy_windows_merged too); in "stuck" lines the stuck kind is "stuck_kind",
// in "idle" lines "idle_kind", and in "section" lines the section kind is
// "section_kind". Every line also says where it came from, as the Parquet
// tables do (docs/parquet.md): "file" (when the report is of one file) and
// "trace_start"; with several PID namespaces, entities carry "ns".
//
// # Perfetto (-o perfetto)
//
// A Perfetto protobuf trace (open it at ui.perfetto.dev): a track per
// process and per thread (extra "overlapped I/O" tracks when a thread's
// operations overlap), one slice per timeline span, and flows from each
// pipe write to the read it fed, from each ALPC call to the server side
// that handled it, from each SendMessage to the receiver's handler and from
// each PostMessage to its retrieval. Operations still open at the end are "stuck" slices.
//
// An empty timeline (no span: the trace holds no pipe, ALPC or RPC
// operation to draw) is a valid trace of zero bytes; ipctrace report says
// so on stderr and refuses to write the binary form to a terminal.
//
// # Table (-o table) and HTML (-o html)
//
// Both format one View (NewView), built once from the model: its sections,
// rows and cells (strings escaped by internal/termsafe, bytes in B/KiB/MiB,
// times as offsets from the trace start), its process set and its merged
// loss windows; every count they print is the one JSON carries. The trace
// summary and loss come first ("no loss", or the counters and the merged
// windows), then one section per non-empty list: stuck operations,
// hung message pumps, deadlocks, idle servers (by kind), pipes, ALPC, RPC
// methods, window messages, posted message queues, COM call delays,
// mailslots, shared sections, security, and the processes those rows name. Values marked "*"
// are inferred and "~" marks histogram percentiles; the footnotes saying so
// appear only under sections with such a value. A trace without IPC results
// says so (or that the filter excluded everything) and how to record one.
//
// The table fits TableOptions.Width (120 unless the command finds the
// terminal's width or $COLUMNS): names are shortened with an ellipsis in
// the middle and the least useful columns are left out, each table saying
// which (internal/texttable); TableOptions.Wide shows every column. HTML
// shows every column, with details as second lines and tooltips, and lets
// names wrap so that tables fit a 1400 px window.
package report
