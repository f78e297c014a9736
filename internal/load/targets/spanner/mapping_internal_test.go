package spanner

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/schema"
)

func TestMapType(t *testing.T) {
	for _, c := range []struct {
		cql  string
		key  bool
		want string
	}{
		{"text", false, "STRING(MAX)"}, {"ascii", false, "STRING(MAX)"}, {"inet", false, "STRING(MAX)"},
		{"duration", false, "STRING(MAX)"}, {"time", false, "STRING(MAX)"}, {"uuid", false, "STRING(36)"},
		{"timeuuid", true, "STRING(36)"}, {"tinyint", false, "INT64"}, {"bigint", true, "INT64"},
		{"float", false, "FLOAT32"}, {"double", false, "FLOAT64"}, {"decimal", false, "NUMERIC"},
		{"varint", true, "NUMERIC"}, {"boolean", false, "BOOL"}, {"blob", false, "BYTES(MAX)"},
		{"timestamp", false, "TIMESTAMP"}, {"date", false, "DATE"},
		{"list<int>", false, "ARRAY<INT64>"}, {"frozen<set<text>>", false, "ARRAY<STRING(MAX)>"},
		{"vector<float, 3>", false, "ARRAY<FLOAT32>"}, {"list<frozen<list<int>>>", false, "JSON"},
		{"map<text, int>", false, "JSON"}, {"tuple<int, text>", false, "JSON"},
		{"frozen<list<int>>", true, "STRING(MAX)"}, {"frozen<map<int, int>>", true, "STRING(MAX)"},
	} {
		typ, err := schema.Parse(c.cql, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := mapType(typ, c.key).ddl; got != c.want {
			t.Errorf("%s (key %v): %s, want %s", c.cql, c.key, got, c.want)
		}
	}
}

func TestNumericText(t *testing.T) {
	for in, want := range map[string]string{
		"1.50": "1.5", "-0": "0", "0.000000001": "0.000000001", "1E+3": "1000", "12345678901234567890.123456789": "12345678901234567890.123456789",
		"99999999999999999999999999999.999999999": "99999999999999999999999999999.999999999",
		"-123": "-123",
	} {
		if got, err := numericText([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"100000000000000000000000000000", "0.0000000001", "1E+40"} {
		if got, err := numericText([]byte(in)); !errors.Is(err, errRefused) {
			t.Errorf("%s: %q %v, want a refusal", in, got, err)
		}
	}
}

func TestParseDDL(t *testing.T) {
	// As Spanner prints a table, and as spannertest does.
	for _, stmt := range []string{
		"CREATE TABLE Users (\n  k INT64 NOT NULL,\n  c STRING(MAX),\n  a ARRAY<STRING(MAX)>,\n  j JSON,\n  n NUMERIC OPTIONS (allow_commit_timestamp = true),\n) PRIMARY KEY(k, c DESC),\n  ROW DELETION POLICY (OLDER_THAN(ts, INTERVAL 1 DAY))",
		"CREATE TABLE `Users` (`k` INT64 NOT NULL, `c` STRING(MAX), `a` ARRAY<STRING(MAX)>, `j` JSON, `n` NUMERIC) PRIMARY KEY (`k`, `c` DESC)",
	} {
		tb := parseCreateTable(stmt)
		if tb == nil || tb.name != "Users" {
			t.Fatalf("%s: %+v", stmt, tb)
		}
		var got []string
		for _, n := range []string{"k", "c", "a", "j", "n"} {
			got = append(got, n+" "+tb.cols[n].typ)
		}
		if s := strings.Join(got, ", "); s != "k INT64, c STRING(MAX), a ARRAY<STRING(MAX)>, j JSON, n NUMERIC" {
			t.Errorf("columns: %s", s)
		}
		if len(tb.pk) != 2 || tb.pk[0] != (keyPart{"k", false}) || tb.pk[1] != (keyPart{"c", true}) || !tb.nonNull["k"] || tb.nonNull["c"] {
			t.Errorf("key: %+v, not null %v", tb.pk, tb.nonNull)
		}
	}
	stmts := []string{"CREATE INDEX ByV ON Users(v)", "CREATE UNIQUE NULL_FILTERED INDEX `ByW` ON `users` (w) STORING (x)", "CREATE INDEX Other ON Orders(v)", "CREATE TABLE Users (k INT64) PRIMARY KEY (k)"}
	if n := countIndexes(stmts, "Users"); n != 2 {
		t.Errorf("%d indexes on Users, want 2", n)
	}
}

func TestClassify(t *testing.T) {
	tb := &Table{}
	for _, c := range []struct {
		err  error
		want load.ErrorKind
	}{
		{status.Error(codes.Aborted, "Transaction was aborted."), load.Overloaded},
		{status.Error(codes.Unavailable, "unavailable"), load.Overloaded},
		{status.Error(codes.DeadlineExceeded, "deadline"), load.Overloaded},
		{status.Error(codes.InvalidArgument, "The transaction contains too many mutations. (Maximum number: 80000)"), load.TooLarge},
		{status.Error(codes.InvalidArgument, "The transaction exceeds the maximum total bytes-size that can be handled by Spanner."), load.TooLarge},
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max (5 vs. 4)"), load.TooLarge},
		{status.Error(codes.InvalidArgument, "Invalid value for column v"), load.Rejected},
		{refusef("too big"), load.Rejected},
		{status.Error(codes.NotFound, "Table not found: t"), load.Fatal},
		{status.Error(codes.NotFound, `unknown transaction ID "tx-1"`), load.Overloaded},
		{status.Error(codes.NotFound, "Transaction not found"), load.Overloaded},
		{status.Error(codes.NotFound, "Session not found: projects/p/instances/i/databases/d/sessions/s"), load.Overloaded},
		{status.Error(codes.PermissionDenied, "denied"), load.Fatal},
	} {
		if got := tb.Classify(c.err); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	if db, err := ParseURL("spanner://projects/p-1/instances/i/databases/d_1"); err != nil || db != "projects/p-1/instances/i/databases/d_1" {
		t.Errorf("%q %v", db, err)
	}
	for _, bad := range []string{"spanner://projects/p/instances/i", "spanner://projects/p/instances/i/databases/d?x=1", "spanner://u@projects/p/instances/i/databases/d", "spanner:///databases/d"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
