package secdesc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Conditional expressions (MS-DTYP §2.4.4.17 binary, §2.5.1.1 text).
//
// ApplicationData of a conditional ACE is "artx" followed by tokens in
// postfix order, zero-padded to a multiple of 4. The text form is infix.

// Conditional-expression token bytes.
const (
	ctPad       = 0x00
	ctInt8      = 0x01
	ctInt16     = 0x02
	ctInt32     = 0x03
	ctInt64     = 0x04
	ctString    = 0x10
	ctOctets    = 0x18
	ctComposite = 0x50
	ctSID       = 0x51
	ctLocalAttr = 0xF8
	ctUserAttr  = 0xF9
	ctResAttr   = 0xFA
	ctDevAttr   = 0xFB
	ctAnd       = 0xA0
	ctOr        = 0xA1
	ctNot       = 0xA2
)

type condOp struct {
	text  string
	arity int // 1 or 2
	logic bool
}

var condOps = map[byte]condOp{
	0x80: {"==", 2, false}, 0x81: {"!=", 2, false}, 0x82: {"<", 2, false}, 0x83: {"<=", 2, false},
	0x84: {">", 2, false}, 0x85: {">=", 2, false}, 0x86: {"Contains", 2, false}, 0x88: {"Any_of", 2, false},
	0x8E: {"Not_Contains", 2, false}, 0x8F: {"Not_Any_of", 2, false},
	0x89: {"Member_of", 1, false}, 0x8A: {"Device_Member_of", 1, false}, 0x8B: {"Member_of_Any", 1, false},
	0x8C: {"Device_Member_of_Any", 1, false}, 0x90: {"Not_Member_of", 1, false}, 0x91: {"Not_Device_Member_of", 1, false},
	0x92: {"Not_Member_of_Any", 1, false}, 0x93: {"Not_Device_Member_of_Any", 1, false},
	0x87: {"Exists", 1, false}, 0x8D: {"Not_Exists", 1, false},
	ctAnd: {"&&", 2, true}, ctOr: {"||", 2, true}, ctNot: {"!", 1, true},
}

var attrPrefix = map[byte]string{ctLocalAttr: "", ctUserAttr: "@User.", ctResAttr: "@Resource.", ctDevAttr: "@Device."}

// condNode is one decoded token with its operands.
type condNode struct {
	tok   byte
	text  string // literal or attribute text
	kids  []*condNode
	isOp  bool
	binOp bool
}

// FormatCondition renders conditional ApplicationData ("artx"…) as SDDL
// text (without the enclosing parentheses of the ACE). It fails with
// ErrUnsupported when the bytes are not exactly what parsing the text gives
// back (non-canonical integer widths, extra padding, unprintable strings).
func FormatCondition(data []byte, dom *SID) (string, error) {
	if len(data) < 4 || string(data[:4]) != "artx" {
		return "", fmt.Errorf("%w: application data is not a conditional expression (no \"artx\" signature)", ErrUnsupported)
	}
	var stack []*condNode
	p := 4
	for p < len(data) {
		tok := data[p]
		if tok == ctPad {
			for q := p; q < len(data); q++ {
				if data[q] != 0 {
					return "", errAt(q, "conditional expression padding", ErrInvalid)
				}
			}
			break
		}
		if op, ok := condOps[tok]; ok {
			if len(stack) < op.arity {
				return "", errAt(p, "conditional operator "+op.text+" operands", ErrInvalid)
			}
			n := &condNode{tok: tok, isOp: true, binOp: op.arity == 2}
			n.kids = append(n.kids, stack[len(stack)-op.arity:]...)
			stack = stack[:len(stack)-op.arity]
			stack = append(stack, n)
			p++
			continue
		}
		text, n, err := condLiteral(data, p, dom)
		if err != nil {
			return "", err
		}
		stack = append(stack, &condNode{tok: tok, text: text})
		p += n
	}
	if len(stack) != 1 {
		return "", errAt(p, fmt.Sprintf("conditional expression leaves %d values (want 1)", len(stack)), ErrInvalid)
	}
	var b strings.Builder
	writeCond(&b, stack[0], false)
	text := b.String()
	// Verify that the text encodes back to exactly these bytes.
	re, n, err := parseConditionAt("("+text+")", 0, dom)
	if err != nil || n != len(text)+2 || !bytes.Equal(re, data) {
		return "", fmt.Errorf("%w: conditional expression is not in canonical form", ErrUnsupported)
	}
	return text, nil
}

func (n *condNode) logical() bool { return n.isOp && (n.tok == ctAnd || n.tok == ctOr) }

