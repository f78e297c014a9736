package manifest

import (
	"slices"

	"github.com/lading-dev/lading/pkg/schema"
)

// Source kinds.
const (
	KindCassandra = "cassandra"
)

// Modes of an export.
const (
	ModeRanges = "ranges"
	ModeKeys   = "keys"
)

// Consistencies lists the read consistency levels an export may use, as
// gocql names them.
var Consistencies = []string{"ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "LOCAL_ONE", "SERIAL", "LOCAL_SERIAL"}

// source checks the source and returns its ring. With inPlace the table
// is resolved where it is (decoding: the caller gets a resolved table);
// without, a copy is (encoding must not write to the caller's value).
func (c checker) source(path string, s *Source, inPlace bool) (*ring, error) {
	if s.Kind == KindDynamoDB {
		return nil, c.dynamoSource(path, s)
	}
	if s.Kind != KindCassandra {
		return nil, c.errf(joinField(path, "kind"), "unknown kind %q (known: %s, %s)", s.Kind, KindCassandra, KindDynamoDB)
	}
	if s.DynamoDB.Name != "" || s.DynamoDB.TableID != "" || len(s.DynamoDB.KeySchema) > 0 {
		return nil, c.errf(joinField(path, "dynamodb"), "set on a %s source", s.Kind)
	}
	if s.Cluster == "" {
		return nil, c.errf(joinField(path, "cluster"), "empty")
	}
	r, err := ringOf(s.Partitioner, false)
	if err != nil {
		return nil, c.errf(joinField(path, "partitioner"), "%v", err)
	}
	return r, c.table(joinField(path, "table"), &s.Table, inPlace)
}

func (c checker) table(path string, t *schema.Table, inPlace bool) error {
	if !tableNamePattern.MatchString(t.Keyspace) {
		return c.errf(joinField(path, "keyspace"), "%q is not a Cassandra name (letters, digits, '_')", t.Keyspace)
	}
	if !tableNamePattern.MatchString(t.Name) {
		return c.errf(joinField(path, "table"), "%q is not a Cassandra name (letters, digits, '_')", t.Name)
	}
	if t.CQL == "" {
		return c.errf(joinField(path, "cql"), "empty")
	}
	for i, u := range t.UserTypes {
		p := joinIndex(joinField(path, "user_types"), i)
		if u.Keyspace != t.Keyspace {
			return c.errf(joinField(p, "keyspace"), "%q, but the table is in %q", u.Keyspace, t.Keyspace)
		}
		if u.CQL == "" {
			return c.errf(joinField(p, "cql"), "empty")
		}
	}
	if !inPlace {
		cp := *t
		cp.Columns = slices.Clone(t.Columns)
		cp.UserTypes = slices.Clone(t.UserTypes)
		t = &cp
	}
	if err := t.Resolve(); err != nil {
		return c.errf(path, "%v", err)
	}
	counters := 0
	for _, col := range t.Columns {
		if col.T.Kind == schema.Counter {
			counters++
		}
	}
	if t.Counter != (counters > 0) {
		return c.errf(joinField(path, "counter"), "%v, but the table has %d counter column(s)", t.Counter, counters)
	}
	if err := t.CheckIndexes(); err != nil {
		return c.errf(path, "%v", err)
	}
	return nil
}

func (c checker) options(path string, o *Options, s *Source) error {
	t := &s.Table
	if _, err := ExtForCompression(o.Compression); err != nil {
		return c.errf(joinField(path, "compression"), "%v", err)
	}
	if o.PartBytes <= 0 {
		return c.errf(joinField(path, "part_bytes"), "must be positive")
	}
	if s.Kind == KindDynamoDB {
		return c.dynamoOptions(path, o)
	}
	if o.Segments != 0 {
		return c.errf(joinField(path, "segments"), "set on a %s export", s.Kind)
	}
	if !slices.Contains(Consistencies, o.Consistency) {
		return c.errf(joinField(path, "consistency"), "unknown consistency %q (known: %v)", o.Consistency, Consistencies)
	}
	cpath := joinField(path, "columns")
	if len(o.Columns) == 0 {
		return c.errf(cpath, "empty (an export of all columns lists them all)")
	}
	last := -1
	for i, name := range o.Columns {
		pos := slices.IndexFunc(t.Columns, func(col schema.Column) bool { return col.Name == name })
		switch {
		case pos < 0:
			return c.errf(joinIndex(cpath, i), "%q is not a column of the table", name)
		case pos == last:
			return c.errf(joinIndex(cpath, i), "duplicate %q", name)
		case pos < last:
			return c.errf(joinIndex(cpath, i), "%q is out of order: columns are listed in the table's column order", name)
		}
		last = pos
	}
	switch o.Mode {
	case ModeRanges, ModeKeys:
	default:
		return c.errf(joinField(path, "mode"), "unknown mode %q (known: %s, %s)", o.Mode, ModeRanges, ModeKeys)
	}
	if o.PartBytes <= 0 {
		return c.errf(joinField(path, "part_bytes"), "must be positive")
	}
	return nil
}
