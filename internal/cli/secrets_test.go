package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// Secret values the test plants where a user might put them: in the
// environment the commands read credentials from, in URL user info, in
// URL query parameters and in LADING_* variables. None may show up in any
// output, report or stored object.
const (
	cassandraPassword = "cassPW-7f3a9c1e"
	snowflakePassword = "snowPW-2b8d4e6f"
	urlPassword       = "urlPW-91c3a7d5"
	urlAccessKey      = "AKIALADINGURL4C1D8A"
	queryToken        = "qryTOKEN-4c1d8a77"
	envURLPassword    = "envURLPW-6a2e0b93"
)

// commandBinaries returns the directory holding exporter, shipper and
// loader, built once per test process (testenv.Commands).
func commandBinaries(t *testing.T) string {
	t.Helper()
	return testenv.Commands(t, "exporter", "shipper", "loader")
}

// secretScan collects every text the commands produced and every object
// they stored, and reports each secret it finds, with where.
type secretScan struct {
	secrets []string
	checked int
}

func (s *secretScan) check(t *testing.T, where string, data []byte) {
	t.Helper()
	s.checked++
	for _, v := range s.secrets {
		for _, form := range []string{v, url.QueryEscape(v)} {
			if i := bytes.Index(data, []byte(form)); i >= 0 {
				lo, hi := max(0, i-160), min(len(data), i+len(form)+40)
				t.Errorf("%s holds the secret %q: …%s…", where, v, data[lo:hi])
				break
			}
		}
	}
}

// cmdRun is one run of a command.
type cmdRun struct {
	name     string
	bin      string
	args     []string
	env      []string // added to the common environment
	wantCode int
}

// run runs r at debug level in format, with a --report file, and scans
// its stdout, stderr and report for the secrets.
func (s *secretScan) run(t *testing.T, dir string, env []string, format string, r cmdRun) string {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	args := append([]string{"--log-level", "debug", "--log-format", format, "--report", report}, r.args...)
	cmd := exec.Command(filepath.Join(dir, r.bin), args...)
	cmd.Env = append(append(append([]string{}, os.Environ()...), env...), r.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s (%s): still running after 3 minutes\nstderr:\n%s", r.name, format, stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	where := r.name + " (" + format + ")"
	if code != r.wantCode {
		t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", where, code, r.wantCode, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "starting") {
		t.Errorf("%s: no debug \"starting\" line on stderr:\n%s", where, stderr.String())
	}
	s.check(t, where+" stdout", stdout.Bytes())
	s.check(t, where+" stderr", stderr.Bytes())
	rep, err := os.ReadFile(report)
	if err != nil {
		t.Errorf("%s: no report: %v", where, err)
	}
	s.check(t, where+" --report", rep)
	return stdout.String() + stderr.String()
}

// checkStore reads every object under b (decompressing zstd parts) and
// scans it; it returns how many objects it read.
func (s *secretScan) checkStore(t *testing.T, name string, b *objstore.Bucket) int {
	t.Helper()
	ctx := context.Background()
	objs, _, err := b.ListAll(ctx, "", "")
	if err != nil {
		t.Fatalf("list %s: %v", name, err)
	}
	for _, o := range objs {
		data, err := b.ReadAll(ctx, o.Key)
		if err != nil {
			t.Fatalf("read %s %s: %v", name, o.Key, err)
		}
		// Parts are zstd frames; ledger records named after parts are not.
		if strings.HasSuffix(o.Key, ".zst") && bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
			zr, err := zstd.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			data, err = io.ReadAll(zr)
			zr.Close()
			if err != nil {
				t.Fatalf("decompress %s %s: %v", name, o.Key, err)
			}
		}
		s.check(t, name+" object "+o.Key, data)
	}
	return len(objs)
}

