package cql

import "sync/atomic"

// arenaHint sizes a page's arena before its rows are read. A page's
// values are slices of its arena, so an arena that grows by append while
// the page fills keeps every smaller generation alive (the earlier rows
// point into them) until the page is released: with Go's growth factor of
// about 1.25 for large slices that is several times the page's bytes, for
// every page in flight. Sized from the pages before, an arena rarely grows.
type arenaHint struct{ n atomic.Int64 }

// size is the capacity to give a page's arena: the hint, a quarter above
// the bytes of recent pages.
func (h *arenaHint) size() int { return int(h.n.Load()) }

// observe records a page's arena bytes: the hint follows a larger page at
// once and a smaller one slowly (a range's short last page should not
// shrink the next page's arena).
func (h *arenaHint) observe(used int) {
	want := int64(used) + int64(used)/4
	for {
		old := h.n.Load()
		next := max(want, old-old/8)
		if next == old || h.n.CompareAndSwap(old, next) {
			return
		}
	}
}

// presize gives the page an arena of at least the hint's capacity.
func (h *arenaHint) presize(p *Page) {
	if n := h.size(); cap(p.arena) < n {
		p.arena = make([]byte, 0, n)
	}
}

// Bytes is about the memory the page holds: its arena and value slices.
func (p *Page) Bytes() int64 { return int64(cap(p.arena)) + int64(cap(p.vals))*24 }
