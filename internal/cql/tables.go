package cql

import (
	"context"
	"fmt"
	"sort"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// systemKeyspaces are Cassandra's own keyspaces: never a user's table.
var systemKeyspaces = map[string]bool{
	"system": true, "system_schema": true, "system_auth": true, "system_distributed": true,
	"system_traces": true, "system_views": true, "system_virtual_schema": true,
	"system_cluster_metadata": true,
}

// ListTables returns keyspace.table of every table outside the system
// keyspaces, sorted. Materialized views live in system_schema.views and
// are not listed.
func ListTables(ctx context.Context, s *Session) ([]string, error) {
	iter := s.s.Query(`SELECT keyspace_name, table_name FROM system_schema.tables`).
		Consistency(gocql.One).PageSize(5000).IterContext(ctx)
	var ks, t string
	var out []string
	for iter.Scan(&ks, &t) {
		if !systemKeyspaces[ks] {
			out = append(out, ks+"."+t)
		}
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("list tables (system_schema.tables): %w", err)
	}
	sort.Strings(out)
	return out, nil
}