func writeCond(b *strings.Builder, n *condNode, paren bool) {
	if !n.isOp {
		b.WriteString(n.text)
		return
	}
	if paren {
		b.WriteByte('(')
	}
	op := condOps[n.tok]
	// Relational and membership operators bind tighter than && and ||, so
	// only logical children need parentheses.
	switch {
	case n.binOp:
		writeCond(b, n.kids[0], n.kids[0].logical())
		b.WriteByte(' ')
		b.WriteString(op.text)
		b.WriteByte(' ')
		writeCond(b, n.kids[1], n.kids[1].logical())
	case n.tok == ctNot:
		b.WriteString("!")
		writeCond(b, n.kids[0], n.kids[0].isOp)
	default:
		b.WriteString(op.text)
		b.WriteByte(' ')
		writeCond(b, n.kids[0], false)
	}
	if paren {
		b.WriteByte(')')
	}
}

// condLiteral decodes one operand token at data[p:] into its text form.
func condLiteral(data []byte, p int, dom *SID) (string, int, error) {
	tok := data[p]
	switch tok {
	case ctInt8, ctInt16, ctInt32, ctInt64:
		if p+11 > len(data) {
			return "", 0, errAt(p, "conditional integer literal", ErrTruncated)
		}
		v := int64(binary.LittleEndian.Uint64(data[p+1:]))
		sign, base := data[p+9], data[p+10]
		var s string
		mag := uint64(v)
		if v < 0 {
			mag = uint64(-v)
		}
		switch sign {
		case 1:
			s = "+"
		case 2:
			s = "-"
		case 3:
			if v < 0 {
				s = "-"
			}
		default:
			return "", 0, errAt(p+9, "conditional integer sign", ErrInvalid)
		}
		switch base {
		case 1:
			s += "0" + strconv.FormatUint(mag, 8)
		case 2:
			s += strconv.FormatUint(mag, 10)
		case 3:
			s += "0x" + strconv.FormatUint(mag, 16)
		default:
			return "", 0, errAt(p+10, "conditional integer base", ErrInvalid)
		}
		return s, 11, nil
	}
	if p+5 > len(data) {
		return "", 0, errAt(p, fmt.Sprintf("conditional token 0x%02x length", tok), ErrTruncated)
	}
	n := int(binary.LittleEndian.Uint32(data[p+1:]))
	if n < 0 || n > len(data)-p-5 {
		return "", 0, errAt(p+1, fmt.Sprintf("conditional token 0x%02x length", tok), ErrTruncated)
	}
	body := data[p+5 : p+5+n]
	switch tok {
	case ctString:
		s, ok := utf16String(body)
		if !ok || strings.ContainsRune(s, '"') {
			return "", 0, errAt(p, "conditional string literal", ErrUnsupported)
		}
		return `"` + s + `"`, 5 + n, nil
	case ctOctets:
		return "#" + fmt.Sprintf("%x", body), 5 + n, nil
	case ctSID:
		sid, err := ParseSIDBytes(body)
		if err != nil {
			return "", 0, errAt(p+5, "conditional SID literal", ErrInvalid)
		}
		return "SID(" + sidString(sid, dom) + ")", 5 + n, nil
	case ctLocalAttr, ctUserAttr, ctResAttr, ctDevAttr:
		s, ok := utf16String(body)
		if !ok || s == "" {
			return "", 0, errAt(p, "conditional attribute name", ErrUnsupported)
		}
		return attrPrefix[tok] + encodeAttrName(s), 5 + n, nil
	case ctComposite:
		var parts []string
		q := 0
		for q < n {
			if body[q] == ctPad {
				return "", 0, errAt(p+5+q, "composite element", ErrInvalid)
			}
			if _, isOp := condOps[body[q]]; isOp {
				return "", 0, errAt(p+5+q, "composite element", ErrInvalid)
			}
			s, m, err := condLiteral(body, q, dom)
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					e.Off += p + 5
				}
				return "", 0, err
			}
			parts = append(parts, s)
			q += m
		}
		return "{" + strings.Join(parts, ", ") + "}", 5 + n, nil
	}
	return "", 0, errAt(p, fmt.Sprintf("conditional token 0x%02x", tok), ErrInvalid)
}

func utf16String(b []byte) (string, bool) {
	if len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	s := string(utf16.Decode(u))
	// Reject strings that do not survive a round trip (lone surrogates, NUL).
	if strings.ContainsRune(s, 0) || strings.ContainsRune(s, 0xFFFD) {
		return "", false
	}
	return s, true
}

