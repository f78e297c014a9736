package spanner

import (
	"context"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/schema"
)

// indexPlan is the Spanner index one source index or view maps to
// (--create-indexes), or why it cannot be one.
type indexPlan struct {
	name string
	ddl  string // CREATE INDEX; "" when skipped
	skip string // the reason it is skipped
}

// saiClass reports whether a custom index class is SAI, which Cassandra
// stores as given ("StorageAttachedIndex" or the full class name).
func saiClass(c string) bool {
	return c == "StorageAttachedIndex" || c == "org.apache.cassandra.index.sai.StorageAttachedIndex"
}

// indexable reports whether a column can be an index key in Spanner: a
// dumped column of a scalar type (not ARRAY or JSON).
func (tb *Table) indexable(name string) (*column, string) {
	for _, c := range tb.cols {
		if c.name == name {
			if c.st.k == kArray || c.st.k == kJSON {
				return nil, fmt.Sprintf("column %s is %s, which Spanner cannot index", name, c.st.ddl)
			}
			return c, ""
		}
	}
	return nil, fmt.Sprintf("column %s was not dumped", name)
}

// planIndexes maps the source table's indexes and views (docs/loader.md):
// a regular or option-less SAI index on one column becomes CREATE INDEX
// on that column; a view becomes an index on its key columns that are not
// the table's own key columns, storing its other columns. An index on a
// collection (keys, values, entries, full), a custom index other than
// SAI, an SAI index with options, and a view keyed by the table's key
// alone are skipped, each with its reason.
func (tb *Table) planIndexes(src []schema.Index) []indexPlan {
	var out []indexPlan
	for _, x := range src {
		p := indexPlan{name: x.Name}
		var keys, storing []string
		switch {
		case !validName.MatchString(x.Name):
			p.skip = "not a valid Spanner index name"
		case x.Kind == schema.IndexSecondary && x.Class != "" && !saiClass(x.Class):
			p.skip = "custom index class " + x.Class + " has no Spanner equivalent"
		case x.Kind == schema.IndexSecondary && len(x.Options) > 0:
			p.skip = fmt.Sprintf("index options %v have no Spanner equivalent", x.Options)
		case x.Kind == schema.IndexSecondary && strings.ContainsAny(x.Target, "(,"):
			p.skip = "an index on " + x.Target + " (a collection's keys, values or entries, or several columns) has no Spanner equivalent"
		case x.Kind == schema.IndexSecondary:
			if _, why := tb.indexable(x.Target); why != "" {
				p.skip = why
			}
			keys = []string{x.Target}
		case x.Kind == schema.IndexView:
			own := map[string]bool{}
			for _, k := range tb.keys {
				own[k.name] = true
			}
			for _, k := range x.Key {
				if own[k] {
					continue
				}
				if _, why := tb.indexable(k); why != "" {
					p.skip = why
					break
				}
				keys = append(keys, k)
			}
			for _, c := range x.Columns {
				if own[c] {
					continue
				}
				if _, why := tb.indexable(c); strings.HasSuffix(why, "was not dumped") {
					p.skip = why
					break
				}
				storing = append(storing, c)
			}
			if p.skip == "" && len(keys) == 0 {
				p.skip = "the view is keyed by the table's own key columns, which the table is already ordered by"
			}
		default:
			p.skip = "unknown kind " + x.Kind
		}
		if p.skip == "" {
			p.ddl = fmt.Sprintf("CREATE INDEX `%s` ON `%s` (%s)", x.Name, tb.name, quoteList(keys))
			if len(storing) > 0 {
				p.ddl += " STORING (" + quoteList(storing) + ")"
			}
		}
		out = append(out, p)
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// indexOwners maps each index of the database (lower-case name) to its
// table.
func indexOwners(stmts []string) map[string]string {
	out := map[string]string{}
	for _, s := range stmts {
		f := strings.Fields(s)
		i := 1
		for i < len(f) && i < 3 && !strings.EqualFold(f[i], "INDEX") {
			i++
		}
		if len(f) < 5 || !strings.EqualFold(f[0], "CREATE") || i+2 >= len(f) || !strings.EqualFold(f[i], "INDEX") || !strings.EqualFold(f[i+2], "ON") {
			continue
		}
		tn := f[i+3]
		if j := strings.Index(tn, "("); j >= 0 {
			tn = tn[:j]
		}
		out[strings.ToLower(unquote(f[i+1]))] = strings.ToLower(unquote(tn))
	}
	return out
}

// createIndexes creates the Spanner indexes the source's indexes and
// views map to (those not there yet), before any row is written, and
// lists the skipped ones as warnings. An index name another table's
// index holds is refused (exit 2): Spanner's index names are the
// database's, Cassandra's the keyspace's.
func (t *Target) createIndexes(ctx context.Context, tb *Table, dryRun bool) error {
	stmts, err := t.ddl(ctx)
	if err != nil {
		return err
	}
	owners := indexOwners(stmts)
	var ddl []string
	for _, p := range tb.indexPlans() {
		if p.skip != "" {
			t.logger.Warn("index not created", "index", p.name, "table", tb.name, "reason", p.skip)
			t.run.Event("index_skipped", "index", p.name, "table", tb.name, "reason", p.skip)
			continue
		}
		switch owner, ok := owners[strings.ToLower(p.name)]; {
		case ok && owner == strings.ToLower(tb.name):
			continue // created before
		case ok:
			return fault.Usagef("--create-indexes: index %s already exists on table %s in %s (Spanner index names are the database's): drop or rename it", p.name, owner, t.db)
		}
		ddl = append(ddl, p.ddl)
	}
	if len(ddl) == 0 || dryRun {
		for _, s := range ddl {
			t.logger.Info("would create index", "ddl", s)
		}
		return nil
	}
	if err := t.updateDDL(ctx, ddl...); err != nil {
		return fault.Usage(fmt.Errorf("create indexes on %s: %w", tb.name, err))
	}
	for _, s := range ddl {
		t.logger.Info("created index", "ddl", s)
		t.run.Event("index_created", "table", tb.name, "ddl", s)
	}
	return nil
}
