package format

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"net/netip"
	"slices"
	"strconv"

	"github.com/lading-dev/lading/pkg/schema"
)

// JSON -> CQL serialized value.

// ParseValue returns the CQL serialized bytes (native protocol v4/v5) of
// one JSON value of type t; JSON null gives nil. It accepts exactly what
// AppendValue writes, plus insignificant whitespace, JSON escapes, any
// letter case in hex digits, and UDT fields in any order.
func ParseValue(t *schema.Type, json []byte) ([]byte, error) {
	p := parser{lexer: lexer{buf: json}, out: make([]byte, 0, 16)}
	if p.literal("null") {
		if p.peek() != 0 {
			return nil, p.errorf("unexpected data after the value")
		}
		return nil, nil
	}
	if err := p.value(t); err != nil {
		return nil, err
	}
	if p.peek() != 0 {
		return nil, p.errorf("unexpected data after the value")
	}
	return p.out, nil
}

// parser appends the CQL bytes of the JSON values it reads to out.
type parser struct {
	lexer
	out []byte
	// segs and tmp reorder user type fields given out of order.
	segs []udtSeg
	tmp  []byte
}

type udtSeg struct{ field, start, end int }

// wantJSON names the JSON a type is written as, for error messages.
func wantJSON(t *schema.Type) string {
	switch t.Kind {
	case schema.Boolean:
		return "true or false"
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter, schema.Varint:
		return "an integer"
	case schema.Decimal, schema.Float, schema.Double:
		return "a number"
	case schema.List, schema.Set, schema.Tuple, schema.Vector:
		return "an array"
	case schema.UDT:
		return "an object"
	case schema.Map:
		if textKeyed(t) {
			return "an object"
		}
		return "an array of [key, value] pairs"
	}
	return "a string"
}

func (p *parser) mismatch(t *schema.Type) error {
	return p.errorf("want %s for %s, got %s", wantJSON(t), t, jsonKind(p.peek()))
}

func (p *parser) bad(t *schema.Type, s []byte, err error) error {
	if len(s) > 64 {
		s = append(s[:64:64], "..."...)
	}
	return p.errorf("bad %s %q: %v", t.Kind, s, err)
}

// elem appends one element as [int32 length][bytes], null as length -1.
func (p *parser) elem(t *schema.Type) error {
	if p.literal("null") {
		p.out = append(p.out, 0xff, 0xff, 0xff, 0xff)
		return nil
	}
	at := len(p.out)
	p.out = append(p.out, 0, 0, 0, 0)
	if err := p.value(t); err != nil {
		return err
	}
	n := len(p.out) - at - 4
	if n > math.MaxInt32 {
		return p.errorf("value of %d bytes is too large", n)
	}
	binary.BigEndian.PutUint32(p.out[at:], uint32(n))
	return nil
}

