package ship

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// store is an opened root for a test and its URL.
type store struct {
	url string
	b   *objstore.Bucket
}

func openStore(t testing.TB, u string) store {
	t.Helper()
	b, err := objstore.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return store{url: u, b: b}
}

// openShipper opens a shipper on cfg (with its defaults), its stores
// closed when t ends, for tests that wrap its source before running it.
func openShipper(t testing.TB, cfg Config, logger *slog.Logger, run *report.Run) *shipper {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(context.Background(), cfg, logger, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.from.Close()
		s.to.Close()
	})
	return s
}

func fileStore(t testing.TB) store { return openStore(t, fileURL(t.TempDir())) }

// fastRetry keeps tests of failures quick.
var fastRetry = throttle.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 4}

func ship(t testing.TB, cfg Config) (Result, *report.Run, error) {
	t.Helper()
	if cfg.Retry == (throttle.Backoff{}) {
		cfg.Retry = fastRetry
	}
	run := report.New("shipper")
	res, err := Run(context.Background(), cfg, testLogger(t), run)
	return res, run, err
}

func TestShipFileToFile(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	a := newTestDump(t, "b1", 1, 3<<20, 100, 0, 1<<20)
	b := newTestDump(t, "b1", 2, 5000)
	inc := newTestDump(t, "b2", 1, 10)
	a.write(t, src.b, true)
	b.write(t, src.b, true)
	inc.write(t, src.b, false)

	res, run, err := ship(t, Config{From: src.url, To: dst.url})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Shipped) != 2 || len(res.Dumps) != 2 {
		t.Fatalf("results: %+v", res.Dumps)
	}
	a.assertShipped(t, dst.b)
	b.assertShipped(t, dst.b)
	inc.assertNotMarked(t, dst.b)
	if got := run.Counter("files_copied"); got != 5 {
		t.Errorf("files_copied = %d, want 5", got)
	}
	wantBytes := int64(3<<20 + 100 + 1<<20 + 5000)
	if got := run.Counter("bytes"); got != wantBytes {
		t.Errorf("bytes = %d, want %d", got, wantBytes)
	}
	if tot, _ := run.Total("bytes"); tot != wantBytes {
		t.Errorf("total bytes = %d, want %d", tot, wantBytes)
	}

	// The note in _SUCCESS.
	data, err := dst.b.ReadAll(context.Background(), a.dump.SuccessKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format": "lading/shipped/v1"`, `"files": 4`, `"stored_bytes": 4194404`, `"source": "file:///`, a.dump.Prefix} {
		if !strings.Contains(string(data), want) {
			t.Errorf("_SUCCESS lacks %s:\n%s", want, data)
		}
	}

	// Nothing due now: exit 0, nothing copied.
	res, run, err = ship(t, Config{From: src.url, To: dst.url})
	if err != nil || len(res.Dumps) != 0 || run.Counter("files_copied") != 0 {
		t.Fatalf("second run: %v %+v copied %d", err, res.Dumps, run.Counter("files_copied"))
	}
}

func TestShipCopiesOnlyWhatIsMissing(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1000, 2000, 3000, 4000)
	td.write(t, src.b, true)
	// A previous run left two intact files, one damaged one and no marker.
	names := []string{td.manifest.Files[0].Name, td.manifest.Files[1].Name, td.manifest.Files[2].Name}
	ctx := context.Background()
	for _, n := range names[:2] {
		if _, err := dst.b.WriteAll(ctx, td.dump.Key(n), td.parts[n], nil); err != nil {
			t.Fatal(err)
		}
	}
	bad := append([]byte(nil), td.parts[names[2]]...)
	bad[7] ^= 1
	if _, err := dst.b.WriteAll(ctx, td.dump.Key(names[2]), bad, nil); err != nil {
		t.Fatal(err)
	}

	res, run, err := ship(t, Config{From: src.url, To: dst.url, Filter: discover.Filter{Table: "ks.t1"}})
	if err != nil {
		t.Fatal(err)
	}
	td.assertShipped(t, dst.b)
	if got := run.Counter("files_skipped"); got != 2 {
		t.Errorf("files_skipped = %d, want 2", got)
	}
	if got := run.Counter("files_copied"); got != 2 {
		t.Errorf("files_copied = %d, want 2", got)
	}
	if got := run.Counter("bytes"); got != 7000 {
		t.Errorf("bytes = %d, want 7000 (the damaged and the missing file)", got)
	}
	r := res.Dumps[0]
	if r.FilesSkipped != 2 || r.FilesCopied != 2 || r.BytesSkipped != 3000 || r.BytesCopied != 7000 {
		t.Errorf("dump result %+v", r)
	}
}

