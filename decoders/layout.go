package decoders

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/ipctrace/ipctrace/etw"
)

// Sentinel errors wrapped by DecodeError (use errors.Is).
var (
	// ErrTruncated: the payload ends before a field the layout requires.
	ErrTruncated = errors.New("payload truncated")
	// ErrBadValue: a field holds a value the layout cannot represent
	// (for example a SID whose sub-authority count runs past the payload).
	ErrBadValue = errors.New("bad field value")
	// ErrNoDecoder: Encode was asked for a key that has no layout.
	ErrNoDecoder = errors.New("no decoder for key")
	// ErrEventType: Encode was given an event of the wrong Go type for the key.
	ErrEventType = errors.New("event type does not match key")
	// ErrPointerSize: the pointer size is neither 4 nor 8.
	ErrPointerSize = errors.New("pointer size must be 4 or 8")
	// ErrAmbiguous: Encode was given an event whose payload would decode
	// as another event. A classic UserSID without a SID is a u32 0, and a
	// zero word followed by what reads as a SID is decoded as a TOKEN_USER
	// (decodeTokenSID), so the fields after it must not read as one.
	ErrAmbiguous = errors.New("payload would decode as another event")
)

// DecodeError reports a payload that does not fit its layout. Off is the
// offset in the payload of the field named by What (-1 when the error is
// not tied to a payload offset, as for a TraceLogging field of the wrong
// type).
type DecodeError struct {
	Key  Key
	Off  int
	What string
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decoders: %s: payload offset %d: %s: %v", e.Key, e.Off, e.What, e.Err)
}

// Unwrap returns the sentinel.
func (e *DecodeError) Unwrap() error { return e.Err }

// kind is the wire type of one layout field (docs/events.md#conventions).
type kind uint8

const (
	kU8         kind = iota // 1 byte
	kU16                    // 2 bytes
	kU32                    // 4 bytes
	kU64                    // 8 bytes
	kPtr                    // P bytes (4 or 8): the traced OS pointer width
	kGUID                   // 16 bytes, Windows byte order
	kUTF16z                 // NUL-terminated UTF-16LE; may lack its NUL at the end of the payload
	kANSIz                  // NUL-terminated 8-bit string (Latin-1)
	kFixedUTF16             // n UTF-16 code units, NUL padded (WCHAR[n])
	kTokenSID               // classic UserSID: u32 0, or TOKEN_USER {PSID, Attributes} + inline SID (docs/events.md#process)
	kSID                    // inline SID (manifest win:SID, docs/events.md#manifest-providers)
	kAlignP                 // zero bytes up to the next multiple of P
	kSizedBytes             // bytes whose length is the value of the previous u32 field
	kRest                   // every remaining byte
	kSystemTime             // SYSTEMTIME, 8 u16
	kIPv6                   // 16-byte IPv6 address (*IPv6Addr)
	kPtrArray               // every remaining P-byte element (*[]uint64); trailing partial element ignored
)

// field is one entry of a layout. ref returns a pointer to the destination
// in the event (*uint8, *uint16, *uint32, *int32, *uint64, *int64, *bool,
// *string, *etw.GUID, *[]byte or *SystemTime); the same description drives
// decoding and encoding.
type field[T any] struct {
	name string
	kind kind
	n    int // kFixedUTF16: code units
	ref  func(*T) any
	sid  func(*T) *SIDField // kTokenSID / kSID
	str  func(*T) *string   // kTokenSID / kSID: optional string mirror of the SID
	// buf returns reusable storage inside the event for a kPtrArray field,
	// so that arrays up to its capacity decode without allocating.
	buf func(*T) []uint64
	// has marks an optional trailing field: decoded only when the payload
	// still holds it, encoded only when *has(e) is true.
	has func(*T) *bool

	// dst and dsz locate a numeric destination inside T (byte offset and
	// size 1, 2, 4 or 8), computed once by prepare from ref: the hot path
	// then stores without calling ref. dsz 0 means "not an integer
	// located so" (see located).
	dst uintptr
	dsz uint8
	// located is set when dst locates, instead, the *etw.GUID or *string
	// destination of a GUID or string field, which decode then writes
	// without calling ref.
	located bool
}

