package cql

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/pkg/schema"
)

// readIndexes reads the table's secondary indexes (system_schema.indexes)
// and materialized views (system_schema.views) into t.Indexes, sorted by
// name, each with its CREATE statement (server-side DESCRIBE where the
// server has it, else composed). A table without any keeps nil.
func readIndexes(ctx context.Context, s *Session, t *schema.Table) error {
	iter := s.s.Query(`SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?`,
		t.Keyspace, t.Name).Consistency(gocql.One).IterContext(ctx)
	var name, kind string
	var opts map[string]string
	for iter.Scan(&name, &kind, &opts) {
		x := schema.Index{Name: name, Kind: schema.IndexSecondary, Target: opts["target"]}
		if kind == "CUSTOM" {
			x.Class = opts["class_name"]
		}
		for k, v := range opts {
			if k == "target" || k == "class_name" {
				continue
			}
			if x.Options == nil {
				x.Options = map[string]string{}
			}
			x.Options[k] = v
		}
		if x.CQL = describe(ctx, s, "INDEX", t.Keyspace, name); x.CQL == "" {
			x.CQL = createIndexCQL(t.Keyspace, t.Name, x)
		}
		t.Indexes = append(t.Indexes, x)
		opts = nil
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("read system_schema.indexes: %w", err)
	}
	var views []string
	var base string
	iter = s.s.Query(`SELECT view_name, base_table_name FROM system_schema.views WHERE keyspace_name = ?`, t.Keyspace).
		Consistency(gocql.One).IterContext(ctx)
	for iter.Scan(&name, &base) {
		if base == t.Name {
			views = append(views, name)
		}
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("read system_schema.views: %w", err)
	}
	for _, v := range views {
		vt := &schema.Table{Keyspace: t.Keyspace, Name: v}
		if err := readColumns(ctx, s, vt); err != nil {
			return fmt.Errorf("view %s.%s: %w", t.Keyspace, v, err)
		}
		x := schema.Index{Name: v, Kind: schema.IndexView}
		for _, c := range vt.Columns {
			if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
				x.Key = append(x.Key, c.Name)
			} else {
				x.Columns = append(x.Columns, c.Name)
			}
		}
		if x.CQL = describe(ctx, s, "MATERIALIZED VIEW", t.Keyspace, v); x.CQL == "" {
			x.CQL = fmt.Sprintf("CREATE MATERIALIZED VIEW %s.%s AS SELECT %s FROM %s.%s PRIMARY KEY (%s)",
				schema.QuoteIdent(t.Keyspace), schema.QuoteIdent(v), strings.Join(append(append([]string{}, x.Key...), x.Columns...), ", "),
				schema.QuoteIdent(t.Keyspace), schema.QuoteIdent(t.Name), strings.Join(x.Key, ", "))
		}
		t.Indexes = append(t.Indexes, x)
	}
	sort.Slice(t.Indexes, func(i, j int) bool { return t.Indexes[i].Name < t.Indexes[j].Name })
	return nil
}

// createIndexCQL composes an index's CREATE statement from its options.
func createIndexCQL(ks, table string, x schema.Index) string {
	if x.Class == "" {
		return fmt.Sprintf("CREATE INDEX %s ON %s.%s (%s)", schema.QuoteIdent(x.Name), schema.QuoteIdent(ks), schema.QuoteIdent(table), x.Target)
	}
	return fmt.Sprintf("CREATE CUSTOM INDEX %s ON %s.%s (%s) USING '%s'", schema.QuoteIdent(x.Name), schema.QuoteIdent(ks), schema.QuoteIdent(table), x.Target, x.Class)
}
