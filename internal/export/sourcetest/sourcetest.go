// Package sourcetest is the exporter's source conformance suite: the
// same tests, run with the real exporter binary against every source's
// real server (Cassandra, the DynamoDB stand-in). A source's test
// package implements Harness and calls RunConformance.
//
// The suite checks what every source must give the plan/commit/finish
// protocol: an exact round trip of the rows the harness wrote, an export
// killed with SIGKILL again and again and then completed with every row
// exactly once, shards that share one dump, and a schema change between
// two runs of one dump refused with exit 2.
package sourcetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Harness is one source under test.
type Harness interface {
	// URL is the --source URL.
	URL(t testing.TB) string
	// NewTable creates a fresh table holding n rows that cover the
	// source's types, and returns its --table name and its name in dump
	// paths (<batch>/<dumpTable>/…).
	NewTable(t testing.TB, n int) (table, dumpTable string)
	// Rows returns the table's rows as read from the source directly,
	// each in the canonical form Canonical gives dump lines.
	Rows(t testing.TB, table string) []string
	// Canonical turns one line of a dump of the table into the form Rows
	// returns.
	Canonical(t testing.TB, m *manifest.Manifest, line []byte) string
	// ChangeSchema changes the table so that a dump planned before can
	// no longer be completed (e.g. a key changes type).
	ChangeSchema(t testing.TB, table string)
	// SlowArgs slow an export down enough to be killed mid-way (a rate
	// cap); they must not be options of the plan.
	SlowArgs() []string
	// Args are extra flags every run of the suite gets (page and part
	// sizes that make many pages and parts of small tables).
	Args() []string
}

// SourceArgser is implemented by a harness whose source is not named by
// --source URL alone and is not cut by --splits (a native export
// converted with --from-export, whose units are its data files): its
// SourceArgs replace "--source URL --splits N" in every run.
type SourceArgser interface {
	SourceArgs(t testing.TB, table string) []string
}

// sourceArgs are the flags naming the table's source and its splits.
func sourceArgs(t testing.TB, h Harness, table, splits string) []string {
	if s, ok := h.(SourceArgser); ok {
		return s.SourceArgs(t, table)
	}
	return []string{"--source", h.URL(t), "--splits", splits}
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("Kill9", func(t *testing.T) { testKill9(t, h) })
	t.Run("Shards", func(t *testing.T) { testShards(t, h) })
	t.Run("SchemaChangeRefused", func(t *testing.T) { testSchemaChange(t, h) })
}

func testRoundTrip(t *testing.T, h Harness) {
	table, dumpTable := h.NewTable(t, 500)
	dest := FileDest(t)
	args := append(append(sourceArgs(t, h, table, "6"), "--table", table, "--dest", dest, "--batch", "rt"), h.Args()...)
	if code, out := Run(t, args...); code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("exporter: exit %d\n%s", code, out)
	}
	root := OpenRoot(t, dest)
	same(t, h, root, OnlyDump(t, root, "rt", dumpTable), table)
	if code, out := Run(t, args...); code != 0 || !strings.Contains(out, "already complete") {
		t.Errorf("re-run of a complete dump: exit %d\n%s", code, out)
	}
}

func testKill9(t *testing.T, h Harness) {
	table, dumpTable := h.NewTable(t, 3000)
	dest := FileDest(t)
	args := append(append(sourceArgs(t, h, table, "8"), "--table", table, "--dest", dest, "--batch", "kill", "--parallel", "2"), h.Args()...)
	slow := append(slices.Clone(args), h.SlowArgs()...)
	root := OpenRoot(t, dest)
	KillRepeatedly(t, 4, 500*time.Millisecond, Committed(t, root, "kill/"), slow...)
	prefix := OnlyDump(t, root, "kill", dumpTable)
	state, _, err := root.ListAll(context.Background(), prefix+"/_state/", "")
	if err != nil {
		t.Fatal(err)
	}
	committed := 0
	for _, o := range state {
		if strings.Contains(o.Key, "/_state/commits/") || strings.Contains(o.Key, "/_state/progress/") {
			committed++
		}
	}
	if committed == 0 {
		t.Fatalf("nothing committed after the kills: they came too early to test resuming")
	}
	if ok, _ := root.Exists(context.Background(), prefix+"/"+manifest.SuccessName); ok {
		t.Fatalf("the dump completed before the last kill: the kills came too late to test resuming")
	}
	if code, out := Run(t, args...); code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	same(t, h, root, prefix, table)
}

