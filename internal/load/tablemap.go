package load

import (
	"regexp"
	"sort"
	"strings"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// targetNamePattern is what --map accepts as a target table's name: the
// characters a dump's table names may have.
var targetNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// parseTableMap reads --map entries ("KS.TABLE=NAME") into a map from
// source table to target table name. A source given twice, or two
// sources sent to one target table, are refused: one target table takes
// the dumps of one source table, or its ledger would mix them (a dump of
// one skipped as "older" than a dump of the other, rows merged).
func parseTableMap(entries []string) (map[string]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	from := map[string]string{} // target name -> source table
	for _, e := range entries {
		e = strings.TrimSpace(e)
		src, dst, ok := strings.Cut(e, "=")
		src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
		if !ok {
			return nil, fault.Usagef("--map %q: want SRC=DST, e.g. ks1.users=users_ks1", e)
		}
		if err := manifest.ValidateTableName(src); err != nil {
			return nil, fault.Usagef("--map %q: source %v", e, err)
		}
		if !targetNamePattern.MatchString(dst) || len(dst) > 222 {
			return nil, fault.Usagef("--map %q: target table %q is not a table name (letters, digits, '_'; the keyspace comes from --to)", e, dst)
		}
		if _, dup := out[src]; dup {
			return nil, fault.Usagef("--map: %s is mapped twice", src)
		}
		if other, dup := from[dst]; dup {
			return nil, fault.Usagef("--map: %s and %s both map to table %s; one target table takes the dumps of one source table", other, src, dst)
		}
		out[src], from[dst] = dst, src
	}
	return out, nil
}

// checkOneSourcePerTable refuses dumps of two source tables that would
// load into one target table (ks1.users and ks2.users into users): the
// ledger of a target table orders its dumps by timestamp alone, so one
// source's dumps would be merged into the other's rows or skipped as
// "older". It looks at every dump found, in every shard, complete or
// not, so the refusal comes before anything is written.
func (l *Loader) checkOneSourcePerTable(dumps []discover.Dump) error {
	sources := map[string]map[string]bool{} // target name -> source tables
	for _, d := range dumps {
		name := l.targetTableName(d.Table)
		if sources[name] == nil {
			sources[name] = map[string]bool{}
		}
		sources[name][d.Table] = true
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(sources[n]) < 2 {
			continue
		}
		var src []string
		for s := range sources[n] {
			src = append(src, s)
		}
		sort.Strings(src)
		ks, _, _ := strings.Cut(src[1], ".")
		return fault.Usagef("dumps of %s would all load into table %s of the --to keyspace: name one with --table, or give each a table of its own with --map (e.g. --map %s=%s_%s)",
			strings.Join(src, " and "), n, src[1], n, ks)
	}
	return nil
}
