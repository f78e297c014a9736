package bigtable

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigtable"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
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

// TestCreateCheckMismatch: a missing table without --create-table, and an
// existing table without the URL's family, are usage errors naming what
// to do and what differs; --create-table creates the family with the
// --versions GC policy; nothing is written or recorded on a refusal.
func TestCreateCheckMismatch(t *testing.T) {
	e := newBTEnv(t)
	from := e.writeFixture(t)

	o := e.opts(from)
	o.CreateTable = false
	expectFail(t, o, fault.ExitUsage, "does not exist", "--create-table")

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
	// An existing table with the family is checked and loaded (the dump
	// is loaded again: the new target table has its own ledger).
	o = e.opts(from)
	o.TargetTable, o.CreateTable, o.Force = "fx2", false, true
	e.run(o)
}

// TestCorruptPartWritesNothing: a part whose bytes do not match the
// manifest fails the load with exit 3 before any of its rows is written.
func TestCorruptPartWritesNothing(t *testing.T) {
	e := newBTEnv(t)
	for _, spool := range []int64{64 << 20, 0} {
		from := e.writeFixture(t)
		prefix := strings.TrimPrefix(from, e.storeURL+"/")
		data, err := e.store.ReadAll(e.ctx, prefix+"/"+manifest.ManifestName)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.DecodeManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		key := prefix + "/" + m.Files[0].Name
		part, err := e.store.ReadAll(e.ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		part[len(part)/2] ^= 0x40
		if _, err := e.store.WriteAll(e.ctx, key, part, nil); err != nil {
			t.Fatal(err)
		}
		o := e.opts(from)
		o.Parts, o.SpoolBytes, o.TargetTable = 1, spool, "corrupt"
		expectFail(t, o, fault.ExitVerify, m.Files[0].Name)
		if n := len(dataKeys(e.readAll("corrupt"))); n != 0 {
			t.Errorf("spool %d: %d rows written from a dump whose first part is corrupt", spool, n)
		}
	}
}

// tamperScheme opens a bigtable target whose table, before its first
// count or comparison, deletes one loaded row and changes one value, as
// a failure between the load and its verification would.
const tamperScheme = "bigtable-tamper"

var registerTamper sync.Once

type tamperTarget struct{ load.Target }

type tamperTable struct {
	*Table
	once sync.Once
	err  error
}

func (tt *tamperTarget) Table(ctx context.Context, m *manifest.Manifest, opts load.TableOptions) (load.Table, error) {
	tb, err := tt.Target.Table(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	return &tamperTable{Table: tb.(*Table)}, nil
}

func (tt *tamperTable) tamper(ctx context.Context) error {
	tt.once.Do(func() {
		pk := "a\x00\xffb\x00\x01"
		k8 := string([]byte{0x7f, 0xff, 0xff, 0xf7})  // c = 8, DESC
		km1 := string([]byte{0x80, 0x00, 0x00, 0x00}) // c = -1, DESC
		del := bigtable.NewMutation()
		del.DeleteRow()
		if tt.err = tt.tbl.Apply(ctx, pk+k8, del); tt.err != nil {
			return
		}
		set := bigtable.NewMutation()
		set.Set("cf", "v", 2_000_000, []byte{0, 0, 0, 0, 0, 0, 0, 9})
		tt.err = tt.tbl.Apply(ctx, pk+km1, set)
	})
	return tt.err
}

func (tt *tamperTable) Count(ctx context.Context) (int64, error) {
	if err := tt.tamper(ctx); err != nil {
		return 0, err
	}
	return tt.Table.Count(ctx)
}

func (tt *tamperTable) Compare(ctx context.Context, p load.PartInfo, rows []load.DumpRow) ([]load.Mismatch, error) {
	if err := tt.tamper(ctx); err != nil {
		return nil, err
	}
	return tt.Table.Compare(ctx, p, rows)
}

// TestVerifyCatchesDeletedRowAndChangedValue: a row deleted and a value
// changed after the load fail --verify full (naming both) and --verify
// count (one row short) with exit 3.
func TestVerifyCatchesDeletedRowAndChangedValue(t *testing.T) {
	registerTamper.Do(func() {
		load.Register(tamperScheme, func(ctx context.Context, raw string, opts load.TargetOptions) (load.Target, error) {
			tg, err := Open(ctx, strings.Replace(raw, tamperScheme, Scheme, 1), opts)
			if err != nil {
				return nil, err
			}
			return &tamperTarget{tg}, nil
		})
	})
	for _, mode := range []string{load.VerifyFull, load.VerifyCount} {
		t.Run(mode, func(t *testing.T) {
			e := newBTEnv(t)
			_, prefix := loadtest.Write(t, e.store, loadtest.Dump{
				Table: fixtureTable(), Writetime: true, TTL: true, Parts: [][]format.Row{fixtureRows()},
				ReadAt: time.Now().Add(-10 * time.Second).UTC().Truncate(time.Millisecond),
			})
			o := e.opts(e.storeURL + "/" + prefix)
			o.To = strings.Replace(o.To, Scheme, tamperScheme, 1)
			o.Verify = mode
			if mode == load.VerifyFull {
				expectFail(t, o, fault.ExitVerify, "line 3", "row missing", "line 1", "column v", "Bigtable has 0x0000000000000009")
			} else {
				expectFail(t, o, fault.ExitVerify, "3", "2")
			}
		})
	}
}

// TestReloadAfterRecreate: a table dropped and created again is a new
// incarnation, so the same dump loads into it again; the ledger says
// "already loaded" only while the table lives.
func TestReloadAfterRecreate(t *testing.T) {
	e := newBTEnv(t)
	from := e.writeFixture(t)
	for i, want := range []string{"loaded", "already loaded"} {
		if res := e.run(e.opts(from)); res.Dumps[0].Outcome != want {
			t.Fatalf("run %d: %s, want %s", i, res.Dumps[0].Outcome, want)
		}
	}
	if err := e.admin.DeleteTable(e.ctx, "fx"); err != nil {
		t.Fatal(err)
	}
	res := e.run(e.opts(from))
	if res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("after drop and recreate: %+v", res.Dumps[0])
	}
	if n := len(dataKeys(e.readAll("fx"))); n != 3 {
		t.Errorf("%d rows after the reload, want 3 (two rows and a static-only partition)", n)
	}
}
