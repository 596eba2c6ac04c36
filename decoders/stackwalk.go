package decoders

// StackWalk classic kernel events (MOF StackWalk classes; docs/events.md#kernel-classes).

// stackFrames is the kernel's maximum stack depth (192 frames): arrays up
// to it decode into storage inside the event, without allocating.
const stackFrames = 192

// StackWalkStack is StackWalk Stack (32): the call stack of the event that
// precedes it, addresses pointer-sized, innermost first. Stack points into the
// event's own frame storage (up to 192 frames), so a copy of the struct
// shares it: clone Stack to keep it past the next Parser.Decode.
type StackWalkStack struct {
	EventTimeStamp uint64   `json:"event_time_stamp"`
	StackProcess   uint32   `json:"stack_process"`
	StackThread    uint32   `json:"stack_thread"`
	Stack          []uint64 `json:"stack"`

	frames [stackFrames]uint64
}

// StackWalkKeyRef is StackKeyKernel (37) / StackKeyUser (38): an event's
// stack given by a key whose frames come in a StackKeyRundown/Delete.
type StackWalkKeyRef struct {
	Op             Op     `json:"op"`
	EventTimeStamp uint64 `json:"event_time_stamp"`
	StackProcess   uint32 `json:"stack_process"`
	StackThread    uint32 `json:"stack_thread"`
	StackKey       uint64 `json:"stack_key"`
}

// StackWalkKeyDef is StackKeyDelete (35) / StackKeyRundown (36): the frames
// of a stack key.
type StackWalkKeyDef struct {
	Op       Op       `json:"op"`
	StackKey uint64   `json:"stack_key"`
	Stack    []uint64 `json:"stack"`

	frames [stackFrames]uint64
}

func (*StackWalkStack) EventName() string  { return "StackWalk/Stack" }
func (*StackWalkKeyRef) EventName() string { return "StackWalk/StackKey" }
func (*StackWalkKeyDef) EventName() string { return "StackWalk/StackKeyDef" }

func ptrArray[T any](name string, ref func(*T) any, buf func(*T) []uint64) field[T] {
	return field[T]{name: name, kind: kPtrArray, ref: ref, buf: buf}
}

var (
	stackWalkStack = fields(
		u64("EventTimeStamp", func(e *StackWalkStack) any { return &e.EventTimeStamp }),
		u32("StackProcess", func(e *StackWalkStack) any { return &e.StackProcess }),
		u32("StackThread", func(e *StackWalkStack) any { return &e.StackThread }),
		ptrArray("Stack", func(e *StackWalkStack) any { return &e.Stack },
			func(e *StackWalkStack) []uint64 { return e.frames[:] }))
	stackWalkKeyRef = fields(
		u64("EventTimeStamp", func(e *StackWalkKeyRef) any { return &e.EventTimeStamp }),
		u32("StackProcess", func(e *StackWalkKeyRef) any { return &e.StackProcess }),
		u32("StackThread", func(e *StackWalkKeyRef) any { return &e.StackThread }),
		pointer("StackKey", func(e *StackWalkKeyRef) any { return &e.StackKey }))
	stackWalkKeyDef = fields(
		pointer("StackKey", func(e *StackWalkKeyDef) any { return &e.StackKey }),
		ptrArray("Stack", func(e *StackWalkKeyDef) any { return &e.Stack },
			func(e *StackWalkKeyDef) []uint64 { return e.frames[:] }))
)

func init() {
	k := func(op Op) Key { return KernelKey(StackWalkGUID, uint8(op), 2) }
	def[StackWalkStack, *StackWalkStack]{name: "StackWalk/Stack", l: stackWalkStack,
		slot: func(p *Parser) *StackWalkStack { return &p.ext.stack }}.add(k(32))
	for op, name := range map[Op]string{37: "StackKeyKernel", 38: "StackKeyUser"} {
		def[StackWalkKeyRef, *StackWalkKeyRef]{name: "StackWalk/" + name, l: stackWalkKeyRef,
			slot: func(p *Parser) *StackWalkKeyRef { return &p.ext.stackRef },
			init: setOp(op, func(e *StackWalkKeyRef) *Op { return &e.Op })}.add(k(op))
	}
	for op, name := range map[Op]string{35: "StackKeyDelete", 36: "StackKeyRundown"} {
		def[StackWalkKeyDef, *StackWalkKeyDef]{name: "StackWalk/" + name, l: stackWalkKeyDef,
			slot: func(p *Parser) *StackWalkKeyDef { return &p.ext.stackDef },
			init: setOp(op, func(e *StackWalkKeyDef) *Op { return &e.Op })}.add(k(op))
	}
}
