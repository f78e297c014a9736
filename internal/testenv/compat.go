package testenv

import (
	"os"
	"testing"
)

// CompatHosts returns host:port of the older Cassandra release that
// `make test-compat` runs the compatibility tests against
// (LADING_COMPAT_HOSTS). Those tests need a server `make test` does not
// start: without the variable they are skipped, saying where they run.
func CompatHosts(t testing.TB) string {
	t.Helper()
	v := os.Getenv("LADING_COMPAT_HOSTS")
	if v == "" {
		t.Skip("LADING_COMPAT_HOSTS is not set: this test runs under `make test-compat` (Cassandra 4.1 and 4.0)")
	}
	return v
}