// utf16Clean reports whether u decodes without NUL, U+FFFD or unpaired
// surrogates, so that it survives a text round trip.
func utf16Clean(u []uint16) bool {
	for i := 0; i < len(u); i++ {
		switch {
		case u[i] == 0 || u[i] == 0xFFFD:
			return false
		case u[i] >= 0xD800 && u[i] < 0xDC00:
			if i+1 >= len(u) || u[i+1] < 0xDC00 || u[i+1] >= 0xE000 {
				return false
			}
			i++
		case u[i] >= 0xDC00 && u[i] < 0xE000:
			return false
		}
	}
	return true
}

func appendUTF16(b []byte, s string) []byte {
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func isAttrChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '.' || c == '/' || c == '@' || c == '$' || c == '#'
}

// encodeAttrName writes characters outside attr-char as %XXXX (UTF-16 code
// units), per the SDDL grammar.
func encodeAttrName(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		if u < 0x80 && isAttrChar(byte(u)) && !(b.Len() == 0 && (u >= '0' && u <= '9' || u == '@' || u == '#')) {
			b.WriteByte(byte(u))
			continue
		}
		fmt.Fprintf(&b, "%%%04x", u)
	}
	return b.String()
}

// condParser parses the text form into postfix tokens.
type condParser struct {
	s     string
	pos   int
	dom   *SID
	out   []byte
	depth int
}

const maxCondDepth = 200

// parseConditionAt parses "(" cond-expr ")" at s[pos:] and returns the
// ApplicationData ("artx", tokens, zero padding) and the position after ")".
func parseConditionAt(s string, pos int, dom *SID) ([]byte, int, error) {
	c := &condParser{s: s, pos: pos, dom: dom, out: []byte("artx")}
	if err := c.expect("("); err != nil {
		return nil, pos, err
	}
	if err := c.or(); err != nil {
		return nil, pos, err
	}
	c.ws()
	if err := c.expect(")"); err != nil {
		return nil, pos, err
	}
	for len(c.out)%4 != 0 {
		c.out = append(c.out, 0)
	}
	return c.out, c.pos, nil
}

func (c *condParser) err(msg string) *SyntaxError {
	end := c.pos
	for end < len(c.s) && end < c.pos+16 && (isAttrChar(c.s[end]) || end == c.pos) {
		end++
	}
	return &SyntaxError{Pos: c.pos, Token: c.s[c.pos:end], Msg: "conditional expression: " + msg}
}

func (c *condParser) ws() {
	for c.pos < len(c.s) && (c.s[c.pos] == ' ' || c.s[c.pos] == '\t' || c.s[c.pos] == '\r' || c.s[c.pos] == '\n') {
		c.pos++
	}
}

func (c *condParser) expect(t string) error {
	c.ws()
	if !strings.HasPrefix(c.s[c.pos:], t) {
		return c.err("expected " + strconv.Quote(t))
	}
	c.pos += len(t)
	return nil
}

func (c *condParser) peek(t string) bool {
	c.ws()
	return strings.HasPrefix(c.s[c.pos:], t)
}

// keyword reports whether word (case-insensitive) is at pos and ends there.
func (c *condParser) keyword(word string) bool {
	c.ws()
	end := c.pos + len(word)
	if end > len(c.s) || !strings.EqualFold(c.s[c.pos:end], word) {
		return false
	}
	if end < len(c.s) && isAttrChar(c.s[end]) {
		return false
	}
	c.pos = end
	return true
}

func (c *condParser) enter() error {
	c.depth++
	if c.depth > maxCondDepth {
		return c.err("nested too deeply")
	}
	return nil
}

func (c *condParser) or() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	if err := c.and(); err != nil {
		return err
	}
	for c.peek("||") {
		c.pos += 2
		if err := c.and(); err != nil {
			return err
		}
		c.out = append(c.out, ctOr)
	}
	return nil
}

func (c *condParser) and() error {
	if err := c.unary(); err != nil {
		return err
	}
	for c.peek("&&") {
		c.pos += 2
		if err := c.unary(); err != nil {
			return err
		}
		c.out = append(c.out, ctAnd)
	}
	return nil
}