// guidDst is the destination of a kGUID field.
func (f *field[T]) guidDst(e *T) *etw.GUID {
	if f.located && !slowOnly {
		return (*etw.GUID)(unsafe.Add(unsafe.Pointer(e), f.dst))
	}
	return f.ref(e).(*etw.GUID)
}

// strDst is the destination of a string field.
func (f *field[T]) strDst(e *T) *string {
	if f.located && !slowOnly {
		return (*string)(unsafe.Add(unsafe.Pointer(e), f.dst))
	}
	return f.ref(e).(*string)
}

// layout is an ordered field list. Offsets follow from the field sizes and
// the pointer size (PerfView's HostOffset rule, docs/events.md#conventions).
type layout[T any] struct {
	fields []field[T]

	// fast holds, per pointer size (index ptr>>3), the precomputed copy
	// plan of a layout made only of integers (all FileIo start events,
	// ALPC, Object, DiskIo…): decode then runs one bounds check and a
	// tight loop. nil when the layout has strings or other variable parts.
	fast *[2]fastPlan
	// optHas is the presence flag of the optional last field of a fast layout.
	optHas func(*T) *bool
	// segs, for a layout that is not fast but holds runs of two or more
	// integer or GUID fields between its variable ones (RPC call starts,
	// FileIo creates), cuts its fields into segments: the runs copy by a
	// plan, the other fields decode one by one. nil for the others.
	segs []segment
}

// segment is a stretch of a layout's fields, fields[first:end]: a run
// copied by plans (per pointer size, index ptr>>3; src offsets from the
// segment's start), or one field decoded on its own (plans nil).
type segment struct {
	first, end int
	plans      *[2]fastPlan
}

// fastPlan copies integers from payload offsets to event offsets.
type fastPlan struct {
	ops []fastOp
	req int // ops[:req] are required; ops[req:] is the optional tail (at most one)
	min int // payload bytes the required ops need
}

type fastOp struct {
	src  uint16 // payload offset
	ssz  uint8  // payload size: 1, 2, 4, 8
	dsz  uint8  // destination size
	conv uint8  // the common (ssz, dsz) pairs, one case each; convOther: both switches
	n    uint16 // convCopy: bytes copied
	dst  uintptr
}

// Conversions of a fast op.
const (
	convOther = iota
	conv1     // 1 byte to 1
	conv2     // 2 to 2
	conv4     // 4 to 4
	conv8     // 8 to 8
	conv4to8  // 4 to 8 (a 32-bit pointer into a uint64)
	convCopy  // n bytes as they are: integers of the same size, one after the other in both
)

// littleEndian reports whether the host is little-endian, where an
// integer's payload bytes are its bytes in memory, so that consecutive
// integers of the same sizes on both sides copy as one run (convCopy). A
// function, not a variable: layouts are prepared while package variables
// are initialised.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

func fastConv(ssz, dsz uint8) uint8 {
	switch {
	case ssz == dsz && ssz == 1:
		return conv1
	case ssz == dsz && ssz == 2:
		return conv2
	case ssz == dsz && ssz == 4:
		return conv4
	case ssz == dsz && ssz == 8:
		return conv8
	case ssz == 4 && dsz == 8:
		return conv4to8
	}
	return convOther
}

// prepare finds, for every numeric field whose destination is a fixed-size
// integer of T, and for every GUID and string field, the destination's
// offset in T, so that decode and encode can store and load it directly.
func (l *layout[T]) prepare() {
	var zero T
	base := uintptr(unsafe.Pointer(&zero))
	size := unsafe.Sizeof(zero)
	for i := range l.fields {
		f := &l.fields[i]
		switch f.kind {
		case kU8, kU16, kU32, kU64, kPtr:
		case kGUID, kUTF16z, kANSIz, kFixedUTF16:
			f.locate(&zero, base, size)
			continue
		default:
			continue
		}
		var p unsafe.Pointer
		var n uint8
		switch d := f.ref(&zero).(type) {
		case *uint8:
			p, n = unsafe.Pointer(d), 1
		case *int8:
			p, n = unsafe.Pointer(d), 1
		case *int16:
			p, n = unsafe.Pointer(d), 2
		case *Op:
			p, n = unsafe.Pointer(d), 1
		case *uint16:
			p, n = unsafe.Pointer(d), 2
		case *uint32:
			p, n = unsafe.Pointer(d), 4
		case *int32:
			p, n = unsafe.Pointer(d), 4
		case *uint64:
			p, n = unsafe.Pointer(d), 8
		case *int64:
			p, n = unsafe.Pointer(d), 8
		default:
			continue // bool and other conversions go through ref
		}
		off := uintptr(p) - base
		if off+uintptr(n) > size {
			panic("decoders: layout field " + f.name + " does not point into its event")
		}
		f.dst, f.dsz = off, n
	}
	l.prepareFast()
	if l.fast == nil {
		l.prepareSegments()
	}
}

