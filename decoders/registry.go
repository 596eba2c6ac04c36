package decoders

import (
	"fmt"
	"math"
	"sort"

	"github.com/ipctrace/ipctrace/etw"
)

// Kernel class GUIDs (docs/events.md#kernel-classes; corpus README group table).
var (
	EventTraceGUID   = etw.MustParseGUID("68fdd900-4a3e-11d1-84f4-0000f80464e3")
	SystemConfigGUID = etw.MustParseGUID("01853a65-418f-4f36-aefc-dc0f1d2fd235")
	ProcessGUID      = etw.MustParseGUID("3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c")
	ThreadGUID       = etw.MustParseGUID("3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c")
	PageFaultGUID    = etw.MustParseGUID("3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c")
	DiskIoGUID       = etw.MustParseGUID("3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c")
	ImageGUID        = etw.MustParseGUID("2cb15d1d-5fc1-11d2-abe1-00a0c911f518")
	FileIoGUID       = etw.MustParseGUID("90cbdc39-4a3e-11d1-84f4-0000f80464e3")
	ALPCGUID         = etw.MustParseGUID("45d8cccd-539f-4b72-a8b7-5c683142609a")
	ObjectGUID       = etw.MustParseGUID("89497f50-effe-4440-8cf2-ce6b1cdcaca7")
	LostEventGUID    = etw.MustParseGUID("6a399ae0-4bc6-4de9-870b-3657f8947e7e")
	StackWalkGUID    = etw.MustParseGUID("def2fe46-7bd6-4b80-bd94-f57fe20d0ce3")

	// SystemTraceControlGUID is the NT Kernel Logger session GUID; it is
	// never an event provider id (docs/events.md#kernel-classes).
	SystemTraceControlGUID = etw.MustParseGUID("9e814aad-3204-11d2-9a82-006008a86939")
	// KernelRundownGUID makes the kernel emit FileRundown on demand (docs/events.md#kernel-classes, docs/recording.md#rundown).
	KernelRundownGUID = etw.MustParseGUID("3b9c9951-3480-4220-9377-9c8e5184f5cd")
)

// Manifest provider GUIDs (docs/events.md#manifest-providers).
var (
	KernelFileGUID    = etw.MustParseGUID("edd08927-9cc4-4e65-b970-c2560fb5c289") // Microsoft-Windows-Kernel-File
	KernelProcessGUID = etw.MustParseGUID("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716") // Microsoft-Windows-Kernel-Process
	RPCGUID           = etw.MustParseGUID("6ad52b32-d609-4be9-ae07-ce8dae937e39") // Microsoft-Windows-RPC
	KernelMemoryGUID  = etw.MustParseGUID("d1d93ef7-e1f2-4f45-9943-03d245fe6c00") // Microsoft-Windows-Kernel-Memory
)

// providerNames maps known GUIDs to names for display.
var providerNames = map[etw.GUID]string{
	EventTraceGUID:    "EventTrace",
	SystemConfigGUID:  "SystemConfig",
	ProcessGUID:       "Process",
	ThreadGUID:        "Thread",
	PageFaultGUID:     "PageFault",
	DiskIoGUID:        "DiskIo",
	ImageGUID:         "Image",
	FileIoGUID:        "FileIo",
	ALPCGUID:          "ALPC",
	ObjectGUID:        "Object",
	LostEventGUID:     "LostEvent",
	StackWalkGUID:     "StackWalk",
	KernelFileGUID:    "Microsoft-Windows-Kernel-File",
	KernelProcessGUID: "Microsoft-Windows-Kernel-Process",
	RPCGUID:           "Microsoft-Windows-RPC",
	KernelMemoryGUID:  "Microsoft-Windows-Kernel-Memory",
	etw.MustParseGUID("9a280ac0-c8e0-11d1-84e2-00c04fb998a2"): "TcpIp",
	etw.MustParseGUID("bf3a50c5-a9c9-4988-a005-2df0b7c80f80"): "UdpIp",
	etw.MustParseGUID("ae53722e-c863-11d2-8659-00c04fa321a1"): "Registry",
	etw.MustParseGUID("ce1dbfb4-137e-4da6-87b0-3f59aa102cbc"): "PerfInfo",
	etw.MustParseGUID("3282fc76-feed-498e-8aa7-e70f459d430e"): "Job",
	etw.MustParseGUID("13976d09-a327-438c-950b-7f03192815c7"): "DbgPrint",
	etw.MustParseGUID("0268a8b6-74fd-4302-9dd0-6e8f1795c0cf"): "Pool",
	etw.MustParseGUID("222962ab-6180-4b88-a825-346b75f2a24a"): "Heap",
	etw.MustParseGUID("e43445e0-0903-48c3-b878-ff0fccebdd04"): "Power",
	etw.MustParseGUID("b2d14872-7c5b-463d-8419-ee9bf7d23e04"): "Dpc",
	etw.MustParseGUID("3ac66736-cc59-4cff-8115-8df50e39816b"): "CritSec",
	etw.MustParseGUID("c861d0e2-a2c1-4d36-9f9c-970bab943a12"): "ThreadPool",
	etw.MustParseGUID("d837ca92-12b9-44a5-ad6a-3a65b3578aa8"): "SplitIo",
}

