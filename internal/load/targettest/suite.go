package targettest

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// suite is one RunConformance: the harness, the commands built once, and
// the real Cassandra dump made once and shared by the cases.
type suite struct {
	h    Harness
	bins string // directory of the built exporter and loader

	every *store // the every-type dump, made before the cases
}

// RunConformance runs every case of the suite against the target h
// opens, each case as a subtest in a namespace of its own.
func RunConformance(t *testing.T, h Harness) {
	s := &suite{h: h, bins: BuildCommands(t, "exporter", "loader")}
	every, err := s.makeEveryTypeDump(t)
	if err != nil {
		t.Fatal(err)
	}
	s.every = every
	t.Run("EveryTypeRoundTripAndReload", s.everyType)
	t.Run("Kill9ThenRerun", s.kill9)
	t.Run("CorruptPartWritesNothing", s.corruptPart)
	t.Run("Schema", s.schemaCases)
	t.Run("VerifyCatchesLostAndChangedRows", s.verifyCatches)
	t.Run("RejectsAndMaxRejects", s.rejects)
	t.Run("LedgerAcrossDropAndRecreate", s.incarnation)
	t.Run("WidePartitionsAndLargeValues", s.wideAndLarge)
}

// BuildCommands returns the directory holding the named commands of
// cmd/ (exporter, shipper, loader, status), built once per test process
// by testenv.Commands: tests run the real binaries, as operators do.
func BuildCommands(t testing.TB, names ...string) string {
	t.Helper()
	return testenv.Commands(t, names...)
}

// run is one finished command.
type run struct {
	out  string // stdout and stderr
	code int    // exit code
}

// command runs one of the built commands.
func (s *suite) command(t *testing.T, name string, args ...string) run {
	t.Helper()
	cmd := exec.Command(filepath.Join(s.bins, name), args...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return run{out: string(out)}
	case errors.As(err, &exit):
		return run{out: string(out), code: exit.ExitCode()}
	default:
		t.Fatalf("%s: %v", name, err)
		return run{}
	}
}

// load runs the loader from a store into a target with --create-table
// and the given flags.
func (s *suite) load(t *testing.T, st *store, target string, args ...string) run {
	t.Helper()
	a := append([]string{"--from", st.url, "--to", target, "--spool-dir", t.TempDir()}, loaderFlags(s.h)...)
	a = append(a, args...)
	return s.command(t, "loader", a...)
}

// verifyArgs asks for full verification (also the default verification
// of tables that are not idempotent).
var verifyArgs = []string{"--create-table", "--verify", "full"}

// store is a dump store of one case.
type store struct {
	url string
	b   *objstore.Bucket
}

// fileStore opens a new file:// store, closed when t ends.
func fileStore(t *testing.T) *store {
	t.Helper()
	b, u := loadtest.FileStore(t)
	return &store{url: u, b: b}
}

// keys lists the store's keys under prefix that contain part.
func (st *store) keys(t *testing.T, prefix, part string) []string {
	return Keys(t, st.b, prefix, part)
}

// Keys lists a store's keys under prefix that contain part.
func Keys(t testing.TB, b *objstore.Bucket, prefix, part string) []string {
	t.Helper()
	objs, _, err := b.ListAll(context.Background(), prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if strings.Contains(o.Key, part) {
			out = append(out, o.Key)
		}
	}
	return out
}

// LoadedRecords lists the loaded records of every ledger in a store.
func LoadedRecords(t testing.TB, b *objstore.Bucket) []string {
	t.Helper()
	return Keys(t, b, load.LedgerDir, "/loaded/")
}

// loadedRecords lists the ledger's loaded records.
func (st *store) loadedRecords(t *testing.T) []string {
	return LoadedRecords(t, st.b)
}

// dumpOf is one dump of a store as the loader sees it: its manifest,
// its columns (key columns first) and its rows, decoded from its parts.
type dumpOf struct {
	prefix string
	m      *manifest.Manifest
	cols   []schema.Column
	rows   []format.Row
}

