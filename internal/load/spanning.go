package load

import (
	"context"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// PreviousRowUser is implemented by tables whose converter must know
// where the part before ends (PartInfo.Previous). A counter table's
// static cells are increments: a partition whose rows span parts must
// have them sent by the part where it begins, and by no other.
type PreviousRowUser interface {
	// UsesPreviousRow reports whether this table's converters use
	// PartInfo.Previous.
	UsesPreviousRow() bool
}

// previousRow returns the last row of the part before f, for tables that
// use it, when the two parts may hold rows of one partition; nil
// otherwise.
//
// A unit's attempt reads its token ranges (or keys) in order and rolls
// parts by size, so a partition's rows are consecutive, and may span
// only consecutive parts of one unit and attempt (part names are
// part-<unit>-<attempt>-<seq>). Parts whose token ranges are disjoint
// cannot share a partition; key-list parts list no ranges, so theirs is
// read.
func (l *Loader) previousRow(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, f *manifest.File) (*format.Row, error) {
	if u, ok := tbl.(PreviousRowUser); !ok || !u.UsesPreviousRow() {
		return nil, nil
	}
	prev, err := previousPart(m, f)
	if err != nil || prev == nil {
		return nil, err
	}
	if len(prev.Ranges) > 0 && len(f.Ranges) > 0 && !shareRange(prev.Ranges, f.Ranges) {
		return nil, nil
	}
	return l.lastRow(ctx, d, m, prev)
}

// previousPart returns the part of f's unit and attempt with the
// highest sequence number below f's, or nil when f is the first.
func previousPart(m *manifest.Manifest, f *manifest.File) (*manifest.File, error) {
	unit, attempt, seq, _, err := manifest.ParsePartName(f.Name)
	if err != nil {
		return nil, fault.Usage(err)
	}
	var prev *manifest.File
	best := -1
	for i := range m.Files {
		u, a, s, _, err := manifest.ParsePartName(m.Files[i].Name)
		if err == nil && u == unit && a == attempt && s < seq && s > best {
			prev, best = &m.Files[i], s
		}
	}
	return prev, nil
}

// shareRange reports whether two lists of token ranges have one in
// common.
func shareRange(a, b []manifest.TokenRange) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Start == y.Start && x.End == y.End {
				return true
			}
		}
	}
	return false
}

// lastRow proves part f (as a load does) and returns its last row.
func (l *Loader) lastRow(ctx context.Context, d discover.Dump, m *manifest.Manifest, f *manifest.File) (*format.Row, error) {
	var last []byte
	var n int64
	err := l.proveLines(ctx, d, f, func(line int64, text []byte) error {
		last, n = append(last[:0], text...), line
		return nil
	})
	if err != nil || n == 0 {
		return nil, err
	}
	dec, err := rowDecoder(m, f.Name)
	if err != nil {
		return nil, err
	}
	row := &format.Row{}
	if err := dec.DecodeRow(last, row); err != nil {
		return nil, rowError(f.Name, n, err)
	}
	return row, nil
}
