package xpress

import "encoding/binary"

const (
	maxOffset = 8192 // v>>3 + 1 with 13 bits
	minMatch  = 3
	hashBits  = 14
	chainLen  = 16 // candidates tried per position
	niceLen   = 258
	maxLen    = 1 << 20 // longest match emitted
)

// segment bounds the input span whose positions the matcher remembers:
// hash positions are int32 offsets from the segment start (a variable so
// tests can exercise segment changes).
var segment = 1 << 30

// Compress appends the Plain LZ77 compression of src to dst and returns the
// extended slice ([MS-XCA] §2.3). It uses a hash-chain matcher over the
// 8192-byte window; the output decompresses to src with Decompress.
func Compress(dst, src []byte) []byte {
	e := encoder{out: dst, flagPos: -1, half: -1}
	e.newFlags()
	var head [1 << hashBits]int32
	var prev [maxOffset]int32
	for i := range head {
		head[i] = -1
	}
	hash := func(p int) uint32 {
		v := uint32(src[p]) | uint32(src[p+1])<<8 | uint32(src[p+2])<<16
		return (v * 2654435761) >> (32 - hashBits)
	}
	base := 0 // segment start: positions in head and prev are relative to it
	insert := func(p int) {
		h := hash(p)
		prev[p%maxOffset] = head[h]
		head[h] = int32(p - base)
	}
	n := len(src)
	for p := 0; p < n; {
		if p-base >= segment {
			// Start a new segment: forget older positions.
			base = p
			for i := range head {
				head[i] = -1
			}
		}
		bestLen, bestOff := 0, 0
		if p+minMatch <= n {
			h := hash(p)
			limit := min(n-p, maxLen)
			// rel is a candidate position relative to base; -1 ends the chain.
			for rel, tries := int(head[h]), chainLen; rel >= 0 && tries > 0 && bestLen < limit; tries-- {
				c := base + rel
				if p-c > maxOffset {
					break
				}
				if bestLen == 0 || src[c+bestLen] == src[p+bestLen] {
					l := 0
					for l < limit && src[c+l] == src[p+l] {
						l++
					}
					if l > bestLen {
						bestLen, bestOff = l, p-c
						if l >= niceLen {
							break
						}
					}
				}
				next := int(prev[c%maxOffset])
				if next >= rel {
					break // slot reused by a newer position
				}
				rel = next
			}
		}
		if bestLen < minMatch {
			e.literal(src[p])
			if p+minMatch <= n {
				insert(p)
			}
			p++
			continue
		}
		e.match(bestOff, bestLen)
		end := p + bestLen
		for ; p < end; p++ {
			if p+minMatch <= n {
				insert(p)
			}
		}
	}
	return e.finish()
}

// encoder writes tokens and their flag words.
type encoder struct {
	out     []byte
	flags   uint32
	nflags  int // tokens recorded in flags
	flagPos int // offset of the reserved flag word in out
	half    int // offset of a length byte whose high nibble is free, or -1
}

func (e *encoder) newFlags() {
	e.flagPos = len(e.out)
	e.out = append(e.out, 0, 0, 0, 0)
	e.flags, e.nflags = 0, 0
}

func (e *encoder) bit(b uint32) {
	e.flags = e.flags<<1 | b
	e.nflags++
	if e.nflags == 32 {
		binary.LittleEndian.PutUint32(e.out[e.flagPos:], e.flags)
		e.newFlags()
	}
}

func (e *encoder) literal(c byte) {
	e.out = append(e.out, c)
	e.bit(0)
}

// match writes a match of length >= 3 at distance off (1..8192).
func (e *encoder) match(off, length int) {
	m := length - minMatch
	v := uint16(off-1) << 3
	if m < 7 {
		e.out = binary.LittleEndian.AppendUint16(e.out, v|uint16(m))
		e.bit(1)
		return
	}
	e.out = binary.LittleEndian.AppendUint16(e.out, v|7)
	r := m - 7
	nib := byte(15)
	if r < 15 {
		nib = byte(r)
	}
	if e.half < 0 {
		e.half = len(e.out)
		e.out = append(e.out, nib)
	} else {
		e.out[e.half] |= nib << 4
		e.half = -1
	}
	if r >= 15 {
		r -= 15
		if r < 255 {
			e.out = append(e.out, byte(r))
		} else {
			e.out = append(e.out, 255)
			if m <= 0xFFFF {
				e.out = binary.LittleEndian.AppendUint16(e.out, uint16(m))
			} else {
				e.out = append(e.out, 0, 0)
				e.out = binary.LittleEndian.AppendUint32(e.out, uint32(m))
			}
		}
	}
	e.bit(1)
}

// finish fills the unused flag bits with 1 (the end marker) and writes the
// last flag word.
func (e *encoder) finish() []byte {
	k := 32 - e.nflags
	f := e.flags<<uint(k) | (1<<uint(k) - 1)
	if k == 32 {
		f = 0xFFFFFFFF
	}
	binary.LittleEndian.PutUint32(e.out[e.flagPos:], f)
	return e.out
}