// TestNoSecretsInOutputOrStores runs the real exporter, shipper and
// loader at --log-level debug, in text and JSON, with secrets in the
// environment, in URLs and in LADING_* variables: a whole pipeline that
// succeeds (Cassandra → S3 → GCS → Cassandra) and runs that fail on a bad
// URL or an unreachable server. No secret may appear in stdout, stderr,
// the --report file or any object the commands stored.
func TestNoSecretsInOutputOrStores(t *testing.T) {
	s3Endpoint, s3Bucket := testenv.S3(t)
	_, gcsBucket := testenv.GCS(t)
	awsKey, awsSecret := testenv.Need(t, "AWS_ACCESS_KEY_ID"), testenv.Need(t, "AWS_SECRET_ACCESS_KEY")
	hosts := testenv.CassandraHosts(t)
	dir := commandBinaries(t)

	sess := cqltest.Session(t)
	ks := cqltest.Keyspace(t, sess)
	target := cqltest.Keyspace(t, sess)
	const rows = 40
	cqltest.Exec(t, sess, "CREATE TABLE "+ks+".accounts (id int PRIMARY KEY, name text, balance bigint)")
	cqltest.Insert(t, sess, "INSERT INTO "+ks+".accounts (id, name, balance) VALUES (?, ?, ?)", rows, 8,
		func(i int) []any { return []any{i, fmt.Sprintf("name-%d", i), int64(i) * 1000} })

	prefix := objstoretest.UniquePrefix(t)
	s3URL := "s3://" + s3Bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(s3Endpoint) + "&region=us-east-1"
	gsURL := "gs://" + gcsBucket + "/" + prefix
	stores := map[string]*objstore.Bucket{}
	for name, u := range map[string]string{"s3": s3URL, "gcs": gsURL} {
		b, err := objstore.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		stores[name] = b
		t.Cleanup(func() {
			ctx := context.Background()
			objs, _, _ := b.ListAll(ctx, "", "")
			for _, o := range objs {
				_ = b.Delete(ctx, o.Key)
			}
			b.Close()
		})
	}

	// The environment every run gets: credentials the commands read (the
	// S3 keys are the test server's real ones) and a LADING_* variable.
	env := []string{
		"CASSANDRA_USERNAME=cassandra",
		"CASSANDRA_PASSWORD=" + cassandraPassword,
		"SNOWFLAKE_PASSWORD=" + snowflakePassword,
		"AWS_ACCESS_KEY_ID=" + awsKey,
		"AWS_SECRET_ACCESS_KEY=" + awsSecret,
	}
	scan := &secretScan{secrets: []string{cassandraPassword, snowflakePassword, urlPassword, urlAccessKey,
		queryToken, envURLPassword, awsKey, awsSecret}}

	source := "cassandra://" + hosts + "/"
	for _, format := range []string{"text", "json"} {
		batch := "secrets-" + format
		// A pipeline that succeeds; the destinations come from LADING_*.
		scan.run(t, dir, env, format, cmdRun{name: "exporter", bin: "exporter",
			args: []string{"--source", source, "--table", ks + ".accounts", "--batch", batch},
			env:  []string{"LADING_DEST=" + s3URL}})
		scan.run(t, dir, env, format, cmdRun{name: "shipper", bin: "shipper",
			args: []string{"--from", s3URL, "--batch", batch},
			env:  []string{"LADING_TO=" + gsURL}})
		scan.run(t, dir, env, format, cmdRun{name: "loader", bin: "loader",
			args: []string{"--from", gsURL, "--batch", batch, "--create-table", "--target-table", "accounts_" + format},
			env:  []string{"LADING_TO=cassandra://" + hosts + "/" + target}})
		var n int
		if err := sess.Driver().Query("SELECT COUNT(*) FROM " + target + ".accounts_" + format).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != rows {
			t.Errorf("%s pipeline: loaded %d rows, want %d", format, n, rows)
		}

		// Runs that fail: secrets in URLs (flags and LADING_*), unknown
		// parameters carrying secrets, unreachable servers.
		badS3 := "s3://" + s3Bucket + "/" + prefix + "?endpoint=" + url.QueryEscape("http://"+urlAccessKey+":"+urlPassword+"@"+strings.TrimPrefix(s3Endpoint, "http://"))
		for _, r := range []cmdRun{
			{name: "exporter, password in --source", bin: "exporter", wantCode: 2,
				args: []string{"--source", "cassandra://admin:" + urlPassword + "@" + hosts + "/", "--table", ks + ".accounts", "--dest", s3URL, "--batch", batch + "-bad"}},
			{name: "exporter, password in LADING_SOURCE", bin: "exporter", wantCode: 2,
				args: []string{"--table", ks + ".accounts", "--dest", s3URL, "--batch", batch + "-bad"},
				env:  []string{"LADING_SOURCE=cassandra://admin:" + envURLPassword + "@" + hosts + "/"}},
			{name: "exporter, unreachable source", bin: "exporter", wantCode: 1,
				args: []string{"--source", "cassandra://127.0.0.1:1/", "--table", ks + ".accounts", "--dest", s3URL, "--batch", batch + "-bad"}},
			{name: "shipper, credentials in the S3 endpoint", bin: "shipper", wantCode: 2,
				args: []string{"--from", badS3, "--to", gsURL}},
			{name: "shipper, token in a query parameter", bin: "shipper", wantCode: 2,
				args: []string{"--from", s3URL + "&token=" + queryToken, "--to", gsURL}},
			{name: "shipper, unreachable S3", bin: "shipper", wantCode: 1,
				args: []string{"--from", "s3://" + s3Bucket + "/" + prefix + "?endpoint=http://127.0.0.1:1&region=us-east-1", "--to", gsURL}},
			{name: "loader, password in --to", bin: "loader", wantCode: 2,
				args: []string{"--from", gsURL, "--to", "cassandra://admin:" + urlPassword + "@" + hosts + "/" + target, "--batch", batch}},
			{name: "loader, credentials in LADING_FROM", bin: "loader", wantCode: 2,
				args: []string{"--to", "cassandra://" + hosts + "/" + target, "--batch", batch},
				env:  []string{"LADING_FROM=" + badS3}},
			{name: "loader, unreachable target", bin: "loader", wantCode: 1,
				args: []string{"--from", gsURL, "--to", "cassandra://127.0.0.1:1/" + target, "--batch", batch, "--force"}},
		} {
			scan.run(t, dir, env, format, r)
		}
	}
	for name, b := range stores {
		if n := scan.checkStore(t, name, b); n < 5 {
			t.Errorf("%s holds %d objects; want the dumps (parts, manifest, _SUCCESS, plan, commits) and, in gcs, the ledger", name, n)
		}
	}
	t.Logf("scanned %d outputs and objects for %d secrets", scan.checked, len(scan.secrets))
}
