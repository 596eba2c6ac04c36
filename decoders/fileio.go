package decoders

// FileIo (docs/events.md#fileio) and Microsoft-Windows-Kernel-File (docs/events.md#kernel-file) layouts.
// V3 (Windows 8+) puts the issuing thread id after the pointers as a u32;
// V2 (Vista/7) has it pointer-sized and second. Kernel-File v0 uses the V2
// order and v1 the V3 order; its events are mapped onto the classic types
// and Op values so that correlation sees one vocabulary.

// Create (64): docs/events.md#fileio-v3 / docs/events.md#fileio-v2.
var (
	createV3 = fields(
		pointer("IrpPtr", func(e *FileCreate) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FileCreate) any { return &e.FileObject }),
		u32("TTID", func(e *FileCreate) any { return &e.TTID }),
		u32("CreateOptions", func(e *FileCreate) any { return &e.CreateOptions }),
		u32("FileAttributes", func(e *FileCreate) any { return &e.FileAttributes }),
		u32("ShareAccess", func(e *FileCreate) any { return &e.ShareAccess }),
		wstr("OpenPath", func(e *FileCreate) any { return &e.OpenPath }),
	)
	createV2 = fields(
		pointer("IrpPtr", func(e *FileCreate) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FileCreate) any { return &e.TTID }),
		pointer("FileObject", func(e *FileCreate) any { return &e.FileObject }),
		u32("CreateOptions", func(e *FileCreate) any { return &e.CreateOptions }),
		u32("FileAttributes", func(e *FileCreate) any { return &e.FileAttributes }),
		u32("ShareAccess", func(e *FileCreate) any { return &e.ShareAccess }),
		wstr("OpenPath", func(e *FileCreate) any { return &e.OpenPath }),
	)
)

// SimpleOp (65 Cleanup, 66 Close, 73 Flush).
var (
	simpleV3 = fields(
		pointer("IrpPtr", func(e *FileSimpleOp) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FileSimpleOp) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileSimpleOp) any { return &e.FileKey }),
		u32("TTID", func(e *FileSimpleOp) any { return &e.TTID }),
	)
	simpleV2 = fields(
		pointer("IrpPtr", func(e *FileSimpleOp) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FileSimpleOp) any { return &e.TTID }),
		pointer("FileObject", func(e *FileSimpleOp) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileSimpleOp) any { return &e.FileKey }),
	)
)

// ReadWrite (67 Read, 68 Write), pack(1). ExtraFlags is read only when present (docs/events.md#disagreements D3).
var (
	readWriteV3 = fields(
		u64("Offset", func(e *FileReadWrite) any { return &e.Offset }),
		pointer("IrpPtr", func(e *FileReadWrite) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FileReadWrite) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileReadWrite) any { return &e.FileKey }),
		u32("TTID", func(e *FileReadWrite) any { return &e.TTID }),
		u32("IoSize", func(e *FileReadWrite) any { return &e.IoSize }),
		u32("IoFlags", func(e *FileReadWrite) any { return &e.IoFlags }),
		optional(u32("ExtraFlags", func(e *FileReadWrite) any { return &e.ExtraFlags }),
			func(e *FileReadWrite) *bool { return &e.HasExtraFlags }),
	)
	readWriteV2 = fields(
		u64("Offset", func(e *FileReadWrite) any { return &e.Offset }),
		pointer("IrpPtr", func(e *FileReadWrite) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FileReadWrite) any { return &e.TTID }),
		pointer("FileObject", func(e *FileReadWrite) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileReadWrite) any { return &e.FileKey }),
		u32("IoSize", func(e *FileReadWrite) any { return &e.IoSize }),
		u32("IoFlags", func(e *FileReadWrite) any { return &e.IoFlags }),
	)
)

