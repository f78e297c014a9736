package objstoretest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
	"golang.org/x/sync/errgroup"
)

// listing is everything a paged listing returned, in order.
type listing struct {
	objects  []objstore.Object
	prefixes []string
	items    []string // objects and prefixes, in the order of the pages
	pages    int
}

// listPaged walks a listing page by page, checking that no page is
// larger than asked and that items come in strictly increasing byte
// order across pages.
func listPaged(t *testing.T, ctx context.Context, b *objstore.Bucket, prefix, delim string, pageSize int) listing {
	t.Helper()
	var l listing
	token := ""
	for {
		p, err := b.ListPage(ctx, prefix, delim, token, pageSize)
		if err != nil {
			t.Fatalf("list %q (delimiter %q, page %d): %v", prefix, delim, l.pages, err)
		}
		l.pages++
		if n := len(p.Objects) + len(p.Prefixes); n > pageSize {
			t.Fatalf("list %q: page %d has %d items, page size %d", prefix, l.pages, n, pageSize)
		}
		var page []string
		for _, o := range p.Objects {
			page = append(page, o.Key)
		}
		page = append(page, p.Prefixes...)
		sort.Strings(page)
		l.objects = append(l.objects, p.Objects...)
		l.prefixes = append(l.prefixes, p.Prefixes...)
		l.items = append(l.items, page...)
		if p.NextPageToken == "" {
			break
		}
		if p.NextPageToken == token {
			t.Fatalf("list %q: page token %q repeats", prefix, token)
		}
		if l.pages > 100_000 {
			t.Fatalf("list %q: runaway pagination", prefix)
		}
		token = p.NextPageToken
	}
	for i := 1; i < len(l.items); i++ {
		if l.items[i-1] >= l.items[i] {
			t.Fatalf("list %q (delimiter %q, page size %d): %q then %q: not in strictly increasing byte order (or listed twice)",
				prefix, delim, pageSize, l.items[i-1], l.items[i])
		}
	}
	return l
}