// corrupt describes a damaged source dump and the exit code it must get.
type corrupt struct {
	name   string
	damage func(t *testing.T, src *objstore.Bucket, td *testDump)
	code   int
	want   []string // in the error text
}

func TestShipRefusesBadSource(t *testing.T) {
	ctx := context.Background()
	cases := []corrupt{
		{"flipped byte", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			f := td.manifest.Files[1]
			data := append([]byte(nil), td.parts[f.Name]...)
			data[len(data)/2] ^= 0x40
			if _, err := src.WriteAll(ctx, td.dump.Key(f.Name), data, nil); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitVerify, []string{"crc32c manifest", "source"}},
		{"truncated part", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			f := td.manifest.Files[1]
			if _, err := src.WriteAll(ctx, td.dump.Key(f.Name), td.parts[f.Name][:100], nil); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitVerify, []string{"size manifest 20000, source 100", "crc32c manifest"}},
		{"longer part", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			f := td.manifest.Files[1]
			if _, err := src.WriteAll(ctx, td.dump.Key(f.Name), append(append([]byte(nil), td.parts[f.Name]...), 'x'), nil); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitVerify, []string{"size manifest 20000, source 20001"}},
		{"missing part", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			if err := src.Delete(ctx, td.dump.Key(td.manifest.Files[1].Name)); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitVerify, []string{"missing at the source"}},
		{"manifest naming ../x", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			data := strings.Replace(string(td.manifestBytes), td.manifest.Files[1].Name, "../x", 1)
			if _, err := src.WriteAll(ctx, td.dump.ManifestKey(), []byte(data), nil); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitUsage, []string{"bad manifest.json", "files[1].name"}},
		{"manifest of another dump", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			data := strings.Replace(string(td.manifestBytes), `"timestamp": "20261122T154530Z"`, `"timestamp": "20261122T154531Z"`, 1)
			if _, err := src.WriteAll(ctx, td.dump.ManifestKey(), []byte(data), nil); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitUsage, []string{"timestamp", "20261122T154531Z"}},
		{"no manifest", func(t *testing.T, src *objstore.Bucket, td *testDump) {
			if err := src.Delete(ctx, td.dump.ManifestKey()); err != nil {
				t.Fatal(err)
			}
		}, fault.ExitVerify, []string{"no manifest.json"}},
	}
	// To file://, each file is a chunked write; to GCS, a single request.
	dests := []struct {
		name string
		open func(testing.TB) store
	}{{"to file", fileStore}, {"to gcs", gcsStore}}
	for _, dest := range dests {
		for _, tc := range cases {
			t.Run(dest.name+"/"+tc.name, func(t *testing.T) {
				refusesBadSource(t, tc, dest.open(t))
			})
		}
	}
}

// refusesBadSource ships a dump damaged by tc and a good one to dst: the
// bad one fails as tc says, with nothing of the bad file stored.
func refusesBadSource(t *testing.T, tc corrupt, dst store) {
	ctx := context.Background()
	src := fileStore(t)
	bad := newTestDump(t, "b1", 1, 10000, 20000, 30000)
	good := newTestDump(t, "b1", 2, 5000, 6000)
	bad.write(t, src.b, true)
	good.write(t, src.b, true)
	tc.damage(t, src.b, bad)

	res, _, err := ship(t, Config{From: src.url, To: dst.url})
	if code := fault.Code(err); code != tc.code {
		t.Fatalf("exit code %d, want %d; err: %v", code, tc.code, err)
	}
	for _, w := range append(tc.want, bad.dump.Prefix) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	bad.assertNotMarked(t, dst.b)
	good.assertShipped(t, dst.b)
	if res.Count(Failed) != 1 || res.Count(Shipped) != 1 {
		t.Errorf("outcomes: %+v", res.Dumps)
	}
	// Nothing of the bad file reached the destination.
	f := bad.manifest.Files[1]
	if ok, _ := dst.b.Exists(ctx, bad.dump.Key(f.Name)); ok && tc.code == fault.ExitVerify {
		t.Errorf("%s exists at the destination", f.Name)
	}
}

