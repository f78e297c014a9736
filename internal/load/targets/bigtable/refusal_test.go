package bigtable

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
)

// writeFixture writes the fixture dump and returns its URL.
func (e *btEnv) writeFixture(t *testing.T) string {
	t.Helper()
	_, prefix := loadtest.Write(t, e.store, loadtest.Dump{
		Table: fixtureTable(), Writetime: true, TTL: true, Parts: [][]format.Row{fixtureRows(), fixtureRows()[:2]},
		ReadAt: time.Now().Add(-10 * time.Second).UTC().Truncate(time.Millisecond),
	})
	return e.storeURL + "/" + prefix
}

func expectFail(t *testing.T, o load.Options, code int, mention ...string) error {
	t.Helper()
	_, err := load.Run(context.Background(), o)
	if err == nil {
		t.Fatalf("load succeeded, want exit %d", code)
	}
	if got := fault.Code(err); got != code {
		t.Errorf("exit code %d, want %d (%v)", got, code, err)
	}
	for _, m := range mention {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
	return err
}

func TestURLRefusals(t *testing.T) {
	for _, c := range []struct{ url, mention string }{
		{"bigtable://proj/inst?family=cf&secret=hunter2", `unknown parameter "secret"`},
		{"bigtable://proj/inst?family=cf&family=x", `"family" given 2 times`},
		{"bigtable://proj", "instance"},
		{"bigtable://proj/inst/extra", "instance"},
		{"bigtable://user:pw@proj/inst", "no user info"},
		{"bigtable://proj/inst?family=bad%20name", "family"},
		{"bigtable:///inst", "project"},
	} {
		_, err := ParseURL(c.url)
		if err == nil {
			t.Errorf("%s: accepted", c.url)
			continue
		}
		if !fault.IsUsage(err) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: %v (want a usage error mentioning %q)", c.url, err, c.mention)
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: the error shows a secret: %v", c.url, err)
		}
	}
	cfg, err := ParseURL("bigtable://my-project/my-instance?app-profile=batch")
	if err != nil || cfg.Family != DefaultFamily || cfg.AppProfile != "batch" || cfg.Project != "my-project" || cfg.Instance != "my-instance" {
		t.Errorf("good URL: %+v %v", cfg, err)
	}
}

// TestFamiliesAndVersions: the Bigtable side of the schema check (the
// conformance suite has the generic cases): a table without the URL's
// family is refused naming the families it has; --create-table creates
// the family with the --versions GC policy.
func TestFamiliesAndVersions(t *testing.T) {
	e := newBTEnv(t)
	from := e.writeFixture(t)
	o := e.opts(from)
	o.CreateTable = false
	if err := e.admin.CreateTableFromConf(e.ctx, &bigtable.TableConf{TableID: "fx", ColumnFamilies: map[string]bigtable.Family{"other": {GCPolicy: bigtable.MaxVersionsPolicy(1)}, "more": {}}}); err != nil {
		t.Fatal(err)
	}
	expectFail(t, o, fault.ExitUsage, "no column family cf", "more, other")
	if n := len(dataKeys(e.readAll("fx"))); n != 0 {
		t.Errorf("%d rows written into a mismatched table", n)
	}

	o = e.opts(from)
	o.TargetTable, o.Versions = "fx2", 2
	e.run(o)
	info, err := e.admin.TableInfo(e.ctx, "fx2")
	if err != nil || len(info.FamilyInfos) != 1 || info.FamilyInfos[0].Name != "cf" || info.FamilyInfos[0].GCPolicy != "versions() > 2" {
		t.Fatalf("created table: %+v %v", info, err)
	}
}
