package status

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/objstore"
)

// watcher wraps a real driver and records every read and listing, and
// every write or delete (status must make none).
type watcher struct {
	objstore.Driver
	mu                    sync.Mutex
	reads, lists, changes []string
}

func (w *watcher) note(list *[]string, s string) {
	w.mu.Lock()
	*list = append(*list, s)
	w.mu.Unlock()
}

func (w *watcher) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	w.note(&w.reads, key)
	return w.Driver.NewRangeReader(ctx, key, offset, length)
}

func (w *watcher) ListPage(ctx context.Context, prefix, delimiter, token string, size int) (objstore.Page, error) {
	w.note(&w.lists, prefix+"|"+delimiter)
	return w.Driver.ListPage(ctx, prefix, delimiter, token, size)
}

func (w *watcher) NewWriter(ctx context.Context, key string, opts objstore.WriterOptions) (objstore.DriverWriter, error) {
	w.note(&w.changes, "write "+key)
	return w.Driver.NewWriter(ctx, key, opts)
}

func (w *watcher) Delete(ctx context.Context, key string) error {
	w.note(&w.changes, "delete "+key)
	return w.Driver.Delete(ctx, key)
}

// Status reads a complete dump's _SUCCESS note and the ledgers' records,
// lists with a delimiter, never reads or lists a dump's parts, and never
// writes.
func TestReadsOnlyNotesAndLedgers(t *testing.T) {
	r := newLedgerRoot(t)
	t0 := r.now.Add(-3 * time.Hour)
	in := r.incarnation("users")
	for _, batch := range []string{"b1", "b2", "b3"} {
		d := r.exported(batch, "ks.users", "20261206T0"+batch[1:]+"0000Z", t0)
		for _, name := range []string{"manifest.json", "part-00-a-0.ndjson.zst", "part-01-a-0.ndjson.zst", "_state/commits/00.json"} {
			if _, err := r.b.WriteAll(r.ctx, d.Key(name), []byte("{}"), nil); err != nil {
				t.Fatal(err)
			}
		}
		if batch != "b3" {
			r.loaded(in, d, t0.Add(time.Hour), load.VerifyResult{Mode: "count", Result: "passed", At: t0.Add(time.Hour)})
		}
	}
	w := &watcher{}
	openRoot = func(ctx context.Context, u string, opts *discover.OpenOptions) (*discover.Root, error) {
		root, err := discover.Open(ctx, u, opts)
		if err == nil {
			w.Driver = root.Bucket.Driver()
			root.Bucket = objstore.NewBucket(w, root.Bucket.Location())
		}
		return root, err
	}
	t.Cleanup(func() { openRoot = discover.Open })

	rep, err := Build(r.ctx, Config{Roots: []string{r.url}, Now: func() time.Time { return r.now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Dumps) != 3 {
		t.Fatalf("%d dumps, want 3", len(rep.Dumps))
	}
	if len(w.changes) > 0 {
		t.Errorf("status changed the store: %q", w.changes)
	}
	for _, k := range w.reads {
		if !strings.HasSuffix(k, "/_SUCCESS") && !strings.HasPrefix(k, load.LedgerDir) {
			t.Errorf("read %s: neither a _SUCCESS note nor a ledger record", k)
		}
	}
	for _, l := range w.lists {
		prefix, delim, _ := strings.Cut(l, "|")
		if delim != "/" {
			t.Errorf("listing without a delimiter: %q", l)
		}
		if !strings.HasPrefix(prefix, load.LedgerDir) && strings.Count(prefix, "/") > 2 {
			t.Errorf("listing inside a dump: %q", l)
		}
	}
	t.Logf("%d reads, %d listings for 3 dumps and one ledger", len(w.reads), len(w.lists))
}
