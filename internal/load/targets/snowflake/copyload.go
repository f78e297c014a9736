package snowflake

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// stageNameRE is a stage name as --stage takes it: unquoted, perhaps
// qualified by schema or database and schema.
var stageNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$`)

// MaxGroup is --copy-parts, or Snowflake's limit on the FILES list of
// one COPY.
func (tb *table) MaxGroup() int {
	if n := tb.t.opts.CopyParts; n > 0 {
		return n
	}
	return maxFilesPerCopy
}

// session returns the table's one session, choosing the stage on first
// use: the stage --stage names (over the store root), an external stage
// over the store root created with --storage-integration, or else a
// temporary internal stage that StagePart PUTs the proven parts into.
func (tb *table) session(ctx context.Context) (*sql.Conn, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.conn != nil {
		return tb.conn, nil
	}
	o := &tb.t.opts
	conn, err := tb.t.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := tb.settleDetached(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	schemaOf := quoteIdent(tb.name.DB) + "." + quoteIdent(tb.name.Schema)
	switch {
	case tb.t.cfg.Load == LoadInsert:
		rows := tableName{Table: "LADING_ROWS_" + strings.ToUpper(newIncarnation())}
		if _, err := conn.ExecContext(ctx, createRowsSQL(rows)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("create temporary table %s: %w", rows, err)
		}
		tb.rows, tb.lines = &rows, map[string][]string{}
	case o.Stage != "":
		if !stageNameRE.MatchString(o.Stage) {
			conn.Close()
			return nil, fault.Usagef("--stage %q: want a stage name (NAME, SCHEMA.NAME or DATABASE.SCHEMA.NAME)", o.Stage)
		}
		name := o.Stage
		if !strings.Contains(name, ".") {
			name = schemaOf + "." + name
		}
		tb.stage = "@" + name + "/" + tb.dump + "/"
	case o.StorageIntegration != "":
		url := stageURL(o.Store)
		sum := sha256.Sum256([]byte(url + "\x00" + o.StorageIntegration))
		st := tableName{tb.name.DB, tb.name.Schema, "LADING_" + strings.ToUpper(hex.EncodeToString(sum[:6]))}
		if _, err := conn.ExecContext(ctx, createStageSQL(st, url, o.StorageIntegration)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("create stage %s over %s: %w", st, url, err)
		}
		tb.stage = "@" + st.String() + "/" + tb.dump + "/"
	default:
		st := tableName{tb.name.DB, tb.name.Schema, "LADING_PUT_" + strings.ToUpper(newIncarnation())}
		if _, err := conn.ExecContext(ctx, createTempStageSQL(st)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("create temporary stage %s: %w", st, err)
		}
		tb.stage, tb.putDir = "@"+st.String(), "put"
	}
	tb.conn = conn
	return conn, nil
}

// StagePart PUTs a proven part into the temporary internal stage, under
// its own name (a copy of the proven bytes in a temporary directory:
// PUT names the staged file after the local one). With an external
// stage Snowflake reads the part from the store itself.
func (tb *table) StagePart(ctx context.Context, p load.PartInfo, open func(context.Context) (io.ReadCloser, error)) error {
	conn, err := tb.session(ctx)
	if err != nil {
		return err
	}
	if tb.rows != nil {
		lines, err := readLines(ctx, p.File.Name, open)
		if err != nil {
			return err
		}
		tb.mu.Lock()
		tb.lines[p.File.Name] = lines
		tb.mu.Unlock()
		return nil
	}
	if tb.putDir == "" {
		return nil
	}
	dir, err := os.MkdirTemp("", "lading-put-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, p.File.Name)
	if err := copyTo(ctx, local, open); err != nil {
		return err
	}
	// One PUT at a time in the table's session.
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if _, err := conn.ExecContext(ctx, putSQL(local, tb.stage)); err != nil {
		return fmt.Errorf("PUT %s: %w", p.File.Name, err)
	}
	return nil
}

func copyTo(ctx context.Context, path string, open func(context.Context) (io.ReadCloser, error)) error {
	r, err := open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadGroup COPYs the parts in one statement: into the table when fresh,
// else into the run's transient staging table, which Merge applies.
func (tb *table) LoadGroup(ctx context.Context, parts []load.PartInfo, fresh bool, maxRejects int64) ([]load.GroupResult, error) {
	conn, err := tb.session(ctx)
	if err != nil {
		return nil, err
	}
	into := tb.name
	if !fresh {
		if into, err = tb.stagingTable(ctx, conn); err != nil {
			return nil, err
		}
	}
	if tb.rows != nil {
		return tb.insertGroup(ctx, conn, into, parts, maxRejects)
	}
	files := make([]string, len(parts))
	mf := make([]*manifest.File, len(parts))
	comp := ""
	for i, p := range parts {
		files[i], mf[i] = p.File.Name, p.File
		c, err := format.CompressionOf(p.File.Name)
		if err != nil || (comp != "" && c != comp) {
			return nil, fault.Usagef("part %s: one COPY reads parts of one compression (zstd, gzip or none)", p.File.Name)
		}
		comp = c
	}
	ff, err := fileFormat(comp)
	if err != nil {
		return nil, fault.Usage(err)
	}
	q, err := copySQL(into, tb.cols, tb.stage, files, ff, onError(maxRejects))
	if err != nil {
		return nil, err
	}
	tb.mu.Lock()
	results, err := queryCopy(ctx, conn, q)
	tb.mu.Unlock()
	if err != nil {
		if rr := rejectedRow(err); rr != nil {
			return nil, &load.RejectedRowError{Row: *rr}
		}
		return nil, fmt.Errorf("COPY INTO %s: %w", into, err)
	}
	if _, err := checkCopyResults(mf, results); err != nil {
		return nil, err
	}
	byName := map[string]copyResult{}
	for _, r := range results {
		byName[filepath.Base(r.File)] = r
	}
	out := make([]load.GroupResult, len(parts))
	for i, name := range files {
		r := byName[name]
		out[i].Record = load.PartRecord{Rows: r.RowsParsed, RowsWritten: r.RowsLoaded, Rejects: r.ErrorsSeen}
		if r.ErrorsSeen > 0 {
			out[i].Rejects = []load.RejectedRow{{Part: name, Line: r.FirstLine, Reason: r.FirstError}}
		}
	}
	return out, nil
}

// queryCopy runs a COPY and reads its result rows by column name.
func queryCopy(ctx context.Context, conn *sql.Conn, q string) ([]copyResult, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []copyResult
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var r copyResult
		for i, n := range names {
			v := vals[i].String
			num, _ := strconv.ParseInt(v, 10, 64)
			switch strings.ToLower(n) {
			case "file":
				r.File = v
			case "status":
				r.Status = v
			case "rows_parsed":
				r.RowsParsed = num
			case "rows_loaded":
				r.RowsLoaded = num
			case "errors_seen":
				r.ErrorsSeen = num
			case "first_error":
				r.FirstError = v
			case "first_error_line":
				r.FirstLine = num
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var fileLineRE = regexp.MustCompile(`File '([^']*)', line (\d+)`)