func TestShipErrorNamesBothChecksums(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 4096)
	td.write(t, src.b, true)
	f := td.manifest.Files[0]
	data := append([]byte(nil), td.parts[f.Name]...)
	data[0] ^= 1
	if _, err := src.b.WriteAll(context.Background(), td.dump.Key(f.Name), data, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err := ship(t, Config{From: src.url, To: dst.url})
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("want a *MismatchError, got %v", err)
	}
	if me.Key != td.dump.Key(f.Name) || me.WantCRC32C != f.CRC32C || me.GotCRC32C == "" || me.GotCRC32C == f.CRC32C {
		t.Fatalf("mismatch %+v", me)
	}
	if !strings.Contains(err.Error(), me.GotCRC32C) || !strings.Contains(err.Error(), f.CRC32C) || !strings.Contains(err.Error(), f.Name) {
		t.Fatalf("error does not name the file and both checksums: %v", err)
	}
}

func TestShipDryRun(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1000, 2000)
	td.write(t, src.b, true)
	res, run, err := ship(t, Config{From: src.url, To: dst.url, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dumps) != 1 || res.Dumps[0].Outcome != WouldShip || res.Dumps[0].Files != 2 || res.Dumps[0].Bytes != 3000 {
		t.Fatalf("dry run: %+v", res.Dumps)
	}
	objs, _, err := dst.b.ListAll(context.Background(), "", "")
	if err != nil || len(objs) != 0 || run.Counter("bytes") != 0 {
		t.Fatalf("dry run wrote %v (%v), bytes %d", objs, err, run.Counter("bytes"))
	}
}

func TestShipOneDumpURL(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	a := newTestDump(t, "b1", 1, 1000)
	b := newTestDump(t, "b1", 2, 1000)
	a.write(t, src.b, true)
	b.write(t, src.b, true)
	res, _, err := ship(t, Config{From: src.url + "/" + b.dump.Prefix, To: dst.url})
	if err != nil || len(res.Dumps) != 1 || res.Dumps[0].Dump.Prefix != b.dump.Prefix {
		t.Fatalf("%v %+v", err, res.Dumps)
	}
	b.assertShipped(t, dst.b)
	a.assertNotMarked(t, dst.b)

	// The destination may name the same dump; a different one is refused.
	if _, _, err := ship(t, Config{From: src.url + "/" + a.dump.Prefix, To: dst.url + "/" + a.dump.Prefix}); err != nil {
		t.Fatal(err)
	}
	a.assertShipped(t, dst.b)
	_, _, err = ship(t, Config{From: src.url + "/" + a.dump.Prefix, To: dst.url + "/" + b.dump.Prefix})
	if fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), "contradicts") {
		t.Fatalf("mismatched dump URLs: %v", err)
	}
}

func TestShipUsageErrors(t *testing.T) {
	src := fileStore(t)
	for _, cfg := range []Config{
		{From: src.url},
		{From: src.url, To: src.url},
		{From: src.url, To: src.url + "/backup"},
		{From: src.url + "/x", To: src.url},
		{From: src.url, To: fileURL(t.TempDir()), Transfers: -1},
		{From: src.url, To: fileURL(t.TempDir()), MaxMemory: 1 << 20},
		{From: src.url, To: fileURL(t.TempDir()), Filter: discover.Filter{Table: "nodot"}},
		{From: "nosuch://x", To: fileURL(t.TempDir())},
	} {
		if _, _, err := ship(t, cfg); fault.Code(err) != fault.ExitUsage {
			t.Errorf("%+v: exit %d (%v), want 2", cfg, fault.Code(err), err)
		}
	}
}