// locate finds the offset in T of the destination of a GUID or string
// field (zero is a T at base, of size bytes); a destination of another
// type stays with ref.
func (f *field[T]) locate(zero *T, base, size uintptr) {
	var p, n uintptr
	switch d := f.ref(zero).(type) {
	case *etw.GUID:
		p, n = uintptr(unsafe.Pointer(d)), unsafe.Sizeof(*d)
	case *string:
		p, n = uintptr(unsafe.Pointer(d)), unsafe.Sizeof(*d)
	default:
		return
	}
	if p < base || p-base+n > size {
		panic("decoders: layout field " + f.name + " does not point into its event")
	}
	f.dst, f.located = p-base, true
}

// prepareFast builds the fast plans when every field is an integer with a
// located destination and at most the last one is optional.
func (l *layout[T]) prepareFast() {
	var plans [2]fastPlan
	for pi, ptr := range []int{4, 8} {
		off := 0
		plan := &plans[pi]
		for i := range l.fields {
			f := &l.fields[i]
			if f.dsz == 0 || (f.has != nil && i != len(l.fields)-1) {
				return
			}
			plan.ops = append(plan.ops, f.op(off, ptr))
			off += f.fixedSize(ptr)
			if f.has == nil {
				plan.req, plan.min = len(plan.ops), off
			} else {
				l.optHas = f.has
			}
		}
		if littleEndian() {
			plan.join()
		}
	}
	l.fast = &plans
}

// op is the plan op of f, an integer with a located destination or a
// copyable GUID, at payload offset off for pointer size ptr.
func (f *field[T]) op(off, ptr int) fastOp {
	n := f.fixedSize(ptr)
	if f.kind == kGUID {
		return fastOp{src: uint16(off), ssz: uint8(n), dsz: uint8(n), conv: convCopy, n: uint16(n), dst: f.dst}
	}
	return fastOp{src: uint16(off), ssz: uint8(n), dsz: f.dsz, conv: fastConv(uint8(n), f.dsz), dst: f.dst}
}

// copyable reports whether f can be part of a copied run: an integer
// with a located destination, or, on little-endian hosts (where its
// bytes in the payload are its bytes in memory), a located GUID.
func (f *field[T]) copyable() bool {
	return f.has == nil && (f.dsz != 0 || f.kind == kGUID && f.located && littleEndian())
}

// prepareSegments builds l.segs when some run of two or more fields can be
// copied (copyable) and nothing depends on the fields read before: no
// optional fields, no length taken from the field before (kSizedBytes).
func (l *layout[T]) prepareSegments() {
	for i := range l.fields {
		if f := &l.fields[i]; f.has != nil || f.kind == kSizedBytes {
			return
		}
	}
	var segs []segment
	runs := false
	for i := 0; i < len(l.fields); {
		j := i
		for j < len(l.fields) && l.fields[j].copyable() {
			j++
		}
		if j-i < 2 {
			segs = append(segs, segment{first: i, end: i + 1})
			i++
			continue
		}
		var plans [2]fastPlan
		for pi, ptr := range []int{4, 8} {
			plan := &plans[pi]
			off := 0
			for k := i; k < j; k++ {
				f := &l.fields[k]
				plan.ops = append(plan.ops, f.op(off, ptr))
				off += f.fixedSize(ptr)
			}
			plan.req, plan.min = len(plan.ops), off
			if littleEndian() {
				plan.join()
			}
		}
		segs = append(segs, segment{first: i, end: j, plans: &plans})
		runs = true
		i = j
	}
	if runs {
		l.segs = segs
	}
}

