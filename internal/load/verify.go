package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// countSlack is how many seconds a row's expiry may be off when counting.
const countSlack = 3

// compareChunk is how many rows one Compare call checks.
const compareChunk = 64

// maxListedMismatches bounds the mismatches kept in verify.json and
// quoted in the error.
const maxListedMismatches = 1000

// verify checks the loaded dump against the target as --verify says.
// A failed verification is recorded in the ledger and returned as a
// fault.Verify error listing the first mismatches.
func (l *Loader) verify(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, dl *DumpLedger, st *StartedRecord, counts Counts, log *slog.Logger) (VerifyResult, error) {
	o := &l.opts
	mode := l.verifyMode(tbl, log)
	res := VerifyResult{Mode: mode, At: o.Now().UTC()}
	if o.Verify == "" && mode == VerifyFull {
		res.Detail = "full: the default for a counter table"
	}
	switch mode {
	case VerifyNone:
		res.Result = "skipped"
		res.Detail = "--verify none"
		return res, nil
	case VerifyCount:
		res.Expected = counts.Rows - counts.RowsExpired - counts.Rejects
		if !st.EmptyBefore {
			res.Result = "skipped"
			res.Detail = "the table held rows before this dump's load began, so a count cannot tell the dump's rows from others (use --verify full)"
			log.Info("count verification not possible", "reason", res.Detail)
			return res, nil
		}
		began := time.Now()
		n, err := tbl.Count(ctx)
		if err != nil {
			return res, fmt.Errorf("verify count: %w", err)
		}
		// The count's own time, apart from the load's: benchmarks and
		// the run report show what verification costs.
		took := time.Since(began)
		o.Run.Set("verify_count_ms", took.Milliseconds())
		res.Found = n
		// Rows whose TTLs run out between the load and the count: all of
		// them are gone once the last has expired, none before the
		// first; in between the count may be anything in the range.
		lo, hi := res.Expected, res.Expected
		if counts.ExpiringRows > 0 {
			now := o.Now().Unix()
			switch {
			case counts.ExpiryMax < now-countSlack:
				lo, hi = lo-counts.ExpiringRows, hi-counts.ExpiringRows
			case counts.ExpiryMin > now+countSlack:
			default:
				lo -= counts.ExpiringRows
			}
			res.Expected = hi
		}
		if n < lo || n > hi {
			res.Result = "failed"
			want := fmt.Sprint(hi)
			if lo != hi {
				want = fmt.Sprintf("between %d and %d", lo, hi)
			}
			res.Detail = fmt.Sprintf("%s holds %d rows, the dump %s (%d rows, %d expired, %d rejected, %d expiring)", tbl.Identity(), n, want, counts.Rows, counts.RowsExpired, counts.Rejects, counts.ExpiringRows)
			if err := dl.WriteVerify(ctx, res, nil); err != nil {
				return res, err
			}
			return res, fault.Verifyf("verify count: %s", res.Detail)
		}
		res.Result = "passed"
		log.Info("count verified", "rows", n, "took", took.Round(time.Millisecond))
		return res, nil
	}
	// full
	cmp, ok := tbl.(Comparer)
	if !ok {
		res.Result = "skipped"
		res.Detail = fmt.Sprintf("--verify full: %s cannot read rows back for comparison (the target implements no load.Comparer); nothing was verified", tbl.Identity())
		log.Warn("full verification not possible", "reason", res.Detail)
		o.Run.Event("verify_skipped", "dump", d.String(), "mode", VerifyFull, "reason", res.Detail)
		return res, nil
	}
	mismatches, checked, total, err := l.verifyFull(ctx, d, m, cmp, dl)
	if err != nil {
		return res, err
	}
	res.Expected, res.Found, res.Mismatches = checked, checked-total, total
	if total > 0 {
		res.Result = "failed"
		res.Detail = fmt.Sprintf("%d of %d rows differ in %s", total, checked, tbl.Identity())
		if err := dl.WriteVerify(ctx, res, mismatches); err != nil {
			return res, err
		}
		var b strings.Builder
		for i, mm := range mismatches {
			if i == 5 {
				fmt.Fprintf(&b, "; ... (all in %s)", dl.VerifyLocation())
				break
			}
			b.WriteString("; ")
			b.WriteString(mm.String())
		}
		return res, fault.Verifyf("verify full: %s%s", res.Detail, b.String())
	}
	res.Result = "passed"
	log.Info("every row verified", "rows", checked)
	return res, nil
}