func testShards(t *testing.T, h Harness) {
	table, dumpTable := h.NewTable(t, 400)
	dest := FileDest(t)
	args := append(append(sourceArgs(t, h, table, "6"), "--table", table, "--dest", dest, "--batch", "sh"), h.Args()...)
	code, out := Run(t, append(slices.Clone(args), "--shard", "0/2")...)
	if code != 0 || !strings.Contains(out, "shard 0/2 done") {
		t.Fatalf("shard 0/2: exit %d\n%s", code, out)
	}
	if code, out = Run(t, append(slices.Clone(args), "--shard", "1/2")...); code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("shard 1/2: exit %d\n%s", code, out)
	}
	root := OpenRoot(t, dest)
	same(t, h, root, OnlyDump(t, root, "sh", dumpTable), table)
}

func testSchemaChange(t *testing.T, h Harness) {
	table, dumpTable := h.NewTable(t, 200)
	dest := FileDest(t)
	args := append(append(sourceArgs(t, h, table, "6"), "--table", table, "--dest", dest, "--batch", "sc"), h.Args()...)
	if code, out := Run(t, append(slices.Clone(args), "--shard", "0/2")...); code != 0 {
		t.Fatalf("shard 0/2: exit %d\n%s", code, out)
	}
	h.ChangeSchema(t, table)
	code, out := Run(t, append(slices.Clone(args), "--shard", "1/2")...)
	if code != 2 || !strings.Contains(out, "since the dump was planned") {
		t.Fatalf("shard 1/2 after the schema changed: exit %d, want 2 and the change named\n%s", code, out)
	}
	root := OpenRoot(t, dest)
	if ok, _ := root.Exists(context.Background(), OnlyDump(t, root, "sc", dumpTable)+"/"+manifest.SuccessName); ok {
		t.Errorf("the dump was completed across a schema change")
	}
}

// same fails unless the dump at prefix holds exactly the table's rows,
// each once, in parts that match the manifest.
func same(t testing.TB, h Harness, root *objstore.Bucket, prefix, table string) {
	t.Helper()
	m, lines := ReadDump(t, root, prefix)
	got := make([]string, len(lines))
	for i, l := range lines {
		got[i] = h.Canonical(t, m, l)
	}
	slices.Sort(got)
	want := h.Rows(t, table)
	slices.Sort(want)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("row in the dump twice: %s", got[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the dump holds %d rows, the table %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d differs:\ndump:  %s\ntable: %s", i, got[i], want[i])
		}
	}
}