// join merges runs of required ops that copy integers of the same size
// on both sides, each right after the one before in the payload and in
// the event, into one convCopy op each; an op alone keeps its conversion.
func (p *fastPlan) join() {
	var ops []fastOp
	for i := 0; i < p.req; {
		j, end, dend := i+1, int(p.ops[i].src)+int(p.ops[i].ssz), p.ops[i].dst+uintptr(p.ops[i].dsz)
		for p.ops[i].ssz == p.ops[i].dsz && j < p.req {
			o := p.ops[j]
			if o.ssz != o.dsz || int(o.src) != end || o.dst != dend {
				break
			}
			end, dend = end+int(o.ssz), dend+uintptr(o.dsz)
			j++
		}
		o := p.ops[i]
		if j > i+1 {
			o.conv, o.n = convCopy, uint16(end-int(o.src))
		}
		ops = append(ops, o)
		i = j
	}
	req := len(ops)
	p.ops, p.req = append(ops, p.ops[p.req:]...), req
}

// decodeFast runs the fast plan; it reports false when the payload is too
// short, leaving the slow path to name the missing field. Every required
// op lies within plan.min bytes and the optional one is checked, so loads
// and stores go without further bounds checks.
func (l *layout[T]) decodeFast(e *T, b []byte, ptr int) bool {
	plan := &l.fast[ptr>>3]
	if len(b) < plan.min {
		return false
	}
	ops := plan.ops
	if n := len(ops); n > plan.req {
		o := &ops[n-1]
		if len(b) < int(o.src)+int(o.ssz) {
			ops = ops[:plan.req]
		} else {
			*l.optHas(e) = true
		}
	}
	runOps(ops, unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(e))
	return true
}

// runOps runs ops from the payload bytes at src into the event at dst;
// the caller has checked that the payload holds every op.
func runOps(ops []fastOp, src, dst unsafe.Pointer) {
	for i := range ops {
		o := &ops[i]
		s := unsafe.Add(src, o.src)
		d := unsafe.Add(dst, o.dst)
		switch o.conv {
		case convCopy:
			copy(unsafe.Slice((*byte)(d), o.n), unsafe.Slice((*byte)(s), o.n))
		case conv8:
			*(*uint64)(d) = binary.LittleEndian.Uint64(unsafe.Slice((*byte)(s), 8))
		case conv4:
			*(*uint32)(d) = binary.LittleEndian.Uint32(unsafe.Slice((*byte)(s), 4))
		case conv4to8:
			*(*uint64)(d) = uint64(binary.LittleEndian.Uint32(unsafe.Slice((*byte)(s), 4)))
		case conv1:
			*(*uint8)(d) = *(*uint8)(s)
		case conv2:
			*(*uint16)(d) = binary.LittleEndian.Uint16(unsafe.Slice((*byte)(s), 2))
		default:
			var v uint64
			switch o.ssz {
			case 1:
				v = uint64(*(*uint8)(s))
			case 2:
				v = uint64(binary.LittleEndian.Uint16(unsafe.Slice((*byte)(s), 2)))
			case 4:
				v = uint64(binary.LittleEndian.Uint32(unsafe.Slice((*byte)(s), 4)))
			default:
				v = binary.LittleEndian.Uint64(unsafe.Slice((*byte)(s), 8))
			}
			switch o.dsz {
			case 1:
				*(*uint8)(d) = uint8(v)
			case 2:
				*(*uint16)(d) = uint16(v)
			case 4:
				*(*uint32)(d) = uint32(v)
			default:
				*(*uint64)(d) = v
			}
		}
	}
}

// store writes v, truncated to the destination size, at byte offset f.dst of e.
func (f *field[T]) store(e *T, v uint64) {
	p := unsafe.Add(unsafe.Pointer(e), f.dst)
	switch f.dsz {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	default:
		*(*uint64)(p) = v
	}
}

// load reads the destination at byte offset f.dst of e.
func (f *field[T]) load(e *T) uint64 {
	p := unsafe.Add(unsafe.Pointer(e), f.dst)
	switch f.dsz {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	default:
		return *(*uint64)(p)
	}
}

