package cassandra

import "github.com/lading-dev/lading/internal/cql"

// SetTestConnect makes every target opened from now on adjust its
// session options with f; the returned func undoes it.
func SetTestConnect(f func(*cql.Options)) (undo func()) {
	old := testConnect
	testConnect = f
	return func() { testConnect = old }
}
