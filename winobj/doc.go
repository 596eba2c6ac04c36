// Package winobj reads the Windows object namespace, the system handle
// table and the security descriptors of IPC objects: named pipes (through
// duplicated handles, never by opening the pipe name), named sections and
// ALPC ports. record writes what it finds as SecuritySnapshot events
// (docs/WINDOWS.md).
//
// The parsers of the structures Windows returns (FILE_DIRECTORY_INFORMATION,
// SYSTEM_HANDLE_INFORMATION_EX, OBJECT_DIRECTORY_INFORMATION, UNICODE_STRING,
// self-relative SECURITY_DESCRIPTOR lengths) carry no build tag and are
// tested and fuzzed on every OS; the calls into ntdll are in the
// *_windows.go files (amd64 and arm64).
//
// For tools that inspect handles of other processes, LoadHandles returns
// the handle table (HandleTable.Dup duplicates one entry), and PipeEnd and
// ObjectName query a duplicated pipe handle.
package winobj
