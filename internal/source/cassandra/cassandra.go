// Package cassandra is the exporter's Cassandra (and ScyllaDB) source:
// cassandra://host1,host2:9042 URLs, the table's schema from the system
// tables, units of token ranges planned from the ring and size
// estimates (or slices of a key list), and token-aware paged scans
// through internal/cql, encoded by pkg/format.
package cassandra

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// DefaultConsistency is the read consistency when none is given.
const DefaultConsistency = "LOCAL_ONE"

func init() { source.Register("cassandra", source.Backend{Check: check, Open: open}) }

var (
	_ source.Source    = (*Source)(nil)
	_ source.KeyLister = (*Source)(nil)
)

// Source is a Cassandra cluster.
type Source struct {
	s    *cql.Session
	opts source.Options
	// untimed are each described table's multi-cell columns whose
	// WRITETIME the server refuses (Describe probes them), by
	// keyspace.table: one Source serves every table of a --tables run,
	// some at once.
	mu      sync.Mutex
	untimed map[string][]string
}

// check parses the URL and checks that table is keyspace.table; the
// dump's table is the same name.
func check(raw, table string) (string, error) {
	if _, err := cql.ParseURL(raw); err != nil {
		return "", err
	}
	if err := manifest.ValidateTableName(table); err != nil {
		return "", fault.Usagef("--table: %w", err)
	}
	// Dump names allow a DynamoDB table's '-' and '.'; CQL names do not.
	ks, name, _ := strings.Cut(table, ".")
	if !cql.ValidName(name) {
		return "", fault.Usagef("--table %q: a Cassandra table name is letters, digits and '_'", table)
	}
	// Dump paths name DynamoDB tables dynamodb.<name>: a Cassandra table
	// of keyspace dynamodb would share their paths, and a loader could
	// load the two kinds into one target table.
	if ks == manifest.DynamoDBKeyspace {
		return "", fault.Usagef("--table %q: keyspace %s is reserved in dump paths for DynamoDB tables (dynamodb.<name>); lading cannot export a Cassandra keyspace of that name", table, ks)
	}
	return table, nil
}

func open(ctx context.Context, raw string, opts source.Options) (source.Source, error) {
	if err := source.RefuseProtection(manifest.KindCassandra, opts.Protect); err != nil {
		return nil, err
	}
	cfg, err := cql.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	s, err := cql.Connect(ctx, cfg, cql.Options{Logger: opts.Logger, Env: opts.Env, TranslateAddress: opts.TranslateAddress})
	if err != nil {
		return nil, err
	}
	return &Source{s: s, opts: opts}, nil
}

// Close closes the session.
func (c *Source) Close() error {
	c.s.Close()
	return nil
}