// rejectedRow reads the file and line out of the error of a COPY that
// ON_ERROR = ABORT_STATEMENT stopped at a bad row (nil for other errors).
func rejectedRow(err error) *load.RejectedRow {
	msg := err.Error()
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		msg = se.Message
	}
	m := fileLineRE.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	line, _ := strconv.ParseInt(m[2], 10, 64)
	reason, _, _ := strings.Cut(msg, "\n")
	return &load.RejectedRow{Part: filepath.Base(m[1]), Line: line, Reason: strings.TrimSpace(reason)}
}

// stagingTable creates the run's transient staging table on first use.
func (tb *table) stagingTable(ctx context.Context, conn *sql.Conn) (tableName, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.staging != nil {
		return *tb.staging, nil
	}
	if err := tb.dropLeftoverStaging(ctx, conn); err != nil {
		return tableName{}, err
	}
	st := tableName{tb.name.DB, tb.name.Schema, tb.stagingPrefix() + newIncarnation()}
	if _, err := conn.ExecContext(ctx, createStagingSQL(st, tb.name)); err != nil {
		return st, fmt.Errorf("create staging table %s: %w", st, err)
	}
	tb.staging = &st
	return st, nil
}

// Merge applies the staging table to the table with one MERGE on the
// key, then drops it.
func (tb *table) Merge(ctx context.Context) error {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.staging == nil {
		return nil
	}
	if _, err := tb.conn.ExecContext(ctx, mergeSQL(tb.name, *tb.staging, tb.cols)); err != nil {
		return fmt.Errorf("MERGE into %s: %w", tb.name, err)
	}
	if _, err := tb.conn.ExecContext(ctx, dropSQL(*tb.staging)); err != nil {
		return fmt.Errorf("drop staging table %s: %w", *tb.staging, err)
	}
	tb.staging = nil
	return nil
}

// LoadPart loads one part alone (the loader uses LoadGroup; this keeps
// the PartLoader contract for a caller that loads part by part).
func (tb *table) LoadPart(ctx context.Context, p load.PartInfo, open func(context.Context) (io.ReadCloser, error)) (load.PartRecord, error) {
	if err := tb.StagePart(ctx, p, open); err != nil {
		return load.PartRecord{}, err
	}
	res, err := tb.LoadGroup(ctx, []load.PartInfo{p}, p.Fresh, 0)
	if err != nil {
		return load.PartRecord{}, err
	}
	if !p.Fresh {
		if err := tb.Merge(ctx); err != nil {
			return load.PartRecord{}, err
		}
	}
	return res[0].Record, nil
}

// Release drops an unmerged staging table and ends the table's session
// (and with it a temporary stage).
func (tb *table) Release(ctx context.Context) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if tb.staging != nil {
		tb.conn.ExecContext(ctx, dropSQL(*tb.staging))
		tb.staging = nil
	}
	tb.conn.Close()
	tb.conn, tb.stage, tb.putDir, tb.rows, tb.lines = nil, "", "", nil, nil
}