// set stores a decoded integer into its destination.
func (f *field[T]) set(e *T, v uint64) {
	if f.dsz != 0 {
		f.store(e, v)
		return
	}
	setUint(f.ref(e), v)
}

// get loads an integer to encode.
func (f *field[T]) get(e *T) uint64 {
	if f.dsz != 0 {
		return f.load(e)
	}
	return getUint(f.ref(e))
}

func (l *layout[T]) minSize(ptr int) int {
	n := 0
	for _, f := range l.fields {
		if f.has != nil {
			break
		}
		switch f.kind {
		case kU8:
			n++
		case kU16:
			n += 2
		case kU32, kTokenSID:
			n += 4
		case kU64:
			n += 8
		case kPtr:
			n += ptr
		case kGUID, kSystemTime, kIPv6:
			n += 16
		case kFixedUTF16:
			n += 2 * f.n
		case kAlignP:
			if r := n % ptr; r != 0 {
				n += ptr - r
			}
		case kSID:
			n += 8
		}
	}
	return n
}

// slowOnly turns the fast plans and the located GUID and string
// destinations off: a test compares both paths.
var slowOnly bool

// decoder state for one payload.
type dec struct {
	b    []byte
	off  int
	ptr  int
	key  *Key // a pointer: a copy would stall on store forwarding (setRecordKey)
	in   *interner
	last uint32 // value of the last u32 read (kSizedBytes length)
}

func (d *dec) fail(what string, err error) error {
	return &DecodeError{Key: *d.key, Off: d.off, What: what, Err: err}
}

func (d *dec) need(n int, what string) error {
	if n < 0 || len(d.b)-d.off < n {
		return d.fail(what, ErrTruncated)
	}
	return nil
}

func (l *layout[T]) decode(e *T, b []byte, ptr int, key *Key, in *interner) error {
	if ptr != 4 && ptr != 8 {
		return &DecodeError{Key: *key, What: "pointer size", Err: ErrPointerSize}
	}
	if l.fast != nil && !slowOnly && l.decodeFast(e, b, ptr) {
		return nil
	}
	d := dec{b: b, ptr: ptr, key: key, in: in}
	if l.segs != nil && !slowOnly {
		for si := range l.segs {
			sg := &l.segs[si]
			if sg.plans == nil {
				if err := l.fields[sg.first].decode(e, &d); err != nil {
					return err
				}
				continue
			}
			plan := &sg.plans[ptr>>3]
			if len(b)-d.off < plan.min {
				return l.decodeFrom(e, &d, sg.first) // names the missing field
			}
			runOps(plan.ops, unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), d.off), unsafe.Pointer(e))
			d.off += plan.min
		}
		return nil
	}
	return l.decodeFrom(e, &d, 0)
}

// decodeFrom decodes the fields from index first on, field by field.
func (l *layout[T]) decodeFrom(e *T, d *dec, first int) error {
	for i := first; i < len(l.fields); i++ {
		f := &l.fields[i]
		if f.has != nil {
			if d.off+f.fixedSize(d.ptr) > len(d.b) || d.off >= len(d.b) {
				return nil
			}
			*f.has(e) = true
		}
		if err := f.decode(e, d); err != nil {
			return err
		}
	}
	return nil
}

// fixedSize is the wire size of fixed-size kinds (0 for variable ones).
func (f *field[T]) fixedSize(ptr int) int {
	switch f.kind {
	case kU8:
		return 1
	case kU16:
		return 2
	case kU32:
		return 4
	case kU64:
		return 8
	case kPtr:
		return ptr
	case kGUID, kSystemTime, kIPv6:
		return 16
	case kFixedUTF16:
		return 2 * f.n
	}
	return 0
}