// Info (69 SetInfo, 70 Delete, 71 Rename, 74 QueryInfo, 75 FSControl).
var (
	infoV3 = fields(
		pointer("IrpPtr", func(e *FileInfo) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FileInfo) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileInfo) any { return &e.FileKey }),
		pointer("ExtraInfo", func(e *FileInfo) any { return &e.ExtraInfo }),
		u32("TTID", func(e *FileInfo) any { return &e.TTID }),
		u32("InfoClass", func(e *FileInfo) any { return &e.InfoClass }),
	)
	infoV2 = fields(
		pointer("IrpPtr", func(e *FileInfo) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FileInfo) any { return &e.TTID }),
		pointer("FileObject", func(e *FileInfo) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileInfo) any { return &e.FileKey }),
		pointer("ExtraInfo", func(e *FileInfo) any { return &e.ExtraInfo }),
		u32("InfoClass", func(e *FileInfo) any { return &e.InfoClass }),
	)
)

// DirEnum (72 DirEnum, 77 DirNotify).
var (
	dirEnumV3 = fields(
		pointer("IrpPtr", func(e *FileDirEnum) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FileDirEnum) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileDirEnum) any { return &e.FileKey }),
		u32("TTID", func(e *FileDirEnum) any { return &e.TTID }),
		u32("Length", func(e *FileDirEnum) any { return &e.Length }),
		u32("InfoClass", func(e *FileDirEnum) any { return &e.InfoClass }),
		u32("FileIndex", func(e *FileDirEnum) any { return &e.FileIndex }),
		wstr("FileName", func(e *FileDirEnum) any { return &e.FileName }),
	)
	dirEnumV2 = fields(
		pointer("IrpPtr", func(e *FileDirEnum) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FileDirEnum) any { return &e.TTID }),
		pointer("FileObject", func(e *FileDirEnum) any { return &e.FileObject }),
		pointer("FileKey", func(e *FileDirEnum) any { return &e.FileKey }),
		u32("Length", func(e *FileDirEnum) any { return &e.Length }),
		u32("InfoClass", func(e *FileDirEnum) any { return &e.InfoClass }),
		u32("FileIndex", func(e *FileDirEnum) any { return &e.FileIndex }),
		wstr("FileName", func(e *FileDirEnum) any { return &e.FileName }),
	)
)

// PathOp (79 DeletePath, 80 RenamePath, 81 SetLinkPath; Kernel-File 26–28).
var (
	pathOpV3 = fields(
		pointer("IrpPtr", func(e *FilePathOp) any { return &e.IrpPtr }),
		pointer("FileObject", func(e *FilePathOp) any { return &e.FileObject }),
		pointer("FileKey", func(e *FilePathOp) any { return &e.FileKey }),
		pointer("ExtraInfo", func(e *FilePathOp) any { return &e.ExtraInfo }),
		u32("TTID", func(e *FilePathOp) any { return &e.TTID }),
		u32("InfoClass", func(e *FilePathOp) any { return &e.InfoClass }),
		wstr("FileName", func(e *FilePathOp) any { return &e.FileName }),
	)
	pathOpV2 = fields(
		pointer("IrpPtr", func(e *FilePathOp) any { return &e.IrpPtr }),
		pointer("TTID", func(e *FilePathOp) any { return &e.TTID }),
		pointer("FileObject", func(e *FilePathOp) any { return &e.FileObject }),
		pointer("FileKey", func(e *FilePathOp) any { return &e.FileKey }),
		pointer("ExtraInfo", func(e *FilePathOp) any { return &e.ExtraInfo }),
		u32("InfoClass", func(e *FilePathOp) any { return &e.InfoClass }),
		wstr("FileName", func(e *FilePathOp) any { return &e.FileName }),
	)
)

// OperationEnd (76), same in V2 and V3.
var opEnd = fields(
	pointer("IrpPtr", func(e *FileOpEnd) any { return &e.IrpPtr }),
	pointer("ExtraInfo", func(e *FileOpEnd) any { return &e.ExtraInfo }),
	u32("NtStatus", func(e *FileOpEnd) any { return &e.Status }),
)