// ProviderName returns a known name for a provider or class GUID, or "".
func ProviderName(g etw.GUID) string {
	if n, ok := providerNames[g]; ok {
		return n
	}
	if n, ok := tlProviderNames[g]; ok {
		return n
	}
	return ""
}

// KernelKey is the key of a classic kernel event: class GUID, opcode, version.
func KernelKey(class etw.GUID, opcode uint8, version uint16) Key {
	return Key{Provider: class, ID: uint16(opcode), Version: version}
}

// ManifestKey is the key of a manifest event: provider GUID, event id, version.
func ManifestKey(provider etw.GUID, id uint16, version uint16) Key {
	return Key{Provider: provider, Manifest: true, ID: id, Version: version}
}

// String formats k like the corpus truth keys: "<guid>|event|id=I|v=V" or
// "<guid>|op=O|v=V".
func (k Key) String() string {
	if k.Manifest {
		return fmt.Sprintf("%s|event|id=%d|v=%d", k.Provider, k.ID, k.Version)
	}
	return fmt.Sprintf("%s|op=%d|v=%d", k.Provider, k.ID, k.Version)
}

// Entry is one registered layout: both directions of one event version.
type Entry struct {
	// Decode decodes payload into storage owned by p (p may be nil: the
	// event is then freshly allocated). The event is returned even with an
	// error, holding what could be read.
	Decode func(p *Parser, payload []byte, ptr int) (Event, error)
	// decodeTo is Decode into dst, an event of the entry's type, when
	// dst is not nil (Parser.Reserve).
	decodeTo func(p *Parser, dst Event, payload []byte, ptr int) (Event, error)
	// index is the registration order, for per-entry tables in the Parser.
	// It sits beside decodeTo: DecodeInto reads both for every event, and
	// one cache line then serves.
	index int

	Key  Key
	Name string // "FileIo/Create", "Microsoft-Windows-RPC/RpcClientCallStart", …
	// MinSize is the smallest payload that can decode for pointer size ptr.
	MinSize func(ptr int) int
	// Encode appends the payload of ev to dst.
	Encode func(dst []byte, ev Event, ptr int) ([]byte, error)
	// PointerFields are the JSON names of the event's pointer-sized fields
	// (kernel addresses), which MarshalFields writes as hex strings.
	PointerFields []string
	// New returns a zero event of the type Decode produces, so that a
	// caller can choose by type which events to decode (Parser.Want).
	New func() Event
}

// Index is e's registration order: dense from 0, for tables by entry.
func (e *Entry) Index() int { return e.index }

var registry = map[Key]*Entry{}

// register adds entries built from one layout for several keys.
func register(e *Entry) {
	if _, dup := registry[e.Key]; dup {
		panic("decoders: duplicate key " + e.Key.String())
	}
	e.index = len(registry)
	if e.index+1 > math.MaxUint16 {
		panic("decoders: more layouts than Decoded.Layout can number")
	}
	registry[e.Key] = e
}

// Lookup returns the entry for key.
func Lookup(key Key) (*Entry, bool) {
	e, ok := registry[key]
	return e, ok
}

