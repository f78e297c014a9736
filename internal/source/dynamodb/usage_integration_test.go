package dynamodb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Bad DynamoDB options are refused with exit 2 and one line naming the
// input, before anything is written; the secret of a URL never shows.
// --consistent-read reaches every Scan request.
func TestDynamoExportUsage(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{}, 100)
	onDemand := dynamotest.CreateTable(t, c, dynamotest.Key{OnDemand: true}, 0)
	url := dynamotest.URL(t, "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown parameter", []string{"--source", url + "&retries=3", "--table", table}, `unknown parameter "retries"`},
		{"credentials in the URL", []string{"--source", "dynamodb://AKIAXX:topsecret@us-east-1", "--table", table}, "credentials"},
		{"local without endpoint", []string{"--source", "dynamodb://local", "--table", table}, "needs ?endpoint"},
		{"table name with a slash", []string{"--source", url, "--table", "orders/prod"}, `--table "orders/prod"`},
		{"dynamodb name on cassandra", []string{"--source", cqltest.URL(t), "--table", "dynamodb.or-ders"}, `--table "dynamodb.or-ders"`},
		{"dynamodb keyspace on cassandra", []string{"--source", cqltest.URL(t), "--table", "dynamodb.orders"}, "reserved in dump paths for DynamoDB tables"},
		{"name too short", []string{"--source", url, "--table", "ab"}, `--table "ab": want a DynamoDB table name`},
		{"no such table", []string{"--source", url, "--table", "no_such_table"}, "no such DynamoDB table"},
		{"columns", []string{"--source", url, "--table", table, "--columns", "a"}, "--columns"},
		{"consistency", []string{"--source", url, "--table", table, "--consistency", "QUORUM"}, "--consistent-read"},
		{"read ratio on demand", []string{"--source", url, "--table", onDemand, "--read-ratio", "0.5"}, "on demand"},
		{"read ratio and max rcu", []string{"--source", url, "--table", table, "--read-ratio", "0.5", "--max-rcu", "5"}, "give one"},
		{"read ratio on cassandra", []string{"--source", cqltest.URL(t), "--table", "ks.t", "--read-ratio", "0.5"}, "--read-ratio"},
		{"consistent read on cassandra", []string{"--source", cqltest.URL(t), "--table", "system.local", "--consistent-read"}, "--consistent-read"},
		{"bad consistency on cassandra", []string{"--source", cqltest.URL(t), "--table", "system.local", "--consistency", "BOGUS"}, "--consistency"},
	} {
		dest := fileDest(t)
		code, out := runExporter(t, append(tc.args, "--dest", dest, "--batch", "u")...)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", tc.name, code, tc.want, out)
		}
		if strings.Contains(out, "topsecret") {
			t.Errorf("%s: the output shows the URL's secret:\n%s", tc.name, out)
		}
		if objs, _, err := openRoot(t, dest).ListAll(context.Background(), "", ""); err != nil || len(objs) > 0 {
			t.Errorf("%s: refused, but wrote %d objects (%v)", tc.name, len(objs), err)
		}
	}
	// --consistent-read is recorded in the dump and every Scan asks for
	// strongly consistent reads; without it none does.
	for _, strong := range []bool{true, false} {
		p := newThrottlingProxy(t, 0, 0)
		dest := fileDest(t)
		args := []string{"--source", dynamotest.URL(t, p.srv.URL), "--table", table, "--dest", dest, "--batch", "cr", "--splits", "3"}
		want := manifest.ConsistencyEventual
		if strong {
			args, want = append(args, "--consistent-read"), manifest.ConsistencyStrong
		}
		if code, out := runExporter(t, args...); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		root := openRoot(t, dest)
		m, _ := dynamotest.ReadDump(t, root, onlyDump(t, root, "cr", table))
		if m.Options.Consistency != want || m.Totals.Rows != 0 {
			t.Errorf("consistency %s, %d rows; want %s and an empty dump", m.Options.Consistency, m.Totals.Rows, want)
		}
		p.mu.Lock()
		scans, consistent := p.scans, p.consistent
		p.mu.Unlock()
		if scans != 3 || (strong && consistent != scans) || (!strong && consistent != 0) {
			t.Errorf("--consistent-read %v: %d of %d Scan requests asked for consistent reads", strong, consistent, scans)
		}
	}
}
