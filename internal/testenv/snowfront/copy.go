package snowfront

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/pkg/format"
)

var (
	copyRE     = regexp.MustCompile(`(?is)^\s*COPY\s+INTO\s+(` + ident + `)\s*\(`)
	fromRE     = regexp.MustCompile(`(?is)^\s*FROM\s*\(\s*SELECT\s+`)
	stageRefRE = regexp.MustCompile(`(?is)^@(` + ident + `)(/[^\s)]*)?\s*$`)
	filesRE    = regexp.MustCompile(`(?is)\bFILES\s*=\s*\(`)
	formatRE   = regexp.MustCompile(`(?is)\bFILE_FORMAT\s*=\s*\(([^)]*)\)`)
	typeRE     = regexp.MustCompile(`(?is)\bTYPE\s*=\s*'?(\w+)'?`)
	compRE     = regexp.MustCompile(`(?is)\bCOMPRESSION\s*=\s*'?(\w+)'?`)
	onErrorRE  = regexp.MustCompile(`(?is)\bON_ERROR\s*=\s*'?(\w+)'?`)
)

// copyStmt is a parsed COPY INTO <table> (<cols>) FROM (SELECT <exprs>
// FROM @<stage>[/<path>]) FILES = (…) FILE_FORMAT = (TYPE = JSON …)
// ON_ERROR = ….
type copyStmt struct {
	table       string // as written
	tableKey    string // folded, DB.SCHEMA.TABLE
	cols, exprs string // as written; exprs read the row as v (was $1)
	stage, sub  string
	files       []string
	compression string // ZSTD, GZIP, NONE or AUTO
	abort       bool   // ON_ERROR = ABORT_STATEMENT
}

