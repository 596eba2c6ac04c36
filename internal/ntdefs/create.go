package ntdefs

// Create dispositions of NtCreateFile (FILE_SUPERSEDE … FILE_OVERWRITE_IF in
// the WDK's wdm.h). FileIo Create events carry the disposition in the high
// byte of CreateOptions.
const (
	FileSupersede   = 0
	FileOpen        = 1
	FileCreate      = 2
	FileOpenIf      = 3
	FileOverwrite   = 4
	FileOverwriteIf = 5
)

// Dispositions names the create dispositions by value.
var Dispositions = [...]string{"FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE", "FILE_OPEN_IF", "FILE_OVERWRITE", "FILE_OVERWRITE_IF"}