// value appends the CQL bytes of the (non-null) JSON value of type t.
func (p *parser) value(t *schema.Type) error {
	c := p.peek()
	if c == '"' && emptyAsString(t.Kind) && p.pos+1 < len(p.buf) && p.buf[p.pos+1] == '"' {
		p.pos += 2 // "" is the empty value
		return nil
	}
	switch t.Kind {
	case schema.Text, schema.Varchar, schema.Ascii:
		if c != '"' {
			return p.mismatch(t)
		}
		s, err := p.str()
		if err != nil {
			return err
		}
		if t.Kind == schema.Ascii {
			for _, b := range s {
				if b >= 0x80 {
					return p.errorf("non-ASCII character in ascii value")
				}
			}
		}
		p.out = append(p.out, s...)
		return nil
	case schema.Boolean:
		switch {
		case p.literal("true"):
			p.out = append(p.out, 1)
		case p.literal("false"):
			p.out = append(p.out, 0)
		default:
			return p.mismatch(t)
		}
		return nil
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter:
		return p.integer(t)
	case schema.Varint:
		if c != '-' && (c < '0' || c > '9') {
			return p.mismatch(t)
		}
		tok, frac, exp, err := p.number()
		if err != nil {
			return err
		}
		if frac || exp {
			return p.errorf("want an integer for varint, got %s", tok)
		}
		p.out, err = appendVarintText(p.out, tok)
		return err
	case schema.Decimal:
		if c != '-' && (c < '0' || c > '9') {
			return p.mismatch(t)
		}
		tok, _, _, err := p.number()
		if err != nil {
			return err
		}
		if p.out, err = appendDecimalText(p.out, tok); err != nil {
			return p.bad(t, tok, err)
		}
		return nil
	case schema.Float, schema.Double:
		return p.float(t)
	}
	if t.Kind == schema.List || t.Kind == schema.Set || t.Kind == schema.Map ||
		t.Kind == schema.Tuple || t.Kind == schema.UDT || t.Kind == schema.Vector {
		return p.composite(t, c)
	}
	// The rest are strings.
	if c != '"' {
		return p.mismatch(t)
	}
	s, err := p.str()
	if err != nil {
		return err
	}
	switch t.Kind {
	case schema.Blob:
		if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || len(s)%2 != 0 {
			return p.bad(t, s, errors.New("want 0x and an even number of hex digits"))
		}
		// Blobs are most of a dump's bytes: decoded in one call into
		// space grown once, not a byte and an append at a time.
		at := len(p.out)
		p.out = slices.Grow(p.out, (len(s)-2)/2)[:at+(len(s)-2)/2]
		if _, err := hex.Decode(p.out[at:], s[2:]); err != nil {
			p.out = p.out[:at]
			return p.bad(t, s, errors.New("not a hex digit"))
		}
	case schema.UUID, schema.Timeuuid:
		if err := p.uuid(s); err != nil {
			return p.bad(t, s, err)
		}
	case schema.Inet:
		a, err := netip.ParseAddr(string(s))
		if err == nil && a.Zone() != "" {
			err = errors.New("zones are not part of an inet value")
		}
		if err != nil {
			return p.bad(t, s, err)
		}
		if a.Is4() {
			b := a.As4()
			p.out = append(p.out, b[:]...)
		} else {
			b := a.As16()
			p.out = append(p.out, b[:]...)
		}
	case schema.Timestamp:
		ms, err := parseTimestamp(s)
		if err != nil {
			return p.bad(t, s, err)
		}
		p.out = binary.BigEndian.AppendUint64(p.out, uint64(ms))
	case schema.Date:
		d, err := parseDate(s)
		if err != nil {
			return p.bad(t, s, err)
		}
		p.out = binary.BigEndian.AppendUint32(p.out, d)
	case schema.Time:
		ns, err := parseTime(s)
		if err != nil {
			return p.bad(t, s, err)
		}
		p.out = binary.BigEndian.AppendUint64(p.out, uint64(ns))
	case schema.Duration:
		out, err := appendDurationText(p.out, s)
		if err != nil {
			return p.bad(t, s, err)
		}
		p.out = out
	default:
		return p.errorf("unsupported type %s", t)
	}
	return nil
}

func (p *parser) integer(t *schema.Type) error {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		return p.mismatch(t)
	}
	tok, frac, exp, err := p.number()
	if err != nil {
		return err
	}
	v, ok := parseInt64(tok)
	if frac || exp || !ok {
		return p.errorf("%s is not a %s", tok, t.Kind)
	}
	switch t.Kind {
	case schema.Tinyint:
		if v < math.MinInt8 || v > math.MaxInt8 {
			return p.errorf("%s is out of the tinyint range", tok)
		}
		p.out = append(p.out, byte(v))
	case schema.Smallint:
		if v < math.MinInt16 || v > math.MaxInt16 {
			return p.errorf("%s is out of the smallint range", tok)
		}
		p.out = binary.BigEndian.AppendUint16(p.out, uint16(v))
	case schema.Int:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return p.errorf("%s is out of the int range", tok)
		}
		p.out = binary.BigEndian.AppendUint32(p.out, uint32(v))
	default:
		p.out = binary.BigEndian.AppendUint64(p.out, uint64(v))
	}
	return nil
}

