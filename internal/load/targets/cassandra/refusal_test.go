package cassandra_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
)

// loadedRecords lists the ledger's loaded records in the test store.
func (e *env) loadedRecords() []string {
	e.t.Helper()
	objs, _, err := e.store.ListAll(context.Background(), load.LedgerDir, "")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if strings.Contains(o.Key, "/loaded/") {
			out = append(out, o.Key)
		}
	}
	return out
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	expectFail := func(t *testing.T, o load.Options, code int, mention ...string) {
		t.Helper()
		_, err := load.Run(ctx, o)
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
		if recs := e.loadedRecords(); len(recs) != 0 {
			t.Errorf("recorded as loaded: %v", recs)
		}
	}

	t.Run("corrupt part", func(t *testing.T) {
		for _, spool := range []int64{64 << 20, 0} {
			prefix := writeFixture(t, e)
			m := readManifest(t, e, prefix)
			key := prefix + "/" + m.Files[0].Name
			data, err := e.store.ReadAll(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x40
			if _, err := e.store.WriteAll(ctx, key, data, nil); err != nil {
				t.Fatal(err)
			}
			o := e.opts(e.storeURL + "/" + prefix)
			o.TargetTable, o.Parts, o.SpoolBytes = "corrupt", 1, spool
			expectFail(t, o, fault.ExitVerify, m.Files[0].Name, "corrupt")
			if n := e.count("corrupt"); n != 0 {
				t.Errorf("spool %d: %d rows written from a dump whose first part is corrupt", spool, n)
			}
		}
	})

	t.Run("schema mismatch", func(t *testing.T) {
		prefix := writeFixture(t, e)
		e.exec("CREATE TYPE IF NOT EXISTS " + e.ks + ".addr (street text, zip int)")
		e.exec("CREATE TABLE " + e.ks + ".mismatch (k int, c int, s text static, sl list<int> static, v int, b bigint, bl blob, l list<int>, st set<text>, mp map<text, int>, u addr, fl frozen<list<int>>, PRIMARY KEY (k, c))")
		o := e.opts(e.storeURL + "/" + prefix)
		o.TargetTable, o.CreateTable = "mismatch", false
		expectFail(t, o, fault.ExitUsage, "column v: text in the dump, int in the target")
		if n := e.count("mismatch"); n != 0 {
			t.Errorf("%d rows written despite the mismatch", n)
		}
	})

	t.Run("missing table", func(t *testing.T) {
		prefix := writeFixture(t, e)
		o := e.opts(e.storeURL + "/" + prefix)
		o.TargetTable, o.CreateTable = "absent", false
		expectFail(t, o, fault.ExitUsage, "does not exist", "--create-table")
	})

	t.Run("unknown manifest version", func(t *testing.T) {
		prefix := writeFixture(t, e)
		key := prefix + "/" + manifest.ManifestName
		data, err := e.store.ReadAll(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte(`"lading/v1"`), []byte(`"lading/v9"`), 1)
		if _, err := e.store.WriteAll(ctx, key, data, nil); err != nil {
			t.Fatal(err)
		}
		o := e.opts(e.storeURL + "/" + prefix)
		o.TargetTable = "version"
		expectFail(t, o, fault.ExitUsage, "lading/v9")
	})
}

func readManifest(t *testing.T, e *env, prefix string) *manifest.Manifest {
	t.Helper()
	data, err := e.store.ReadAll(context.Background(), prefix+"/"+manifest.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A table dropped and created again after a load is a new incarnation:
// the same dump loads into it again.
func TestReloadAfterRecreate(t *testing.T) {
	e := newEnv(t)
	prefix := writeFixture(t, e)
	from := e.storeURL + "/" + prefix
	if res := e.run(e.opts(from)); res.Dumps[0].Outcome != "loaded" {
		t.Fatalf("first load: %+v", res.Dumps)
	}
	if res := e.run(e.opts(from)); res.Dumps[0].Outcome != "already loaded" {
		t.Fatalf("second load: %+v", res.Dumps)
	}
	e.exec("DROP TABLE " + e.ks + ".t")
	res := e.run(e.opts(from))
	if res.Dumps[0].Outcome != "loaded" || res.Dumps[0].Verify.Result != "passed" {
		t.Fatalf("after drop and create: %+v", res.Dumps)
	}
	checkFixture(t, e, "t")
	if recs := e.loadedRecords(); len(recs) != 2 {
		t.Errorf("loaded records %v, want one per incarnation", recs)
	}
}
