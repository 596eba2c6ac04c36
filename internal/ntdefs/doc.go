// Package ntdefs holds the Windows NT definitions ipctrace reads traces
// with: the string form of a security identifier, the NTSTATUS values and
// FSCTL codes it names, and the classes of NT device paths it tells apart.
//
// Each fact lives here once, so that the reader (etw), the decoders, the
// security-descriptor parser, the correlator, the trace synthesiser and the
// probes print and test them alike. The package uses the standard library
// only and imports nothing else of ipctrace, so any package may import it.
//
// Sources are Microsoft's published specifications (MS-DTYP for SIDs, the
// WDK headers' CTL_CODE macro for FSCTL codes); nothing here has been
// checked against a running Windows (docs/WINDOWS.md, verification status).
package ntdefs
