package export_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// fileDest is a fresh file:// root.
func fileDest(t testing.TB) string {
	t.Helper()
	return "file://" + filepath.ToSlash(t.TempDir())
}

// s3Dest is a fresh prefix of the test S3 bucket, emptied at the end.
func s3Dest(t testing.TB) string {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	u := "s3://" + bucket + "/export-test/" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) +
		fmt.Sprintf("-%08x", rand.Uint32()) + "?endpoint=" + url.QueryEscape(endpoint) + "&region=us-east-1"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		b, err := objstore.Open(ctx, u)
		if err != nil {
			t.Errorf("clean up %s: %v", u, err)
			return
		}
		defer b.Close()
		if err := objstoretest.Empty(ctx, b); err != nil {
			t.Errorf("clean up %s: %v", u, err)
		}
	})
	return u
}

func openRoot(t testing.TB, u string) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// runExport runs export.Run in this process.
func runExport(t testing.TB, cfg export.Config) (export.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return export.Run(ctx, cfg, nil, report.New("exporter"))
}

// dumpRows is what a complete dump holds, read back and verified.
type dumpRows struct {
	m    *manifest.Manifest
	rows []format.Row // copies
	// keys counts rows by primary key (hex of the key columns' bytes).
	keys map[string]int
}

// readDump reads the dump's manifest, checks every part against it
// (size, SHA-256, rows) and that no unlisted part is left, and decodes
// every row.
func readDump(t testing.TB, root *objstore.Bucket, prefix string) *dumpRows {
	t.Helper()
	m, lines := sourcetest.ReadDump(t, root, prefix)
	dec, err := format.NewDecoder(&m.Source.Table, m.Options.Columns, format.Options{Writetime: m.Options.Writetime, TTL: m.Options.TTL})
	if err != nil {
		t.Fatal(err)
	}
	nkey := 0
	for _, c := range m.Options.Columns {
		col := m.Source.Table.Column(c)
		if col.Role == "partition_key" || col.Role == "clustering" {
			nkey++
		}
	}
	d := &dumpRows{m: m, keys: map[string]int{}}
	for i, line := range lines {
		var r format.Row
		if err := dec.DecodeRow(line, &r); err != nil {
			t.Fatalf("row %d of the dump: %v", i, err)
		}
		d.rows = append(d.rows, copyRow(r))
		var k strings.Builder
		for i := 0; i < nkey; i++ {
			fmt.Fprintf(&k, "%x/", r.Values[i])
		}
		d.keys[k.String()]++
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Name] = true
	}
	objs, _, err := root.ListAll(context.Background(), prefix+"/", "/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, prefix+"/")
		if strings.HasPrefix(name, "part-") && !listed[name] {
			t.Errorf("unlisted part %s left in the dump", name)
		}
	}
	return d
}

func copyRow(r format.Row) format.Row {
	var c format.Row
	for _, v := range r.Values {
		if v == nil {
			c.Values = append(c.Values, nil)
		} else {
			c.Values = append(c.Values, append([]byte{}, v...))
		}
	}
	for _, v := range r.Writetime {
		c.Writetime = append(c.Writetime, append([]int64(nil), v...))
	}
	for _, v := range r.TTL {
		c.TTL = append(c.TTL, append([]int64(nil), v...))
	}
	return c
}

// sourceKeys reads every primary key of a table directly (one full scan
// with the driver's paging), as hex of the key columns' raw bytes.
func sourceKeys(t testing.TB, s *cql.Session, ks, table string, keyCols []string) map[string]int {
	t.Helper()
	iter := s.Driver().Query(fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(keyCols, ", "), ks, table)).PageSize(5000).Iter()
	vals := make([]cql.Raw, len(keyCols))
	dest := make([]any, len(keyCols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	out := map[string]int{}
	for iter.Scan(dest...) {
		var k strings.Builder
		for _, v := range vals {
			fmt.Fprintf(&k, "%x/", []byte(v))
		}
		out[k.String()]++
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareKeys fails unless the dump holds every source key exactly once
// and nothing else.
func compareKeys(t testing.TB, dump, src map[string]int) {
	t.Helper()
	missing, extra, dup := 0, 0, 0
	for k, n := range dump {
		if src[k] == 0 {
			extra++
		}
		if n > 1 {
			dup++
		}
	}
	for k := range src {
		if dump[k] == 0 {
			missing++
		}
	}
	if missing+extra+dup > 0 {
		t.Fatalf("dump vs source: %d keys missing, %d extra, %d duplicated (dump %d keys, source %d)", missing, extra, dup, len(dump), len(src))
	}
}

// kvTable creates ks.kv (p bigint, c int, s text static, v text) with
// `partitions` partitions of `per` rows each, plus one wide partition
// (p = -1) of `wide` rows; statics set on every partition.
func kvTable(t testing.TB, s *cql.Session, partitions, per, wide int) (ks string, rows int) {
	t.Helper()
	ks = cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (p bigint, c int, s text STATIC, v text, PRIMARY KEY (p, c))")
	n := partitions*per + wide
	stmt := "INSERT INTO " + ks + ".kv (p, c, s, v) VALUES (?, ?, ?, ?)"
	cqltest.InsertBatches(t, s, stmt, wide, 100, 64, func(i int) []any {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		return []any{int64(-1), i, "wide", hex.EncodeToString(h[:12])}
	})
	cqltest.InsertBatches(t, s, stmt, partitions*per, per, 64, func(j int) []any {
		p := int64(j / per)
		return []any{p, j % per, fmt.Sprintf("static-%d", p), fmt.Sprintf("value-%d-%d", p, j%per)}
	})
	return ks, n
}

// exporterBinary builds cmd/exporter once per test process.
func exporterBinary(t testing.TB) string { return sourcetest.Binary(t) }
