package discover

import (
	"context"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/lading-dev/lading/pkg/objstore"
)

// listRecorder wraps a real driver and records every listing, so tests can
// prove discovery never lists inside a dump.
type listRecorder struct {
	objstore.Driver
	mu    sync.Mutex
	lists []string // "prefix|delimiter"
}

func (r *listRecorder) ListPage(ctx context.Context, prefix, delimiter, token string, size int) (objstore.Page, error) {
	r.mu.Lock()
	r.lists = append(r.lists, prefix+"|"+delimiter)
	r.mu.Unlock()
	return r.Driver.ListPage(ctx, prefix, delimiter, token, size)
}

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// layout writes objects (with small contents) below a fresh directory and
// returns its URL.
func layout(t *testing.T, keys ...string) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	b, err := objstore.Open(ctx, fileURL(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, k := range keys {
		if _, err := b.WriteAll(ctx, k, []byte("x"), nil); err != nil {
			t.Fatalf("write %s: %v", k, err)
		}
	}
	return fileURL(dir)
}

var sampleKeys = []string{
	"_state/loads/x/ledger.json",
	"README.txt",
	"b1/ks.a/20260101T000000Z/manifest.json",
	"b1/ks.a/20260101T000000Z/_SUCCESS",
	"b1/ks.a/20260101T000000Z/part-0-a-0.ndjson.zst",
	"b1/ks.a/_state/dump.json",
	"b1/ks.b/20260102T000000Z/part-0-a-0.ndjson.zst",
	"b1/ks.b/20260102T000000Z/_state/plan.json",
	"b1/ks.b/not-a-timestamp/x",
	"b1/notatable/20260101T000000Z/_SUCCESS",
	"b2/ks.a/20251231T000000Z/_SUCCESS",
	"b2/ks.a/20251231T000000Z/manifest.json",
	"b2/ks.a/20260301T120000Z/_SUCCESS",
	"_hidden/ks.a/20260101T000000Z/_SUCCESS",
	"bad batch/ks.a/20260101T000000Z/_SUCCESS",
}

func open(t *testing.T, u string, opts *OpenOptions) (*Root, *listRecorder) {
	t.Helper()
	r, err := Open(context.Background(), u, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	rec := &listRecorder{Driver: r.Bucket.Driver()}
	r.Bucket = objstore.NewBucket(rec, r.Bucket.Location())
	return r, rec
}

func names(ds []Dump) []string {
	var out []string
	for _, d := range ds {
		s := d.Prefix
		if d.Complete {
			s += " complete"
		}
		out = append(out, s)
	}
	return out
}

func TestFind(t *testing.T) {
	u := layout(t, sampleKeys...)
	tests := []struct {
		name   string
		filter Filter
		want   []string
	}{
		{"all", Filter{}, []string{
			"b2/ks.a/20251231T000000Z complete",
			"b1/ks.a/20260101T000000Z complete",
			"b2/ks.a/20260301T120000Z complete",
			"b1/ks.b/20260102T000000Z",
		}},
		{"batch", Filter{Batch: "b1"}, []string{"b1/ks.a/20260101T000000Z complete", "b1/ks.b/20260102T000000Z"}},
		{"table", Filter{Table: "ks.a"}, []string{
			"b2/ks.a/20251231T000000Z complete",
			"b1/ks.a/20260101T000000Z complete",
			"b2/ks.a/20260301T120000Z complete",
		}},
		{"timestamp", Filter{Timestamp: "20260301T120000Z"}, []string{"b2/ks.a/20260301T120000Z complete"}},
		{"batch and table", Filter{Batch: "b2", Table: "ks.a"}, []string{"b2/ks.a/20251231T000000Z complete", "b2/ks.a/20260301T120000Z complete"}},
		{"no such batch", Filter{Batch: "b9"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, rec := open(t, u, nil)
			if r.Dump != nil {
				t.Fatalf("root URL taken for a dump: %+v", r.Dump)
			}
			got, err := r.Find(context.Background(), tc.filter, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names(got), tc.want) {
				t.Fatalf("got %q\nwant %q", names(got), tc.want)
			}
			for _, l := range rec.lists {
				prefix, delim, _ := strings.Cut(l, "|")
				if delim != "/" {
					t.Errorf("listing without delimiter: %q", l)
				}
				if strings.Count(prefix, "/") > 2 {
					t.Errorf("listed inside a dump: %q", prefix)
				}
			}
		})
	}
}

func TestFindDumpFields(t *testing.T) {
	u := layout(t, "b1/ks.a/20260101T000000Z/_SUCCESS")
	r, _ := open(t, u, nil)
	got, err := r.Find(context.Background(), Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Dump{{Batch: "b1", Table: "ks.a", Timestamp: "20260101T000000Z", Prefix: "b1/ks.a/20260101T000000Z", Complete: true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if k := got[0].SuccessKey(); k != "b1/ks.a/20260101T000000Z/_SUCCESS" {
		t.Errorf("SuccessKey = %q", k)
	}
	if k := got[0].ManifestKey(); k != "b1/ks.a/20260101T000000Z/manifest.json" {
		t.Errorf("ManifestKey = %q", k)
	}
}

func TestFilterValidate(t *testing.T) {
	bad := []Filter{
		{Batch: "_state"}, {Batch: "a/b"}, {Table: "nodot"}, {Table: "ks.t-x"},
		{Timestamp: "2026-01-01T00:00:00Z"}, {Timestamp: "20261399T000000Z"},
	}
	for _, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
	r, err := Open(context.Background(), layout(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Find(context.Background(), Filter{Table: "bad"}, nil); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("Find with a bad filter: %v", err)
	}
}

func TestOpenDumpURL(t *testing.T) {
	u := layout(t, sampleKeys...)
	r, rec := open(t, u+"/b2/ks.a/20251231T000000Z", nil)
	if r.Dump == nil || r.Dump.Prefix != "b2/ks.a/20251231T000000Z" {
		t.Fatalf("dump URL not recognised: %+v", r.Dump)
	}
	wantRoot, _ := objstore.ParseURL(u)
	if r.Bucket.Location().Prefix != wantRoot.Prefix {
		t.Fatalf("root %q, want %q", r.Bucket.Location().Prefix, wantRoot.Prefix)
	}
	got, err := r.Find(context.Background(), Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"b2/ks.a/20251231T000000Z complete"}; !reflect.DeepEqual(names(got), want) {
		t.Fatalf("got %q, want %q", names(got), want)
	}
	for _, l := range rec.lists {
		if l != "b2/ks.a/|/" {
			t.Errorf("unexpected listing %q for one dump", l)
		}
	}
	if _, err := r.Find(context.Background(), Filter{Table: "ks.b"}, nil); err == nil || !strings.Contains(err.Error(), "contradicts") {
		t.Errorf("contradicting --table: %v", err)
	}
	if got, err := r.Find(context.Background(), Filter{Batch: "b2"}, nil); err != nil || len(got) != 1 {
		t.Errorf("agreeing --batch: %v %v", got, err)
	}
}

func TestOpenProbe(t *testing.T) {
	u := layout(t, "weird/manifest.json", "weird/part-0", "plain/x/y")
	_, err := Open(context.Background(), u+"/weird", &OpenOptions{Probe: true})
	if !errors.Is(err, objstore.ErrBadURL) || !strings.Contains(err.Error(), "manifest.json") {
		t.Fatalf("misnamed dump: %v", err)
	}
	r, err := Open(context.Background(), u+"/weird", nil)
	if err != nil || r.Dump != nil {
		t.Fatalf("without probe: %v %+v", err, r)
	}
	r.Close()
	r, err = Open(context.Background(), u+"/plain", &OpenOptions{Probe: true})
	if err != nil || r.Dump != nil {
		t.Fatalf("plain root: %v %+v", err, r)
	}
	r.Close()
}

func TestDumpAt(t *testing.T) {
	for raw, want := range map[string]bool{
		"file:///x/b/ks.t/20260101T000000Z":     true,
		"s3://bkt/b/ks.t/20260101T000000Z":      true,
		"s3://bkt/p/q/b/ks.t/20260101T000000Z":  true,
		"s3://bkt/ks.t/20260101T000000Z":        false,
		"s3://bkt/b/kst/20260101T000000Z":       false,
		"s3://bkt/b/ks.t/20260101":              false,
		"s3://bkt/_state/ks.t/20260101T000000Z": false,
		"gs://bkt":                              false,
	} {
		loc, err := objstore.ParseURL(raw)
		if err != nil {
			if strings.HasPrefix(raw, "file") {
				t.Fatal(err)
			}
			continue // backend not registered in this build
		}
		if _, ok := DumpAt(loc); ok != want {
			t.Errorf("DumpAt(%s) = %v, want %v", raw, ok, want)
		}
	}
}

func TestSort(t *testing.T) {
	ds := []Dump{
		{Batch: "b", Table: "ks.b", Timestamp: "1"},
		{Batch: "b", Table: "ks.a", Timestamp: "2"},
		{Batch: "a", Table: "ks.a", Timestamp: "2"},
		{Batch: "z", Table: "ks.a", Timestamp: "1"},
	}
	Sort(ds)
	var got []string
	for _, d := range ds {
		got = append(got, d.Table+"/"+d.Timestamp+"/"+d.Batch)
	}
	want := []string{"ks.a/1/z", "ks.a/2/a", "ks.a/2/b", "ks.b/1/b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

var _ io.Closer = (*Root)(nil)
