package export

import (
	"context"
	"fmt"
	"time"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// part is one part being written: encoded lines go through the part's
// compressor straight into a streaming object write, which measures size,
// CRC32C and SHA-256 and verifies the store's checksum on Close.
type part struct {
	name   string
	ow     *objstore.Writer
	pw     *format.PartWriter
	ranges []bool // which of the unit's ranges the part holds rows of
	readAt time.Time
}

// openPart starts writing part seq of a unit's attempt.
func (u *unitRun) openPart(ctx context.Context, readAt time.Time) error {
	name := manifest.PartName(u.unit.ID, u.attempt, u.seq, u.x.ext)
	u.seq++
	ow, err := u.x.root.NewWriter(ctx, u.x.d.key(name), &objstore.WriterOptions{ContentType: "application/x-ndjson"})
	if err != nil {
		return fmt.Errorf("part %s: %w", name, err)
	}
	pw, err := format.NewPartWriter(ow, u.x.cfg.Compression, format.CompressOptions{})
	if err != nil {
		_ = ow.Abort()
		return fmt.Errorf("part %s: %w", name, err)
	}
	u.part = &part{name: name, ow: ow, pw: pw, ranges: make([]bool, len(u.unit.Ranges)), readAt: readAt}
	return nil
}

// closePart completes the part and records it: the compressor is
// flushed, the object committed and its checksum verified by the store.
func (u *unitRun) closePart() error {
	p := u.part
	u.part = nil
	if err := p.pw.Close(); err != nil {
		_ = p.ow.Abort()
		return fmt.Errorf("part %s: %w", p.name, err)
	}
	if err := p.ow.Close(); err != nil {
		return fmt.Errorf("part %s: %w", p.name, err)
	}
	sum := p.ow.Sum()
	f := manifest.File{
		Name:        p.name,
		Unit:        u.unit.ID,
		Rows:        p.pw.Rows(),
		Bytes:       p.pw.Bytes(),
		StoredBytes: sum.Size,
		CRC32C:      sum.CRC32CHex(),
		SHA256:      sum.SHA256Hex(),
		ReadAt:      p.readAt.UTC(),
	}
	for i, has := range p.ranges {
		if has {
			f.Ranges = append(f.Ranges, u.unit.Ranges[i])
		}
	}
	u.files = append(u.files, f)
	u.x.run.Add("parts", 1)
	u.x.run.Add("stored_bytes", sum.Size)
	return nil
}

// abortPart discards a part being written.
func (u *unitRun) abortPart() {
	if u.part == nil {
		return
	}
	_ = u.part.pw.Close()
	_ = u.part.ow.Abort()
	u.part = nil
}