// Entries returns every registered entry, sorted by provider name, id and version.
func Entries() []*Entry {
	out := make([]*Entry, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key, out[j].Key
		if a.Provider != b.Provider {
			return a.Provider.String() < b.Provider.String()
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Version < b.Version
	})
	return out
}

// Encode returns the payload of ev under key (the inverse of decoding), for
// pointer size ptr (4 or 8).
func Encode(key Key, ev Event, ptr int) ([]byte, error) {
	e, ok := registry[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoDecoder, key)
	}
	return e.Encode(nil, ev, ptr)
}

// DecodePayload decodes one payload under key without a Parser (the event is
// freshly allocated). Used by tools and tests; hot paths use Parser.Decode.
func DecodePayload(key Key, payload []byte, ptr int) (Event, error) {
	e, ok := registry[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoDecoder, key)
	}
	return e.Decode(nil, payload, ptr)
}

// eventPtr constrains PT to *T implementing Event.
type eventPtr[T any] interface {
	*T
	Event
}

// def describes the registration of one layout under several keys.
type def[T any, PT eventPtr[T]] struct {
	name string
	l    *layout[T]
	slot func(*Parser) *T // per-type storage in the Parser
	init func(*T)         // constants implied by the key (Op, Server, …)
}

// add registers d for key.
func (d def[T, PT]) add(key Key) {
	l, slot, init := d.l, d.slot, d.init
	ent := &Entry{
		Key:           key,
		Name:          d.name,
		MinSize:       l.minSize,
		PointerFields: l.pointerJSON(),
		New:           func() Event { return PT(new(T)) },
		Encode:        d.encoder(key),
	}
	// The constants init sets are set once, in the value every decode
	// starts from.
	var start T
	if init != nil {
		init(&start)
	}
	ent.decodeTo = func(p *Parser, dst Event, payload []byte, ptr int) (Event, error) {
		var e *T
		var in *interner
		switch {
		case dst != nil:
			e = (*T)(dst.(PT)) // another type is the caller's bug
			in = &p.in
		case p != nil:
			e = slot(p)
			in = &p.in
		default:
			e = new(T)
		}
		*e = start
		err := l.decode(e, payload, ptr, &key, in)
		return PT(e), err
	}
	ent.Decode = func(p *Parser, payload []byte, ptr int) (Event, error) {
		return ent.decodeTo(p, nil, payload, ptr)
	}
	register(ent)
}

// encoder is the Encode of d's layout under key.
func (d def[T, PT]) encoder(key Key) func(dst []byte, ev Event, ptr int) ([]byte, error) {
	l := d.l
	return func(dst []byte, ev Event, ptr int) ([]byte, error) {
		t, ok := ev.(PT)
		if !ok || t == nil {
			return dst, fmt.Errorf("%w: %s wants %T, got %T", ErrEventType, key, PT(nil), ev)
		}
		return l.encode(dst, (*T)(t), ptr)
	}
}

// helpers to write layouts compactly.
func u8[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kU8, ref: ref}
}
func u16[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kU16, ref: ref}
}
func u32[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kU32, ref: ref}
}
func u64[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kU64, ref: ref}
}
func pointer[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kPtr, ref: ref}
}
func guid[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kGUID, ref: ref}
}
func wstr[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kUTF16z, ref: ref}
}
func astr[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kANSIz, ref: ref}
}
func fixedW[T any](name string, n int, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kFixedUTF16, n: n, ref: ref}
}
func systime[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kSystemTime, ref: ref}
}
func alignP[T any](name string) field[T] { return field[T]{name: name, kind: kAlignP} }
func rest[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kRest, ref: ref}
}
func sized[T any](name string, ref func(*T) any) field[T] {
	return field[T]{name: name, kind: kSizedBytes, ref: ref}
}

// optional marks f as an optional trailing field recorded in *has.
func optional[T any](f field[T], has func(*T) *bool) field[T] {
	f.has = has
	return f
}

// fields builds a layout and locates the destination of each numeric,
// GUID and string field in T once (see field.dst).
func fields[T any](fs ...field[T]) *layout[T] {
	l := &layout[T]{fields: fs}
	l.prepare()
	return l
}
