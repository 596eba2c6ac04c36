// Package decoders turns etw.Record values into typed IPC events.
//
// Decoders are registered in a table keyed by (provider or kernel class GUID,
// event id or opcode, version) — EVENTS.md "Decoder dispatch keys" — and each
// entry holds both directions: a decoder from payload bytes and an encoder
// back to them (used by the ETL writer and synth). Layouts follow
// ../shared/docs/EVENTS.md §1 (kernel classic events), §2 (manifest
// providers) and §0.1 (conventions: pointer size, HostOffset, forward
// compatibility).
package decoders