// readDump reads the only dump of a store.
func (st *store) readDump(t *testing.T) *dumpOf {
	t.Helper()
	ctx := context.Background()
	ms := st.keys(t, "", "/"+manifest.ManifestName)
	if len(ms) != 1 {
		t.Fatalf("store %s holds %d manifests, want 1", st.url, len(ms))
	}
	data, err := st.b.ReadAll(ctx, ms[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	d := &dumpOf{prefix: strings.TrimSuffix(ms[0], "/"+manifest.ManifestName), m: m}
	names := m.Options.Columns
	if len(names) == 0 {
		for _, c := range m.Source.Table.Columns {
			names = append(names, c.Name)
		}
	}
	for _, n := range names {
		d.cols = append(d.cols, *m.Source.Table.Column(n))
	}
	dec, err := format.NewDecoder(&m.Source.Table, names, format.Options{Writetime: m.Options.Writetime, TTL: m.Options.TTL})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		data, err := st.b.ReadAll(ctx, d.prefix+"/"+f.Name)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := format.NewPartReader(bytes.NewReader(data), f.Name)
		if err != nil {
			t.Fatal(err)
		}
		for {
			line, err := pr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var r format.Row
			if err := dec.DecodeRow(line, &r); err != nil {
				t.Fatal(err)
			}
			vals := make([][]byte, len(r.Values))
			for i, v := range r.Values {
				if v != nil {
					vals[i] = bytes.Clone(v)
				}
			}
			d.rows = append(d.rows, format.Row{Values: vals})
		}
		pr.Close()
	}
	return d
}

// rowKey renders a row's primary key values.
func rowKey(cols []schema.Column, r format.Row) string {
	var parts []string
	for i, c := range cols {
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			v := r.Values[i]
			if len(v) > 16 {
				parts = append(parts, fmt.Sprintf("%x…(%d bytes)", v[:16], len(v)))
				continue
			}
			parts = append(parts, hex.EncodeToString(v))
		}
	}
	return strings.Join(parts, "/")
}

// keyOf returns a row's primary key values, in column order.
func keyOf(cols []schema.Column, r format.Row) [][]byte {
	var out [][]byte
	for i, c := range cols {
		if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
			out = append(out, r.Values[i])
		}
	}
	return out
}

// diffRows compares the rows the target holds with the rows expected,
// each value as the harness says the target holds its type. It returns
// one line per difference (missing, extra, duplicated or differing).
func (s *suite) diffRows(cols []schema.Column, want, got []format.Row) []string {
	var out []string
	full := func(r format.Row) string {
		var b strings.Builder
		for i, c := range cols {
			if c.Role == schema.PartitionKey || c.Role == schema.Clustering {
				b.WriteString(hex.EncodeToString(r.Values[i]))
				b.WriteByte('/')
			}
		}
		return b.String()
	}
	have := map[string]format.Row{}
	for _, r := range got {
		k := full(r)
		if _, dup := have[k]; dup {
			out = append(out, "row "+rowKey(cols, r)+": read back twice")
		}
		have[k] = r
	}
	seen := map[string]bool{}
	for _, w := range want {
		k := full(w)
		seen[k] = true
		g, ok := have[k]
		if !ok {
			out = append(out, "row "+rowKey(cols, w)+": missing")
			continue
		}
		for i, c := range cols {
			hold := s.h.Holds(c.Type)
			v := w.Values[i]
			if hold.ReadBack != nil && v != nil {
				v = hold.ReadBack(v)
			}
			if !bytes.Equal(v, g.Values[i]) {
				note := ""
				if hold.Note != "" {
					note = " (documented: " + hold.Note + ")"
				}
				out = append(out, fmt.Sprintf("row %s column %s %s: read back %s, want %s%s", rowKey(cols, w), c.Name, c.Type, shortHex(g.Values[i]), shortHex(v), note))
			}
		}
	}
	for k, r := range have {
		if !seen[k] {
			out = append(out, "row "+rowKey(cols, r)+": not in the dump")
		}
	}
	sort.Strings(out)
	return out
}

func shortHex(v []byte) string {
	if v == nil {
		return "null"
	}
	if len(v) > 48 {
		return fmt.Sprintf("%x…(%d bytes)", v[:48], len(v))
	}
	return hex.EncodeToString(v)
}

// checkRows fails t when the target's table does not hold exactly the
// dump's rows (as the harness documents its types).
func (s *suite) checkRows(t *testing.T, target, table string, d *dumpOf) []format.Row {
	t.Helper()
	got := s.h.ReadRows(t, target, table, d.cols)
	diffs := s.diffRows(d.cols, d.rows, got)
	for i, x := range diffs {
		if i == 20 {
			t.Errorf("... %d differences in all", len(diffs))
			break
		}
		t.Error(x)
	}
	return got
}
