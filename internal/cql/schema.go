package cql

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/schema"
)

// ClusterInfo is what a dump records about the source cluster, plus the
// table's identity.
type ClusterInfo struct {
	// Name is system.local's cluster_name.
	Name string
	// Partitioner is the full class name.
	Partitioner string
	// ReleaseVersion is the Cassandra version of the node that answered.
	ReleaseVersion string
	// TableID is system_schema.tables' id: it changes when a table is
	// dropped and created again (the loader's incarnation check).
	TableID string
}

// MajorVersion is the major number of a release_version ("4.1.10": 4),
// or 0 when it cannot be read.
func MajorVersion(release string) int {
	major, _, _ := strings.Cut(release, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// ReadCluster reads system.local.
func ReadCluster(ctx context.Context, s *Session) (ClusterInfo, error) {
	var ci ClusterInfo
	err := s.s.Query(`SELECT cluster_name, partitioner, release_version FROM system.local WHERE key = 'local'`).
		Consistency(gocql.One).ScanContext(ctx, &ci.Name, &ci.Partitioner, &ci.ReleaseVersion)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("read system.local: %w", err)
	}
	return ci, nil
}

// ReadTable reads a table's schema from the system tables: its columns
// with types, key roles and positions, clustering order, static and
// counter columns, every user type it uses (transitively, each after the
// types it uses, with its CREATE TYPE statement) and its CREATE TABLE
// statement (server-side DESCRIBE where the server has it, else composed
// from the schema). The names are matched exactly, else in lower case
// (as CQL folds unquoted names). A missing keyspace or table is a usage
// error.
func ReadTable(ctx context.Context, s *Session, keyspace, table string) (*schema.Table, ClusterInfo, error) {
	ci, err := ReadCluster(ctx, s)
	if err != nil {
		return nil, ClusterInfo{}, err
	}
	ks, err := findKeyspace(ctx, s, keyspace)
	if err != nil {
		return nil, ClusterInfo{}, err
	}
	name, id, err := findTable(ctx, s, ks, table)
	if err != nil {
		return nil, ClusterInfo{}, err
	}
	ci.TableID = id
	t := &schema.Table{Keyspace: ks, Name: name}
	if err := readColumns(ctx, s, t); err != nil {
		return nil, ClusterInfo{}, err
	}
	if err := readUserTypes(ctx, s, t); err != nil {
		return nil, ClusterInfo{}, err
	}
	if err := readIndexes(ctx, s, t); err != nil {
		return nil, ClusterInfo{}, err
	}
	if err := t.Resolve(); err != nil {
		return nil, ClusterInfo{}, fmt.Errorf("schema of %s: %w", t.QualifiedName(), err)
	}
	for _, c := range t.Columns {
		if c.T.Kind == schema.Counter {
			t.Counter = true
		}
	}
	t.CQL = describe(ctx, s, "TABLE", ks, name)
	if t.CQL == "" {
		t.CQL = t.CreateTableCQL(ks, name)
	}
	return t, ci, nil
}

func findKeyspace(ctx context.Context, s *Session, keyspace string) (string, error) {
	for _, cand := range nameCandidates(keyspace) {
		var got string
		err := s.s.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, cand).
			Consistency(gocql.One).ScanContext(ctx, &got)
		if err == nil {
			return got, nil
		}
		if err != gocql.ErrNotFound {
			return "", fmt.Errorf("read system_schema.keyspaces: %w", err)
		}
	}
	return "", fault.Usagef("keyspace %q does not exist", keyspace)
}

func findTable(ctx context.Context, s *Session, ks, table string) (name, id string, err error) {
	for _, cand := range nameCandidates(table) {
		var uid gocql.UUID
		err := s.s.Query(`SELECT table_name, id FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?`, ks, cand).
			Consistency(gocql.One).ScanContext(ctx, &name, &uid)
		if err == nil {
			return name, uid.String(), nil
		}
		if err != gocql.ErrNotFound {
			return "", "", fmt.Errorf("read system_schema.tables: %w", err)
		}
	}
	for _, cand := range nameCandidates(table) {
		var v string
		err := s.s.Query(`SELECT view_name FROM system_schema.views WHERE keyspace_name = ? AND view_name = ?`, ks, cand).
			Consistency(gocql.One).ScanContext(ctx, &v)
		if err == nil {
			return "", "", fault.Usagef("%s.%s is a materialized view; export its base table", ks, v)
		}
	}
	return "", "", fault.Usagef("table %s.%s does not exist", ks, table)
}

// nameCandidates is the name as given, then lower-cased if different.
func nameCandidates(n string) []string {
	if l := strings.ToLower(n); l != n {
		return []string{n, l}
	}
	return []string{n}
}

func readColumns(ctx context.Context, s *Session, t *schema.Table) error {
	iter := s.s.Query(`SELECT column_name, kind, position, clustering_order, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?`,
		t.Keyspace, t.Name).Consistency(gocql.One).IterContext(ctx)
	var rows []ColumnRow
	var r ColumnRow
	for iter.Scan(&r.Name, &r.Kind, &r.Position, &r.ClusteringOrder, &r.Type) {
		rows = append(rows, r)
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("read system_schema.columns: %w", err)
	}
	cols, err := ColumnsFromRows(t.Keyspace+"."+t.Name, rows)
	t.Columns = cols
	return err
}

// ColumnRow is one row of system_schema.columns (Cassandra 3.0 and
// later, where the table has had these columns and values).
type ColumnRow struct {
	Name, Kind      string
	Position        int
	ClusteringOrder string
	Type            string
}

