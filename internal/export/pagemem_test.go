package export

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/source"
)

// TestPageMemory: pages held by many readers at once never add up past
// the cap; a page larger than the cap takes all of it; Done gives a page's
// bytes back once, however often it is called, and still releases the
// page's own memory; a reader whose context ends stops waiting.
func TestPageMemory(t *testing.T) {
	const limit = 10 << 20
	m := newPageMemory(limit)
	var held, peak atomic.Int64
	var released atomic.Int64
	var wg sync.WaitGroup
	for r := range 8 {
		wg.Go(func() {
			for i := range 50 {
				size := int64(1+(r*7+i)%5) << 20 // 1-5 MiB
				if i%17 == 0 {
					size = 3 * limit // larger than the cap
				}
				p := &source.Page{Bytes: size, Release: func() { released.Add(1) }}
				if err := m.hold(context.Background(), p); err != nil {
					t.Error(err)
					return
				}
				w := min(size, limit)
				now := held.Add(w)
				for {
					old := peak.Load()
					if now <= old || peak.CompareAndSwap(old, now) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				held.Add(-w)
				p.Done()
				p.Done() // a second Done gives nothing back twice
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got > limit || got == 0 {
		t.Fatalf("bytes held at once: %d, want at most the cap %d", got, limit)
	}
	if got := released.Load(); got != 8*50 {
		t.Fatalf("page memory released %d times, want %d (once a page)", got, 8*50)
	}
	// Everything was given back: the whole cap can be taken again.
	if !m.sem.TryAcquire(limit) {
		t.Fatal("the cap was not all given back")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.hold(ctx, &source.Page{Bytes: 1}); err == nil {
		t.Fatal("a full cap and an ended context: hold returned nil")
	}
	m.sem.Release(limit)
	if err := m.hold(context.Background(), &source.Page{}); err != nil {
		t.Fatalf("a page of unknown size: %v", err)
	}
}
