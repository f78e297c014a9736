package cassandra

import (
	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/pkg/format"
)

// Restoring dumps of, and into, Cassandra releases before 5.0, which
// refuse WRITETIME and TTL of non-frozen collections and user types.

// rowNewest is the newest writetime dumped of any cell of the row, or
// dflt when none was: the time a column dumped without times (an older
// server's non-frozen collection) is restored at, the best the dump
// knows of when the row was last written.
func rowNewest(row *format.Row, dflt int64) int64 {
	var n int64
	for _, w := range row.Writetime {
		for _, t := range w {
			if t != format.NullElement {
				n = max(n, t)
			}
		}
	}
	if n == 0 {
		return dflt
	}
	return n
}

func isUntimed(untimed []string, name string) bool {
	for _, n := range untimed {
		if n == name {
			return true
		}
	}
	return false
}

// beforeCellTimes reports whether a server of this release_version
// refuses WRITETIME and TTL of non-frozen collections and user types
// (Cassandra before 5.0; an unreadable version counts as such, which
// only costs the comparison of those columns' times).
func beforeCellTimes(release string) bool {
	return cql.MajorVersion(release) < 5
}
