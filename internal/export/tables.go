package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// DefaultTableParallel is how many tables a --tables run exports at once
// when not told.
const DefaultTableParallel = 2

// checkTables wants one of --table and --tables.
func (c Config) checkTables() error {
	switch {
	case c.Table != "" && len(c.Tables) > 0:
		return fault.Usagef("--table and --tables (or --tables-file): give one, a table or patterns of tables")
	case c.Table == "" && len(c.Tables) == 0:
		return fault.Usagef("--table is required (keyspace.table), or --tables PATTERNS")
	case c.FromExport != "" && len(c.Tables) > 0:
		return fault.Usagef("--from-export converts the export of one table: give --table, not --tables")
	}
	return nil
}

// ParseTablePatterns checks the patterns of --tables (each a comma-
// separated list): keyspace.table globs for Cassandra ("shop.*",
// "crm.user?"), table-name globs for DynamoDB, with path.Match's syntax.
// Blank entries are dropped and repeats kept once, in their first place.
func ParseTablePatterns(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" || slices.Contains(out, p) {
				continue
			}
			if _, err := path.Match(p, ""); err != nil {
				return nil, fault.Usagef("--tables: pattern %q: %w", p, err)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// ReadTablesFile reads the patterns of --tables-file: one a line, blank
// lines and lines starting with '#' ignored (also what follows a '#'
// after a pattern).
func ReadTablesFile(r io.Reader, name string) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.Contains(line, ",") {
			return nil, fault.Usagef("--tables-file %s line %d: one pattern a line (%q)", name, n, line)
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fault.Usagef("--tables-file %s: %w", name, err)
	}
	if len(lines) == 0 {
		return nil, fault.Usagef("--tables-file %s: no pattern in the file", name)
	}
	return ParseTablePatterns(lines)
}

// isGlob reports whether a pattern has path.Match's special characters.
func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// expandTables lists the source's tables and returns those the patterns
// match, sorted by their name in dump paths. A pattern that matches
// nothing is a usage error (a typo would otherwise export less than
// meant); so is a table named literally that lading cannot name in a
// dump path. A table a glob matches but that cannot be named so is left
// out with a warning.
func expandTables(ctx context.Context, src source.Source, cfg Config, logger *slog.Logger) ([]manifest.BatchTable, error) {
	lister, ok := src.(source.TableLister)
	if !ok {
		return nil, fault.Usagef("--tables: this source cannot list its tables; use --table")
	}
	names, err := lister.Tables(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []manifest.BatchTable
	for _, p := range cfg.Tables {
		matched := false
		for _, name := range names {
			if ok, _ := path.Match(p, name); !ok {
				continue
			}
			matched = true
			if seen[name] {
				continue
			}
			seen[name] = true
			dumpTable, err := source.Check(cfg.Source, name)
			if err != nil {
				if !isGlob(p) {
					return nil, err
				}
				logger.Warn("table left out: lading cannot name it in a dump path", "table", name, "pattern", p, "err", err)
				continue
			}
			out = append(out, manifest.BatchTable{Name: name, Table: dumpTable})
		}
		if !matched {
			return nil, fault.Usagef("--tables: %q matches no table of the source", p)
		}
	}
	if len(out) == 0 {
		return nil, fault.Usagef("--tables: the patterns match no table that can be exported")
	}
	slices.SortFunc(out, func(a, b manifest.BatchTable) int { return strings.Compare(a.Table, b.Table) })
	return out, nil
}

// pinTables fixes the batch's table list at its first multi-table run
// (a conditional create of <batch>/_state/tables.json) and, at every
// later run and shard, refuses a list other than the pinned one: shards
// share the work of the tables by their place in it, and the batch
// marker waits for every table of it.
func pinTables(ctx context.Context, root *objstore.Bucket, cfg Config, tables []manifest.BatchTable, logger *slog.Logger) (*manifest.TableList, error) {
	l := &manifest.TableList{Format: manifest.FormatTableList, Batch: cfg.Batch, Patterns: cfg.Tables, Tables: tables, Created: cfg.Now().UTC()}
	data, err := l.Marshal()
	if err != nil {
		return nil, fmt.Errorf("table list: %w", err)
	}
	key := manifest.TableListKey(cfg.Batch)
	err = root.CreateIfAbsent(ctx, key, data)
	if err == nil {
		logger.Info("the batch's table list is fixed", "batch", cfg.Batch, "tables", len(tables))
		return l, nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return nil, fmt.Errorf("create the table list: %w", err)
	}
	pinned, err := readTableList(ctx, root, cfg.Batch)
	if err != nil {
		return nil, err
	}
	if manifest.SameTables(pinned.Tables, tables) {
		return pinned, nil
	}
	added, missing := tableDiff(pinned.Tables, tables)
	return nil, fault.Usagef("batch %s's table list (%s, fixed by its first run for --tables %s) has %d tables; --tables %s matches %d: %s; a batch has one table list: use another --batch, or patterns that match the same tables",
		cfg.Batch, root.Location().Join(key), strings.Join(pinned.Patterns, ","), len(pinned.Tables),
		strings.Join(cfg.Tables, ","), len(tables), describeDiff(added, missing))
}

func readTableList(ctx context.Context, root *objstore.Bucket, batch string) (*manifest.TableList, error) {
	key := manifest.TableListKey(batch)
	data, err := root.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read the table list: %w", err)
	}
	l, err := manifest.DecodeTableList(data)
	if err != nil {
		return nil, fault.Usagef("%s: %w", root.Location().Join(key), err)
	}
	if l.Batch != batch {
		return nil, fault.Usagef("%s: the table list of batch %s, not %s", root.Location().Join(key), l.Batch, batch)
	}
	return l, nil
}

// tableDiff returns the tables of now not pinned, and those pinned not
// in now.
func tableDiff(pinned, now []manifest.BatchTable) (added, missing []string) {
	in := func(list []manifest.BatchTable, t manifest.BatchTable) bool { return slices.Contains(list, t) }
	for _, t := range now {
		if !in(pinned, t) {
			added = append(added, t.Table)
		}
	}
	for _, t := range pinned {
		if !in(now, t) {
			missing = append(missing, t.Table)
		}
	}
	return added, missing
}

func describeDiff(added, missing []string) string {
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "not in the list: "+strings.Join(added, ", "))
	}
	if len(missing) > 0 {
		parts = append(parts, "in the list but not matched: "+strings.Join(missing, ", "))
	}
	return strings.Join(parts, "; ")
}
