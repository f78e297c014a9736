package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// command returns the path of the real binary name ("exporter",
// "shipper", "loader" or "status"), all built once per test process.
func command(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(testenv.Commands(t, "exporter", "shipper", "loader", "status"), name)
}

// run runs a real binary to its exit and returns the exit code and its
// output (stdout and stderr together).
func run(t *testing.T, name string, args ...string) (int, string) {
	t.Helper()
	return runEnv(t, nil, name, args...)
}

// runEnv is run with env (KEY=value) added to the test's environment.
func runEnv(t *testing.T, env []string, name string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(command(t, name), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("run %s: %v", name, err)
	return -1, ""
}

// mustRun runs a real binary and fails the test unless it exits 0.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	code, out := run(t, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// rowsTable creates ks.kv (k int PRIMARY KEY, v text) with n rows.
func rowsTable(t *testing.T, s *cql.Session, n int) string {
	t.Helper()
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int PRIMARY KEY, v text)")
	cqltest.InsertBatches(t, s, "INSERT INTO "+ks+".kv (k, v) VALUES (?, ?)", n, 1, 64, func(i int) []any {
		return []any{i, fmt.Sprintf("value-%d", i)}
	})
	return ks + ".kv"
}

func fileRoot(t *testing.T) string { return "file://" + filepath.ToSlash(t.TempDir()) }

// snapshot maps every object below root to its bytes.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	ctx := context.Background()
	b, err := objstore.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	objs, _, err := b.ListAll(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(objs))
	for _, o := range objs {
		data, err := b.ReadAll(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		m[o.Key] = string(data)
	}
	return m
}

// dumpsOf lists the timestamps of batch's dumps of table under root.
func dumpsOf(t *testing.T, root, batch, table string) []string {
	t.Helper()
	var stamps []string
	for key := range snapshot(t, root) {
		rest, ok := strings.CutPrefix(key, batch+"/"+table+"/")
		if !ok {
			continue
		}
		if ts, _, _ := strings.Cut(rest, "/"); ts != "_state" && !contains(stamps, ts) {
			stamps = append(stamps, ts)
		}
	}
	return stamps
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// manifestRows reads the row total of the manifest at key below root.
func manifestRows(t *testing.T, snap map[string]string, key string) int64 {
	t.Helper()
	data, ok := snap[key]
	if !ok {
		t.Fatalf("no %s", key)
	}
	m, err := manifest.DecodeManifest([]byte(data))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return m.Totals.Rows
}

// A dump shipped away with --delete-source leaves the batch's dump.json
// behind. Exporting the same batch again must not write a second,
// different dump under the first one's path (the shipper would then skip
// it as "already at the destination" and loaders would count it as
// loaded): the exporter refuses with exit 2 and asks for a new --batch.
func TestDeletedSourceDumpNotExportedAgainUnderItsPath(t *testing.T) {
	s := cqltest.Session(t)
	table := rowsTable(t, s, 5000)
	a, c := fileRoot(t), fileRoot(t)
	export := []string{"--source", cqltest.URL(t), "--table", table, "--dest", a, "--batch", "b1", "--log-level", "warn"}

	mustRun(t, "exporter", export...)
	stamps := dumpsOf(t, a, "b1", table)
	if len(stamps) != 1 {
		t.Fatalf("dumps after the first export: %v", stamps)
	}
	prefix := "b1/" + table + "/" + stamps[0] + "/"
	mustRun(t, "shipper", "--from", a, "--to", c, "--delete-source", "--log-level", "warn")
	if got := dumpsOf(t, a, "b1", table); len(got) != 0 {
		t.Fatalf("source dumps left after --delete-source: %v", got)
	}
	shipped := snapshot(t, c)
	if rows := manifestRows(t, shipped, prefix+manifest.ManifestName); rows != 5000 {
		t.Fatalf("shipped dump has %d rows, want 5000", rows)
	}

	cqltest.Exec(t, s, "INSERT INTO "+table+" (k, v) VALUES (5000, 'value-5000')")
	code, out := run(t, "exporter", export...)
	if code != 2 || !strings.Contains(out, "--batch") {
		t.Fatalf("export into the batch of a deleted dump: exit %d, want 2 with a message naming --batch\n%s", code, out)
	}
	t.Logf("refused: %s", out)
	if got := dumpsOf(t, a, "b1", table); len(got) != 0 {
		t.Fatalf("the refused export wrote dumps %v in the source", got)
	}
	code, out = run(t, "shipper", "--from", a, "--to", c, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("shipper after the refused export: exit %d\n%s", code, out)
	}
	if after := snapshot(t, c); !equalMaps(after, shipped) {
		t.Fatalf("the destination changed after the refused export")
	}

	// The way out the refusal names: a new batch, a new dump.
	export[len(export)-3] = "b2"
	mustRun(t, "exporter", export...)
	mustRun(t, "shipper", "--from", a, "--to", c, "--log-level", "warn")
	stamps2 := dumpsOf(t, c, "b2", table)
	if len(stamps2) != 1 {
		t.Fatalf("dumps of batch b2 at the destination: %v", stamps2)
	}
	if rows := manifestRows(t, snapshot(t, c), "b2/"+table+"/"+stamps2[0]+"/"+manifest.ManifestName); rows != 5001 {
		t.Fatalf("batch b2's dump has %d rows, want 5001", rows)
	}
}

// The shipper does not take a destination _SUCCESS on trust: when the
// dump at the destination has another manifest than the source's under
// the same path (two different dumps given one name), it fails with exit
// 3 naming both, overwrites nothing and, with --delete-source, deletes
// nothing.
func TestShipperRefusesOtherDumpUnderSamePath(t *testing.T) {
	s := cqltest.Session(t)
	table := rowsTable(t, s, 300)
	a1, a2, c := fileRoot(t), fileRoot(t), fileRoot(t)
	export := func(dest string) {
		mustRun(t, "exporter", "--source", cqltest.URL(t), "--table", table, "--dest", dest,
			"--batch", "b1", "--timestamp", "20261122T154530Z", "--log-level", "warn")
	}
	export(a1)
	cqltest.Exec(t, s, "INSERT INTO "+table+" (k, v) VALUES (300, 'value-300')")
	export(a2)
	mustRun(t, "shipper", "--from", a2, "--to", c, "--log-level", "warn")
	shipped, source := snapshot(t, c), snapshot(t, a1)
	key := "b1/" + table + "/20261122T154530Z/" + manifest.ManifestName
	if manifestRows(t, shipped, key) != 301 || manifestRows(t, source, key) != 300 {
		t.Fatalf("setup: want 301 rows at the destination and 300 at the source")
	}

	for _, extra := range [][]string{nil, {"--delete-source"}} {
		args := append([]string{"--from", a1, "--to", c, "--log-level", "warn"}, extra...)
		code, out := run(t, "shipper", args...)
		if code != 3 || !strings.Contains(out, "b1/"+table+"/20261122T154530Z") ||
			!strings.Contains(out, sha256Hex(shipped[key])) || !strings.Contains(out, sha256Hex(source[key])) {
			t.Fatalf("shipper %v onto another dump under the same path: exit %d, want 3 naming the dump and both manifests' SHA-256\n%s", extra, code, out)
		}
		t.Logf("shipper %v refused: %s", extra, out)
		if !equalMaps(snapshot(t, c), shipped) {
			t.Fatalf("shipper %v changed the destination", extra)
		}
		if !equalMaps(snapshot(t, a1), source) {
			t.Fatalf("shipper %v changed the source", extra)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