func (p *parser) float(t *schema.Type) error {
	bitSize := 64
	if t.Kind == schema.Float {
		bitSize = 32
	}
	c := p.peek()
	var u uint64
	switch {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		var ok bool
		if u, ok = parseFloatString(s, bitSize); !ok {
			return p.bad(t, s, errors.New(`want a number, "NaN", "Infinity" or "-Infinity"`))
		}
	case c == '-' || c >= '0' && c <= '9':
		tok, _, _, err := p.number()
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(string(tok), bitSize)
		if err != nil {
			return p.errorf("%s is out of the %s range", tok, t.Kind)
		}
		if bitSize == 32 {
			u = uint64(math.Float32bits(float32(f)))
		} else {
			u = math.Float64bits(f)
		}
	default:
		return p.mismatch(t)
	}
	if bitSize == 32 {
		p.out = binary.BigEndian.AppendUint32(p.out, uint32(u))
	} else {
		p.out = binary.BigEndian.AppendUint64(p.out, u)
	}
	return nil
}

func (p *parser) uuid(s []byte) error {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return errors.New("want 8-4-4-4-12 hex digits")
	}
	var hi byte
	for i, n := 0, 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		d, ok := unhex(s[i])
		if !ok {
			return errors.New("not a hex digit")
		}
		if n%2 == 0 {
			hi = d
		} else {
			p.out = append(p.out, hi<<4|d)
		}
		n++
	}
	return nil
}

// composite parses lists, sets, maps, tuples, user types and vectors.
func (p *parser) composite(t *schema.Type, c byte) error {
	switch t.Kind {
	case schema.List, schema.Set:
		if c != '[' {
			return p.mismatch(t)
		}
		return p.array(t, func(int) error { return p.elem(t.Params[0]) })
	case schema.Map:
		if textKeyed(t) {
			if c != '{' {
				return p.mismatch(t)
			}
			return p.textMap(t)
		}
		if c != '[' {
			return p.mismatch(t)
		}
		return p.array(t, func(int) error {
			if !p.consume('[') {
				return p.errorf("want a [key, value] pair for %s, got %s", t, jsonKind(p.peek()))
			}
			if err := p.elem(t.Params[0]); err != nil {
				return err
			}
			if err := p.expect(','); err != nil {
				return err
			}
			if err := p.elem(t.Params[1]); err != nil {
				return err
			}
			return p.expect(']')
		})
	case schema.Tuple:
		if c != '[' {
			return p.mismatch(t)
		}
		p.pos++
		for i := range t.Params {
			if i == 0 && p.consume(']') {
				return nil
			}
			if err := p.elem(t.Params[i]); err != nil {
				return err
			}
			if p.consume(']') {
				return nil
			}
			if !p.consume(',') {
				return p.errorf("want ',' or ']' in %s", t)
			}
		}
		return p.errorf("%s has %d components, got more", t, len(t.Params))
	case schema.UDT:
		if c != '{' {
			return p.mismatch(t)
		}
		return p.udt(t)
	case schema.Vector:
		if c != '[' {
			return p.mismatch(t)
		}
		return p.vector(t)
	}
	return p.errorf("unsupported type %s", t)
}

// array parses a JSON array as a collection: [int32 n] then each element.
func (p *parser) array(t *schema.Type, each func(i int) error) error {
	p.pos++ // '['
	at := len(p.out)
	p.out = append(p.out, 0, 0, 0, 0)
	n := 0
	if !p.consume(']') {
		for {
			if err := each(n); err != nil {
				return err
			}
			n++
			if p.consume(']') {
				break
			}
			if !p.consume(',') {
				return p.errorf("want ',' or ']' in %s", t)
			}
		}
	}
	if n > math.MaxInt32 {
		return p.errorf("too many elements")
	}
	binary.BigEndian.PutUint32(p.out[at:], uint32(n))
	return nil
}

