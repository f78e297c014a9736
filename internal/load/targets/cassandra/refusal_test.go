package cassandra_test

import (
	"bytes"
	"context"
	"github.com/lading-dev/lading/internal/load/targettest"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/manifest"
)

// loadedRecords lists the ledger's loaded records in the test store.
func (e *env) loadedRecords() []string {
	e.t.Helper()
	return targettest.LoadedRecords(e.t, e.store)
}

// A manifest of an unknown format version is refused (exit 2) and
// nothing is recorded. (Corrupt parts, schema mismatches and missing
// tables are the target suite's cases, run by TestConformance.)
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