// closing returns the index of the parenthesis closing the one opened
// just before s[i:], skipping string literals and quoted identifiers.
func closing(s string, i int) int {
	depth := 1
	for ; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			q := s[i]
			for i++; i < len(s); i++ {
				if s[i] == '\\' && q == '\'' {
					i++
					continue
				}
				if s[i] == q {
					if i+1 < len(s) && s[i+1] == q {
						i++
						continue
					}
					break
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// rewriteDollar1 reads the row as v where the query reads $1 (outside
// literals and quoted identifiers).
func rewriteDollar1(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '"' {
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && c == '\'' {
					j++
					continue
				}
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			b.WriteString(s[i:min(j+1, len(s))])
			i = j
			continue
		}
		if c == '$' && i+1 < len(s) && s[i+1] == '1' && (i+2 == len(s) || s[i+2] < '0' || s[i+2] > '9') {
			b.WriteString("v")
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func badCopy(msg string) error {
	return &sqlError{code: "001003", state: "42000", msg: "SQL compilation error: the stand-in's COPY INTO: " + msg}
}

// parseCopy parses the COPY INTO forms the front runs: a transformation
// query over one stage, with FILES and a JSON file format.
func parseCopy(q string) (*copyStmt, error) {
	m := copyRE.FindStringSubmatchIndex(q)
	c := &copyStmt{table: q[m[2]:m[3]], tableKey: stageKey(q[m[2]:m[3]])}
	end := closing(q, m[1])
	if end < 0 {
		return nil, badCopy("unbalanced column list")
	}
	c.cols = q[m[1]:end]
	rest := q[end+1:]
	fm := fromRE.FindStringIndex(rest)
	if fm == nil {
		return nil, badCopy("want FROM (SELECT … FROM @stage)")
	}
	inner := rest[fm[1]:]
	selEnd := closing(inner, 0)
	if selEnd < 0 {
		return nil, badCopy("unbalanced FROM (SELECT …)")
	}
	sel := inner[:selEnd]
	opts := inner[selEnd+1:]
	at := strings.LastIndex(strings.ToUpper(sel), " FROM @")
	if at < 0 {
		return nil, badCopy("the query reads no stage")
	}
	sm := stageRefRE.FindStringSubmatch(strings.TrimSpace(sel[at+len(" FROM "):]))
	if sm == nil {
		return nil, badCopy("the query must read one stage with no WHERE or JOIN")
	}
	c.exprs, c.stage, c.sub = rewriteDollar1(sel[:at]), sm[1], sm[2]

	f := filesRE.FindStringIndex(opts)
	if f == nil {
		return nil, badCopy("FILES = (…) is required")
	}
	fend := closing(opts, f[1])
	if fend < 0 {
		return nil, badCopy("unbalanced FILES")
	}
	for _, lit := range regexp.MustCompile(`'((?:[^'\\]|''|\\.)*)'`).FindAllStringSubmatch(opts[f[1]:fend], -1) {
		c.files = append(c.files, strings.ReplaceAll(strings.ReplaceAll(lit[1], "''", "'"), `\\`, `\`))
	}
	ff := formatRE.FindStringSubmatch(opts)
	if ff == nil {
		return nil, badCopy("FILE_FORMAT = (TYPE = JSON …) is required")
	}
	if t := typeRE.FindStringSubmatch(ff[1]); t == nil || !strings.EqualFold(t[1], "JSON") {
		return nil, badCopy("the stand-in reads TYPE = JSON only")
	}
	c.compression = "AUTO"
	if cm := compRE.FindStringSubmatch(ff[1]); cm != nil {
		c.compression = strings.ToUpper(cm[1])
	}
	switch oe := onErrorRE.FindStringSubmatch(opts); {
	case oe == nil || strings.EqualFold(oe[1], "ABORT_STATEMENT"):
		c.abort = true
	case strings.EqualFold(oe[1], "CONTINUE"):
	default:
		return nil, badCopy("ON_ERROR = " + oe[1] + " is not emulated (ABORT_STATEMENT or CONTINUE)")
	}
	return c, nil
}

// fileResult is one row of COPY's result.
type fileResult struct {
	name                 string
	parsed, loaded, errs int64
	firstErr             string
	firstLine            int64
	status               string
}

// copyInto runs a COPY: every file's lines through the transformation
// into a scratch table LIKE the target (rows that fail are counted, or
// abort the statement), then all rows into the target in one INSERT,
// so the COPY lands whole or not at all.
func (f *Front) copyInto(ctx context.Context, q string) (*result, error) {
	c, err := parseCopy(q)
	if err != nil {
		return nil, err
	}
	st, err := f.stageOf(c.stage)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(c.tableKey, ".")
	if len(parts) != 3 {
		return nil, badCopy("name the table as DATABASE.SCHEMA.TABLE")
	}
	f.mu.Lock()
	f.seq++
	scratch := fmt.Sprintf(`%s.%s."__snowfront_copy_%d"`, quote(parts[0]), quote(parts[1]), f.seq)
	f.mu.Unlock()
	// One session, in the table's database: fakesnow reads a file only
	// in a session with a current database and schema.
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE SCHEMA "+quote(parts[0])+"."+quote(parts[1])); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+scratch+" LIKE "+c.table); err != nil {
		return nil, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+scratch)
	b, err := f.open(ctx, st, c.sub)
	if err != nil {
		return nil, err
	}
	defer b.Close()

	ins := "INSERT INTO " + scratch + " (" + c.cols + ") SELECT " + c.exprs + " FROM (SELECT PARSE_JSON("
	res := &result{cols: copyColumns, typeID: 0x3600}
	var loaded int64
	for _, name := range c.files {
		fr, err := f.copyFile(ctx, conn, b, st, c, ins, name)
		if err != nil {
			return nil, err
		}
		loaded += fr.loaded
		limit := fr.parsed
		if c.abort {
			limit = 1
		}
		var first, line, char *string
		if fr.errs > 0 {
			first, line, char = str(fr.firstErr), num(fr.firstLine), num(1)
		}
		res.rows = append(res.rows, []*string{str(st.fileName(strings.TrimPrefix(strings.Trim(c.sub, "/")+"/"+name, "/"))), str(fr.status),
			num(fr.parsed), num(fr.loaded), num(limit), num(fr.errs), first, line, char, nil})
	}
	if hook := f.opts.BeforeCopyLands; hook != nil {
		if err := hook(ctx, c.tableKey); err != nil {
			return nil, err
		}
	}
	if ctx.Err() != nil {
		return nil, canceled()
	}
	if loaded > 0 {
		// Once its rows begin to land, a cancel no longer stops them (the
		// statement ends, and leaves QUERY_HISTORY, after they landed).
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "INSERT INTO "+c.table+" ("+c.cols+") SELECT "+c.cols+" FROM "+scratch); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// copyColumns are COPY INTO's documented result columns.
var copyColumns = []column{
	{name: "file"}, {name: "status"}, {name: "rows_parsed", fixed: true}, {name: "rows_loaded", fixed: true},
	{name: "error_limit", fixed: true}, {name: "errors_seen", fixed: true}, {name: "first_error"},
	{name: "first_error_line", fixed: true}, {name: "first_error_character", fixed: true}, {name: "first_error_column_name"},
}

// Batches of lines pushed through the transformation in one statement.
const (
	batchRows  = 200
	batchBytes = 1 << 20
)

// copyFile runs one file's lines through the transformation into the
// scratch table: all at once (fakesnow reading the decompressed lines
// with DuckDB's read_json_objects), or, when that fails, line by line.
func (f *Front) copyFile(ctx context.Context, conn *sql.Conn, b interface {
	NewReader(context.Context, string) (io.ReadCloser, error)
}, st *stage, c *copyStmt, ins, name string) (*fileResult, error) {
	fr := &fileResult{name: name}
	comp, err := format.CompressionOf(name)
	if err != nil {
		return nil, err
	}
	if want := map[string]string{format.Zstd: "ZSTD", format.Gzip: "GZIP", format.None: "NONE"}[comp]; c.compression != "AUTO" && c.compression != want {
		return nil, &sqlError{code: "100069", state: "22000", msg: fmt.Sprintf("Error parsing JSON: file '%s' is not %s compressed", name, c.compression)}
	}
	r, err := b.NewReader(ctx, name)
	if err != nil {
		return nil, &sqlError{code: "091016", state: "22000", msg: fmt.Sprintf("Remote file '%s' was not found. There are several potential causes. The file might not exist. The required credentials may be missing or invalid. (%v)", st.fileName(name), err)}
	}
	defer r.Close()
	pr, err := format.NewPartReader(r, name)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	// The file's lines, decompressed, for fakesnow to read in one
	// statement; a file with a bad line is pushed again line by line.
	tmp, err := os.CreateTemp(f.opts.Dir, "copy-*.ndjson")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	for {
		line, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tmp.Close()
			return nil, &sqlError{code: "100069", state: "22000", msg: fmt.Sprintf("Error reading file '%s': %v", st.fileName(name), err)}
		}
		fr.parsed++
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if fr.parsed == 0 {
		fr.status = "LOADED"
		return fr, nil
	}
	bulk := ins + "json) AS v FROM read_json_objects('" + strings.ReplaceAll(tmp.Name(), "'", "''") + "'))"
	if _, err := conn.ExecContext(ctx, bulk); err == nil {
		fr.loaded = fr.parsed
	} else if err := f.lineByLine(ctx, conn, c, st, fr, ins+"column1) AS v FROM VALUES ", tmp.Name()); err != nil {
		return nil, err
	}
	switch {
	case fr.errs == 0:
		fr.status = "LOADED"
	case fr.loaded > 0:
		fr.status = "PARTIALLY_LOADED"
	default:
		fr.status = "LOAD_FAILED"
	}
	return fr, nil
}

// lineByLine pushes a file's lines through the transformation in
// batches of bound values; a batch that fails is pushed again one line
// at a time, so each bad line is found by fakesnow itself. With
// ON_ERROR = ABORT_STATEMENT the first bad line fails the statement,
// naming the file and line.
func (f *Front) lineByLine(ctx context.Context, conn *sql.Conn, c *copyStmt, st *stage, fr *fileResult, ins, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	rd := bufio.NewReaderSize(file, 1<<20)
	var lines []string
	var first, n int64 // line number of lines[0], lines read
	size := 0
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		if err := insert(ctx, conn, ins, lines); err == nil {
			fr.loaded += int64(len(lines))
		} else {
			for i, l := range lines {
				err := insert(ctx, conn, ins, []string{l})
				if err == nil {
					fr.loaded++
					continue
				}
				fr.errs++
				if fr.errs == 1 {
					fr.firstErr, fr.firstLine = message(err), first+int64(i)
				}
				if c.abort {
					return &sqlError{code: "100071", state: "22000", msg: fmt.Sprintf("%s\n  File '%s', line %d, character 1\n  Row %d starts at line %d", message(err), st.fileName(fr.name), fr.firstLine, fr.firstLine, fr.firstLine)}
				}
			}
		}
		lines, size = lines[:0], 0
		return nil
	}
	for {
		line, err := rd.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		n++
		if len(lines) == 0 {
			first = n
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
		size += len(line)
		if len(lines) >= batchRows || size >= batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// insert pushes lines through the transformation into the scratch table.
func insert(ctx context.Context, conn *sql.Conn, ins string, lines []string) error {
	args := make([]any, len(lines))
	for i, l := range lines {
		args[i] = l
	}
	q := ins + strings.TrimSuffix(strings.Repeat("(?), ", len(lines)), ", ") + ")"
	_, err := conn.ExecContext(ctx, q, args...)
	return err
}

// quote quotes an identifier.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// message is the text of fakesnow's error, without gosnowflake's codes.
func message(err error) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}