func (p *parser) textMap(t *schema.Type) error {
	p.pos++ // '{'
	at := len(p.out)
	p.out = append(p.out, 0, 0, 0, 0)
	n := 0
	if !p.consume('}') {
		for {
			k, err := p.str()
			if err != nil {
				return err
			}
			if t.Params[0].Kind == schema.Ascii {
				for _, b := range k {
					if b >= 0x80 {
						return p.errorf("non-ASCII character in ascii map key")
					}
				}
			}
			p.out = binary.BigEndian.AppendUint32(p.out, uint32(len(k)))
			p.out = append(p.out, k...)
			if err := p.expect(':'); err != nil {
				return err
			}
			if err := p.elem(t.Params[1]); err != nil {
				return err
			}
			n++
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return p.errorf("want ',' or '}' in %s", t)
			}
		}
	}
	binary.BigEndian.PutUint32(p.out[at:], uint32(n))
	return nil
}

// udt parses a user type value. Fields may come in any order; an absent
// field is null, except after the last field given, where it is left out
// (as in a value written before the field was added).
func (p *parser) udt(t *schema.Type) error {
	p.pos++ // '{'
	base := len(p.segs)
	defer func() { p.segs = p.segs[:base] }()
	start := len(p.out)
	if !p.consume('}') {
		for {
			k, err := p.str()
			if err != nil {
				return err
			}
			f := -1
			for i, name := range t.Fields {
				if name == string(k) {
					f = i
					break
				}
			}
			if f < 0 {
				return p.errorf("%s has no field %q", t, k)
			}
			for _, s := range p.segs[base:] {
				if s.field == f {
					return p.errorf("field %q given twice", k)
				}
			}
			if err := p.expect(':'); err != nil {
				return err
			}
			at := len(p.out)
			if err := p.elem(t.Params[f]); err != nil {
				return err
			}
			p.segs = append(p.segs, udtSeg{f, at, len(p.out)})
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return p.errorf("want ',' or '}' in %s", t)
			}
		}
	}
	segs := p.segs[base:]
	inOrder := true
	last := -1
	for i, s := range segs {
		if s.field != i {
			inOrder = false
		}
		last = max(last, s.field)
	}
	if inOrder {
		return nil
	}
	p.tmp = append(p.tmp[:0], p.out[start:]...)
	p.out = p.out[:start]
	for f := 0; f <= last; f++ {
		found := false
		for _, s := range segs {
			if s.field == f {
				p.out = append(p.out, p.tmp[s.start-start:s.end-start]...)
				found = true
				break
			}
		}
		if !found {
			p.out = append(p.out, 0xff, 0xff, 0xff, 0xff)
		}
	}
	return nil
}

func (p *parser) vector(t *schema.Type) error {
	p.pos++ // '['
	et := t.Params[0]
	size := fixedSize(et)
	if size < 0 {
		return p.errorf("%s is too large", t)
	}
	for i := 0; i < t.Dim; i++ {
		if i > 0 {
			if !p.consume(',') {
				return p.errorf("%s has %d elements, got %d", t, t.Dim, i)
			}
		}
		if p.peek() == 'n' {
			return p.errorf("vector elements cannot be null")
		}
		at := len(p.out)
		if err := p.value(et); err != nil {
			return err
		}
		n := len(p.out) - at
		if size > 0 {
			if n != size {
				return p.errorf("vector element %d: want %d bytes, got %d", i, size, n)
			}
			continue
		}
		// Variable-size elements carry an unsigned vint length in front.
		k := uvintSize(uint64(n))
		p.out = append(p.out, make([]byte, k)...)
		copy(p.out[at+k:], p.out[at:at+n])
		appendUvint(p.out[at:at], uint64(n))
	}
	if !p.consume(']') {
		return p.errorf("%s has %d elements, got more", t, t.Dim)
	}
	return nil
}