// ColumnsFromRows orders a table's system_schema.columns rows as
// schema.Table wants them: partition key by position, clustering by
// position, then the other columns by name.
func ColumnsFromRows(table string, rows []ColumnRow) ([]schema.Column, error) {
	var keys, clustering, rest []schema.Column
	for _, r := range rows {
		c := schema.Column{Name: r.Name, Type: r.Type}
		switch r.Kind {
		case "partition_key":
			c.Role, c.Position = schema.PartitionKey, r.Position
			keys = append(keys, c)
		case "clustering":
			c.Role, c.Position = schema.Clustering, r.Position
			c.Order = schema.Asc
			if strings.EqualFold(r.ClusteringOrder, "desc") {
				c.Order = schema.Desc
			}
			clustering = append(clustering, c)
		case "regular":
			c.Role = schema.Regular
			rest = append(rest, c)
		case "static":
			c.Role = schema.Static
			rest = append(rest, c)
		default:
			return nil, fmt.Errorf("schema of %s: column %q has unknown kind %q", table, r.Name, r.Kind)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Position < keys[j].Position })
	sort.Slice(clustering, func(i, j int) bool { return clustering[i].Position < clustering[j].Position })
	sort.Slice(rest, func(i, j int) bool { return rest[i].Name < rest[j].Name })
	if len(keys) == 0 {
		return nil, fmt.Errorf("schema of %s: no partition key columns in system_schema.columns", table)
	}
	return append(append(keys, clustering...), rest...), nil
}

type udtRow struct {
	fields, types []string
}

// readUserTypes fills t.UserTypes with every user type its columns use,
// directly or nested, dependencies first.
func readUserTypes(ctx context.Context, s *Session, t *schema.Table) error {
	var roots []string
	for _, c := range t.Columns {
		roots = append(roots, TypeNames(c.Type)...)
	}
	if len(roots) == 0 {
		return nil
	}
	all := map[string]udtRow{}
	iter := s.s.Query(`SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?`, t.Keyspace).
		Consistency(gocql.One).IterContext(ctx)
	var name string
	var fields, types []string
	for iter.Scan(&name, &fields, &types) {
		all[name] = udtRow{fields: append([]string(nil), fields...), types: append([]string(nil), types...)}
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("read system_schema.types: %w", err)
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("user type %q refers to itself (%s)", n, strings.Join(append(path, n), " -> "))
		case 2:
			return nil
		}
		row, ok := all[n]
		if !ok {
			return fmt.Errorf("user type %s.%s is used by %s but not in system_schema.types", t.Keyspace, n, t.QualifiedName())
		}
		if len(row.fields) != len(row.types) {
			return fmt.Errorf("user type %s.%s: %d field names but %d field types", t.Keyspace, n, len(row.fields), len(row.types))
		}
		state[n] = 1
		for _, ft := range row.types {
			for _, dep := range TypeNames(ft) {
				if err := visit(dep, append(path, n)); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		u := schema.UserType{Keyspace: t.Keyspace, Name: n}
		for i := range row.fields {
			u.Fields = append(u.Fields, schema.Field{Name: row.fields[i], Type: row.types[i]})
		}
		u.CQL = describe(ctx, s, "TYPE", t.Keyspace, n)
		if u.CQL == "" {
			u.CQL = u.CreateTypeCQL(t.Keyspace)
		}
		t.UserTypes = append(t.UserTypes, u)
		return nil
	}
	for _, r := range roots {
		if err := visit(r, nil); err != nil {
			return err
		}
	}
	return nil
}

// describe returns the server's CREATE statement for a table or type
// (DESCRIBE, Cassandra 4.0 and later), or "" when the server has none.
func describe(ctx context.Context, s *Session, what, ks, name string) string {
	iter := s.s.Query(fmt.Sprintf("DESCRIBE %s %s.%s", what, schema.QuoteIdent(ks), schema.QuoteIdent(name))).
		Consistency(gocql.One).IterContext(ctx)
	row := map[string]any{}
	var stmt string
	if iter.MapScan(row) {
		stmt, _ = row["create_statement"].(string)
	}
	if err := iter.Close(); err != nil {
		s.logger.Debug("server-side DESCRIBE unavailable; composing the CQL", "what", what, "name", ks+"."+name, "err", err)
		return ""
	}
	return strings.TrimSpace(stmt)
}

// TypeNames returns the user type names a CQL type text refers to, in
// order of appearance (unquoted, as system_schema.types names them).
func TypeNames(typ string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for i := 0; i < len(typ); {
		c := typ[i]
		switch {
		case c == '"':
			var b strings.Builder
			i++
			for i < len(typ) {
				if typ[i] == '"' {
					if i+1 < len(typ) && typ[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(typ[i])
				i++
			}
			add(b.String())
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(typ) && (typ[j] == '_' || typ[j] == '.' || typ[j] >= 'a' && typ[j] <= 'z' || typ[j] >= 'A' && typ[j] <= 'Z' || typ[j] >= '0' && typ[j] <= '9') {
				j++
			}
			w := strings.ToLower(typ[i:j])
			if !typeKeywords[w] {
				add(w)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

var typeKeywords = map[string]bool{
	"frozen": true, "list": true, "set": true, "map": true, "tuple": true, "vector": true,
	"ascii": true, "bigint": true, "blob": true, "boolean": true, "counter": true, "date": true,
	"decimal": true, "double": true, "duration": true, "float": true, "inet": true, "int": true,
	"smallint": true, "text": true, "time": true, "timestamp": true, "timeuuid": true,
	"tinyint": true, "uuid": true, "varchar": true, "varint": true,
}
