package spanner

import (
	"fmt"
	"strings"

	"github.com/lading-dev/lading/pkg/schema"
)

// kind is how one CQL value is held in Spanner.
type kind uint8

const (
	kString    kind = iota + 1 // STRING: text, and the dump's text of inet, time, duration, uuid
	kInt                       // INT64
	kFloat32                   // FLOAT32
	kFloat64                   // FLOAT64
	kNumeric                   // NUMERIC (decimal, varint)
	kBool                      // BOOL
	kBytes                     // BYTES
	kTimestamp                 // TIMESTAMP
	kDate                      // DATE
	kJSON                      // JSON: the dump's JSON text of the value
	kJSONText                  // STRING holding the dump's JSON text (a key column of a collection type)
	kArray                     // ARRAY<elem>
)

// spannerType is the Spanner type of one column.
type spannerType struct {
	k    kind
	elem kind // for kArray
	// ddl is the type as CREATE TABLE writes it.
	ddl string
}

// scalarKind maps a CQL type that has a Spanner scalar of its own; ok is
// false for collections, tuples, user types and vectors.
func scalarKind(t *schema.Type) (k kind, ddl string, ok bool) {
	switch t.Kind {
	case schema.Text, schema.Varchar, schema.Ascii, schema.Inet, schema.Time, schema.Duration:
		return kString, "STRING(MAX)", true
	case schema.UUID, schema.Timeuuid:
		return kString, "STRING(36)", true
	case schema.Tinyint, schema.Smallint, schema.Int, schema.Bigint, schema.Counter:
		return kInt, "INT64", true
	case schema.Float:
		return kFloat32, "FLOAT32", true
	case schema.Double:
		return kFloat64, "FLOAT64", true
	case schema.Decimal, schema.Varint:
		return kNumeric, "NUMERIC", true
	case schema.Boolean:
		return kBool, "BOOL", true
	case schema.Blob:
		return kBytes, "BYTES(MAX)", true
	case schema.Timestamp:
		return kTimestamp, "TIMESTAMP", true
	case schema.Date:
		return kDate, "DATE", true
	}
	return 0, "", false
}

// mapType is the documented CQL → Spanner type mapping (docs/loader.md).
// Key columns cannot be ARRAY or JSON in Spanner: a key column of such a
// type holds the dump's JSON text in a STRING.
func mapType(t *schema.Type, key bool) spannerType {
	if k, ddl, ok := scalarKind(t); ok {
		return spannerType{k: k, ddl: ddl}
	}
	if key {
		return spannerType{k: kJSONText, ddl: "STRING(MAX)"}
	}
	switch t.Kind {
	case schema.List, schema.Set, schema.Vector:
		if ek, eddl, ok := scalarKind(t.Params[0]); ok {
			return spannerType{k: kArray, elem: ek, ddl: "ARRAY<" + eddl + ">"}
		}
	}
	return spannerType{k: kJSON, ddl: "JSON"}
}

// normalizeDDLType puts a type as Spanner prints it into the form mapType
// writes (upper case, no spaces), so that a schema read back compares.
func normalizeDDLType(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	return s
}

// column is one dumped column of the target table.
type column struct {
	name string
	idx  int // index into the row's values
	c    *schema.Column
	st   spannerType
	key  bool
}

func (c *column) String() string { return fmt.Sprintf("%s %s", c.name, c.st.ddl) }