func TestTwoShippersOneDump(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1<<20, 1<<20, 1<<20, 1<<20, 1<<20, 1<<20)
	td.write(t, src.b, true)
	var wg sync.WaitGroup
	results := make([]Result, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _, errs[i] = ship(t, Config{From: src.url, To: dst.url, Transfers: 2})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shipper %d: %v", i, err)
		}
	}
	td.assertShipped(t, dst.b)
	marked := 0
	for _, r := range results {
		for _, d := range r.Dumps {
			if d.Outcome == Shipped {
				marked++
			}
		}
	}
	// Either both found it due and one marked it first, or the second
	// found it already shipped: never two markers, never an error.
	if marked != 1 {
		t.Errorf("%d shippers wrote _SUCCESS, want exactly 1: %+v", marked, results)
	}
}

func TestShipStaleDestinationMarkerIgnoredUntilComplete(t *testing.T) {
	// A destination that already says complete is not touched: _SUCCESS is
	// only trusted as the end of a verified copy.
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1000)
	td.write(t, src.b, true)
	if _, err := dst.b.WriteAll(context.Background(), td.dump.SuccessKey(), []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	res, _, err := ship(t, Config{From: src.url, To: dst.url})
	if err != nil || len(res.Dumps) != 0 {
		t.Fatalf("%v %+v", err, res.Dumps)
	}
}

func TestShipDeleteSource(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1000, 2000)
	td.write(t, src.b, true)
	other := newTestDump(t, "b1", 2, 1000)
	other.write(t, src.b, false)
	res, run, err := ship(t, Config{From: src.url, To: dst.url, DeleteSource: true, FullVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(SourceDeleted) != 1 || run.Counter("dumps_source_deleted") != 1 {
		t.Fatalf("outcomes %+v", res.Dumps)
	}
	td.assertShipped(t, dst.b)
	objs, _, err := src.b.ListAll(context.Background(), td.dump.Prefix+"/", "")
	if err != nil || len(objs) != 0 {
		t.Fatalf("source left: %v %v", objs, err)
	}
	if ok, _ := src.b.Exists(context.Background(), other.dump.ManifestKey()); !ok {
		t.Fatal("an incomplete dump's source was deleted")
	}
	// The batch keeps a note that its dump of the table was deleted, so
	// that the exporter does not write another one under its path.
	data, err := src.b.ReadAll(context.Background(), manifest.DeletedKey(td.dump.Batch, td.dump.Table))
	if err != nil {
		t.Fatal(err)
	}
	n, err := manifest.DecodeDeletedDump(data)
	if err != nil || n.Timestamp != td.dump.Timestamp || n.ShippedTo != dst.b.Location().Join(td.dump.Prefix).String() {
		t.Fatalf("deleted-dump note %+v: %v", n, err)
	}
}

func TestShipDeleteSourceRefusesBadCopy(t *testing.T) {
	// A dump shipped earlier whose copy was damaged since: the source stays.
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1000, 2000)
	td.write(t, src.b, true)
	if _, _, err := ship(t, Config{From: src.url, To: dst.url}); err != nil {
		t.Fatal(err)
	}
	f := td.manifest.Files[0]
	if err := dst.b.Delete(context.Background(), td.dump.Key(f.Name)); err != nil {
		t.Fatal(err)
	}
	_, _, err := ship(t, Config{From: src.url, To: dst.url, DeleteSource: true})
	if fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), "source kept") {
		t.Fatalf("want exit 3 and the source kept: %v", err)
	}
	if ok, _ := src.b.Exists(context.Background(), td.dump.SuccessKey()); !ok {
		t.Fatal("source deleted although the copy is damaged")
	}
}

func TestShipBandwidthLimit(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	td := newTestDump(t, "b1", 1, 1<<20, 1<<20, 1<<20)
	td.write(t, src.b, true)
	start := time.Now()
	if _, _, err := ship(t, Config{From: src.url, To: dst.url, BWLimit: 2 << 20}); err != nil {
		t.Fatal(err)
	}
	// 3 MiB at 2 MiB/s with a 256 KiB burst cannot take less than ~1.4s,
	// however fast the machine.
	if el := time.Since(start); el < 1300*time.Millisecond {
		t.Fatalf("3 MiB at 2 MiB/s took %s", el)
	}
	td.assertShipped(t, dst.b)
}

