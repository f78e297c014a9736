package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// A shape is the JSON form of a document type, derived once from the Go
// structs and their json tags. The strict decoder checks input against it
// (exact key names, no duplicates, every field present, the right JSON
// kinds) and the encoder writes canonical bytes from it, so the two can
// never disagree about what a document looks like.
type shape struct {
	kind   shapeKind
	bits   int     // shapeInt: the Go integer's size
	fields []field // shapeStruct, in struct order
	byName map[string]int
	elem   *shape // shapeSlice, shapeMap
}

type shapeKind uint8

const (
	shapeString shapeKind = iota + 1
	shapeBool
	shapeInt // a non-negative integer: every number in these documents is a count, size or position
	shapeTime
	shapeStruct
	shapeSlice
	shapeMap // string keys, written sorted
)

func (k shapeKind) want() string {
	switch k {
	case shapeString:
		return "a string"
	case shapeBool:
		return "true or false"
	case shapeInt:
		return "a non-negative integer"
	case shapeTime:
		return "an RFC 3339 UTC time string"
	case shapeStruct, shapeMap:
		return "an object"
	case shapeSlice:
		return "an array"
	}
	return "?"
}

type field struct {
	name      string
	index     int
	omitEmpty bool // omitempty or omitzero: optional on decode, left out when zero on encode
	shape     *shape
}

var timeType = reflect.TypeFor[time.Time]()

// Shapes of the documents, built when the package loads. A field of a
// type the shapes do not support panics here, so that adding one is
// caught by the first test that imports the package.
var (
	manifestShape = shapeOf(reflect.TypeFor[Manifest]())
	planShape     = shapeOf(reflect.TypeFor[Plan]())
	commitShape   = shapeOf(reflect.TypeFor[Commit]())
	markerShape   = shapeOf(reflect.TypeFor[DumpMarker]())
	optionsShape  = shapeOf(reflect.TypeFor[Options]())
)

func shapeOf(t reflect.Type) *shape {
	if t == timeType {
		return &shape{kind: shapeTime}
	}
	switch t.Kind() {
	case reflect.String:
		return &shape{kind: shapeString}
	case reflect.Bool:
		return &shape{kind: shapeBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &shape{kind: shapeInt, bits: t.Bits()}
	case reflect.Slice:
		return &shape{kind: shapeSlice, elem: shapeOf(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		return &shape{kind: shapeMap, elem: shapeOf(t.Elem())}
	case reflect.Struct:
		s := &shape{kind: shapeStruct, byName: map[string]int{}}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || f.Anonymous {
				panic(fmt.Sprintf("manifest: %s.%s: every document field needs an explicit json name", t, f.Name))
			}
			if _, dup := s.byName[name]; dup {
				panic(fmt.Sprintf("manifest: %s: duplicate json name %q", t, name))
			}
			s.byName[name] = len(s.fields)
			s.fields = append(s.fields, field{
				name:      name,
				index:     i,
				omitEmpty: opts == "omitempty" || opts == "omitzero",
				shape:     shapeOf(f.Type),
			})
		}
		return s
	}
	panic(fmt.Sprintf("manifest: document field type %s is not supported", t))
}

// joinField and joinIndex build field paths as errors print them:
// "files[3].crc32c".
func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func joinIndex(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
