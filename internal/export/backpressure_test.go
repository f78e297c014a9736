package export_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/objstore"
)

// gatedStore is a file store whose part writes block until the gate
// opens: a bucket that has stopped taking bytes.
type gatedStore struct {
	objstore.Driver
	gate <-chan struct{}
}

type gatedWriter struct {
	objstore.DriverWriter
	gate <-chan struct{}
}

func (w gatedWriter) Write(p []byte) (int, error) {
	<-w.gate
	return w.DriverWriter.Write(p)
}

func (d gatedStore) NewWriter(ctx context.Context, key string, opts objstore.WriterOptions) (objstore.DriverWriter, error) {
	w, err := d.Driver.NewWriter(ctx, key, opts)
	if err != nil || !strings.Contains(key, "/part-") {
		return w, err
	}
	return gatedWriter{w, d.gate}, nil
}

var (
	gateMu sync.Mutex
	gates  = map[string]chan struct{}{}
)

func init() {
	objstore.Register("gated", nil, func(ctx context.Context, loc *objstore.Location) (objstore.Driver, error) {
		b, err := objstore.Open(ctx, "file:///"+loc.Prefix)
		if err != nil {
			return nil, err
		}
		gateMu.Lock()
		defer gateMu.Unlock()
		return gatedStore{b.Driver(), gates[loc.Bucket]}, nil
	})
}

// A store that stops taking bytes stops the reads: pages wait in short
// queues instead of piling up in memory; when it takes bytes again the
// export completes.
func TestExportBackPressure(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 20000, 5, 0)
	gate := make(chan struct{})
	name := strings.ToLower(strings.ReplaceAll(t.Name(), "_", ""))
	gateMu.Lock()
	gates[name] = gate
	gateMu.Unlock()
	dir := t.TempDir()
	run := report.New("exporter")
	const parallel, pageSize = 2, 500
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, err := export.Run(ctx, export.Config{Source: cqltest.URL(t), Table: ks + ".kv", Dest: "gated://" + name + dir,
			Batch: "bp", Parallel: parallel, PageSize: pageSize, Splits: 4}, nil, run)
		done <- err
	}()
	// Wait until reading has begun and then stalled: the count must stop
	// growing while the store takes no bytes (on a loaded machine the
	// export may take seconds to plan before its first page).
	var stalled int64 = -1
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		before := run.Counter("pages")
		time.Sleep(2 * time.Second)
		if after := run.Counter("pages"); after > 0 && after == before {
			stalled = after
			break
		}
	}
	if stalled < 0 {
		t.Errorf("reading did not stall while the store took no bytes: %d pages read", run.Counter("pages"))
	}
	// Per unit: the pages the compressor buffers before its first block
	// reaches the store (128 KiB of ~45-byte lines: 6 pages), the queue
	// (2), the page being encoded and the one being read.
	limit := int64(parallel * (6 + 2 + 2))
	pages := run.Counter("pages")
	total := int64(n / pageSize)
	t.Logf("pages read while the store blocked: %d (bound %d, table %d pages)", pages, limit, total)
	if pages > limit || pages == 0 {
		t.Errorf("%d pages read while the store took no bytes; want between 1 and %d", pages, limit)
	}
	close(gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("export did not finish after the store opened")
	}
	if got := run.Counter("rows"); got != int64(n) {
		t.Errorf("%d rows exported, want %d", got, n)
	}
}