var unaryKeywords = []struct {
	word string
	tok  byte
	sids bool // operand is a SID array; else an attribute name
}{
	// Longer words first so "Member_of_Any" is not read as "Member_of".
	{"Not_Device_Member_of_Any", 0x93, true}, {"Device_Member_of_Any", 0x8C, true},
	{"Not_Device_Member_of", 0x91, true}, {"Device_Member_of", 0x8A, true},
	{"Not_Member_of_Any", 0x92, true}, {"Member_of_Any", 0x8B, true},
	{"Not_Member_of", 0x90, true}, {"Member_of", 0x89, true},
	{"Not_Exists", 0x8D, false}, {"Exists", 0x87, false},
}

var binaryKeywords = []struct {
	word string
	tok  byte
}{
	{"==", 0x80}, {"!=", 0x81}, {"<=", 0x83}, {">=", 0x85}, {"<", 0x82}, {">", 0x84},
	{"Not_Contains", 0x8E}, {"Contains", 0x86}, {"Not_Any_of", 0x8F}, {"Any_of", 0x88},
}

func (c *condParser) unary() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	c.ws()
	if c.peek("!") && !c.peek("!=") {
		c.pos++
		if err := c.unary(); err != nil {
			return err
		}
		c.out = append(c.out, ctNot)
		return nil
	}
	if c.peek("(") {
		c.pos++
		if err := c.or(); err != nil {
			return err
		}
		return c.expect(")")
	}
	for _, k := range unaryKeywords {
		if !c.keyword(k.word) {
			continue
		}
		c.ws()
		if k.sids {
			if err := c.value(true); err != nil {
				return err
			}
		} else if err := c.attr(); err != nil {
			return err
		}
		c.out = append(c.out, k.tok)
		return nil
	}
	if err := c.attr(); err != nil {
		return err
	}
	for _, k := range binaryKeywords {
		if k.word[0] >= 'A' {
			if !c.keyword(k.word) {
				continue
			}
		} else if c.peek(k.word) {
			c.pos += len(k.word)
		} else {
			continue
		}
		if err := c.value(false); err != nil {
			return err
		}
		c.out = append(c.out, k.tok)
		return nil
	}
	return nil // a bare attribute: boolean test
}

// attr parses an attribute name: @User.x, @Resource.x, @Device.x or a
// local name.
func (c *condParser) attr() error {
	c.ws()
	tok := byte(ctLocalAttr)
	for _, t := range []byte{ctUserAttr, ctResAttr, ctDevAttr} {
		pre := attrPrefix[t]
		if len(c.s)-c.pos >= len(pre) && strings.EqualFold(c.s[c.pos:c.pos+len(pre)], pre) {
			tok = t
			c.pos += len(pre)
			break
		}
	}
	start := c.pos
	if tok == ctLocalAttr && (c.pos >= len(c.s) || !(isAttrChar(c.s[c.pos]) || c.s[c.pos] == '%') || c.s[c.pos] >= '0' && c.s[c.pos] <= '9' || c.s[c.pos] == '@' || c.s[c.pos] == '#') {
		return c.err("attribute name expected")
	}
	var units []uint16
	for c.pos < len(c.s) {
		ch := c.s[c.pos]
		if ch == '%' {
			if c.pos+5 > len(c.s) {
				return c.err("bad %XXXX escape")
			}
			v, err := strconv.ParseUint(c.s[c.pos+1:c.pos+5], 16, 16)
			if err != nil {
				return c.err("bad %XXXX escape")
			}
			units = append(units, uint16(v))
			c.pos += 5
			continue
		}
		if !isAttrChar(ch) {
			break
		}
		units = append(units, uint16(ch))
		c.pos++
	}
	if c.pos == start {
		return c.err("attribute name expected")
	}
	name := string(utf16.Decode(units))
	if !utf16Clean(units) {
		c.pos = start
		return c.err("attribute name has NUL, U+FFFD or an unpaired surrogate")
	}
	c.out = append(c.out, tok)
	c.out = binary.LittleEndian.AppendUint32(c.out, uint32(2*len(utf16.Encode([]rune(name)))))
	c.out = appendUTF16(c.out, name)
	return nil
}

// value parses a right-hand operand: a literal, a composite {…}, or (when
// sidsOnly is false) an attribute name.
func (c *condParser) value(sidsOnly bool) error {
	c.ws()
	if c.peek("{") {
		c.pos++
		c.out = append(c.out, ctComposite)
		lenAt := len(c.out)
		c.out = append(c.out, 0, 0, 0, 0)
		first := true
		for {
			c.ws()
			if c.peek("}") && first {
				break
			}
			if err := c.literal(sidsOnly); err != nil {
				return err
			}
			first = false
			if c.peek(",") {
				c.pos++
				continue
			}
			break
		}
		if err := c.expect("}"); err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.out[lenAt:], uint32(len(c.out)-lenAt-4))
		return nil
	}
	if !sidsOnly && c.pos < len(c.s) && (c.s[c.pos] == '@' || (isAttrChar(c.s[c.pos]) && !(c.s[c.pos] >= '0' && c.s[c.pos] <= '9') && c.s[c.pos] != '#' && !c.keywordAhead("SID("))) {
		return c.attr()
	}
	return c.literal(sidsOnly)
}

