package ship

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// testDump is a synthetic complete dump: random parts and a manifest
// built with the manifest package.
type testDump struct {
	dump          discover.Dump
	manifest      *manifest.Manifest
	manifestBytes []byte
	parts         map[string][]byte // file name -> bytes
}

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// uniq returns a name unique to this test run, usable as a batch name or
// key prefix.
func uniq(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.ToLower(name) + "-" + hex.EncodeToString(b)
}

// newTestDump builds a dump of the given part sizes in memory. The table
// is ks.t<n> and the timestamp fixed, so dumps of one batch differ by n.
func newTestDump(t testing.TB, batch string, n int, sizes ...int) *testDump {
	t.Helper()
	parts := map[string][]byte{}
	var files []manifest.File
	for i, size := range sizes {
		data := make([]byte, size)
		rand.Read(data)
		sha := sha256.Sum256(data)
		f := partFile(i, objstore.Sum{Size: int64(size), CRC32C: crc32.Checksum(data, objstore.Castagnoli), SHA256: sha})
		files = append(files, f)
		parts[f.Name] = data
	}
	td := newTestManifest(t, batch, n, files)
	td.parts = parts
	return td
}

// partFile describes part number i with the measured sum.
func partFile(i int, s objstore.Sum) manifest.File {
	return manifest.File{
		Name: manifest.PartName("0000000000000000", "3f9a0c12", i, manifest.ExtZstd), Unit: "0000000000000000",
		Rows: s.Size / 100, Bytes: s.Size * 3, StoredBytes: s.Size, CRC32C: s.CRC32CHex(), SHA256: s.SHA256Hex(),
		Ranges: []manifest.TokenRange{{Start: "-9223372036854775808", End: "-9223372036854775808"}},
		ReadAt: testStart.Add(time.Second),
	}
}

var testStart = time.Date(2026, 11, 22, 15, 45, 30, 0, time.UTC)

// newTestManifest builds the manifest of dump ks.t<n> in batch with files.
func newTestManifest(t testing.TB, batch string, n int, files []manifest.File) *testDump {
	t.Helper()
	table := fmt.Sprintf("t%d", n)
	ts := "20261122T154530Z"
	d, err := discover.NewDump(batch, "ks."+table, ts)
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{
		Format:    manifest.FormatManifest,
		Tool:      manifest.Tool{Name: "exporter", Version: "test"},
		Batch:     batch,
		Table:     "ks." + table,
		Timestamp: ts,
		Source: manifest.Source{
			Kind:        "cassandra",
			Cluster:     "test",
			Partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
			Table: schema.Table{
				Keyspace: "ks", Name: table,
				CQL: "CREATE TABLE ks." + table + " (\n    id int,\n    v blob,\n    PRIMARY KEY (id)\n)",
				Columns: []schema.Column{
					{Name: "id", Type: "int", Role: schema.PartitionKey},
					{Name: "v", Type: "blob", Role: schema.Regular},
				},
				UserTypes: []schema.UserType{},
			},
		},
		Options: manifest.Options{
			Compression: "zstd", Consistency: "LOCAL_QUORUM", Columns: []string{"id", "v"},
			Mode: "ranges", PartBytes: 1 << 20,
		},
		Files:  files,
		Totals: manifest.Totals{Started: testStart, Finished: testStart.Add(time.Minute)},
	}
	for _, f := range files {
		m.Totals.Files++
		m.Totals.Rows += f.Rows
		m.Totals.Bytes += f.Bytes
		m.Totals.StoredBytes += f.StoredBytes
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatalf("test manifest: %v", err)
	}
	if _, err := manifest.DecodeManifest(b); err != nil {
		t.Fatalf("test manifest does not decode: %v", err)
	}
	return &testDump{dump: d, manifest: m, manifestBytes: b}
}

// write stores the dump under root: parts, manifest, _state, then _SUCCESS
// (unless incomplete).
func (td *testDump) write(t testing.TB, root *objstore.Bucket, complete bool) {
	t.Helper()
	ctx := context.Background()
	for name, data := range td.parts {
		if _, err := root.WriteAll(ctx, td.dump.Key(name), data, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.WriteAll(ctx, td.dump.ManifestKey(), td.manifestBytes, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := root.WriteAll(ctx, td.dump.Key("_state/plan.json"), []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	if complete {
		if _, err := root.WriteAll(ctx, td.dump.SuccessKey(), []byte("{}\n"), nil); err != nil {
			t.Fatal(err)
		}
	}
}

// assertShipped checks that dst holds the dump byte for byte, marked.
func (td *testDump) assertShipped(t testing.TB, dst *objstore.Bucket) {
	t.Helper()
	ctx := context.Background()
	for name, want := range td.parts {
		got, err := dst.ReadAll(ctx, td.dump.Key(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes differ from the source's %d", name, len(got), len(want))
		}
	}
	got, err := dst.ReadAll(ctx, td.dump.ManifestKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, td.manifestBytes) {
		t.Fatalf("manifest differs from the source's")
	}
	if ok, err := dst.Exists(ctx, td.dump.SuccessKey()); err != nil || !ok {
		t.Fatalf("_SUCCESS at destination: %v %v", ok, err)
	}
	if ok, _ := dst.Exists(ctx, td.dump.Key("_state/plan.json")); ok {
		t.Fatalf("_state copied: only the manifest's files should be")
	}
}

// assertNotMarked checks that dst has no _SUCCESS for the dump.
func (td *testDump) assertNotMarked(t testing.TB, dst *objstore.Bucket) {
	t.Helper()
	if ok, err := dst.Exists(context.Background(), td.dump.SuccessKey()); err != nil || ok {
		t.Fatalf("_SUCCESS at destination: %v %v", ok, err)
	}
}

func TestTestDumpDecodes(t *testing.T) {
	td := newTestDump(t, "b1", 1, 10, 2000, 0)
	if len(td.manifest.Files) != 3 {
		t.Fatal(len(td.manifest.Files))
	}
}

func nilLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testLogger logs through t.Log, so logs show with -v or on failure.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func discoverTable(table string) discover.Filter { return discover.Filter{Table: table} }
