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
	kNumText                   // STRING holding a decimal's or varint's exact text (--numeric-as-string)
)

// spannerType is the Spanner type of one column.
type spannerType struct {
	k    kind
	elem kind // for kArray
	// ddl is the type as CREATE TABLE writes it.
	ddl string
}

// scalarKind maps a CQL type that has a Spanner scalar of its own; ok is
// false for collections, tuples, user types and vectors. numText maps
// decimal and varint to STRING(MAX) holding the exact text instead of
// NUMERIC, which holds only 29 digits before the point and 9 after.
func scalarKind(t *schema.Type, numText bool) (k kind, ddl string, ok bool) {
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
		if numText {
			return kNumText, "STRING(MAX)", true
		}
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
func mapType(t *schema.Type, key bool) spannerType { return mapTypeAs(t, key, false) }

// mapTypeAs is mapType, with decimals and varints (also as elements of
// an ARRAY) as STRING(MAX) of their exact text when numText is set.
func mapTypeAs(t *schema.Type, key, numText bool) spannerType {
	if k, ddl, ok := scalarKind(t, numText); ok {
		return spannerType{k: k, ddl: ddl}
	}
	if key {
		return spannerType{k: kJSONText, ddl: "STRING(MAX)"}
	}
	switch t.Kind {
	case schema.List, schema.Set, schema.Vector:
		if ek, eddl, ok := scalarKind(t.Params[0], numText); ok {
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

// hasNumeric reports whether a column's type, as mapped, holds NUMERIC
// values (a decimal or varint, alone or as an ARRAY's elements).
func (st spannerType) hasNumeric() bool {
	return st.k == kNumeric || st.k == kNumText || (st.k == kArray && (st.elem == kNumeric || st.elem == kNumText))
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

// numericAsString maps the table's decimal and varint columns (also as
// ARRAY elements) to STRING(MAX) of their exact text, for a table the
// loader creates (--numeric-as-string). DynamoDB numbers stay NUMERIC.
func (tb *Table) numericAsString() {
	if tb.dyn != nil {
		return
	}
	for _, c := range tb.cols {
		if c.st.hasNumeric() {
			c.st = mapTypeAs(c.c.T, c.key, true)
		}
	}
}