func (f *field[T]) decode(e *T, d *dec) error {
	le := binary.LittleEndian
	switch f.kind {
	case kU8:
		if err := d.need(1, f.name); err != nil {
			return err
		}
		f.set(e, uint64(d.b[d.off]))
		d.off++
	case kU16:
		if err := d.need(2, f.name); err != nil {
			return err
		}
		f.set(e, uint64(le.Uint16(d.b[d.off:])))
		d.off += 2
	case kU32:
		if err := d.need(4, f.name); err != nil {
			return err
		}
		v := le.Uint32(d.b[d.off:])
		d.last = v
		f.set(e, uint64(v))
		d.off += 4
	case kU64:
		if err := d.need(8, f.name); err != nil {
			return err
		}
		f.set(e, le.Uint64(d.b[d.off:]))
		d.off += 8
	case kPtr:
		if err := d.need(d.ptr, f.name); err != nil {
			return err
		}
		var v uint64
		if d.ptr == 8 {
			v = le.Uint64(d.b[d.off:])
		} else {
			v = uint64(le.Uint32(d.b[d.off:]))
		}
		f.set(e, v)
		d.off += d.ptr
	case kGUID:
		if err := d.need(16, f.name); err != nil {
			return err
		}
		*f.guidDst(e) = etw.GUIDFromBytes(d.b[d.off:])
		d.off += 16
	case kSystemTime:
		if err := d.need(16, f.name); err != nil {
			return err
		}
		st := f.ref(e).(*SystemTime)
		for i := range st {
			st[i] = le.Uint16(d.b[d.off+2*i:])
		}
		d.off += 16
	case kUTF16z:
		raw, n := scanUTF16z(d.b[d.off:])
		*f.strDst(e) = d.in.utf16(raw)
		d.off += n
	case kANSIz:
		rest := d.b[d.off:]
		n := len(rest)
		end := n
		for i, c := range rest {
			if c == 0 {
				end, n = i, i+1
				break
			}
		}
		*f.strDst(e) = d.in.latin1(rest[:end])
		d.off += n
	case kFixedUTF16:
		if err := d.need(2*f.n, f.name); err != nil {
			return err
		}
		raw, _ := scanUTF16z(d.b[d.off : d.off+2*f.n])
		*f.strDst(e) = d.in.utf16(raw)
		d.off += 2 * f.n
	case kTokenSID:
		s := f.sid(e)
		if err := decodeTokenSID(d, s, f.name); err != nil {
			return err
		}
		if f.str != nil {
			*f.str(e) = s.String
		}
	case kSID:
		s := f.sid(e)
		n, err := sidLen(d.b[d.off:])
		if err != nil {
			return d.fail(f.name, err)
		}
		s.Raw = d.b[d.off : d.off+n : d.off+n]
		s.String = d.in.sid(s.Raw)
		if f.str != nil {
			*f.str(e) = s.String
		}
		d.off += n
	case kAlignP:
		if r := d.off % d.ptr; r != 0 {
			if err := d.need(d.ptr-r, f.name); err != nil {
				return err
			}
			d.off += d.ptr - r
		}
	case kSizedBytes:
		n := int(d.last)
		if err := d.need(n, f.name); err != nil {
			return err
		}
		*f.ref(e).(*[]byte) = nilIfEmpty(d.b[d.off : d.off+n : d.off+n])
		d.off += n
	case kRest:
		*f.ref(e).(*[]byte) = nilIfEmpty(d.b[d.off:len(d.b):len(d.b)])
		d.off = len(d.b)
	case kIPv6:
		if err := d.need(16, f.name); err != nil {
			return err
		}
		copy(f.ref(e).(*IPv6Addr)[:], d.b[d.off:])
		d.off += 16
	case kPtrArray:
		n := (len(d.b) - d.off) / d.ptr
		var a []uint64
		if f.buf != nil {
			a = f.buf(e)[:0]
		}
		for i := 0; i < n; i++ {
			if d.ptr == 8 {
				a = append(a, le.Uint64(d.b[d.off:]))
			} else {
				a = append(a, uint64(le.Uint32(d.b[d.off:])))
			}
			d.off += d.ptr
		}
		if len(a) == 0 {
			a = nil
		}
		*f.ref(e).(*[]uint64) = a
	}
	return nil
}

// nullPSIDToken reports whether a classic UserSID at b[off:] whose first
// word is 0 reads as a TOKEN_USER with a null PSID: when a well-formed SID
// header follows at the TOKEN_USER's size (decodeTokenSID; the encoder
// refuses a "no SID" that would read so, ErrAmbiguous).
func nullPSIDToken(b []byte, off, ptr int) bool {
	tok := 2 * ptr
	return len(b)-off >= tok && looksLikeSID(b[off+tok:])
}

