// Package loadtest builds dumps for the loader's tests without an
// exporter: rows of CQL wire values, encoded with pkg/format into parts,
// with a manifest assembled by pkg/manifest, written to any store.
package loadtest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/schema"
)

// Dump describes a dump to write.
type Dump struct {
	Batch     string // default "b1"
	Timestamp string // default 20260101T000000Z
	Table     schema.Table
	Writetime bool
	TTL       bool
	// Compression is zstd (default), gzip or none.
	Compression string
	// Parts are the rows of each part, in the table's column order.
	Parts [][]format.Row
	// ReadAt is every part's read time (default: now).
	ReadAt time.Time
	// Took is how long the export read: the manifest's totals run from a
	// second before ReadAt to Took later (default 2s).
	Took time.Duration
}

const (
	minToken = "-9223372036854775808"
	unitID   = "0000000000000000"
	attempt  = "0a0b0c0d"
)

// Write writes d under root (the level above its batch) with _SUCCESS,
// and returns its manifest and the dump's prefix.
func Write(t testing.TB, root *objstore.Bucket, d Dump) (*manifest.Manifest, string) {
	t.Helper()
	ctx := context.Background()
	if d.Batch == "" {
		d.Batch = "b1"
	}
	if d.Timestamp == "" {
		d.Timestamp = "20260101T000000Z"
	}
	if d.Compression == "" {
		d.Compression = manifest.CompressionZstd
	}
	if d.ReadAt.IsZero() {
		d.ReadAt = time.Now().UTC().Truncate(time.Millisecond)
	}
	tbl := d.Table
	if err := tbl.Resolve(); err != nil {
		t.Fatalf("table: %v", err)
	}
	if tbl.CQL == "" {
		tbl.CQL = tbl.CreateTableCQL(tbl.Keyspace, tbl.Name)
	}
	for i := range tbl.UserTypes {
		if tbl.UserTypes[i].CQL == "" {
			tbl.UserTypes[i].CQL = tbl.UserTypes[i].CreateTypeCQL(tbl.Keyspace)
		}
		tbl.UserTypes[i].Keyspace = tbl.Keyspace
	}
	ext, err := manifest.ExtForCompression(d.Compression)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name)
	}
	ranges := []manifest.TokenRange{{Start: minToken, End: "0"}, {Start: "0", End: minToken}}
	opts := manifest.Options{
		Compression: d.Compression, Writetime: d.Writetime, TTL: d.TTL, Consistency: "LOCAL_QUORUM",
		Columns: cols, Mode: manifest.ModeRanges, PartBytes: 128 << 20,
	}
	table := d.Batch + "/" + tbl.QualifiedName() + "/" + d.Timestamp
	created := d.ReadAt.Add(-time.Second)
	plan := &manifest.Plan{
		Format: manifest.FormatPlan, Tool: manifest.Tool{Name: "loadtest", Version: "0"},
		Batch: d.Batch, Table: tbl.QualifiedName(), Timestamp: d.Timestamp, Created: created,
		Source:  manifest.Source{Kind: manifest.KindCassandra, Cluster: "loadtest", Partitioner: manifest.Murmur3Partitioner, Table: tbl},
		Options: opts,
		Units:   []manifest.Unit{{ID: unitID, Ranges: ranges}},
	}
	enc, err := format.NewEncoder(&tbl, nil, format.Options{Writetime: d.Writetime, TTL: d.TTL})
	if err != nil {
		t.Fatal(err)
	}
	if d.Took <= 0 {
		d.Took = 2 * time.Second
	}
	commit := &manifest.Commit{Format: manifest.FormatCommit, Unit: unitID, Attempt: attempt, Ranges: ranges, Started: created, Finished: created.Add(d.Took)}
	for seq, rows := range d.Parts {
		var buf bytes.Buffer
		pw, err := format.NewPartWriter(&buf, d.Compression, format.CompressOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var line []byte
		for i := range rows {
			if line, err = enc.AppendRow(line[:0], &rows[i]); err != nil {
				t.Fatalf("part %d row %d: %v", seq, i, err)
			}
			if err := pw.WriteRow(line); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		name := manifest.PartName(unitID, attempt, seq, ext)
		sum, err := root.WriteAll(ctx, table+"/"+name, buf.Bytes(), nil)
		if err != nil {
			t.Fatal(err)
		}
		commit.Files = append(commit.Files, manifest.File{
			Name: name, Unit: unitID, Rows: int64(len(rows)), Bytes: pw.Bytes(), StoredBytes: sum.Size,
			CRC32C: sum.CRC32CHex(), SHA256: sum.SHA256Hex(), Ranges: ranges, ReadAt: d.ReadAt,
		})
		commit.Rows += int64(len(rows))
	}
	m, err := manifest.Assemble(plan, []*manifest.Commit{commit}, manifest.Tool{Name: "loadtest", Version: "0"})
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.WriteAll(ctx, table+"/"+manifest.ManifestName, data, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := root.WriteAll(ctx, table+"/"+manifest.SuccessName, []byte("ok\n"), nil); err != nil {
		t.Fatal(err)
	}
	return m, table
}

// ScratchStore opens the store at u (a prefix of its own in a shared
// test bucket), emptied and closed when t ends.
func ScratchStore(t testing.TB, u string) *objstore.Bucket {
	t.Helper()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		objs, _, _ := b.ListAll(context.Background(), "", "")
		for _, o := range objs {
			b.Delete(context.Background(), o.Key)
		}
		b.Close()
	})
	return b
}

// FileStore opens a store in a new temporary directory, closed when t
// ends, and returns it with its file:// URL (what a loader's --from
// takes).
func FileStore(t testing.TB) (*objstore.Bucket, string) {
	t.Helper()
	u := "file://" + t.TempDir()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, u
}