// Describe reads the table "keyspace.table" and the cluster's name and
// partitioner.
func (c *Source) Describe(ctx context.Context, table string) (*manifest.Source, error) {
	ks, name, _ := strings.Cut(table, ".")
	var t *schema.Table
	var info cql.ClusterInfo
	err := c.meta(ctx, "read schema of "+table, func(ctx context.Context) (err error) {
		t, info, err = cql.ReadTable(ctx, c.s, ks, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.QualifiedName() != table {
		return nil, fault.Usagef("--table %s: the table is named %s (names are case-sensitive)", table, t.QualifiedName())
	}
	if _, err := cql.PartitionerByName(info.Partitioner); err != nil {
		return nil, fault.Usage(err)
	}
	var untimed []string
	err = c.meta(ctx, "probe WRITETIME of "+table, func(ctx context.Context) (err error) {
		untimed, err = probeUntimed(ctx, c.s, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.untimed == nil {
		c.untimed = map[string][]string{}
	}
	c.untimed[t.QualifiedName()] = untimed
	c.mu.Unlock()
	return &manifest.Source{Kind: manifest.KindCassandra, Cluster: info.Name, Partitioner: info.Partitioner, Table: *t}, nil
}

// Diff compares cluster, partitioner and the table's schema.
func (c *Source) Diff(planned, live *manifest.Source) string {
	switch {
	case planned.Kind != live.Kind:
		return fmt.Sprintf("the dump was planned from a %s source, this is %s", planned.Kind, live.Kind)
	case planned.Cluster != live.Cluster:
		return fmt.Sprintf("the dump was planned from cluster %q, but the source is cluster %q", planned.Cluster, live.Cluster)
	case planned.Partitioner != live.Partitioner:
		return fmt.Sprintf("the dump was planned with partitioner %s, but the source uses %s", planned.Partitioner, live.Partitioner)
	}
	if d := schemaDiff(&planned.Table, &live.Table); d != "" {
		return fmt.Sprintf("the schema of %s changed since the dump was planned: %s", live.Table.QualifiedName(), d)
	}
	return ""
}

// schemaDiff describes the first difference between two tables' schemas
// (columns, their types and roles, user types), or "".
func schemaDiff(a, b *schema.Table) string {
	if a.QualifiedName() != b.QualifiedName() {
		return fmt.Sprintf("table %s vs %s", a.QualifiedName(), b.QualifiedName())
	}
	for _, c := range a.Columns {
		d := b.Column(c.Name)
		switch {
		case d == nil:
			return fmt.Sprintf("column %q was dropped", c.Name)
		case d.Type != c.Type:
			return fmt.Sprintf("column %q changed type from %s to %s", c.Name, c.Type, d.Type)
		case d.Role != c.Role || d.Position != c.Position || d.Order != c.Order:
			return fmt.Sprintf("column %q changed its key role or order", c.Name)
		}
	}
	for _, d := range b.Columns {
		if a.Column(d.Name) == nil {
			return fmt.Sprintf("column %q was added", d.Name)
		}
	}
	for _, u := range a.UserTypes {
		i := slices.IndexFunc(b.UserTypes, func(v schema.UserType) bool { return v.Name == u.Name })
		if i < 0 {
			return fmt.Sprintf("user type %q is no longer used", u.Name)
		}
		if !slices.Equal(u.Fields, b.UserTypes[i].Fields) {
			return fmt.Sprintf("user type %q changed its fields", u.Name)
		}
	}
	if len(a.UserTypes) != len(b.UserTypes) {
		return "the set of user types changed"
	}
	return ""
}

// Options resolves the columns (all by default, key columns always, in
// the table's order) and checks the consistency level.
func (c *Source) Options(live *manifest.Source, req source.Request) (manifest.Options, error) {
	if req.ConsistentRead {
		return manifest.Options{}, fault.Usagef("--consistent-read: not a Cassandra option (see --consistency)")
	}
	cons := strings.ToUpper(req.Consistency)
	if cons == "" {
		cons = DefaultConsistency
	}
	if _, err := cql.ParseConsistency(cons); err != nil {
		return manifest.Options{}, fault.Usagef("--consistency: %w", err)
	}
	if strings.Contains(req.Where, ";") {
		return manifest.Options{}, fault.Usagef("--where %q: a restriction, not statements (no ';')", req.Where)
	}
	cols, err := resolveColumns(&live.Table, req.Columns)
	if err != nil {
		return manifest.Options{}, err
	}
	mode := manifest.ModeRanges
	if req.Keys {
		mode = manifest.ModeKeys
	}
	return manifest.Options{
		Compression:    req.Compression,
		Writetime:      req.Writetime,
		TTL:            req.TTL,
		Untimed:        c.untimedOf(live.Table.QualifiedName(), cols, req.Writetime || req.TTL),
		Consistency:    cons,
		Columns:        cols,
		Where:          strings.TrimSpace(req.Where),
		AllowFiltering: req.AllowFiltering,
		LimitRows:      req.LimitRows,
		Mode:           mode,
		PartBytes:      req.PartBytes,
	}, nil
}

// resolveColumns checks the named columns and returns them with the
// primary key columns, in the table's column order.
func resolveColumns(t *schema.Table, names []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			return nil, fault.Usagef("--columns: empty column name")
		}
		if t.Column(n) == nil {
			var known []string
			for _, c := range t.Columns {
				known = append(known, c.Name)
			}
			return nil, fault.Usagef("--columns: %q is not a column of %s (columns: %s)", n, t.QualifiedName(), strings.Join(known, ", "))
		}
		want[n] = true
	}
	var out []string
	for _, c := range t.Columns {
		if len(names) == 0 || want[c.Name] || c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// ParseKeys reads a key list for the table (see parseKeys).
func (c *Source) ParseKeys(live *manifest.Source, r io.Reader) ([][]byte, int, error) {
	list, err := parseKeys(r, &live.Table)
	if err != nil {
		return nil, 0, err
	}
	return list.lines, list.dups, nil
}