func TestShipWatch(t *testing.T) {
	src, dst := fileStore(t), fileStore(t)
	first := newTestDump(t, "b1", 1, 1000)
	first.write(t, src.b, true)
	later := newTestDump(t, "b2", 1, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var res Result
	var err error
	go func() {
		defer close(done)
		res, err = Run(ctx, Config{From: src.url, To: dst.url, Watch: true, Interval: time.Second}, nil, nil)
	}()
	waitFor(t, func() bool { ok, _ := dst.b.Exists(ctx, first.dump.SuccessKey()); return ok })
	later.write(t, src.b, true)
	waitFor(t, func() bool { ok, _ := dst.b.Exists(ctx, later.dump.SuccessKey()); return ok })
	cancel()
	<-done
	if err != nil || res.Passes < 2 || res.Count(Shipped) != 2 {
		t.Fatalf("watch: %v passes %d %+v", err, res.Passes, res.Dumps)
	}
	later.assertShipped(t, dst.b)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// archived pretends every part of the source is in an archive class.
type archived struct{ objstore.Driver }

func (a archived) Attributes(ctx context.Context, key string) (objstore.Attrs, error) {
	at, err := a.Driver.Attributes(ctx, key)
	if err == nil && strings.Contains(key, "part-") {
		at.Archived, at.StorageClass = true, "DEEP_ARCHIVE"
	}
	return at, err
}

// NewRangeReader refuses the parts, as S3 refuses to read an archived
// object (403 InvalidObjectState).
func (a archived) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if strings.Contains(key, "part-") {
		return nil, fmt.Errorf("get %s: %w (InvalidObjectState, test)", key, objstore.ErrPermission)
	}
	return a.Driver.NewRangeReader(ctx, key, off, n)
}

// TestShipArchivedSource: an archived source part stops the dump with a
// usage error saying it must be restored, whether the copy checks the
// source first (to file://) or finds out when the read is refused (a
// single-request copy to GCS).
func TestShipArchivedSource(t *testing.T) {
	for _, dest := range []string{"file", "gcs"} {
		t.Run(dest, func(t *testing.T) {
			src, dst := fileStore(t), fileStore(t)
			if dest == "gcs" {
				dst = gcsStore(t)
			}
			td := newTestDump(t, "b1", 1, 1000)
			td.write(t, src.b, true)
			s := openShipper(t, Config{From: src.url, To: dst.url, Retry: fastRetry}, nilLogger(), nil)
			s.c.src = objstore.NewBucket(archived{s.c.src.Driver()}, s.c.src.Location())
			_, err := s.loop(context.Background())
			if fault.Code(err) != fault.ExitUsage || !strings.Contains(err.Error(), "DEEP_ARCHIVE") || !strings.Contains(err.Error(), "must be restored") {
				t.Fatalf("archived source: exit %d: %v", fault.Code(err), err)
			}
			td.assertNotMarked(t, dst.b)
		})
	}
}

func TestUploadFitsBudget(t *testing.T) {
	for _, tc := range []struct {
		mem       int64
		transfers int
		size      int64
	}{
		{64 << 20, 4, 100 << 20}, {64 << 20, 1, 100 << 20}, {8 << 20, 4, 10 << 20}, {1 << 30, 4, 1 << 30},
		{64 << 20, 4, 200 << 30},
	} {
		cfg := Config{MaxMemory: tc.mem, Transfers: tc.transfers}
		u := uploadFor(cfg, tc.size)
		if u.partSize < minPartSize || u.partSize%mib != 0 || u.concurrency < 1 || u.concurrency > maxConcurrency {
			t.Errorf("%+v: %+v", tc, u)
		}
		if (tc.size+u.partSize-1)/u.partSize > maxParts {
			t.Errorf("%+v: %d-byte parts need too many parts", tc, u.partSize)
		}
		if share := tc.mem / int64(tc.transfers); share >= copyBufSize+3*minPartSize && tc.size < 10<<30 && u.memory() > share {
			t.Errorf("%+v: transfer holds %d, over its share %d", tc, u.memory(), share)
		}
	}
}
