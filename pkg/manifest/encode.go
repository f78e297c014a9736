package manifest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// encode writes v as canonical JSON: indented by two spaces, fields in
// struct order, empty slices as [] (never null), maps by sorted key, times
// in UTC as RFC 3339 with trailing zeros of the fraction trimmed, and a
// trailing newline. Two encodings of equal values are equal bytes.
func encode(doc string, v reflect.Value, s *shape) ([]byte, error) {
	e := &encoder{doc: doc, buf: make([]byte, 0, 4096)}
	if err := e.value("", v, s, 0); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, '\n')
	return e.buf, nil
}

type encoder struct {
	doc string
	buf []byte
}

func (e *encoder) errf(path, format string, args ...any) error {
	return &DecodeError{Doc: e.doc, Field: path, Msg: fmt.Sprintf(format, args...)}
}

func (e *encoder) newline(indent int) {
	e.buf = append(e.buf, '\n')
	for range indent {
		e.buf = append(e.buf, ' ', ' ')
	}
}

func (e *encoder) value(path string, v reflect.Value, s *shape, indent int) error {
	switch s.kind {
	case shapeString:
		if !utf8.ValidString(v.String()) {
			return e.errf(path, "not valid UTF-8: %q", v.String())
		}
		e.buf = appendString(e.buf, v.String())
	case shapeBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case shapeInt:
		if v.Int() < 0 {
			return e.errf(path, "negative: %d", v.Int())
		}
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case shapeTime:
		t := v.Interface().(time.Time).UTC()
		if y := t.Year(); y < 1 || y > 9999 {
			return e.errf(path, "year %d is outside RFC 3339's 0001-9999", y)
		}
		e.buf = append(e.buf, '"')
		e.buf = t.AppendFormat(e.buf, time.RFC3339Nano)
		e.buf = append(e.buf, '"')
	case shapeSlice:
		if v.Len() == 0 {
			e.buf = append(e.buf, "[]"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i := range v.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(indent + 1)
			if err := e.value(joinIndex(path, i), v.Index(i), s.elem, indent+1); err != nil {
				return err
			}
		}
		e.newline(indent)
		e.buf = append(e.buf, ']')
	case shapeMap:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		if len(keys) == 0 {
			e.buf = append(e.buf, "{}"...)
			return nil
		}
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.newline(indent + 1)
			if !utf8.ValidString(k) {
				return e.errf(path, "key not valid UTF-8: %q", k)
			}
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ": "...)
			kv := reflect.ValueOf(k).Convert(v.Type().Key())
			if err := e.value(joinField(path, k), v.MapIndex(kv), s.elem, indent+1); err != nil {
				return err
			}
		}
		e.newline(indent)
		e.buf = append(e.buf, '}')
	case shapeStruct:
		n := 0
		for _, f := range s.fields {
			fv := v.Field(f.index)
			if f.omitEmpty && fv.IsZero() {
				continue
			}
			if n == 0 {
				e.buf = append(e.buf, '{')
			} else {
				e.buf = append(e.buf, ',')
			}
			n++
			e.newline(indent + 1)
			e.buf = appendString(e.buf, f.name)
			e.buf = append(e.buf, ": "...)
			if err := e.value(joinField(path, f.name), fv, f.shape, indent+1); err != nil {
				return err
			}
		}
		if n == 0 {
			e.buf = append(e.buf, "{}"...)
			return nil
		}
		e.newline(indent)
		e.buf = append(e.buf, '}')
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does, except that <, > and & are
// written as themselves: a where-clause "token(k) > 0" stays readable.
// s must be valid UTF-8.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"':
			buf = append(buf, '\\', '"')
		case r == '\\':
			buf = append(buf, '\\', '\\')
		case r == '\n':
			buf = append(buf, '\\', 'n')
		case r == '\r':
			buf = append(buf, '\\', 'r')
		case r == '\t':
			buf = append(buf, '\\', 't')
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			// Control characters, and the two separators JavaScript
			// treats as line ends.
			buf = append(buf, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}
