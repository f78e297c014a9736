package cli_test

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// TestSecretFilesReachSDKChain: the S3 keys given only as
// AWS_ACCESS_KEY_ID_FILE and AWS_SECRET_ACCESS_KEY_FILE (as Kubernetes
// mounts secrets) reach the AWS SDK's credential chain: the exporter
// writes to the S3 server, which checks signatures; a wrong secret in
// the file is refused.
func TestSecretFilesReachSDKChain(t *testing.T) {
	s3Endpoint, s3Bucket := testenv.S3(t)
	awsKey, awsSecret := testenv.Need(t, "AWS_ACCESS_KEY_ID"), testenv.Need(t, "AWS_SECRET_ACCESS_KEY")
	hosts := testenv.CassandraHosts(t)
	bin := commandBinaries(t)
	sess := cqltest.Session(t)
	ks := cqltest.Keyspace(t, sess)
	cqltest.Exec(t, sess, "CREATE TABLE "+ks+".t (id int PRIMARY KEY, v text)")
	cqltest.Exec(t, sess, "INSERT INTO "+ks+".t (id, v) VALUES (1, 'a')")

	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") {
			base = append(base, kv)
		}
	}
	dest := "s3://" + s3Bucket + "/" + objstoretest.UniquePrefix(t) + "?endpoint=" + url.QueryEscape(s3Endpoint) + "&region=us-east-1"
	export := func(batch, secret string) (int, string) {
		cmd := exec.Command(filepath.Join(bin, "exporter"), "--source", "cassandra://"+hosts+"/", "--table", ks+".t",
			"--dest", dest, "--batch", batch, "--log-level", "warn")
		cmd.Env = append(append([]string{}, base...),
			"AWS_ACCESS_KEY_ID_FILE="+write(batch+"-id", awsKey),
			"AWS_SECRET_ACCESS_KEY_FILE="+write(batch+"-secret", secret))
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := export("good", awsSecret); code != 0 {
		t.Fatalf("export with the S3 keys in files: exit %d\n%s", code, out)
	}
	code, out := export("bad", "wrong-secret-"+awsSecret)
	if code == 0 {
		t.Fatalf("export with a wrong secret in the file succeeded; the file's value is not what the SDK used\n%s", out)
	}
	if strings.Contains(out, awsSecret) {
		t.Errorf("output holds the secret: %s", out)
	}
}