func keysOf(objs []objstore.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// testListOrder checks byte order where a file system's natural order
// differs ("a-c" < "a/b" < "a0"), delimiters and prefixes that end
// mid-name.
func testListOrder(t *testing.T, h Harness) {
	c := ctx(t, 2*time.Minute)
	_, delimGap := h.Gaps[GapListDelimiterPaging]
	keys := []string{"order/a-c", "order/a/b", "order/a/c/d", "order/a0", "order/B", "order/\u00e9t\u00e9", "order/a.b", "order/z", "other/x"}
	for _, k := range keys {
		mustWrite(t, c, h.Bucket, k, []byte(k))
	}
	all := slices.Clone(keys)
	sort.Strings(all)
	for _, size := range []int{1, 2, 1000} {
		l := listPaged(t, c, h.Bucket, "", "", size)
		sameList(t, fmt.Sprintf("all keys, page size %d", size), keysOf(l.objects), all)
		for _, o := range l.objects {
			if o.Size != int64(len(o.Key)) {
				t.Errorf("list: %s has size %d, want %d", o.Key, o.Size, len(o.Key))
			}
		}
		l = listPaged(t, c, h.Bucket, "order/a/", "", size)
		sameList(t, fmt.Sprintf("order/a/ without delimiter, page size %d", size), l.items, []string{"order/a/b", "order/a/c/d"})
		if delimGap && size < 1000 {
			t.Logf("known gap of this test server (%s): %s; delimited listings checked in one page only", GapListDelimiterPaging, h.Gaps[GapListDelimiterPaging])
			continue
		}
		l = listPaged(t, c, h.Bucket, "order/", "/", size)
		sameList(t, fmt.Sprintf("order/ with delimiter, page size %d", size), l.items,
			[]string{"order/B", "order/a-c", "order/a.b", "order/a/", "order/a0", "order/z", "order/\u00e9t\u00e9"})
		l = listPaged(t, c, h.Bucket, "order/a", "/", size)
		sameList(t, fmt.Sprintf("order/a with delimiter, page size %d", size), l.items,
			[]string{"order/a-c", "order/a.b", "order/a/", "order/a0"})
		sameList(t, "prefixes of order/a", l.prefixes, []string{"order/a/"})
		l = listPaged(t, c, h.Bucket, "", "/", size)
		sameList(t, fmt.Sprintf("root with delimiter, page size %d", size), l.items, []string{"order/", "other/"})
	}
	l := listPaged(t, c, h.Bucket, "nothing/", "/", 10)
	if len(l.items) != 0 {
		t.Errorf("empty prefix lists %q", l.items)
	}
	// Deleting the last key under a prefix makes the prefix disappear.
	for _, k := range []string{"order/a/c/d", "order/a/b"} {
		if err := h.Bucket.Delete(c, k); err != nil {
			t.Fatal(err)
		}
	}
	l = listPaged(t, c, h.Bucket, "order/", "/", 1000)
	sameList(t, "order/ after deleting order/a/…", l.items,
		[]string{"order/B", "order/a-c", "order/a.b", "order/a0", "order/z", "order/\u00e9t\u00e9"})
}

// testListMany lists 2,510 keys in pages smaller than the count, with and
// without a delimiter, and checks each key comes exactly once, in order.
func testListMany(t *testing.T, h Harness) {
	c := ctx(t, 5*time.Minute)
	const dirs, perDir, tops = 25, 100, 10
	var want []string
	for d := range dirs {
		for k := range perDir {
			want = append(want, fmt.Sprintf("many/d%02d/k%04d", d, d*perDir+k))
		}
	}
	for i := range tops {
		want = append(want, fmt.Sprintf("many/top-%02d", i))
	}
	start := time.Now()
	g, gc := errgroup.WithContext(c)
	g.SetLimit(16)
	for _, k := range want {
		g.Go(func() error {
			_, err := h.Bucket.WriteAll(gc, k, []byte(k), nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("create %d keys: %v", len(want), err)
	}
	t.Logf("created %d keys in %v", len(want), time.Since(start).Round(time.Millisecond))
	sort.Strings(want)

	start = time.Now()
	l := listPaged(t, c, h.Bucket, "many/", "", 700)
	sameCount(t, "flat listing", keysOf(l.objects), want)
	if l.pages < 4 {
		t.Errorf("flat listing of %d keys in pages of 700: %d pages, want at least 4", len(want), l.pages)
	}
	t.Logf("listed %d keys in %d pages in %v", len(l.objects), l.pages, time.Since(start).Round(time.Millisecond))

	delimPage := 7
	if why, ok := h.Gaps[GapListDelimiterPaging]; ok {
		t.Logf("known gap of this test server (%s): %s; delimited listing checked in one page", GapListDelimiterPaging, why)
		delimPage = 1000
	}
	l = listPaged(t, c, h.Bucket, "many/", "/", delimPage)
	var wantDirs, wantTops []string
	for d := range dirs {
		wantDirs = append(wantDirs, fmt.Sprintf("many/d%02d/", d))
	}
	for i := range tops {
		wantTops = append(wantTops, fmt.Sprintf("many/top-%02d", i))
	}
	sameList(t, "common prefixes of many/", l.prefixes, wantDirs)
	sameList(t, "objects directly in many/", keysOf(l.objects), wantTops)
	if l.pages < 5 && delimPage == 7 {
		t.Errorf("delimited listing of 35 items in pages of 7: %d pages, want at least 5", l.pages)
	}

	l = listPaged(t, c, h.Bucket, "many/d07/", "/", 30)
	sameCount(t, "listing of many/d07/", keysOf(l.objects), want[7*perDir:8*perDir])
	if len(l.prefixes) != 0 {
		t.Errorf("many/d07/ has prefixes %q", l.prefixes)
	}
	l = listPaged(t, c, h.Bucket, "many/d1", "/", 1000)
	sameList(t, "prefixes of many/d1", l.prefixes, wantDirs[10:20])

	// Bucket.List visits every page.
	n := 0
	if err := h.Bucket.List(c, "many/", "", func(p objstore.Page) error { n += len(p.Objects); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("Bucket.List saw %d keys, want %d", n, len(want))
	}
}

// sameCount compares two long sorted key lists, naming the first
// difference instead of printing thousands of keys.
func sameCount(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: %d keys, want %d; first difference at %d: %q, want %q", what, len(got), len(want), i, got[i], want[i])
		}
	}
	extra := got
	if len(want) > len(got) {
		extra = want
	}
	extra = extra[min(len(got), len(want)):]
	t.Fatalf("%s: %d keys, want %d; the longer list goes on with %q", what, len(got), len(want), extra[:min(len(extra), 3)])
}