// decodeTokenSID reads the classic UserSID field (docs/events.md#process): a u32 0
// means no SID (4 bytes); otherwise TOKEN_USER (8 bytes on x86, 16 on x64)
// followed by an inline SID.
func decodeTokenSID(d *dec, s *SIDField, what string) error {
	le := binary.LittleEndian
	if err := d.need(4, what); err != nil {
		return err
	}
	tok := 2 * d.ptr
	// PerfView's SkipSID rule: a zero first word means no SID (4 bytes).
	// Some x86 traces carry a zero PSID followed by a SID all the same, so
	// a zero word followed by a well-formed SID header is read as TOKEN_USER.
	if le.Uint32(d.b[d.off:]) == 0 && !nullPSIDToken(d.b, d.off, d.ptr) {
		*s = SIDField{}
		d.off += 4
		return nil
	}
	if len(d.b)-d.off < tok {
		return d.fail(what+" TOKEN_USER", ErrTruncated) // name built only on failure: no allocation on the hot path
	}
	if d.ptr == 8 {
		s.TokenPtr = le.Uint64(d.b[d.off:])
	} else {
		s.TokenPtr = uint64(le.Uint32(d.b[d.off:]))
	}
	s.Attributes = le.Uint32(d.b[d.off+d.ptr:])
	if d.ptr == 8 {
		s.TokenPad = le.Uint32(d.b[d.off+12:])
	}
	s.HasToken = true
	d.off += tok
	n, err := sidLen(d.b[d.off:])
	if err != nil {
		return d.fail(what+" SID", err)
	}
	s.Raw = d.b[d.off : d.off+n : d.off+n]
	s.String = d.in.sid(s.Raw)
	d.off += n
	return nil
}

func setUint(dst any, v uint64) {
	switch p := dst.(type) {
	case *uint8:
		*p = uint8(v)
	case *int8:
		*p = int8(v)
	case *int16:
		*p = int16(v)
	case *uint16:
		*p = uint16(v)
	case *uint32:
		*p = uint32(v)
	case *int32:
		*p = int32(uint32(v))
	case *uint64:
		*p = v
	case *int64:
		*p = int64(v)
	case *bool:
		*p = v != 0
	case *Op:
		*p = Op(v)
	default:
		panic(fmt.Sprintf("decoders: layout field has destination %T", dst))
	}
}

func getUint(src any) uint64 {
	switch p := src.(type) {
	case *uint8:
		return uint64(*p)
	case *int8:
		return uint64(uint8(*p))
	case *int16:
		return uint64(uint16(*p))
	case *uint16:
		return uint64(*p)
	case *uint32:
		return uint64(*p)
	case *int32:
		return uint64(uint32(*p))
	case *uint64:
		return *p
	case *int64:
		return uint64(*p)
	case *bool:
		if *p {
			return 1
		}
		return 0
	case *Op:
		return uint64(*p)
	}
	panic(fmt.Sprintf("decoders: layout field has source %T", src))
}

// scanUTF16z returns the string bytes (without terminator) and the number of
// bytes consumed (with terminator, when present).
func scanUTF16z(b []byte) (raw []byte, n int) {
	// Four characters at a time while none of them is zero (the classic
	// "has a zero lane" test on 16-bit lanes), then one at a time.
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if (w-0x0001_0001_0001_0001)&^w&0x8000_8000_8000_8000 != 0 {
			break
		}
	}
	for ; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return b[:i], i + 2
		}
	}
	return b[:len(b)&^1], len(b)
}