func (c *condParser) keywordAhead(w string) bool {
	return len(c.s)-c.pos >= len(w) && strings.EqualFold(c.s[c.pos:c.pos+len(w)], w)
}

func (c *condParser) literal(sidsOnly bool) error {
	c.ws()
	if c.keywordAhead("SID(") {
		c.pos += 4
		sid, n, err := scanSID(c.s, c.pos, c.dom)
		if err != nil {
			return err
		}
		c.pos = n
		if err := c.expect(")"); err != nil {
			return err
		}
		c.out = append(c.out, ctSID)
		c.out = binary.LittleEndian.AppendUint32(c.out, uint32(sid.Len()))
		c.out = sid.AppendBinary(c.out)
		return nil
	}
	if sidsOnly {
		return c.err("SID(...) expected")
	}
	if c.pos >= len(c.s) {
		return c.err("value expected")
	}
	switch ch := c.s[c.pos]; {
	case ch == '"':
		end := strings.IndexByte(c.s[c.pos+1:], '"')
		if end < 0 {
			return c.err("unterminated string")
		}
		str := c.s[c.pos+1 : c.pos+1+end]
		if !utf8.ValidString(str) || strings.ContainsRune(str, 0) || strings.ContainsRune(str, utf8.RuneError) {
			return c.err("string is not valid UTF-8 text")
		}
		c.pos += end + 2
		u := utf16.Encode([]rune(str))
		c.out = append(c.out, ctString)
		c.out = binary.LittleEndian.AppendUint32(c.out, uint32(2*len(u)))
		c.out = appendUTF16(c.out, str)
		return nil
	case ch == '#':
		start := c.pos + 1
		end := start
		for end < len(c.s) && isHex(c.s[end]) {
			end++
		}
		if (end-start)%2 != 0 {
			return c.err("octet string needs an even number of hex digits")
		}
		c.out = append(c.out, ctOctets)
		c.out = binary.LittleEndian.AppendUint32(c.out, uint32((end-start)/2))
		for i := start; i < end; i += 2 {
			c.out = append(c.out, unhex(c.s[i])<<4|unhex(c.s[i+1]))
		}
		c.pos = end
		return nil
	case ch == '+' || ch == '-' || ch >= '0' && ch <= '9':
		return c.integer()
	}
	return c.err("value expected")
}

// integer parses [+|-] (0x hex | 0 octal | decimal) into an INT64 token
// carrying the sign and base as written.
func (c *condParser) integer() error {
	start := c.pos
	sign := byte(3)
	neg := false
	switch c.s[c.pos] {
	case '+':
		sign = 1
		c.pos++
	case '-':
		sign, neg = 2, true
		c.pos++
	}
	base := byte(2)
	radix := 10
	digitsStart := c.pos
	if strings.HasPrefix(c.s[c.pos:], "0x") || strings.HasPrefix(c.s[c.pos:], "0X") {
		base, radix = 3, 16
		c.pos += 2
		digitsStart = c.pos
	} else if c.pos+1 < len(c.s) && c.s[c.pos] == '0' && c.s[c.pos+1] >= '0' && c.s[c.pos+1] <= '9' {
		base, radix = 1, 8
		c.pos++
		digitsStart = c.pos
	}
	for c.pos < len(c.s) && isHex(c.s[c.pos]) && (radix == 16 || c.s[c.pos] <= '9') {
		c.pos++
	}
	mag, err := strconv.ParseUint(c.s[digitsStart:c.pos], radix, 64)
	if err != nil {
		c.pos = start
		return c.err("invalid integer")
	}
	var v int64
	switch {
	case neg && mag <= 1<<63:
		v = -int64(mag)
	case !neg && mag < 1<<63:
		v = int64(mag)
	default:
		c.pos = start
		return c.err("integer out of range")
	}
	if neg && mag == 0 {
		// "-0" would render as "0"; keep it representable.
		c.pos = start
		return c.err("negative zero")
	}
	c.out = append(c.out, ctInt64)
	c.out = binary.LittleEndian.AppendUint64(c.out, uint64(v))
	c.out = append(c.out, sign, base)
	return nil
}
