package export_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Bad usage and bad input are exit 2 with a one-line reason that names
// the culprit; an unreachable source is exit 1 and leaves no _SUCCESS.
func TestExportUsageErrors(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int PRIMARY KEY, v int)")
	good := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: fileDest(t), Batch: "usage"}
	tests := []struct {
		name string
		edit func(c *export.Config)
		want string
	}{
		{"bad source URL", func(c *export.Config) { c.Source = "cassandra://h?color=red" }, `unknown parameter "color"`},
		{"source with password", func(c *export.Config) { c.Source = "cassandra://u:hunter2@h" }, "CASSANDRA_USERNAME"},
		{"bad dest URL", func(c *export.Config) { c.Dest = "ftp://x" }, `unknown scheme "ftp"`},
		{"table without keyspace", func(c *export.Config) { c.Table = "kv" }, "keyspace.table"},
		{"missing table", func(c *export.Config) { c.Table = ks + ".nope" }, "table " + ks + ".nope does not exist"},
		{"missing keyspace", func(c *export.Config) { c.Table = "nope_ks.kv" }, `keyspace "nope_ks" does not exist`},
		{"wrong case", func(c *export.Config) { c.Table = strings.ToUpper(ks) + ".kv" }, "case-sensitive"},
		{"bad compression", func(c *export.Config) { c.Compression = "lz4" }, "--compression"},
		{"bad consistency", func(c *export.Config) { c.Consistency = "SERIAL" }, "--consistency"},
		{"bad batch", func(c *export.Config) { c.Batch = "../x" }, "--batch"},
		{"bad timestamp", func(c *export.Config) { c.Timestamp = "2026-11-22" }, "--timestamp"},
		{"unknown column", func(c *export.Config) { c.Columns = []string{"nope"} }, `"nope" is not a column`},
		{"bad where", func(c *export.Config) { c.Where = "v = 1"; c.Batch = "usage-where" }, "ALLOW FILTERING"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := runExport(t, cfg)
			if err == nil || fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 mentioning %q", err, fault.Code(err), tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error leaks a secret or spans lines: %q", err)
			}
			if strings.Contains(tc.name, "missing") {
				// No dump is named for a table that does not exist.
				objs, _, err := openRoot(t, good.Dest).ListAll(t.Context(), cfg.Batch+"/", "")
				if err != nil || len(objs) != 0 {
					t.Fatalf("objects left for a missing table: %v %v", objs, err)
				}
			}
		})
	}
}

func TestExportSourceDownIsRetryable(t *testing.T) {
	dest := fileDest(t)
	cfg := export.Config{Source: "cassandra://127.0.0.1:1", Table: "ks.kv", Dest: dest, Batch: "down"}
	res, err := runExport(t, cfg)
	if err == nil || fault.Code(err) != fault.ExitRetry {
		t.Fatalf("err = %v (exit %d), want exit 1", err, fault.Code(err))
	}
	root := openRoot(t, dest)
	if ok, _ := root.Exists(t.Context(), res.Dump+"/"+manifest.SuccessName); ok {
		t.Fatal("_SUCCESS written by a failed run")
	}
}