// Name (0, 32, 35, 36; Kernel-File 10, 11).
var nameLayout = fields(
	pointer("FileObject", func(e *FileName) any { return &e.FileKey }),
	wstr("FileName", func(e *FileName) any { return &e.FileName }),
)

// MapFile (37–40), docs/events.md#mapfile: V3 adds ByteOffset before ProcessId.
var (
	mapFileV3 = fields(
		pointer("ViewBase", func(e *MapFile) any { return &e.ViewBase }),
		pointer("FileObject", func(e *MapFile) any { return &e.FileKey }),
		u64("MiscInfo", func(e *MapFile) any { return &e.MiscInfo }),
		pointer("ViewSize", func(e *MapFile) any { return &e.ViewSize }),
		u64("ByteOffset", func(e *MapFile) any { return &e.ByteOffset }),
		u32("ProcessId", func(e *MapFile) any { return &e.ProcessID }),
	)
	mapFileV2 = fields(
		pointer("ViewBase", func(e *MapFile) any { return &e.ViewBase }),
		pointer("FileObject", func(e *MapFile) any { return &e.FileKey }),
		u64("MiscInfo", func(e *MapFile) any { return &e.MiscInfo }),
		pointer("ViewSize", func(e *MapFile) any { return &e.ViewSize }),
		u32("ProcessId", func(e *MapFile) any { return &e.ProcessID }),
	)
)

// fileIoNames names the classic FileIo opcodes (docs/events.md#fileio-opcodes).
var fileIoNames = map[Op]string{
	OpFileName: "Name", OpFileCreateName: "FileCreate", OpFileDeleteName: "FileDelete",
	OpFileRundown: "FileRundown", OpMapFile: "MapFile", OpUnmapFile: "UnmapFile",
	OpMapFileDCStart: "MapFileDCStart", OpMapFileDCEnd: "MapFileDCEnd",
	OpCreate: "Create", OpCleanup: "Cleanup", OpClose: "Close", OpRead: "Read", OpWrite: "Write",
	OpSetInfo: "SetInfo", OpDelete: "Delete", OpRename: "Rename", OpDirEnum: "DirEnum",
	OpFlush: "Flush", OpQueryInfo: "QueryInfo", OpFSControl: "FSControl",
	OpOperationEnd: "OperationEnd", OpDirNotify: "DirNotify", OpDeletePath: "DeletePath",
	OpRenamePath: "RenamePath", OpSetLinkPath: "SetLinkPath",
	OpSetSecurity: "SetSecurity", OpQuerySecurity: "QuerySecurity", OpSetEA: "SetEA",
	OpQueryEA: "QueryEA", OpRename29: "Rename29", OpCreateNewFile: "CreateNewFile",
}

// FileOpName names a FileIo Op value ("Create", "FSControl", …).
func FileOpName(op Op) string {
	if n, ok := fileIoNames[op]; ok {
		return n
	}
	return ""
}

func setOp[T any](op Op, ref func(*T) *Op) func(*T) {
	return func(e *T) { *ref(e) = op }
}

