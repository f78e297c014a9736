package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// JSON text: string escaping for the encoder, and the lexer the decoder
// builds on. The lexer works on one line in memory and never allocates on
// the happy path.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping '"', '\\',
// control characters and U+2028/U+2029 (which some JavaScript parsers
// take for line ends). s must be valid UTF-8; the first invalid byte is
// reported with its offset.
func appendJSONString(dst, s []byte) ([]byte, error) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i += plainPrefix(s[i:])
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return dst, fmt.Errorf("invalid UTF-8 at byte %d", i)
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// lexer reads JSON tokens from one line.
type lexer struct {
	buf []byte
	pos int
	// scratch holds unescaped strings; a string returned from it is valid
	// until the next call of str.
	scratch []byte
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (l *lexer) skipSpace() {
	for l.pos < len(l.buf) && isSpace(l.buf[l.pos]) {
		l.pos++
	}
}

// peek returns the next non-space byte without consuming it, 0 at the end.
func (l *lexer) peek() byte {
	if l.pos < len(l.buf) {
		if c := l.buf[l.pos]; c > ' ' {
			return c // the common case: no whitespace
		}
	}
	l.skipSpace()
	if l.pos >= len(l.buf) {
		return 0
	}
	return l.buf[l.pos]
}

// consume consumes c if it is the next non-space byte.
func (l *lexer) consume(c byte) bool {
	if l.peek() == c {
		l.pos++
		return true
	}
	return false
}

func (l *lexer) expect(c byte) error {
	if !l.consume(c) {
		return l.errorf("want %q", c)
	}
	return nil
}

// errorf returns an error located at the current offset.
func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", l.pos, fmt.Sprintf(format, args...))
}

// jsonKind names the JSON value starting with c, for error messages.
func jsonKind(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 0:
		return "the end of the line"
	}
	return fmt.Sprintf("%q", c)
}

// literal consumes the keyword word (true, false, null).
func (l *lexer) literal(word string) bool {
	l.skipSpace()
	if len(l.buf)-l.pos >= len(word) && string(l.buf[l.pos:l.pos+len(word)]) == word {
		end := l.pos + len(word)
		if end == len(l.buf) || !isIdentByte(l.buf[end]) {
			l.pos = end
			return true
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// number consumes a JSON number and returns its text. frac and exp report
// whether it has a fraction or an exponent. Leading zeros, '+', '.5',
// '1.', hex and the like are rejected, as the JSON grammar says.
func (l *lexer) number() (tok []byte, frac, exp bool, err error) {
	l.skipSpace()
	b, start := l.buf, l.pos
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		l.pos = i
		return nil, false, false, l.errorf("malformed number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			l.pos = i
			return nil, false, false, l.errorf("malformed number: no digit after '.'")
		}
		frac = true
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			l.pos = i
			return nil, false, false, l.errorf("malformed number: no digit in exponent")
		}
		exp = true
	}
	if i < len(b) && (isIdentByte(b[i]) || b[i] == '.' || b[i] == '+' || b[i] == '-') {
		l.pos = i
		return nil, false, false, l.errorf("malformed number")
	}
	l.pos = i
	return b[start:i], frac, exp, nil
}

// plain marks the bytes a JSON string holds as they are: printable ASCII
// but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainPrefix returns how many bytes at the start of b are plain, eight
// at a time while it can (SWAR: a byte below 0x20, equal to '"' or '\\',
// or with its top bit set stops the word).
func plainPrefix(b []byte) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ (lsb * '"')
		bs := w ^ (lsb * '\\')
		if ((w-lsb*0x20)&^w|(q-lsb)&^q|(bs-lsb)&^bs|w)&msb != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

var errSurrogate = errors.New("lone UTF-16 surrogate in \\u escape")

// str consumes a JSON string and returns its unescaped bytes: a slice of
// the line when it has no escape, else a slice of l.scratch. The result is
// valid UTF-8.
func (l *lexer) str() ([]byte, error) {
	if l.peek() != '"' {
		return nil, l.errorf("want a string, got %s", jsonKind(l.peek()))
	}
	b := l.buf
	i := l.pos + 1
	start := i
	ascii := true
	for {
		i += plainPrefix(b[i:])
		if i >= len(b) {
			break
		}
		c := b[i]
		if c == '"' {
			s := b[start:i]
			if !ascii && !utf8.Valid(s) {
				l.pos = start
				return nil, l.errorf("invalid UTF-8 in string")
			}
			l.pos = i + 1
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			l.pos = i
			return nil, l.errorf("control character %#x in string", c)
		}
		ascii = false // c >= 0x80
		i++
	}
	// Slow path: escapes.
	out := append(l.scratch[:0], b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				l.pos = start
				return nil, l.errorf("invalid UTF-8 in string")
			}
			l.scratch = out
			l.pos = i + 1
			return out, nil
		case c < 0x20:
			l.pos = i
			return nil, l.errorf("control character %#x in string", c)
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			break
		}
		e := b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b[i:])
			if !ok {
				l.pos = i
				return nil, l.errorf("malformed \\u escape")
			}
			i += 4
			if r >= 0xd800 && r < 0xdc00 {
				if len(b)-i < 6 || b[i] != '\\' || b[i+1] != 'u' {
					l.pos = i
					return nil, l.errorf("%v", errSurrogate)
				}
				r2, ok := hex4(b[i+2:])
				if !ok || r2 < 0xdc00 || r2 >= 0xe000 {
					l.pos = i
					return nil, l.errorf("%v", errSurrogate)
				}
				i += 6
				r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
			} else if r >= 0xdc00 && r < 0xe000 {
				l.pos = i
				return nil, l.errorf("%v", errSurrogate)
			}
			out = utf8.AppendRune(out, r)
		default:
			l.pos = i - 1
			return nil, l.errorf("unknown escape \\%c", e)
		}
	}
	l.scratch = out
	l.pos = len(b)
	return nil, l.errorf("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
