package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// decoderOptions returns the row options the manifest's dump was written
// with.
func decoderOptions(m *manifest.Manifest) format.Options {
	return format.Options{Writetime: m.Options.Writetime, TTL: m.Options.TTL}
}

// columns returns the manifest's exported columns (nil: all).
func columns(m *manifest.Manifest) []string {
	if len(m.Options.Columns) == 0 {
		return nil
	}
	return m.Options.Columns
}

// loadPart proves one part, converts its rows and writes them through the
// pool. It returns the part's record once every row is acknowledged.
// addRejects is told how many rows were refused; it fails the load when
// there are too many.
func (l *Loader) loadPart(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, dl *DumpLedger, pl *pool, f *manifest.File, fresh bool, addRejects func(int64) error) (*PartRecord, error) {
	o := &l.opts
	run := o.Run.Table(d.Table) // the table's share of the run's numbers
	prev, err := l.previousRow(ctx, d, m, tbl, f)
	if err != nil {
		return nil, err
	}
	part, err := l.verifier.Prove(ctx, l.root.Bucket, d.Key(f.Name), f)
	if err != nil {
		return nil, err
	}
	defer part.Close()
	shared := false
	if idempotent(tbl) {
		existed, err := dl.BeginPart(ctx, f.Name)
		if err != nil {
			return nil, err
		}
		// Begun before, perhaps by another loader right now: not fresh.
		shared = existed
		fresh = fresh && !existed
	}
	info := PartInfo{Manifest: m, File: f, Fresh: fresh, Shared: shared, Now: o.Now, Previous: prev}
	if whole, ok := tbl.(PartLoader); ok {
		rec, err := whole.LoadPart(ctx, info, part.Open)
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", f.Name, err)
		}
		if rec.Rows != f.Rows {
			return nil, fault.Verifyf("part %s: the target loaded %d rows, the manifest says %d", f.Name, rec.Rows, f.Rows)
		}
		rec.Part, rec.CRC32C, rec.Loaded = f.Name, f.CRC32C, o.Now().UTC()
		run.Add("rows", rec.Rows)
		if rec.Rejects == 0 {
			if err := dl.DeleteRejects(ctx, f.Name); err != nil {
				return nil, err
			}
		}
		return &rec, nil
	}
	dec, err := rowDecoder(m, f.Name)
	if err != nil {
		return nil, err
	}
	rl := tbl.(RowLoader) // loadable checked it
	conv, err := rl.Converter(info)
	if err != nil {
		return nil, err
	}
	tr := &partTracker{}
	bt := &batcher{p: pl, t: tr, limits: rl.Limits()}
	rec := &PartRecord{Part: f.Name, CRC32C: f.CRC32C}
	var row format.Row
	var muts []Mutation
	err = readLines(ctx, part, f, func(line int64, text []byte) error {
		if tr.failed() != nil {
			return errStopLines
		}
		if err := dec.DecodeRow(text, &row); err != nil {
			return rowError(f.Name, line, err)
		}
		var expired bool
		muts, expired, err = conv.Convert(&row, line, muts[:0])
		if err != nil {
			return rowError(f.Name, line, err)
		}
		run.Add("rows", 1)
		if expired {
			run.Add("rows_expired", 1)
		}
		rec.countRow(expired, conv)
		if len(muts) == 0 {
			return nil
		}
		for i := range muts {
			if err := bt.add(ctx, muts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tr.wg.Wait()
		return nil, err
	}
	if err := bt.flush(ctx, false); err != nil {
		tr.wg.Wait()
		return nil, err
	}
	tr.wg.Wait()
	if err := tr.failed(); err != nil {
		return nil, fmt.Errorf("part %s: %w", f.Name, err)
	}
	if rec.Rows != f.Rows {
		return nil, fault.Verifyf("part %s holds %d rows, the manifest says %d", f.Name, rec.Rows, f.Rows)
	}
	rec.Mutations = tr.muts
	rejects := tr.sortedRejects()
	if len(rejects) > 0 {
		if err := fillRejectRows(ctx, part, f, rejects); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, r := range rejects {
			if err := enc.Encode(r); err != nil {
				return nil, err
			}
		}
		if err := dl.WriteRejects(ctx, f.Name, buf.Bytes()); err != nil {
			return nil, err
		}
		rec.Rejects = int64(len(rejects))
		rec.RowsWritten -= rec.Rejects
		o.Logger.Warn("rows rejected", "part", f.Name, "rejects", len(rejects), "file", dl.RejectsLocation(f.Name))
		if err := addRejects(rec.Rejects); err != nil {
			return nil, err
		}
	} else if err := dl.DeleteRejects(ctx, f.Name); err != nil {
		// A reject file of an earlier attempt would make --verify full
		// skip rows this attempt wrote.
		return nil, err
	}
	rec.Loaded = o.Now().UTC()
	return rec, nil
}

// countRow counts a converted row in the part's record.
func (rec *PartRecord) countRow(expired bool, conv Converter) {
	rec.Rows++
	if expired {
		rec.RowsExpired++
		return
	}
	rec.RowsWritten++
	er, ok := conv.(ExpiryReporter)
	if !ok {
		return
	}
	at := er.RowExpiry()
	if at.IsZero() {
		return
	}
	s := at.Unix()
	if rec.ExpiringRows == 0 || s < rec.ExpiryMin {
		rec.ExpiryMin = s
	}
	rec.ExpiryMax = max(rec.ExpiryMax, s)
	rec.ExpiringRows++
}

// fillRejectRows reads the part again for the text of its rejected rows
// (rejects sorted by line): rejects are rare, and the text of every
// queued row is not kept for them.
func fillRejectRows(ctx context.Context, part *Part, f *manifest.File, rejects []reject) error {
	i := 0
	return readLines(ctx, part, f, func(line int64, text []byte) error {
		for i < len(rejects) && rejects[i].Line < line {
			i++
		}
		if i == len(rejects) {
			return errStopLines
		}
		if rejects[i].Line == line {
			rejects[i].Row = string(text)
		}
		return nil
	})
}
