package export_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// keyRow is one row of the key-list test table.
type keyRow struct {
	a    string
	b, c int32
}

// rowKey is the dump's key of a row: hex of its key columns' bytes, as
// readDump makes it.
func (r keyRow) rowKey() string {
	i32 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
	return fmt.Sprintf("%x/%x/%x/", []byte(r.a), i32(r.b), i32(r.c))
}

// writeKeysCSV writes keys as CSV (quoted where needed), shuffled.
func writeKeysCSV(t *testing.T, keys [][2]string, seed uint64) []byte {
	t.Helper()
	shuffled := append([][2]string{}, keys...)
	rand.New(rand.NewPCG(seed, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, k := range shuffled {
		if err := w.Write(k[:]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return b.Bytes()
}

// A dump of 10k listed keys (duplicates, keys with no partition, text
// keys with commas and quotes, wide partitions) survives three SIGKILLs:
// re-runs read the stored list, never standard input again; a different
// list is refused (exit 2); the same keys in another order are accepted;
// a run without --keys finishes the dump. The result holds every row of
// every listed partition exactly once and nothing else.
func TestExportKeysKill9(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".ev (a text, b int, c int, v text, PRIMARY KEY ((a, b), c))")
	var rows []keyRow
	name := func(i int) string {
		if i%500 == 0 {
			return fmt.Sprintf("user, \"%d\"", i) // needs CSV quoting
		}
		return fmt.Sprintf("user-%d", i)
	}
	const partitions, listed = 8000, 7000
	for i := range partitions {
		for c := range 1 + i%4 {
			rows = append(rows, keyRow{name(i), int32(i % 3), int32(c)})
		}
	}
	for w := range 3 {
		for c := range 3000 {
			rows = append(rows, keyRow{fmt.Sprintf("wide-%d", w), 0, int32(c)})
		}
	}
	cqltest.InsertBatches(t, s, "INSERT INTO "+ks+".ev (a, b, c, v) VALUES (?, ?, ?, ?)", len(rows), 50, 32, func(i int) []any {
		r := rows[i]
		return []any{r.a, r.b, r.c, fmt.Sprintf("v-%s-%d", r.a, r.c)}
	})
	want := map[string]int{}
	var present [][2]string
	for i := range listed {
		present = append(present, [2]string{name(i), fmt.Sprint(i % 3)})
	}
	for w := range 3 {
		present = append(present, [2]string{fmt.Sprintf("wide-%d", w), "0"})
	}
	isListed := map[[2]string]bool{}
	for _, k := range present {
		isListed[k] = true
	}
	for _, r := range rows {
		if isListed[[2]string{r.a, fmt.Sprint(r.b)}] {
			want[r.rowKey()]++
		}
	}
	keys := append([][2]string{}, present...)
	for i := range 2000 { // no such partitions
		keys = append(keys, [2]string{fmt.Sprintf("ghost-%d", i), "1"})
	}
	keys[len(keys)-1] = [2]string{"user-5", "7"} // the name exists, with another b
	unique := len(keys)
	for len(keys) < 10000 {
		keys = append(keys, present[rand.IntN(len(present))])
	}
	dir := t.TempDir()
	listA := writeKeysCSV(t, keys, 1)
	listB := filepath.Join(dir, "same-keys-other-order.csv")
	if err := os.WriteFile(listB, writeKeysCSV(t, append(keys, present[:100]...), 2), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(other, []byte("user-1,1\nuser-2,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	dest := fileDest(t)
	args := []string{"--source", cqltest.URL(t), "--table", ks + ".ev", "--dest", dest, "--batch", "keys",
		"--parallel", "3", "--page-size", "100", "--part-size", "16KiB", "--keys-per-unit", "200", "--log-level", "warn"}
	slow := append(append([]string{}, args...), "--max-rate", "4000")
	exporterBinary(t)
	root := openRoot(t, dest)
	// killMidway runs the exporter with extra args and stdin and kills it
	// with SIGKILL once it has committed a unit of its own.
	killMidway := func(stdin []byte, extra ...string) string {
		t.Helper()
		cmd := exporterCmd(t, append(append([]string{}, slow...), extra...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		return sourcetest.KillOnProgress(t, cmd, 500*time.Millisecond, sourcetest.Committed(t, root, "keys/"))
	}

	// 1: the list on standard input, killed.
	killMidway(listA, "--keys", "-")
	prefix := checkOneDump(t, dest, "keys", ks+".ev")
	// 2: another list: refused.
	if code, out := runToEnd(t, append(append([]string{}, args...), "--keys", other)...); code != 2 || !strings.Contains(out, "not the key list") {
		t.Errorf("a different key list: exit %d, want 2 and a refusal\n%s", code, out)
	}
	// 3: standard input that is not a key list at all: not read, killed.
	killMidway([]byte("not,a,key,list\n"), "--keys", "-")
	commits, _, err := root.ListAll(context.Background(), prefix+"/"+manifest.CommitsDir, "")
	if err != nil {
		t.Fatal(err)
	}
	plan := readPlan(t, dest, "keys", ks+".ev")
	t.Logf("after 2 kills: %d of %d units committed", len(commits), len(plan.Units))
	if len(commits) == 0 || len(commits) >= len(plan.Units) {
		t.Errorf("%d of %d units committed after the kills: they did not land mid-export", len(commits), len(plan.Units))
	}
	// 4: the same keys in another order, with more duplicates: accepted,
	// and killed too.
	if out := killMidway(nil, "--keys", listB); strings.Contains(out, "error") {
		t.Errorf("the same keys in another order: %s", out)
	}
	// 5: without --keys: continues the dump to its end.
	var code int
	var out string
	for try := 0; try < 3; try++ {
		if code, out = runToEnd(t, args...); code == 0 {
			break
		}
		t.Logf("run exited %d:\n%s", code, out)
	}
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	if p := checkOneDump(t, dest, "keys", ks+".ev"); p != prefix {
		t.Errorf("final dump %s, the killed runs wrote %s", p, prefix)
	}

	if plan.Options.Mode != manifest.ModeKeys || plan.KeysName != "_state/keys.ndjson" || plan.KeysCount != int64(unique) {
		t.Errorf("plan: mode %q, keys %q, count %d; want keys, _state/keys.ndjson, %d", plan.Options.Mode, plan.KeysName, plan.KeysCount, unique)
	}
	stored, err := root.ReadAll(context.Background(), prefix+"/"+plan.KeysName)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(stored, []byte{'\n'}); n != unique {
		t.Errorf("stored key list has %d lines, want %d", n, unique)
	}
	if !bytes.Contains(stored, []byte(`{"a":"user, \"500\"","b":2}`+"\n")) {
		t.Errorf("stored key list lacks the quoted key")
	}
	d := readDump(t, root, prefix)
	if d.m.Totals.Rows != int64(len(want)) {
		t.Errorf("manifest counts %d rows, the listed partitions hold %d", d.m.Totals.Rows, len(want))
	}
	compareKeys(t, d.keys, want)
}

// A key list and a token-range dump do not mix: --keys on a range dump
// is refused naming the mode; a shard of a key-list export without
// --keys continues the stored list, and a malformed list is refused
// before a plan or key list is stored. Every listed key's partition (and no
// other) is in the dump.
func TestExportKeysModes(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int, c int, v text, PRIMARY KEY (k, c))")
	cqltest.InsertBatches(t, s, "INSERT INTO "+ks+".kv (k, c, v) VALUES (?, ?, ?)", 200, 10, 8, func(i int) []any {
		return []any{i / 10, i % 10, fmt.Sprint(i)}
	})
	dest := fileDest(t)
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.csv")
	if err := os.WriteFile(keysFile, []byte("3\n5\n5\n99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badFile, []byte("3\nfive\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: dest}

	// A range dump half done (shard 0 of 2), then a --keys run: refused.
	ranges := base
	ranges.Batch, ranges.Shard, ranges.Shards, ranges.Splits = "ranges", 0, 2, 8
	res, err := runExport(t, ranges)
	if err != nil || res.Complete || res.Left == 0 {
		t.Fatalf("shard 0/2: %+v, %v", res, err)
	}
	withKeys := base
	withKeys.Batch, withKeys.Keys = "ranges", keysFile
	if _, err := runExport(t, withKeys); fault.Code(err) != fault.ExitUsage || !strings.Contains(fmt.Sprint(err), `mode: "ranges" vs "keys"`) {
		t.Errorf("--keys on a range dump: %v, want exit 2 naming the mode", err)
	}

	// A malformed list: refused, nothing planned.
	bad := base
	bad.Batch, bad.Keys = "keys", badFile
	if _, err := runExport(t, bad); fault.Code(err) != fault.ExitUsage || !strings.Contains(fmt.Sprint(err), "line 2, column k (int)") {
		t.Errorf("malformed key list: %v, want exit 2 naming line 2 and column k", err)
	}
	objs, _, err := openRoot(t, dest).ListAll(t.Context(), "keys/", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if strings.HasSuffix(o.Key, manifest.PlanName) || strings.HasSuffix(o.Key, "keys.ndjson") {
			t.Errorf("a malformed key list left %s", o.Key)
		}
	}

	// Key units of one key; shard 0 of 2 with the list, shard 1 without.
	first := base
	first.Batch, first.Keys, first.KeysPerUnit, first.Shard, first.Shards = "keys", keysFile, 1, 0, 2
	res, err = runExport(t, first)
	if err != nil || res.Complete || res.Units != 3 || res.Committed != 2 || res.Left != 1 {
		t.Fatalf("keys shard 0/2: %+v, %v; want 2 of 3 units committed, 1 left", res, err)
	}
	second := base
	second.Batch, second.Shard, second.Shards = "keys", 1, 2
	res, err = runExport(t, second)
	if err != nil || !res.Complete {
		t.Fatalf("keys shard 1/2 without --keys: %+v, %v", res, err)
	}
	d := readDump(t, openRoot(t, dest), res.Dump)
	want := map[string]int{}
	for _, k := range []int32{3, 5} {
		for c := range int32(10) {
			want[fmt.Sprintf("%x/%x/", binary.BigEndian.AppendUint32(nil, uint32(k)), binary.BigEndian.AppendUint32(nil, uint32(c)))]++
		}
	}
	compareKeys(t, d.keys, want)
	if d.m.Options.Mode != manifest.ModeKeys {
		t.Errorf("manifest mode %q", d.m.Options.Mode)
	}
}
