// Package decoders turns etw.Record values into typed IPC events.
//
// Decoders are registered in a table keyed by (provider or kernel class GUID,
// event id or opcode, version) — docs/events.md#conventions — and each
// entry holds both directions: a decoder from payload bytes and an encoder
// back to them (used by the ETL writer and synth). Layouts follow
// docs/events.md#kernel-classes (kernel classic events), docs/events.md#manifest-providers (manifest
// providers) and docs/events.md#conventions (conventions: pointer size, HostOffset, forward
// compatibility).
package decoders
