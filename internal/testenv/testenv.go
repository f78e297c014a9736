// Package testenv tells integration tests where the real servers started by
// scripts/services.sh listen. Outside `make test` a test whose server is
// missing is skipped with a message; under `make test`
// (LADING_REQUIRE_SERVICES=1) it fails instead, so CI never skips silently.
package testenv

import (
	"os"
	"testing"
)

// Need returns the value of the environment variable that locates a
// server, skipping or failing the test when it is unset.
func Need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := name + " is not set: start the test servers with `scripts/services.sh up` and `eval \"$(scripts/services.sh env)\"`, or run `make test`"
	if os.Getenv("LADING_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// CassandraHosts returns host:port of the test Cassandra (LADING_CASSANDRA_HOSTS).
func CassandraHosts(t testing.TB) string { return Need(t, "LADING_CASSANDRA_HOSTS") }

// S3 returns the test S3 endpoint and bucket (credentials are in AWS_*).
func S3(t testing.TB) (endpoint, bucket string) {
	return Need(t, "LADING_S3_ENDPOINT"), Need(t, "LADING_S3_BUCKET")
}

// GCS returns the fake-gcs-server host:port and bucket.
func GCS(t testing.TB) (host, bucket string) {
	return Need(t, "STORAGE_EMULATOR_HOST"), Need(t, "LADING_GCS_BUCKET")
}

// Bigtable returns the Bigtable emulator's host:port.
func Bigtable(t testing.TB) string { return Need(t, "BIGTABLE_EMULATOR_HOST") }

// Spanner returns the host:port of the test Spanner (spannertest, run by
// scripts/spannerd) from SPANNER_EMULATOR_HOST.
func Spanner(t testing.TB) string { return Need(t, "SPANNER_EMULATOR_HOST") }

// DynamoDB returns the endpoint URL of the DynamoDB stand-in (dynalite),
// LADING_DYNAMODB_ENDPOINT; credentials are in AWS_*.
func DynamoDB(t testing.TB) string { return Need(t, "LADING_DYNAMODB_ENDPOINT") }
