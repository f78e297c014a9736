package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// batchMarker is the exporter's batch marker listing the dumps.
func batchMarker(t testing.TB, batch string, dumps ...*testDump) []byte {
	t.Helper()
	bs := &manifest.BatchSuccess{Format: manifest.FormatBatchSuccess, Tool: manifest.Tool{Name: "exporter", Version: "test"},
		Batch: batch, Completed: testStart.Add(time.Hour)}
	for _, d := range dumps {
		sum := sha256.Sum256(d.manifestBytes)
		bs.Dumps = append(bs.Dumps, manifest.BatchDump{Table: d.dump.Table, Timestamp: d.dump.Timestamp,
			ManifestSHA256: hex.EncodeToString(sum[:]), Rows: d.manifest.Totals.Rows, Files: d.manifest.Totals.Files, StoredBytes: d.manifest.Totals.StoredBytes})
	}
	data, err := bs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writtenAfter returns the files under dir modified after the file rel
// (file:// stores write each object to a temporary file and link it into
// place, so a file's modification time is when its bytes were written;
// the kernel's clock for it is coarse, so ties do not count).
func writtenAfter(t testing.TB, dir, rel string) []string {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	var after []string
	err = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err == nil && info.ModTime().After(fi.ModTime()) {
			after = append(after, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return after
}

// The batch marker is copied only when every dump it lists is complete
// at the destination, and then as the batch's last object, byte for
// byte; one listed dump not complete at the source keeps it back (exit
// 1, the dump named); a listed manifest checksum that the destination's
// manifest does not have is a failed verification (exit 3).
func TestShipBatchMarker(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	a := newTestDump(t, "b1", 1, 3000, 100)
	b := newTestDump(t, "b1", 2, 5000)
	c := newTestDump(t, "b1", 3, 700)
	a.write(t, src.b, true)
	b.write(t, src.b, true)
	c.write(t, src.b, false) // not complete at the source
	marker := batchMarker(t, "b1", a, b, c)
	ctx := context.Background()
	if _, err := src.b.WriteAll(ctx, "b1/_SUCCESS", marker, nil); err != nil {
		t.Fatal(err)
	}

	_, _, err := ship(t, Config{From: src.url, To: dst.url})
	if err == nil || fault.Code(err) != fault.ExitRetry || !strings.Contains(err.Error(), "not complete at the destination (ks.t3)") {
		t.Fatalf("marker with a listed dump missing: %v (exit %d), want exit 1 naming ks.t3", err, fault.Code(err))
	}
	if ok, _ := dst.b.Exists(ctx, "b1/_SUCCESS"); ok {
		t.Fatal("the batch marker was copied with a listed dump missing at the destination")
	}
	a.assertShipped(t, dst.b)

	// Only part of the batch (--table): no error, no marker yet.
	if _, _, err := ship(t, Config{From: src.url, To: dst.url, Filter: discoverTable("ks.t2")}); err != nil {
		t.Fatalf("a run shipping part of the batch: %v", err)
	}
	if ok, _ := dst.b.Exists(ctx, "b1/_SUCCESS"); ok {
		t.Fatal("the batch marker was copied by a run shipping part of the batch")
	}

	if _, err := src.b.WriteAll(ctx, c.dump.SuccessKey(), []byte("{}\n"), nil); err != nil {
		t.Fatal(err)
	}
	res, run, err := ship(t, Config{From: src.url, To: dst.url})
	if err != nil || res.Count(Shipped) != 1 || run.Counter("batch_markers_shipped") != 1 {
		t.Fatalf("after the last dump completed: %v, %+v, markers %d", err, res.Dumps, run.Counter("batch_markers_shipped"))
	}
	got, err := dst.b.ReadAll(ctx, "b1/_SUCCESS")
	if err != nil || !bytes.Equal(got, marker) {
		t.Fatalf("the destination's marker differs from the source's (%v):\n%s", err, got)
	}
	u, err := url.Parse(dst.url)
	if err != nil {
		t.Fatal(err)
	}
	if after := writtenAfter(t, u.Path, "b1/_SUCCESS"); len(after) > 0 {
		t.Fatalf("written at the destination after the batch marker: %v", after)
	}

	// A marker whose checksum the shipped manifest does not have.
	d := newTestDump(t, "b2", 1, 100)
	d.write(t, src.b, true)
	bs, err := manifest.DecodeBatchSuccess(batchMarker(t, "b2", d))
	if err != nil {
		t.Fatal(err)
	}
	bs.Dumps[0].ManifestSHA256 = strings.Repeat("0", 64)
	bad, err := bs.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.b.WriteAll(ctx, "b2/_SUCCESS", bad, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = ship(t, Config{From: src.url, To: dst.url, Filter: discover.Filter{Batch: "b2"}})
	if fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), "manifest SHA-256") {
		t.Fatalf("marker with a wrong checksum: %v (exit %d), want exit 3", err, fault.Code(err))
	}
	if ok, _ := dst.b.Exists(ctx, "b2/_SUCCESS"); ok {
		t.Fatal("a batch marker with a wrong checksum was copied")
	}
}
