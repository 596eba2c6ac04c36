package decoders

// Notes are human names for the codes inside a decoded event: what `dump`
// prints next to the raw fields. Interpretations docs/rules.md#certainty tags [I] set
// Inferred.
type Notes struct {
	Op            string    `json:"op,omitempty"`
	Status        string    `json:"status,omitempty"`
	FSCTL         string    `json:"fsctl,omitempty"`
	PipeFSCTL     bool      `json:"pipe_fsctl,omitempty"`
	InfoClass     string    `json:"info_class,omitempty"`
	Disposition   string    `json:"disposition,omitempty"`
	CreateOptions []string  `json:"create_options,omitempty"`
	ShareAccess   string    `json:"share_access,omitempty"`
	Path          *PathInfo `json:"path,omitempty"`
	Protocol      string    `json:"protocol,omitempty"`
	AuthnLevel    string    `json:"authn_level,omitempty"`
	AuthnService  string    `json:"authn_service,omitempty"`
	Impersonation string    `json:"impersonation,omitempty"`
	SectionType   string    `json:"section_type,omitempty"`
	Protection    string    `json:"protection,omitempty"`
	KernelHandle  bool      `json:"kernel_handle,omitempty"`
	Inferred      bool      `json:"inferred,omitempty"`
}

// MapFile MiscInfo interpretation (docs/events.md#mapfile, [S] fibratus).
var sectionTypes = map[uint64]string{0x0: "data", 0x4: "image", 0x8: "image-no-execute", 0xC: "pagefile", 0xD: "physical"}
var protections = map[uint64]string{1: "READONLY", 2: "EXECUTE", 3: "EXECUTE_READ", 4: "READWRITE", 5: "WRITECOPY",
	6: "EXECUTE_READWRITE", 7: "EXECUTE_WRITECOPY", 8: "NOCACHE", 9: "WRITECOMBINE"}

// Annotate returns the Notes of ev, or nil when there is nothing to add.
func Annotate(ev Event) *Notes {
	var n Notes
	path := func(p string) {
		if pi := ClassifyPath(p); pi.Kind != PathFile {
			n.Path = &pi
			n.Inferred = n.Inferred || pi.Inferred
		}
	}
	switch e := ev.(type) {
	case *FileCreate:
		n.Op = FileOpName(e.Op)
		n.Disposition = DispositionName(e.Disposition())
		n.CreateOptions = CreateOptionNames(e.CreateOptions)
		n.ShareAccess = ShareAccessNames(e.ShareAccess)
		path(e.OpenPath)
	case *FileInfo:
		n.Op = FileOpName(e.Op)
		if e.Op == OpFSControl {
			f := DecodeFSCTL(e.InfoClass)
			n.FSCTL = f.String()
			n.PipeFSCTL = f.IsPipe()
			n.Inferred = f.IsPipe() // pipe FSCTLs in InfoClass: [I] (docs/events.md#fsctl-code)
		} else {
			n.InfoClass = InfoClassName(e.InfoClass)
		}
	case *FileSimpleOp:
		n.Op = FileOpName(e.Op)
	case *FileReadWrite:
		n.Op = FileOpName(e.Op)
	case *FileDirEnum:
		n.Op = FileOpName(e.Op)
		n.InfoClass = InfoClassName(e.InfoClass)
	case *FilePathOp:
		n.Op = FileOpName(e.Op)
		n.InfoClass = InfoClassName(e.InfoClass)
		path(e.FileName)
	case *FileOpEnd:
		n.Status = StatusName(e.Status)
	case *FileName:
		n.Op = FileOpName(e.Op)
		path(e.FileName)
	case *MapFile:
		n.Op = FileOpName(e.Op)
		n.SectionType = sectionTypes[e.MiscInfo>>52]
		n.Protection = protections[(e.MiscInfo>>48)&0xF]
	case *AlpcMessage:
		n.Op = AlpcOpName(e.Op)
	case *AlpcUnwait:
		n.Status = StatusName(e.Status)
	case *AlpcRaw:
		n.Op = AlpcOpName(e.Op)
	case *RPCCallStart:
		n.Protocol = RPCProtocolName(e.Protocol)
		n.AuthnLevel = RPCAuthnLevelName(e.AuthenticationLevel)
		n.AuthnService = RPCAuthnServiceName(e.AuthenticationService)
		n.Impersonation = RPCImpersonationName(e.ImpersonationLevel)
	case *ObjectHandle:
		n.KernelHandle = e.Handle&0x80000000 != 0
	case *ObjectHandleDC:
		n.KernelHandle = e.Handle&0x80000000 != 0
	case *ObjectDuplicateHandle:
		n.KernelHandle = e.TargetHandle&0x80000000 != 0
	case *Process:
		n.Op = processOpNames[e.Op]
	case *Thread:
		n.Op = processOpNames[e.Op]
	case *Image:
		n.Op = imageOpNames[e.Op]
	case *SecuritySnapshot:
		path(e.Name)
	default:
		return nil
	}
	if n.Op == "" && n.Status == "" && n.FSCTL == "" && n.InfoClass == "" && n.Disposition == "" &&
		n.Path == nil && n.Protocol == "" && n.SectionType == "" && n.Protection == "" && !n.KernelHandle {
		return nil
	}
	return &n
}
