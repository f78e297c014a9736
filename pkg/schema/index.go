package schema

import (
	"fmt"
	"slices"
)

// Kinds of Index.
const (
	// IndexSecondary is a secondary index (system_schema.indexes).
	IndexSecondary = "index"
	// IndexView is a materialized view (system_schema.views).
	IndexView = "view"
)

// Index is a secondary index or a materialized view of the source table,
// recorded so that a target can offer the same lookups (the Spanner
// target's --create-indexes). Rows of views are not dumped: a view is
// derived from its base table.
type Index struct {
	// Name is the index's or view's name, unquoted.
	Name string `json:"name"`
	// Kind is IndexSecondary or IndexView.
	Kind string `json:"kind"`
	// Target (an index) is the indexed column as system_schema.indexes'
	// options name it: "v", or "keys(m)", "values(l)", "entries(m)",
	// "full(f)" for collections; several columns comma-separated.
	Target string `json:"target,omitempty"`
	// Class (an index) is a custom index's class name, e.g.
	// "StorageAttachedIndex" for SAI; empty for a regular index.
	Class string `json:"class,omitempty"`
	// Options (an index) are the index's other options (a custom
	// index's), as system_schema.indexes has them.
	Options map[string]string `json:"options,omitempty"`
	// Key (a view) is the view's primary key: partition key columns,
	// then clustering columns, in order.
	Key []string `json:"key,omitempty"`
	// Columns (a view) are the view's other columns.
	Columns []string `json:"columns,omitempty"`
	// CQL is the CREATE INDEX or CREATE MATERIALIZED VIEW statement.
	CQL string `json:"cql"`
}

// CheckIndexes checks the table's indexes: names unique and non-empty, a
// known kind, an index with a target, a view with a key of the table's
// columns.
func (t *Table) CheckIndexes() error {
	seen := map[string]bool{}
	for i, x := range t.Indexes {
		if x.Name == "" || seen[x.Name] {
			return fmt.Errorf("indexes[%d].name: empty or duplicate %q", i, x.Name)
		}
		seen[x.Name] = true
		switch x.Kind {
		case IndexSecondary:
			if x.Target == "" {
				return fmt.Errorf("indexes[%d].target: empty", i)
			}
			if len(x.Key) > 0 || len(x.Columns) > 0 {
				return fmt.Errorf("indexes[%d]: key and columns are for views", i)
			}
		case IndexView:
			if len(x.Key) == 0 {
				return fmt.Errorf("indexes[%d].key: empty", i)
			}
			if x.Target != "" || x.Class != "" || len(x.Options) > 0 {
				return fmt.Errorf("indexes[%d]: target, class and options are for indexes", i)
			}
			for _, c := range slices.Concat(x.Key, x.Columns) {
				if t.Column(c) == nil {
					return fmt.Errorf("indexes[%d]: view column %q is not a column of the table", i, c)
				}
			}
		default:
			return fmt.Errorf("indexes[%d].kind: %q, want %q or %q", i, x.Kind, IndexSecondary, IndexView)
		}
		if x.CQL == "" {
			return fmt.Errorf("indexes[%d].cql: empty", i)
		}
	}
	return nil
}
