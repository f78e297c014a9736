package source

import "context"

// TableLister is implemented by sources that can list their tables, for
// exports of many tables by pattern (exporter --tables).
type TableLister interface {
	// Tables lists the tables a user could name with --table, in the
	// form --table takes (Cassandra: keyspace.table, system keyspaces
	// and materialized views left out; DynamoDB: the table's name).
	Tables(ctx context.Context) ([]string, error)
}
