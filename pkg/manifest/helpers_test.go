package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replace substitutes the first old in b, failing if there is none (so
// a stale case cannot pass by not mutating anything).
func replace(t testing.TB, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("test input has no %q", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// encodeUnchecked writes a document without the semantic checks that
// Marshal runs, to build invalid input for the decoders.
func encodeUnchecked(t testing.TB, doc string, v any, s *shape) []byte {
	t.Helper()
	b, err := encode(doc, reflect.ValueOf(v).Elem(), s)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

// wantDecodeError asserts that err is a *DecodeError about doc and field
// whose message contains msg.
func wantDecodeError(t testing.TB, err error, doc, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error at %q containing %q", field, msg)
	}
	var de *DecodeError
	if !errors.As(err, &de) || !IsDecodeError(err) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if de.Doc != doc || de.Field != field || !strings.Contains(de.Msg, msg) {
		t.Fatalf("got error %q (doc %q, field %q)\nwant doc %q, field %q, message containing %q", err, de.Doc, de.Field, doc, field, msg)
	}
	prefix := doc + ": "
	if field != "" {
		prefix += field + ": "
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Fatalf("error %q does not start with %q", err, prefix)
	}
}

func reflectField(o *Options, i int) reflect.Value { return reflect.ValueOf(o).Elem().Field(i) }

func reflectAppendString(v reflect.Value, s string) reflect.Value {
	return reflect.Append(v, reflect.ValueOf(s))
}

func readGoldenFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}
