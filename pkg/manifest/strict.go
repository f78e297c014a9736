package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// checkStrict checks data against s before encoding/json fills the
// struct: encoding/json alone takes the last of duplicate keys, matches
// key names case-insensitively, accepts null for anything, leaves missing
// fields zero and reads 1e3 into an integer. Here each of those is an
// error naming the field.
func checkStrict(doc string, data []byte, s *shape) error {
	if !utf8.Valid(data) {
		return &DecodeError{Doc: doc, Msg: "not valid UTF-8"}
	}
	r := &strictReader{dec: json.NewDecoder(bytes.NewReader(data)), doc: doc}
	r.dec.UseNumber()
	if err := r.value("", s); err != nil {
		return err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return &DecodeError{Doc: doc, Msg: fmt.Sprintf("trailing data after the document (offset %d)", r.dec.InputOffset())}
	}
	return nil
}

type strictReader struct {
	dec *json.Decoder
	doc string
}

func (r *strictReader) errf(path, format string, args ...any) error {
	return &DecodeError{Doc: r.doc, Field: path, Msg: fmt.Sprintf(format, args...)}
}

func (r *strictReader) token(path string) (json.Token, error) {
	tok, err := r.dec.Token()
	if err == nil {
		return tok, nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, r.errf(path, "unexpected end of the document")
	}
	return nil, r.errf(path, "invalid JSON at offset %d: %v", r.dec.InputOffset(), err)
}

// describe names a JSON token's kind for "want X, got Y" messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + string(v)
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	}
	return fmt.Sprintf("%v", tok)
}

// canonicalUint is a JSON integer with no sign, fraction or exponent.
var canonicalUint = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

func (r *strictReader) value(path string, s *shape) error {
	tok, err := r.token(path)
	if err != nil {
		return err
	}
	mismatch := func() error {
		return r.errf(path, "want %s, got %s", s.kind.want(), describe(tok))
	}
	switch s.kind {
	case shapeString:
		if _, ok := tok.(string); !ok {
			return mismatch()
		}
	case shapeBool:
		if _, ok := tok.(bool); !ok {
			return mismatch()
		}
	case shapeInt:
		n, ok := tok.(json.Number)
		if !ok {
			return mismatch()
		}
		if strings.HasPrefix(string(n), "-") {
			return r.errf(path, "negative: %s", n)
		}
		if !canonicalUint.MatchString(string(n)) {
			return r.errf(path, "not an integer: %s", n)
		}
		if _, err := strconv.ParseInt(string(n), 10, s.bits); err != nil {
			return r.errf(path, "overflows a %d-bit integer: %s", s.bits, n)
		}
	case shapeTime:
		str, ok := tok.(string)
		if !ok {
			return mismatch()
		}
		if _, err := parseTime(str); err != nil {
			return r.errf(path, "%v", err)
		}
	case shapeSlice:
		if tok != json.Delim('[') {
			return mismatch()
		}
		for i := 0; r.dec.More(); i++ {
			if err := r.value(joinIndex(path, i), s.elem); err != nil {
				return err
			}
		}
		if _, err := r.token(path); err != nil {
			return err
		}
	case shapeStruct, shapeMap:
		if tok != json.Delim('{') {
			return mismatch()
		}
		seen := map[string]bool{}
		for r.dec.More() {
			kt, err := r.token(path)
			if err != nil {
				return err
			}
			key := kt.(string) // the decoder only yields string keys
			fpath := joinField(path, key)
			if seen[key] {
				return r.errf(fpath, "duplicate key")
			}
			seen[key] = true
			elem := s.elem
			if s.kind == shapeStruct {
				i, ok := s.byName[key]
				if !ok {
					return r.errf(fpath, "unknown field")
				}
				elem = s.fields[i].shape
			}
			if err := r.value(fpath, elem); err != nil {
				return err
			}
		}
		if _, err := r.token(path); err != nil {
			return err
		}
		for _, f := range s.fields {
			if !f.omitEmpty && !seen[f.name] {
				return r.errf(joinField(path, f.name), "missing")
			}
		}
	}
	return nil
}

// rfc3339UTC is the form of a time in a document: RFC 3339 in UTC ("Z"),
// with up to nine digits of a fraction of a second.
var rfc3339UTC = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)

// parseTime accepts what the encoder writes, and trailing zeros in the
// fraction: RFC 3339 in UTC, years 0001 to 9999.
func parseTime(s string) (time.Time, error) {
	var t time.Time
	if !rfc3339UTC.MatchString(s) || t.UnmarshalText([]byte(s)) != nil {
		if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return time.Time{}, fmt.Errorf("time %q is not in UTC (want a trailing Z)", s)
		}
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339 in UTC (2026-11-22T15:45:30.418Z)", s)
	}
	if t.Year() < 1 {
		return time.Time{}, fmt.Errorf("time %q is before year 0001", s)
	}
	return t, nil
}

// peekFormat returns the value of "format" when it is the document's
// first key, so that a document of an unknown version is reported as
// such rather than by its first unfamiliar field.
func peekFormat(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	if tok, err := dec.Token(); err != nil || tok != "format" {
		return "", false
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	s, ok := tok.(string)
	return s, ok
}
