package cassandra

import (
	"time"

	"github.com/lading-dev/lading/internal/cql"
)

// SetTestConnect makes every target opened from now on adjust its
// session options with f; the returned func undoes it.
func SetTestConnect(f func(*cql.Options)) (undo func()) {
	old := testConnect
	testConnect = f
	return func() { testConnect = old }
}

// SetCountTimeout bounds each count request at a depth (0: a top-level
// slice) by what f returns (0: the session's timeout); the returned func
// undoes it.
func SetCountTimeout(f func(depth int) time.Duration) (undo func()) {
	old := countTimeout
	countTimeout = f
	return func() { countTimeout = old }
}

// SetCountProgress sets how often a count logs its progress; the
// returned func undoes it.
func SetCountProgress(d time.Duration) (undo func()) {
	old := countProgress
	countProgress = d
	return func() { countProgress = old }
}
