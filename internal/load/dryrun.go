package load

import (
	"context"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/pkg/manifest"
)

// dryRun says what a load of d would do: the schema was checked (or
// would be created) by Target.Table; nothing is written.
func (l *Loader) dryRun(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, inc *Incarnation) error {
	dl := inc.Dump(d)
	loaded, _, err := dl.Progress(ctx)
	if err != nil {
		return err
	}
	var parts, rows, bytes int64
	for _, f := range m.Files {
		if loaded[f.Name] && !l.opts.Force {
			continue
		}
		parts++
		rows += f.Rows
		bytes += f.StoredBytes
	}
	table := "exists, schema matches"
	if !tbl.Exists() {
		table = "would be created"
	}
	l.say("dry run: would load", "dump", d.String(), "target", tbl.Identity().String(), "table", table,
		"parts", parts, "of", len(m.Files), "rows", rows, "stored_bytes", bytes, "ledger", dl.in.l.Location())
	l.record(DumpResult{Dump: d.String(), Outcome: "would load", Target: tbl.Identity().String(),
		Counts: Counts{Files: parts, Rows: rows, StoredBytes: bytes}})
	l.opts.Run.Add("dumps_due", 1)
	l.opts.Run.Add("parts_due", parts)
	l.opts.Run.Add("rows_due", rows)
	return nil
}
