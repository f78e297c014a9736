package export

import (
	"context"

	"golang.org/x/sync/semaphore"

	"github.com/lading-dev/lading/internal/source"
)

// defaultPageMemory caps the bytes of the pages read but not yet encoded,
// all units of the run together (the page each reader is filling is not
// counted). With the default 4 readers and 1,000-row pages of rows of
// about 1 KB it never binds (pages of about 1.4 MB, 3 a unit); pages of
// multi-kilobyte rows wait for the encoders instead of piling up past the
// --memory target.
const defaultPageMemory = 24 << 20

// pageMemory is the run's cap on the bytes of pages waiting for or in
// encoding.
type pageMemory struct {
	sem *semaphore.Weighted
	max int64
}

func newPageMemory(max int64) *pageMemory {
	return &pageMemory{sem: semaphore.NewWeighted(max), max: max}
}

// hold waits until the page's bytes fit under the cap and makes its Done
// give them back (once). A page larger than the cap takes all of it. A
// page of unknown size (0) is not held.
func (m *pageMemory) hold(ctx context.Context, p *source.Page) error {
	n := min(p.Bytes, m.max)
	if n <= 0 {
		return nil
	}
	if err := m.sem.Acquire(ctx, n); err != nil {
		return err
	}
	release := p.Release
	done := false
	p.Release = func() {
		if done {
			return
		}
		done = true
		m.sem.Release(n)
		if release != nil {
			release()
		}
	}
	return nil
}

// pageMemory is Config.PageMemory or its default.
func (c Config) pageMemory() int64 {
	if c.PageMemory > 0 {
		return c.PageMemory
	}
	return defaultPageMemory
}