// verifyMode is --verify, or when it was not given, full for tables
// that are not idempotent (counter tables: a count passes a table whose
// counts are wrong) and count for others.
func (l *Loader) verifyMode(tbl Table, log *slog.Logger) string {
	if l.opts.Verify != "" {
		return l.opts.Verify
	}
	if !idempotent(tbl) {
		if _, ok := tbl.(Comparer); !ok {
			log.Warn("a table that is not idempotent is best verified in full, but the target cannot read rows back: counting instead")
			return VerifyCount
		}
		log.Info("verifying every value (--verify full): the default for a counter table, whose wrong counts a row count cannot see")
		l.opts.Run.Event("verify_default", "table", tbl.Identity().String(), "mode", VerifyFull, "reason", "counter table")
		return VerifyFull
	}
	return VerifyCount
}

// verifyFull reads every part again (proven as for a load) and has the
// target compare its rows. It returns the first mismatches, the rows
// checked and the number of mismatching rows.
func (l *Loader) verifyFull(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Comparer, dl *DumpLedger) ([]Mismatch, int64, int64, error) {
	o := &l.opts
	var (
		mu         sync.Mutex
		mismatches []Mismatch
		checked    int64
		bad        int64
	)
	rows := make(chan []DumpRow, o.Workers)
	g, gctx := errgroup.WithContext(ctx)
	var readers sync.WaitGroup
	sem := make(chan struct{}, o.Parts)
	for i := range m.Files {
		f := &m.Files[i]
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-sem }()
			return l.readPartRows(gctx, d, m, dl, f, rows)
		})
	}
	go func() {
		readers.Wait()
		close(rows)
	}()
	for range o.Workers {
		g.Go(func() error {
			for chunk := range rows {
				if gctx.Err() != nil {
					continue
				}
				f := chunk[0].part
				mm, err := tbl.Compare(gctx, PartInfo{Manifest: m, File: f, Now: o.Now}, chunk)
				if err != nil {
					return fmt.Errorf("verify part %s: %w", f.Name, err)
				}
				mu.Lock()
				checked += int64(len(chunk))
				lines := map[int64]bool{}
				for _, x := range mm {
					lines[x.Line] = true
					if len(mismatches) < maxListedMismatches {
						mismatches = append(mismatches, x)
					}
				}
				bad += int64(len(lines))
				mu.Unlock()
				o.Run.Add("rows_verified", int64(len(chunk)))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		for range rows {
		}
		return nil, 0, 0, err
	}
	return mismatches, checked, bad, nil
}

// readPartRows proves one part and sends its rows, in chunks, skipping
// the rows the target rejected during the load.
func (l *Loader) readPartRows(ctx context.Context, d discover.Dump, m *manifest.Manifest, dl *DumpLedger, f *manifest.File, out chan<- []DumpRow) error {
	rejected, err := l.rejectedLines(ctx, dl, f.Name)
	if err != nil {
		return err
	}
	dec, err := rowDecoder(m, f.Name)
	if err != nil {
		return err
	}
	var chunk []DumpRow
	send := func() error {
		if len(chunk) == 0 {
			return nil
		}
		select {
		case out <- chunk:
			chunk = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err = l.proveLines(ctx, d, f, func(line int64, text []byte) error {
		if rejected[line] {
			return nil
		}
		var r format.Row
		if err := dec.DecodeRow(text, &r); err != nil {
			return rowError(f.Name, line, err)
		}
		chunk = append(chunk, DumpRow{Line: line, Row: cloneRow(&r), part: f})
		if len(chunk) == compareChunk {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return send()
}

// rejectedLines reads a part's reject file (absent: none).
func (l *Loader) rejectedLines(ctx context.Context, dl *DumpLedger, part string) (map[int64]bool, error) {
	data, err := dl.in.l.b.ReadAll(ctx, dl.RejectsKey(part))
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, format.MaxLineBytes*2)
	for sc.Scan() {
		var r reject
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("reject file of %s: %w", part, err)
		}
		out[r.Line] = true
	}
	return out, sc.Err()
}

// cloneRow copies a decoded row into memory of its own.
func cloneRow(r *format.Row) format.Row {
	var c format.Row
	c.Values = make([][]byte, len(r.Values))
	for i, v := range r.Values {
		if v != nil {
			c.Values[i] = bytes.Clone(v)
		}
	}
	clone := func(m [][]int64) [][]int64 {
		if m == nil {
			return nil
		}
		out := make([][]int64, len(m))
		for i, x := range m {
			if x != nil {
				out[i] = append([]int64(nil), x...)
			}
		}
		return out
	}
	c.Writetime = clone(r.Writetime)
	c.TTL = clone(r.TTL)
	c.Item = r.Item // decoded afresh for every line, never reused
	return c
}
