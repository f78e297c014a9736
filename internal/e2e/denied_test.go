package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/cqldeny"
)

// Refused credentials and denied permissions exit 2 (retrying will not
// help), whichever command meets them and whichever service refuses:
// Cassandra's AuthenticationError (from cqldeny, since the test Cassandra
// runs without authentication), the S3 server's real answers to a wrong
// secret key (403) and to an unknown access key, and a GCS 403 (from a
// stand-in, since the GCS emulator does no authentication). No secret is
// in the output.
func TestDeniedExitsTwo(t *testing.T) {
	const wrong = "wrong-secret-0123456789"
	endpoint, bucket := testenv.S3(t)
	s3 := fmt.Sprintf("s3://%s/denied?endpoint=%s&region=us-east-1", bucket, url.QueryEscape(endpoint))
	gcsDenied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"code":403,"message":"lading@example.iam.gserviceaccount.com does not have storage.objects.get access","errors":[{"reason":"forbidden","message":"forbidden"}]}}`)
	}))
	defer gcsDenied.Close()
	cass := cqldeny.Start(t)
	s := cqltest.Session(t)
	table := rowsTable(t, s, 10)
	ks := cqltest.Keyspace(t, s)
	empty := fileRoot(t)
	badCass := []string{"CASSANDRA_USERNAME=lading", "CASSANDRA_PASSWORD=" + wrong}
	badSecret := []string{"AWS_SECRET_ACCESS_KEY=" + wrong}
	unknownKey := []string{"AWS_ACCESS_KEY_ID=AKIAUNKNOWN0000", "AWS_SECRET_ACCESS_KEY=" + wrong}
	gcs := []string{"STORAGE_EMULATOR_HOST=" + strings.TrimPrefix(gcsDenied.URL, "http://")}

	for _, tc := range []struct {
		name, cmd string
		env       []string
		args      []string
	}{
		{"exporter/cassandra login refused", "exporter", badCass, []string{"--source", "cassandra://" + cass + "/", "--table", table, "--dest", empty}},
		{"exporter/s3 wrong secret", "exporter", badSecret, []string{"--source", cqltest.URL(t), "--table", table, "--dest", s3}},
		{"shipper/s3 wrong secret", "shipper", badSecret, []string{"--from", s3, "--to", empty}},
		{"shipper/s3 unknown key", "shipper", unknownKey, []string{"--from", s3, "--to", empty}},
		{"shipper/gcs 403", "shipper", gcs, []string{"--from", "gs://lading-test/denied", "--to", empty}},
		{"loader/cassandra login refused", "loader", badCass, []string{"--from", empty, "--to", "cassandra://" + cass + "/" + ks}},
		{"loader/s3 wrong secret", "loader", badSecret, []string{"--from", s3, "--to", cqltest.URL(t) + ks}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runEnv(t, tc.env, tc.cmd, append(tc.args, "--log-level", "warn")...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, out)
			}
			if strings.Contains(out, wrong) {
				t.Fatalf("the secret is in the output:\n%s", out)
			}
			t.Logf("%s", strings.TrimSpace(out))
		})
	}
}
