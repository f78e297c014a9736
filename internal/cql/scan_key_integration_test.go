package cql_test

import (
	"context"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// ScanKey reads exactly one partition of a composite key, paging through
// a wide one, and nothing for a key that does not exist.
func TestScanKey(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".t (a text, b int, c int, v text, PRIMARY KEY ((a, b), c))")
	cqltest.InsertBatches(t, s, "INSERT INTO "+ks+".t (a, b, c, v) VALUES (?, ?, ?, ?)", 3000, 100, 16, func(i int) []any {
		return []any{"wide", 1, i, "x"}
	})
	cqltest.Exec(t, s, "INSERT INTO "+ks+".t (a, b, c, v) VALUES ('wide', 2, 0, 'other')", "INSERT INTO "+ks+".t (a, b, c, v) VALUES ('narrow', 1, 0, 'y')")
	ctx := context.Background()
	tbl, _, err := cql.ReadTable(ctx, s, ks, "t")
	if err != nil {
		t.Fatal(err)
	}
	var cols = []string{"a", "b", "c", "v"}
	spec := cql.ScanSpec{Table: tbl, PageSize: 500}
	for _, c := range cols {
		spec.Columns = append(spec.Columns, tbl.Column(c))
	}
	run := report.New("test")
	sc, err := cql.NewScanner(s, spec, nil, run)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sc.KeyStatement(), `WHERE a = ? AND b = ?`) {
		t.Errorf("key statement %q", sc.KeyStatement())
	}
	int32Raw := func(v int32) cql.Raw { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	count := func(a string, b int32) (rows, pages int) {
		t.Helper()
		seen := map[int32]bool{}
		err := sc.ScanKey(ctx, []cql.Raw{cql.Raw(a), int32Raw(b)}, func(p *cql.Page) error {
			defer p.Release()
			pages++
			for _, r := range p.Rows {
				if string(r.Values[0]) != a || int32(binary.BigEndian.Uint32(r.Values[1])) != b {
					t.Fatalf("key (%s, %d) read a row of (%s, %x)", a, b, r.Values[0], r.Values[1])
				}
				c := int32(binary.BigEndian.Uint32(r.Values[2]))
				if seen[c] {
					t.Fatalf("row c=%d read twice", c)
				}
				seen[c] = true
				rows++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows, pages
	}
	if rows, pages := count("wide", 1); rows != 3000 || pages < 6 {
		t.Errorf("wide partition: %d rows in %d pages, want 3000 in at least 6", rows, pages)
	}
	if rows, _ := count("wide", 2); rows != 1 {
		t.Errorf("(wide, 2): %d rows, want 1", rows)
	}
	if rows, pages := count("absent", 1); rows != 0 || pages != 0 {
		t.Errorf("absent key: %d rows, %d pages", rows, pages)
	}
	if err := sc.ScanKey(ctx, []cql.Raw{cql.Raw("x")}, func(*cql.Page) error { return nil }); err == nil {
		t.Error("a key with one value of two was accepted")
	}
}

// With TranslateAddress every connection the driver opens goes through
// the proxy: latency injected there slows every request.
func TestTranslateAddressThroughProxy(t *testing.T) {
	host := testenv.CassandraHosts(t)
	p := faultproxy.Start(t, strings.Split(host, ",")[0], faultproxy.Options{})
	cfg, err := cql.ParseURL("cassandra://" + p.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	via := netip.MustParseAddrPort(p.Addr())
	var asked []netip.AddrPort
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := cql.Connect(ctx, cfg, cql.Options{TranslateAddress: func(a netip.AddrPort) netip.AddrPort {
		asked = append(asked, a)
		return via
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(asked) == 0 {
		t.Fatal("the driver translated no node address")
	}
	query := func() time.Duration {
		start := time.Now()
		var v string
		if err := s.Driver().Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for range 4 {
		query()
	}
	p.SetLatency(150 * time.Millisecond)
	for i := range 6 {
		if d := query(); d < 150*time.Millisecond {
			t.Fatalf("query %d took %s with 150ms injected: a connection bypasses the proxy (translated %v)", i, d, asked)
		}
	}
	p.SetLatency(0)
	if p.Stats().Conns < 2 {
		t.Errorf("%d connections through the proxy, want the control and pool connections", p.Stats().Conns)
	}
}
