package ship

import (
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

// TestShipBetweenStores ships two dumps (about 25 MB, parts up to 12 MB,
// uploaded in 5 MiB chunks) in every direction between the real servers,
// then checks the destination at rest.
func TestShipBetweenStores(t *testing.T) {
	cases := []struct {
		name       string
		src, dst   func(t testing.TB) store
		serverSide bool
	}{
		{"s3 to gcs", func(t testing.TB) store { return s3Store(t, "") }, gcsStore, false},
		{"gcs to s3", gcsStore, func(t testing.TB) store { return s3Store(t, "") }, false},
		{"file to s3", func(t testing.TB) store { return fileStore(t) }, func(t testing.TB) store { return s3Store(t, "") }, false},
		{"s3 to file", func(t testing.TB) store { return s3Store(t, "") }, func(t testing.TB) store { return fileStore(t) }, false},
		{"s3 to s3", func(t testing.TB) store { return s3Store(t, "") }, func(t testing.TB) store { return s3Store(t, secondS3Bucket) }, true},
		{"gcs to gcs", gcsStore, gcsStore, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := tc.src(t), tc.dst(t)
			a := newTestDump(t, "b1", 1, 12<<20, 5<<20+1, 1000, 0)
			b := newTestDump(t, "b1", 2, 7<<20, 64<<10)
			a.write(t, src.b, true)
			b.write(t, src.b, true)

			res, run, err := ship(t, Config{From: src.url, To: dst.url, PartSize: 5 << 20, Transfers: 3, MaxMemory: 48 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if res.Count(Shipped) != 2 {
				t.Fatalf("outcomes %+v", res.Dumps)
			}
			a.assertShipped(t, dst.b)
			b.assertShipped(t, dst.b)
			total := int64(12<<20 + 5<<20 + 1 + 1000 + 7<<20 + 64<<10)
			if got := run.Counter("bytes"); got != total {
				t.Errorf("bytes = %d, want %d", got, total)
			}
			wantServer := int64(0)
			if tc.serverSide {
				wantServer = 6
			}
			if got := run.Counter("files_server_side"); got != wantServer {
				t.Errorf("files_server_side = %d, want %d", got, wantServer)
			}

			// At rest, by store checksums and by re-reading every byte.
			for _, full := range []bool{false, true} {
				cr, err := Check(context.Background(), CheckConfig{URL: dst.url, Full: full}, testLogger(t), report.New("shipper"))
				if err != nil || cr.Checked != 2 || cr.Files != 6 || len(cr.Problems) != 0 {
					t.Fatalf("check (full %v): %v %+v", full, err, cr)
				}
			}

			// A second run has nothing to do.
			res, run, err = ship(t, Config{From: src.url, To: dst.url})
			if err != nil || len(res.Dumps) != 0 || run.Counter("bytes") != 0 {
				t.Fatalf("second run: %v %+v", err, res.Dumps)
			}
		})
	}
}

// TestShipServerSideFullVerify re-reads server-side copies.
func TestShipServerSideFullVerify(t *testing.T) {
	src, dst := s3Store(t, ""), s3Store(t, secondS3Bucket)
	td := newTestDump(t, "b1", 1, 6<<20, 1000)
	td.write(t, src.b, true)
	_, run, err := ship(t, Config{From: src.url, To: dst.url, FullVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	td.assertShipped(t, dst.b)
	if run.Counter("files_server_side") != 2 {
		t.Fatalf("files_server_side = %d", run.Counter("files_server_side"))
	}
}

// TestShipBadSourceOnS3 runs the refusals against a real store: a part
// changed in place (same size) is caught by the store's checksum before
// any byte moves.
func TestShipBadSourceOnS3(t *testing.T) {
	src, dst := s3Store(t, ""), gcsStore(t)
	td := newTestDump(t, "b1", 1, 6<<20, 2000)
	td.write(t, src.b, true)
	f := td.manifest.Files[0]
	data := append([]byte(nil), td.parts[f.Name]...)
	data[3<<20] ^= 0x01
	if _, err := src.b.WriteAll(context.Background(), td.dump.Key(f.Name), data, nil); err != nil {
		t.Fatal(err)
	}
	_, run, err := ship(t, Config{From: src.url, To: dst.url})
	if fault.Code(err) != fault.ExitVerify || !strings.Contains(err.Error(), f.Name) || !strings.Contains(err.Error(), f.CRC32C) {
		t.Fatalf("exit %d: %v", fault.Code(err), err)
	}
	td.assertNotMarked(t, dst.b)
	if ok, _ := dst.b.Exists(context.Background(), td.dump.Key(f.Name)); ok {
		t.Fatal("the damaged part reached the destination")
	}
	if run.Counter("dumps_failed") != 1 {
		t.Errorf("dumps_failed = %d", run.Counter("dumps_failed"))
	}
}

// TestCheckFindsProblems damages a shipped dump at rest.
func TestCheckFindsProblems(t *testing.T) {
	st := s3Store(t, "")
	td := newTestDump(t, "b1", 1, 1000, 2000, 3000)
	td.write(t, st.b, true)
	ok := newTestDump(t, "b1", 2, 1000)
	ok.write(t, st.b, true)
	inc := newTestDump(t, "b2", 1, 1000)
	inc.write(t, st.b, false)
	ctx := context.Background()

	cr, err := Check(ctx, CheckConfig{URL: st.url}, testLogger(t), nil)
	if err != nil || cr.Checked != 2 || cr.Incomplete != 1 {
		t.Fatalf("intact: %v %+v", err, cr)
	}

	f0, f1 := td.manifest.Files[0], td.manifest.Files[1]
	if err := st.b.Delete(ctx, td.dump.Key(f0.Name)); err != nil {
		t.Fatal(err)
	}
	same := append([]byte(nil), td.parts[f1.Name]...)
	same[10] ^= 0xff
	if _, err := st.b.WriteAll(ctx, td.dump.Key(f1.Name), same, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.b.WriteAll(ctx, td.dump.Key("part-stray.ndjson.zst"), []byte("stray"), nil); err != nil {
		t.Fatal(err)
	}
	for _, full := range []bool{false, true} {
		cr, err = Check(ctx, CheckConfig{URL: st.url, Full: full}, testLogger(t), nil)
		if fault.Code(err) != fault.ExitVerify {
			t.Fatalf("exit %d: %v", fault.Code(err), err)
		}
		kinds := map[ProblemKind]string{}
		for _, p := range cr.Problems {
			kinds[p.Kind] = p.Key
		}
		want := map[ProblemKind]string{
			Missing:  td.dump.Key(f0.Name),
			Corrupt:  td.dump.Key(f1.Name),
			Unlisted: td.dump.Key("part-stray.ndjson.zst"),
		}
		if len(cr.Problems) != 3 || kinds[Missing] != want[Missing] || kinds[Corrupt] != want[Corrupt] || kinds[Unlisted] != want[Unlisted] {
			t.Fatalf("full %v: problems %+v", full, cr.Problems)
		}
	}

	// A bad manifest is a problem too.
	if _, err := st.b.WriteAll(ctx, ok.dump.ManifestKey(), []byte(`{"format":"lading/v1"}`), nil); err != nil {
		t.Fatal(err)
	}
	cr, err = Check(ctx, CheckConfig{URL: st.url, Filter: discoverTable("ks.t2")}, testLogger(t), nil)
	if fault.Code(err) != fault.ExitVerify || len(cr.Problems) != 1 || cr.Problems[0].Kind != BadManifest {
		t.Fatalf("bad manifest: %v %+v", err, cr.Problems)
	}
}
