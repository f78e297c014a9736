// Package snowflake is the loader's Snowflake target (snowflake://):
// the type mapping, the exact SQL it issues (DDL, stages, PUT, COPY INTO
// with a transformation query, staging table and MERGE, COUNT), and a
// load.GroupLoader that COPYs proven parts in groups of at most 1,000.
// README.md says how a dump loads and what the test stand-in emulates.
package snowflake

import (
	"fmt"
	"strings"

	"github.com/lading-dev/lading/pkg/schema"
)

// sfType is the Snowflake type of one column and how the COPY
// transformation query turns the dump's JSON value into it.
type sfType struct {
	// DDL is the type as CREATE TABLE writes it.
	DDL string
	// conv renders the transformation of the JSON value v (an expression
	// of type VARIANT such as $1:"c") into DDL.
	conv func(v string) string
}

func cast(to string) func(string) string {
	return func(v string) string { return v + "::" + to }
}

// The dump writes these as JSON strings: cast to VARCHAR first so a
// function of text sees the text, not a VARIANT.
func textFunc(f string) func(string) string {
	return func(v string) string { return f + "(" + v + "::VARCHAR)" }
}

func identity(v string) string { return v }

// mapType is the documented CQL → Snowflake type mapping (README.md):
//
//   - text, varchar, ascii, inet, time, duration → VARCHAR (the dump's text);
//     uuid, timeuuid → VARCHAR(36)
//   - tinyint, smallint, int → NUMBER(3,0), NUMBER(5,0), NUMBER(10,0);
//     bigint, counter → NUMBER(19,0); varint → NUMBER(38,0) (a value past
//     38 digits is a rejected row, see README)
//   - decimal → VARCHAR: a CQL decimal has a scale per value, and no one
//     NUMBER(38,s) holds every value exactly; the exact text is kept
//   - float, double → FLOAT; boolean → BOOLEAN
//   - blob → BINARY (the dump's 0x hex, decoded)
//   - timestamp → TIMESTAMP_TZ(3); date → DATE
//   - list, set, map, tuple, user types, vector → VARIANT (the dump's JSON)
func mapType(t *schema.Type) sfType {
	switch t.Kind {
	case schema.Text, schema.Varchar, schema.Ascii, schema.Inet, schema.Time, schema.Duration, schema.Decimal:
		return sfType{DDL: "VARCHAR", conv: cast("VARCHAR")}
	case schema.UUID, schema.Timeuuid:
		return sfType{DDL: "VARCHAR(36)", conv: cast("VARCHAR(36)")}
	case schema.Tinyint:
		return sfType{DDL: "NUMBER(3,0)", conv: cast("NUMBER(3,0)")}
	case schema.Smallint:
		return sfType{DDL: "NUMBER(5,0)", conv: cast("NUMBER(5,0)")}
	case schema.Int:
		return sfType{DDL: "NUMBER(10,0)", conv: cast("NUMBER(10,0)")}
	case schema.Bigint, schema.Counter:
		return sfType{DDL: "NUMBER(19,0)", conv: cast("NUMBER(19,0)")}
	case schema.Varint:
		return sfType{DDL: "NUMBER(38,0)", conv: cast("NUMBER(38,0)")}
	case schema.Float, schema.Double:
		return sfType{DDL: "FLOAT", conv: cast("FLOAT")}
	case schema.Boolean:
		return sfType{DDL: "BOOLEAN", conv: cast("BOOLEAN")}
	case schema.Blob:
		// "0xcafe": drop the 0x, decode the hex.
		return sfType{DDL: "BINARY", conv: func(v string) string {
			return "TO_BINARY(SUBSTR(" + v + "::VARCHAR, 3), 'HEX')"
		}}
	case schema.Timestamp:
		// A cast of the text (the same as TO_TIMESTAMP_TZ in Snowflake;
		// the stand-in lacks that function).
		return sfType{DDL: "TIMESTAMP_TZ(3)", conv: cast("VARCHAR::TIMESTAMP_TZ(3)")}
	case schema.Date:
		return sfType{DDL: "DATE", conv: textFunc("TO_DATE")}
	}
	return sfType{DDL: "VARIANT", conv: identity}
}

// quoteIdent quotes a Snowflake identifier exactly (case kept).
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString quotes a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

// column is one target column with the dump's JSON key it is read from.
type column struct {
	Name string
	Type sfType
	Key  bool
}

// columns maps the dump's schema (resolved: Table.Resolve) and its
// _writetime/_ttl captures (held as VARIANT) onto target columns, in the
// dump's column order.
func columns(t *schema.Table, writetime, ttl bool) ([]column, error) {
	out := make([]column, 0, len(t.Columns)+2)
	for _, c := range t.Columns {
		if c.T == nil {
			return nil, fmt.Errorf("column %s: type %q not resolved", c.Name, c.Type)
		}
		out = append(out, column{Name: c.Name, Type: mapType(c.T), Key: c.Role == schema.PartitionKey || c.Role == schema.Clustering})
	}
	if writetime {
		out = append(out, column{Name: "_writetime", Type: sfType{DDL: "VARIANT", conv: identity}})
	}
	if ttl {
		out = append(out, column{Name: "_ttl", Type: sfType{DDL: "VARIANT", conv: identity}})
	}
	return out, nil
}
