package testenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// CompatHosts returns host:port of the older Cassandra release that
// `make test-compat` runs the compatibility tests against
// (LADING_COMPAT_HOSTS). Those tests need a server `make test` does not
// start: without the variable they are skipped, saying where they run.
func CompatHosts(t testing.TB) string {
	t.Helper()
	return compatEnv(t, "LADING_COMPAT_HOSTS", " (Cassandra 4.1 and 4.0)")
}

// CompatTLSDir returns the directory of the CA (ca.pem) and client
// certificate (client.pem, client.key) of the older server that requires
// client certificates on TLS connections (LADING_COMPAT_TLS_DIR, set by
// `make test-compat` for Cassandra 4.1); without it the test is skipped.
func CompatTLSDir(t testing.TB) string {
	t.Helper()
	return compatEnv(t, "LADING_COMPAT_TLS_DIR", " (Cassandra 4.1 with client-certificate TLS)")
}

// CompatPID returns the process id of the older server under test, read
// from the pid file LADING_COMPAT_PIDFILE names (scripts/services.sh
// writes one per server), for tests that pause the node; without it the
// test is skipped.
func CompatPID(t testing.TB) int {
	t.Helper()
	f := compatEnv(t, "LADING_COMPAT_PIDFILE", "")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("pid file %s: %q", f, b)
	}
	return pid
}

// CompatRestart returns the shell command that starts the older server
// under test again on its kept data after a test killed it
// (LADING_COMPAT_RESTART, set by `make test-compat`); without it the
// test is skipped.
func CompatRestart(t testing.TB) string {
	t.Helper()
	return compatEnv(t, "LADING_COMPAT_RESTART", "")
}

// compatEnv returns the variable `make test-compat` sets for its tests,
// or skips the test saying where it runs (where: what it runs against).
func compatEnv(t testing.TB, name, where string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skip(name + " is not set: this test runs under `make test-compat`" + where)
	}
	return v
}