func (l *layout[T]) encode(dst []byte, e *T, ptr int) ([]byte, error) {
	if ptr != 4 && ptr != 8 {
		return dst, ErrPointerSize
	}
	start := len(dst)
	le := binary.LittleEndian
	var last uint32
	noSID := -1 // offset of a classic UserSID written as "no SID"
	var noSIDName string
	for i := range l.fields {
		f := &l.fields[i]
		if f.has != nil && !*f.has(e) {
			break
		}
		switch f.kind {
		case kU8:
			dst = append(dst, uint8(f.get(e)))
		case kU16:
			dst = le.AppendUint16(dst, uint16(f.get(e)))
		case kU32:
			last = uint32(f.get(e))
			dst = le.AppendUint32(dst, last)
		case kU64:
			dst = le.AppendUint64(dst, f.get(e))
		case kPtr:
			v := f.get(e)
			if ptr == 8 {
				dst = le.AppendUint64(dst, v)
			} else {
				dst = le.AppendUint32(dst, uint32(v))
			}
		case kGUID:
			dst, _ = f.guidDst(e).AppendBinary(dst)
		case kSystemTime:
			for _, v := range f.ref(e).(*SystemTime) {
				dst = le.AppendUint16(dst, v)
			}
		case kUTF16z:
			dst = appendUTF16(dst, *f.strDst(e))
			dst = append(dst, 0, 0)
		case kANSIz:
			dst = appendLatin1(dst, *f.strDst(e))
			dst = append(dst, 0)
		case kFixedUTF16:
			at := len(dst)
			dst = appendUTF16(dst, *f.strDst(e))
			if len(dst)-at > 2*f.n {
				return dst[:start], fmt.Errorf("%s longer than %d UTF-16 units", f.name, f.n)
			}
			for len(dst)-at < 2*f.n {
				dst = append(dst, 0)
			}
		case kTokenSID:
			s := f.sid(e)
			raw, err := sidBytes(s, f.str, e)
			if err != nil {
				return dst[:start], fmt.Errorf("%s: %w", f.name, err)
			}
			if raw == nil {
				noSID, noSIDName = len(dst)-start, f.name
				dst = le.AppendUint32(dst, 0)
				break
			}
			tp := s.TokenPtr
			if !s.HasToken && tp == 0 {
				tp = 1 // a non-zero PSID marks the TOKEN_USER form
			}
			if ptr == 8 {
				dst = le.AppendUint64(dst, tp)
				dst = le.AppendUint32(dst, s.Attributes)
				dst = le.AppendUint32(dst, s.TokenPad)
			} else {
				dst = le.AppendUint32(dst, uint32(tp))
				dst = le.AppendUint32(dst, s.Attributes)
			}
			dst = append(dst, raw...)
		case kSID:
			raw, err := sidBytes(f.sid(e), f.str, e)
			if err != nil {
				return dst[:start], fmt.Errorf("%s: %w", f.name, err)
			}
			if raw == nil {
				return dst[:start], fmt.Errorf("%s: a SID is required", f.name)
			}
			dst = append(dst, raw...)
		case kAlignP:
			for (len(dst)-start)%ptr != 0 {
				dst = append(dst, 0)
			}
		case kSizedBytes:
			b := *f.ref(e).(*[]byte)
			if uint32(len(b)) != last {
				return dst[:start], fmt.Errorf("%s has %d bytes but its size field says %d", f.name, len(b), last)
			}
			dst = append(dst, b...)
		case kRest:
			dst = append(dst, *f.ref(e).(*[]byte)...)
		case kIPv6:
			dst = append(dst, f.ref(e).(*IPv6Addr)[:]...)
		case kPtrArray:
			for _, v := range *f.ref(e).(*[]uint64) {
				if ptr == 8 {
					dst = le.AppendUint64(dst, v)
				} else {
					dst = le.AppendUint32(dst, uint32(v))
				}
			}
		}
	}
	if noSID >= 0 && nullPSIDToken(dst[start:], noSID, ptr) {
		return dst[:start], fmt.Errorf("%s: none, but what follows reads as TOKEN_USER and a SID: %w", noSIDName, ErrAmbiguous)
	}
	return dst, nil
}

// sidBytes returns the binary SID of s, or of the string mirror when s is empty.
func sidBytes[T any](s *SIDField, str func(*T) *string, e *T) ([]byte, error) {
	if s.Raw == nil && s.String == "" && str != nil && *str(e) != "" {
		return parseSID(*str(e))
	}
	return s.bytes()
}

// nilIfEmpty returns nil for an empty slice, so that an absent byte field
// decodes the same whatever the payload slice was.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