// ReadDump checks _SUCCESS and every part against the manifest (size,
// SHA-256, rows) and returns the manifest and the parts' lines.
func ReadDump(t testing.TB, root *objstore.Bucket, prefix string) (*manifest.Manifest, [][]byte) {
	t.Helper()
	ctx := context.Background()
	if ok, err := root.Exists(ctx, prefix+"/"+manifest.SuccessName); err != nil || !ok {
		t.Fatalf("%s/_SUCCESS missing (%v)", prefix, err)
	}
	data, err := root.ReadAll(ctx, prefix+"/"+manifest.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, f := range m.Files {
		raw, err := root.ReadAll(ctx, prefix+"/"+f.Name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		if int64(len(raw)) != f.StoredBytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("part %s: %d bytes, sha256 %x; the manifest says %d bytes, %s", f.Name, len(raw), sum, f.StoredBytes, f.SHA256)
		}
		pr, err := format.NewPartReader(bytes.NewReader(raw), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for {
			line, err := pr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("part %s: %v", f.Name, err)
			}
			lines = append(lines, bytes.Clone(line))
			n++
		}
		if n != f.Rows {
			t.Fatalf("part %s holds %d rows, the manifest says %d", f.Name, n, f.Rows)
		}
	}
	if int64(len(lines)) != m.Totals.Rows {
		t.Fatalf("%d rows in the parts, the manifest counts %d", len(lines), m.Totals.Rows)
	}
	return m, lines
}

// Binary returns the path of cmd/exporter, built once per test process
// (testenv.Command).
func Binary(t testing.TB) string {
	t.Helper()
	return testenv.Command(t, "exporter")
}

// Run runs the exporter binary to its end: exit code and output.
func Run(t testing.TB, args ...string) (int, string) {
	t.Helper()
	return testenv.RunCommand(t, Binary(t), args...)
}

// FileDest returns a file:// store URL in a fresh temporary directory.
func FileDest(t testing.TB) string {
	t.Helper()
	return "file://" + filepath.ToSlash(t.TempDir())
}

// OpenRoot opens a store URL, closed when the test ends.
func OpenRoot(t testing.TB, u string) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// OnlyDump returns the prefix of the batch's one dump of dumpTable (the
// dump's table name, e.g. ks.t or dynamodb.t), failing unless there is one.
func OnlyDump(t testing.TB, root *objstore.Bucket, batch, dumpTable string) string {
	t.Helper()
	_, prefixes, err := root.ListAll(context.Background(), batch+"/"+dumpTable+"/", "/")
	if err != nil {
		t.Fatal(err)
	}
	var dumps []string
	for _, p := range prefixes {
		if !strings.HasSuffix(p, "/_state/") {
			dumps = append(dumps, strings.TrimSuffix(p, "/"))
		}
	}
	if len(dumps) != 1 {
		t.Fatalf("batch %s holds dumps %v of %s, want one", batch, dumps, dumpTable)
	}
	return dumps[0]
}

// KillRepeatedly starts the exporter with args kills times and SIGKILLs
// each run once it has committed something of its own (progress counts
// more than when the run started), after a further random delay in
// [0, spread). Waiting for progress rather than for a fixed time keeps
// the kills mid-export on a slow or loaded machine: every killed run
// committed at least once, so each next run has something to resume.
func KillRepeatedly(t testing.TB, kills int, spread time.Duration, progress func() int, args ...string) {
	t.Helper()
	bin := Binary(t)
	for range kills {
		KillOnProgress(t, exec.Command(bin, args...), spread, progress)
	}
}

// KillOnProgress starts cmd (its output is captured), waits until
// progress reports more than it did before the start, then a random
// delay in [0, spread), and SIGKILLs it; it returns the run's output. A
// run that exits before its kill, or makes no progress in a minute,
// fails the test: its arguments are not slow enough, or it is stuck.
func KillOnProgress(t testing.TB, cmd *exec.Cmd, spread time.Duration, progress func() int) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before := progress()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := func(when string) {
		t.Helper()
		select {
		case err := <-done:
			t.Fatalf("exporter exited (%v) %s: the export needs to be slower\n%s", err, when, out.String())
		default:
		}
	}
	deadline := time.Now().Add(time.Minute)
	for progress() <= before {
		exited("before committing anything")
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("exporter committed nothing in a minute\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if spread > 0 {
		select {
		case err := <-done:
			t.Fatalf("exporter exited (%v) before its kill: the export needs to be slower\n%s", err, out.String())
		case <-time.After(rand.N(spread)):
		}
	}
	exited("before its kill")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	return out.String()
}

// Committed counts the commits of units and of pages within units
// (_state/commits/, _state/progress/) of every dump under prefix (a batch,
// or one dump) in root: the progress KillRepeatedly waits for.
func Committed(t testing.TB, root *objstore.Bucket, prefix string) func() int {
	return func() int {
		objs, _, err := root.ListAll(context.Background(), prefix, "")
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		n := 0
		for _, o := range objs {
			if strings.Contains(o.Key, "/_state/commits/") || strings.Contains(o.Key, "/_state/progress/") {
				n++
			}
		}
		return n
	}
}
