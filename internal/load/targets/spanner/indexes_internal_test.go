package spanner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/spannerproxy"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// ixManifest is a dump's manifest of k int, c int, v text, n int,
// l list<int>, m map<text, int>, PRIMARY KEY (k, c), with indexes.
func ixManifest(t *testing.T, ix ...schema.Index) *manifest.Manifest {
	t.Helper()
	tbl := schema.Table{Keyspace: "src", Name: "ix", Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "l", Type: "list<int>", Role: schema.Regular},
		{Name: "m", Type: "map<text, int>", Role: schema.Regular},
		{Name: "n", Type: "int", Role: schema.Regular},
		{Name: "v", Type: "text", Role: schema.Regular},
	}, Indexes: ix}
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	return &manifest.Manifest{Source: manifest.Source{Table: tbl}}
}

// The documented mapping of source indexes and views to Spanner indexes,
// and what is skipped and why.
func TestPlanIndexes(t *testing.T) {
	m := ixManifest(t)
	tb, err := newTable(&Target{}, m, "tx")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ix   schema.Index
		want string
	}{
		{schema.Index{Name: "by_v", Kind: schema.IndexSecondary, Target: "v"}, "CREATE INDEX `by_v` ON `tx` (`v`)"},
		{schema.Index{Name: "by_c", Kind: schema.IndexSecondary, Target: "c"}, "CREATE INDEX `by_c` ON `tx` (`c`)"},
		{schema.Index{Name: "sai", Kind: schema.IndexSecondary, Target: "n", Class: "StorageAttachedIndex"}, "CREATE INDEX `sai` ON `tx` (`n`)"},
		{schema.Index{Name: "sai2", Kind: schema.IndexSecondary, Target: "n", Class: "org.apache.cassandra.index.sai.StorageAttachedIndex"}, "CREATE INDEX `sai2` ON `tx` (`n`)"},
		{schema.Index{Name: "sai_opts", Kind: schema.IndexSecondary, Target: "v", Class: "StorageAttachedIndex", Options: map[string]string{"case_sensitive": "false"}}, "skip: index options map[case_sensitive:false]"},
		{schema.Index{Name: "sasi", Kind: schema.IndexSecondary, Target: "v", Class: "org.apache.cassandra.index.sasi.SASIIndex"}, "skip: custom index class org.apache.cassandra.index.sasi.SASIIndex"},
		{schema.Index{Name: "by_l", Kind: schema.IndexSecondary, Target: "values(l)"}, "skip: an index on values(l)"},
		{schema.Index{Name: "by_mk", Kind: schema.IndexSecondary, Target: "keys(m)"}, "skip: an index on keys(m)"},
		{schema.Index{Name: "by_full_l", Kind: schema.IndexSecondary, Target: "l"}, "skip: column l is ARRAY<INT64>, which Spanner cannot index"},
		{schema.Index{Name: "by_m", Kind: schema.IndexSecondary, Target: "m"}, "skip: column m is JSON, which Spanner cannot index"},
		{schema.Index{Name: "bad-name", Kind: schema.IndexSecondary, Target: "v"}, "skip: not a valid Spanner index name"},
		{schema.Index{Name: "mv", Kind: schema.IndexView, Key: []string{"n", "k", "c"}, Columns: []string{"v", "l"}}, "CREATE INDEX `mv` ON `tx` (`n`) STORING (`v`, `l`)"},
		{schema.Index{Name: "mv2", Kind: schema.IndexView, Key: []string{"v", "n", "k", "c"}}, "CREATE INDEX `mv2` ON `tx` (`v`, `n`)"},
		{schema.Index{Name: "mv_own", Kind: schema.IndexView, Key: []string{"c", "k"}, Columns: []string{"v"}}, "skip: the view is keyed by the table's own key columns"},
		{schema.Index{Name: "mv_m", Kind: schema.IndexView, Key: []string{"m", "k", "c"}}, "skip: column m is JSON"},
	} {
		p := tb.planIndexes([]schema.Index{c.ix})[0]
		got := p.ddl
		if p.skip != "" {
			got = "skip: " + p.skip
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %s, want %s", c.ix.Name, got, c.want)
		}
	}
}

// Indexes created by --create-indexes count in the table's mutations per
// row (Spanner counts one per index entry a row changes): a table of 6
// columns with 2 created indexes is 8 a row, and the commit cap follows.
func TestCreatedIndexesCounted(t *testing.T) {
	p := spannerproxy.Start(t, testenv.Spanner(t))
	t.Setenv("SPANNER_EMULATOR_HOST", p.Addr)
	ctx := context.Background()
	tg, err := Open(ctx, "spanner://projects/lading/instances/test/databases/loadtest", load.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := "ixc_" + hex.EncodeToString(suffix)
	m := ixManifest(t,
		schema.Index{Name: name + "_v", Kind: schema.IndexSecondary, Target: "v", CQL: "x"},
		schema.Index{Name: name + "_l", Kind: schema.IndexSecondary, Target: "values(l)", CQL: "x"},
		schema.Index{Name: name + "_mv", Kind: schema.IndexView, Key: []string{"n", "k", "c"}, CQL: "x"})
	for _, create := range []bool{false, true} {
		tbl, err := tg.Table(ctx, m, load.TableOptions{Name: name + fmt.Sprint(create), Create: true, CreateIndexes: create})
		if err != nil {
			t.Fatal(err)
		}
		want := 6
		if create {
			want = 8
		}
		if got := tbl.(*Table).MutationsPerRow(); got != want {
			t.Errorf("create indexes %v: %d mutations a row, want %d", create, got, want)
		}
	}
}
