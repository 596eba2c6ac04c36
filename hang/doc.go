// Package hang explains why live Windows processes are stuck, right now,
// without a recording (issue 16): the wait chains of their threads as Wait
// Chain Traversal reports them (docs/events.md#wait-chains), the thread states and
// wait reasons of NtQuerySystemInformation(SystemProcessInformation), and the
// named-pipe ends the processes hold, which WCT does not follow.
//
// The package has three layers:
//
//   - parsers of what Windows returns (WAITCHAIN_NODE_INFO arrays,
//     SYSTEM_PROCESS_INFORMATION lists in their 64- and 32-bit layouts),
//     pure Go, tested and fuzzed on every OS;
//   - Analyze, which turns a Snapshot (the threads' chains, states and pipe
//     ends, in plain types) into a Result: stuck waits, each with its
//     mechanism and whether it was read from Windows or inferred, and
//     deadlocks at thread and process level;
//   - Collect (Windows only), which reads a Snapshot of target processes.
//     It only reads: it never connects to a pipe, never opens a pipe by
//     name and never injects a thread.
//
// ToModel converts a Result into the report model so that `ipctrace hang`
// renders through the same report renderers as a trace.
package hang
