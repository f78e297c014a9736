package export_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// lostAck is a file store whose conditional creates of commits succeed
// but answer "exists", as a create does when its first answer was lost
// and the SDK's retry finds the object the first try made.
type lostAck struct {
	objstore.Driver
	n *atomic.Int64
}

type lostAckWriter struct {
	objstore.DriverWriter
	n *atomic.Int64
}

func (w lostAckWriter) Close() error {
	if err := w.DriverWriter.Close(); err != nil {
		return err
	}
	w.n.Add(1)
	return objstore.ErrExists
}

func (d lostAck) NewWriter(ctx context.Context, key string, opts objstore.WriterOptions) (objstore.DriverWriter, error) {
	w, err := d.Driver.NewWriter(ctx, key, opts)
	if err != nil || !opts.IfAbsent || !strings.Contains(key, "/_state/commits/") {
		return w, err
	}
	return lostAckWriter{w, d.n}, nil
}

var lostAcks atomic.Int64

func init() {
	objstore.Register("lostack", nil, func(ctx context.Context, loc *objstore.Location) (objstore.Driver, error) {
		b, err := objstore.Open(ctx, "file:///"+loc.Prefix)
		if err != nil {
			return nil, err
		}
		return lostAck{b.Driver(), &lostAcks}, nil
	})
}

// A commit whose create answered "exists" although it was this attempt's
// own is read back and counted as won: no unit is lost or redone.
func TestExportCommitLostAnswer(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 500, 4, 0)
	dir := t.TempDir()
	before := lostAcks.Load()
	res, err := runExport(t, export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: "lostack://b" + dir, Batch: "ack", Splits: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := lostAcks.Load() - before; got != int64(res.Units) {
		t.Fatalf("%d lost answers for %d units", got, res.Units)
	}
	if res.Lost != 0 || res.Committed != res.Units || !res.Complete {
		t.Fatalf("result %+v: want every unit won", res)
	}
	d := readDump(t, openRoot(t, "file://"+dir), res.Dump)
	compareKeys(t, d.keys, sourceKeys(t, s, ks, "kv", []string{"p", "c"}))
	if d.m.Totals.Rows != int64(n) {
		t.Fatalf("%d rows, want %d", d.m.Totals.Rows, n)
	}
}

// Finishing is idempotent: killed after manifest.json but before
// _SUCCESS, the next run writes the same manifest, deletes stray parts and
// writes _SUCCESS.
func TestExportFinishAgain(t *testing.T) {
	s := cqltest.Session(t)
	ks, _ := kvTable(t, s, 300, 3, 0)
	dest := fileDest(t)
	cfg := export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: dest, Batch: "fin"}
	res, err := runExport(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := openRoot(t, dest)
	ctx := context.Background()
	m1, err := root.ReadAll(ctx, res.Dump+"/"+manifest.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Delete(ctx, res.Dump+"/"+manifest.SuccessName); err != nil {
		t.Fatal(err)
	}
	stray := res.Dump + "/" + manifest.PartName(res.Manifest.Files[0].Unit, "0badcafe", 0, manifest.ExtZstd)
	if _, err := root.WriteAll(ctx, stray, []byte("stray"), nil); err != nil {
		t.Fatal(err)
	}
	again, err := runExport(t, cfg)
	if err != nil || !again.Complete || again.AlreadyComplete || again.Committed != 0 {
		t.Fatalf("second run %+v, %v: want it to finish the dump without exporting", again, err)
	}
	m2, err := root.ReadAll(ctx, res.Dump+"/"+manifest.ManifestName)
	if err != nil || string(m1) != string(m2) {
		t.Fatalf("manifest changed on finishing again (%v)", err)
	}
	if ok, _ := root.Exists(ctx, stray); ok {
		t.Error("stray part not deleted")
	}
	readDump(t, root, res.Dump)
}