func createDef(op Op, l *layout[FileCreate], name string) def[FileCreate, *FileCreate] {
	return def[FileCreate, *FileCreate]{name: name, l: l,
		slot: func(p *Parser) *FileCreate { return &p.fileCreate },
		init: setOp(op, func(e *FileCreate) *Op { return &e.Op })}
}
func simpleDef(op Op, l *layout[FileSimpleOp], name string) def[FileSimpleOp, *FileSimpleOp] {
	return def[FileSimpleOp, *FileSimpleOp]{name: name, l: l,
		slot: func(p *Parser) *FileSimpleOp { return &p.fileSimple },
		init: setOp(op, func(e *FileSimpleOp) *Op { return &e.Op })}
}
func rwDef(op Op, l *layout[FileReadWrite], name string) def[FileReadWrite, *FileReadWrite] {
	return def[FileReadWrite, *FileReadWrite]{name: name, l: l,
		slot: func(p *Parser) *FileReadWrite { return &p.fileRW },
		init: setOp(op, func(e *FileReadWrite) *Op { return &e.Op })}
}
func infoDef(op Op, l *layout[FileInfo], name string) def[FileInfo, *FileInfo] {
	return def[FileInfo, *FileInfo]{name: name, l: l,
		slot: func(p *Parser) *FileInfo { return &p.fileInfo },
		init: setOp(op, func(e *FileInfo) *Op { return &e.Op })}
}
func dirDef(op Op, l *layout[FileDirEnum], name string) def[FileDirEnum, *FileDirEnum] {
	return def[FileDirEnum, *FileDirEnum]{name: name, l: l,
		slot: func(p *Parser) *FileDirEnum { return &p.fileDir },
		init: setOp(op, func(e *FileDirEnum) *Op { return &e.Op })}
}
func pathDef(op Op, l *layout[FilePathOp], name string) def[FilePathOp, *FilePathOp] {
	return def[FilePathOp, *FilePathOp]{name: name, l: l,
		slot: func(p *Parser) *FilePathOp { return &p.filePath },
		init: setOp(op, func(e *FilePathOp) *Op { return &e.Op })}
}
func nameDef(op Op, name string) def[FileName, *FileName] {
	return def[FileName, *FileName]{name: name, l: nameLayout,
		slot: func(p *Parser) *FileName { return &p.fileName },
		init: setOp(op, func(e *FileName) *Op { return &e.Op })}
}
func mapDef(op Op, l *layout[MapFile], name string) def[MapFile, *MapFile] {
	return def[MapFile, *MapFile]{name: name, l: l,
		slot: func(p *Parser) *MapFile { return &p.mapFile },
		init: setOp(op, func(e *MapFile) *Op { return &e.Op })}
}

var opEndDef = def[FileOpEnd, *FileOpEnd]{name: "FileIo/OperationEnd", l: opEnd,
	slot: func(p *Parser) *FileOpEnd { return &p.fileOpEnd }}

