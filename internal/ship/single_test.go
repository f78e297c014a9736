package ship

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/reqlog"
)

// TestShipRequestsPerFile ships a dump of small parts from the S3 server
// to the GCS server through request-logging proxies and counts what each
// part cost: one read of the source and one upload, nothing else (no
// per-file existence checks, no separate source check, no resumable
// session, no read-back of the stored object), while every byte is still
// verified (the copy is checked at rest after). Connections to the
// destination are reused: about one per transfer, not one per request.
func TestShipRequestsPerFile(t *testing.T) {
	endpoint, bucket := testenv.S3(t)
	gcsHost, _ := testenv.GCS(t)
	src := cleanStore(t, s3URLAt(t, endpoint, bucket))
	dst := gcsStore(t)
	sizes := make([]int, 16)
	for i := range sizes {
		sizes[i] = 64<<10 + i*1000
	}
	td := newTestDump(t, "b1", 1, sizes...)
	td.write(t, src.b, true)

	s3p := reqlog.Start(t, strings.TrimPrefix(endpoint, "http://"))
	gcsp := reqlog.Start(t, strings.TrimPrefix(gcsHost, "http://"))
	t.Setenv("STORAGE_EMULATOR_HOST", gcsp.Addr())
	from := strings.Replace(src.url, url.QueryEscape(endpoint), url.QueryEscape("http://"+s3p.Addr()), 1)
	const transfers = 4
	if _, _, err := ship(t, Config{From: from, To: dst.url, Transfers: transfers}); err != nil {
		t.Fatal(err)
	}
	td.assertShipped(t, dst.b)

	names := func(r reqlog.Request) string { return r.Path + " " + r.Query.Get("name") }
	for _, f := range td.manifest.Files {
		key := td.dump.Key(f.Name)
		var atSrc, atDst []string
		for _, r := range s3p.Requests() {
			if strings.HasSuffix(r.Path, "/"+key) {
				atSrc = append(atSrc, r.Method+" "+r.Path)
			}
		}
		for _, r := range gcsp.Requests() {
			if strings.Contains(names(r), "/"+key) {
				atDst = append(atDst, r.Method+" "+r.Path+" "+r.Query.Get("uploadType"))
			}
		}
		if len(atSrc) != 1 || len(atDst) != 1 {
			t.Errorf("%s: %d requests to the source %q and %d to the destination %q; want one read and one upload",
				f.Name, len(atSrc), atSrc, len(atDst), atDst)
		}
	}
	s3n, gcsn := len(s3p.Requests()), len(gcsp.Requests())
	t.Logf("%d files: %d requests to the source on %d connections, %d to the destination on %d connections",
		len(td.manifest.Files), s3n, s3p.Conns(), gcsn, gcsp.Conns())
	if max := int64(2*transfers + 2); gcsp.Conns() > max {
		t.Errorf("%d connections to the destination for %d requests, want at most %d (connections reused)", gcsp.Conns(), gcsn, max)
	}
}