func init() {
	k := func(op Op, v uint16) Key { return KernelKey(FileIoGUID, uint8(op), v) }
	n := func(op Op) string { return "FileIo/" + fileIoNames[op] }

	// Name events: one layout in every version.
	for _, op := range []Op{OpFileName, OpFileCreateName, OpFileDeleteName, OpFileRundown} {
		for v := uint16(0); v <= 3; v++ {
			nameDef(op, n(op)).add(k(op, v))
		}
	}
	for _, op := range []Op{OpMapFile, OpUnmapFile, OpMapFileDCStart, OpMapFileDCEnd} {
		mapDef(op, mapFileV2, n(op)).add(k(op, 2))
		mapDef(op, mapFileV3, n(op)).add(k(op, 3))
	}
	createDef(OpCreate, createV2, n(OpCreate)).add(k(OpCreate, 2))
	createDef(OpCreate, createV3, n(OpCreate)).add(k(OpCreate, 3))
	for _, op := range []Op{OpCleanup, OpClose, OpFlush} {
		simpleDef(op, simpleV2, n(op)).add(k(op, 2))
		simpleDef(op, simpleV3, n(op)).add(k(op, 3))
	}
	for _, op := range []Op{OpRead, OpWrite} {
		rwDef(op, readWriteV2, n(op)).add(k(op, 2))
		rwDef(op, readWriteV3, n(op)).add(k(op, 3))
	}
	for _, op := range []Op{OpSetInfo, OpDelete, OpRename, OpQueryInfo, OpFSControl} {
		infoDef(op, infoV2, n(op)).add(k(op, 2))
		infoDef(op, infoV3, n(op)).add(k(op, 3))
	}
	for _, op := range []Op{OpDirEnum, OpDirNotify} {
		dirDef(op, dirEnumV2, n(op)).add(k(op, 2))
		dirDef(op, dirEnumV3, n(op)).add(k(op, 3))
	}
	for _, op := range []Op{OpDeletePath, OpRenamePath, OpSetLinkPath} {
		pathDef(op, pathOpV3, n(op)).add(k(op, 3))
	}
	opEndDef.add(k(OpOperationEnd, 2))
	opEndDef.add(k(OpOperationEnd, 3))

	// Microsoft-Windows-Kernel-File (docs/events.md#kernel-file): v0 = classic V2 order, v1 = V3 order.
	kf := func(id uint16, v uint16) Key { return ManifestKey(KernelFileGUID, id, v) }
	kn := func(s string) string { return "Kernel-File/" + s }
	nameDef(OpFileCreateName, kn("NameCreate")).add(kf(10, 0))
	nameDef(OpFileDeleteName, kn("NameDelete")).add(kf(11, 0))
	for _, c := range []struct {
		id   uint16
		op   Op
		name string
	}{{12, OpCreate, "Create"}, {30, OpCreateNewFile, "CreateNewFile"}} {
		createDef(c.op, createV2, kn(c.name)).add(kf(c.id, 0))
		createDef(c.op, createV3, kn(c.name)).add(kf(c.id, 1))
	}
	for _, c := range []struct {
		id   uint16
		op   Op
		name string
	}{{13, OpCleanup, "Cleanup"}, {14, OpClose, "Close"}, {21, OpFlush, "Flush"}} {
		simpleDef(c.op, simpleV2, kn(c.name)).add(kf(c.id, 0))
		simpleDef(c.op, simpleV3, kn(c.name)).add(kf(c.id, 1))
	}
	rwDef(OpRead, readWriteV2, kn("Read")).add(kf(15, 0))
	rwDef(OpRead, readWriteV3, kn("Read")).add(kf(15, 1))
	rwDef(OpWrite, readWriteV2, kn("Write")).add(kf(16, 0))
	rwDef(OpWrite, readWriteV3, kn("Write")).add(kf(16, 1))
	for _, c := range []struct {
		id   uint16
		op   Op
		name string
	}{
		{17, OpSetInfo, "SetInformation"}, {18, OpDelete, "SetDelete"}, {19, OpRename, "Rename"},
		{22, OpQueryInfo, "QueryInformation"}, {23, OpFSControl, "FSCTL"}, {29, OpRename29, "Rename29"},
	} {
		infoDef(c.op, infoV2, kn(c.name)).add(kf(c.id, 0))
		infoDef(c.op, infoV3, kn(c.name)).add(kf(c.id, 1))
	}
	for _, c := range []struct {
		id   uint16
		op   Op
		name string
	}{{31, OpSetSecurity, "SetSecurity"}, {32, OpQuerySecurity, "QuerySecurity"}, {33, OpSetEA, "SetEA"}, {34, OpQueryEA, "QueryEA"}} {
		infoDef(c.op, infoV3, kn(c.name)).add(kf(c.id, 1))
	}
	dirDef(OpDirEnum, dirEnumV2, kn("DirEnum")).add(kf(20, 0))
	dirDef(OpDirEnum, dirEnumV3, kn("DirEnum")).add(kf(20, 1))
	dirDef(OpDirNotify, dirEnumV2, kn("DirNotify")).add(kf(25, 0))
	dirDef(OpDirNotify, dirEnumV3, kn("DirNotify")).add(kf(25, 1))
	for _, c := range []struct {
		id   uint16
		op   Op
		name string
	}{{26, OpDeletePath, "DeletePath"}, {27, OpRenamePath, "RenamePath"}, {28, OpSetLinkPath, "SetLinkPath"}} {
		pathDef(c.op, pathOpV2, kn(c.name)).add(kf(c.id, 0))
		pathDef(c.op, pathOpV3, kn(c.name)).add(kf(c.id, 1))
	}
	def[FileOpEnd, *FileOpEnd]{name: kn("OperationEnd"), l: opEnd,
		slot: func(p *Parser) *FileOpEnd { return &p.fileOpEnd }}.add(kf(24, 0))
}
