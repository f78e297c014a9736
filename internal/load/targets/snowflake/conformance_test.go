package snowflake

import (
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/snowfront"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// front starts the stand-in's front (internal/testenv/snowfront) before
// fakesnow for one test, and sets the password the loader reads.
func front(t testing.TB) *snowfront.Front {
	t.Helper()
	return frontWith(t, snowfront.Options{})
}

// frontWith is front with options (a test's hooks) besides the servers'.
func frontWith(t testing.TB, opts snowfront.Options) *snowfront.Front {
	t.Helper()
	host, port := testenv.Need(t, "LADING_SNOWFLAKE_HOST"), testenv.Need(t, "LADING_SNOWFLAKE_PORT")
	opts.Upstream, opts.S3Endpoint = host+":"+port, os.Getenv("LADING_S3_ENDPOINT")
	f, err := snowfront.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	t.Setenv(EnvPassword, "stand-in-password")
	return f
}

// frontDB is a session through the front (for the statements only the
// front answers, such as CREATE STAGE).
func frontDB(t testing.TB, f *snowfront.Front) *sql.DB {
	t.Helper()
	host, port, _ := strings.Cut(f.Addr(), ":")
	p, _ := strconv.Atoi(port)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "acme", User: "test", Password: "stand-in", Host: host, Port: p, Protocol: "http"}))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// targetURL is the --to URL of database db's schema RAW through the front.
func targetURL(f *snowfront.Front, db string) string {
	host, port, _ := strings.Cut(f.Addr(), ":")
	return "snowflake://loader@acme/" + db + "/RAW?host=" + host + "&port=" + port + "&protocol=http"
}

var dbSeq atomic.Int64

// newDatabase creates a database with schema RAW on the stand-in.
func newDatabase(t testing.TB, db *sql.DB) string {
	t.Helper()
	name := fmt.Sprintf("LADING_%d_%d", time.Now().UnixNano(), dbSeq.Add(1))
	exec(t, db, "CREATE DATABASE "+quoteIdent(name))
	exec(t, db, "CREATE SCHEMA "+quoteIdent(name)+"."+quoteIdent("RAW"))
	return name
}

// TestConformance runs the target suite through the front and fakesnow.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and kills the loader")
	}
	f := front(t)
	targettest.RunConformance(t, &harness{db: standIn(t), f: f})
}

// harness reads the stand-in directly (not through the front), turning
// each value back into the dump's JSON (docs/format.md) and that into
// CQL bytes with pkg/format, so a value that did not come through the
// documented mapping exactly fails the round trip.
type harness struct {
	db *sql.DB
	f  *snowfront.Front
}

func (h *harness) NewTarget(t *testing.T) string { return targetURL(h.f, newDatabase(t, h.db)) }

func (h *harness) Holds(cqlType string) targettest.Holding {
	switch cqlType {
	case "varint":
		return targettest.Holding{NotHeld: true, Note: "the stand-in stores NUMBER(38,0) as a 64-bit integer; varint → NUMBER(38,0) is exact on Snowflake up to 38 digits (README)"}
	case "decimal":
		return targettest.Holding{ReadBack: viaDouble, Note: "the stand-in reads a JSON number with a fraction as a double; Snowflake keeps 38 digits (README)"}
	}
	return targettest.Exact
}

// viaDouble is a decimal as the stand-in keeps it: the nearest double,
// written as DuckDB writes a double.
func viaDouble(v []byte) []byte {
	scale := int32(binary.BigEndian.Uint32(v[:4]))
	unscaled := new(big.Int).SetBytes(v[4:])
	if len(v) > 4 && v[4]&0x80 != 0 {
		unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*(len(v)-4))))
	}
	r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	f, _ := r.Float64()
	text := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(text, ".") {
		text += ".0"
	}
	out, err := format.ParseValue(&schema.Type{Kind: schema.Decimal}, []byte(text))
	if err != nil {
		panic(err)
	}
	return out
}

// of parses a target URL back into the database's table.
func of(t *testing.T, target, table string) tableName {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	return tableName{parts[0], parts[1], table}
}

// readExpr selects a column so that its text is the dump's JSON value.
func readExpr(c schema.Column) string {
	q := quoteIdent(c.Name)
	switch mapType(c.T).DDL {
	case "BINARY":
		return "HEX_ENCODE(" + q + ")"
	case "TIMESTAMP_TZ(3)":
		return "DATE_PART(EPOCH_MILLISECOND, " + q + ")"
	case "DATE":
		return "TO_VARCHAR(" + q + ", 'YYYY-MM-DD')"
	case "VARIANT":
		return "TO_JSON(" + q + ")"
	}
	return q
}

// dumpJSON turns a column's text back into the dump's JSON value.
func dumpJSON(c schema.Column, text string) string {
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch k := c.T.Kind; {
	case k == schema.Blob:
		return quoted("0x" + strings.ToLower(text))
	case k == schema.Timestamp:
		ms, _ := strconv.ParseInt(text, 10, 64)
		return quoted(time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"))
	case k == schema.Float || k == schema.Double:
		if f, err := strconv.ParseFloat(text, 64); err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return quoted(text)
		}
		return text
	}
	switch mapType(c.T).DDL {
	case "VARCHAR", "VARCHAR(36)", "DATE":
		if c.T.Kind != schema.Decimal {
			return quoted(text)
		}
	}
	return text
}

func (h *harness) ReadRows(t *testing.T, target, table string, cols []schema.Column) []format.Row {
	t.Helper()
	tn := of(t, target, table)
	exprs := make([]string, len(cols))
	for i, c := range cols {
		if c.T == nil {
			t.Fatalf("column %s: type not resolved", c.Name)
		}
		exprs[i] = readExpr(c)
	}
	rows, err := h.db.Query("SELECT " + strings.Join(exprs, ", ") + " FROM " + tn.String())
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil
		}
		t.Fatalf("read %s: %v", tn, err)
	}
	defer rows.Close()
	var out []format.Row
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := format.Row{Values: make([][]byte, len(cols))}
		for i, c := range cols {
			if !vals[i].Valid {
				continue
			}
			j := dumpJSON(c, vals[i].String)
			v, err := format.ParseValue(c.T, []byte(j))
			if err != nil {
				t.Fatalf("%s column %s: %s does not decode: %v", tn, c.Name, j, err)
			}
			r.Values[i] = v
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// where matches the row whose key columns hold key, converting each key
// value the way COPY does (from its dump JSON).
func where(t *testing.T, cols []schema.Column, key [][]byte) (string, []any) {
	t.Helper()
	var conds []string
	var args []any
	i := 0
	for _, c := range cols {
		if c.Role != schema.PartitionKey && c.Role != schema.Clustering {
			continue
		}
		j, err := format.AppendValue(nil, c.T, key[i])
		if err != nil {
			t.Fatal(err)
		}
		i++
		conds = append(conds, quoteIdent(c.Name)+" = "+mapType(c.T).conv(`PARSE_JSON(?):"x"`))
		args = append(args, `{"x":`+string(j)+`}`)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (h *harness) DeleteRow(t *testing.T, target, table string, cols []schema.Column, key [][]byte) {
	w, args := where(t, cols, key)
	exec(t, h.db, "DELETE FROM "+of(t, target, table).String()+w, args...)
}

func (h *harness) ChangeValue(t *testing.T, target, table string, cols []schema.Column, key [][]byte, col string) {
	w, args := where(t, cols, key)
	exec(t, h.db, "UPDATE "+of(t, target, table).String()+" SET "+quoteIdent(col)+" = 'changed behind the loader'"+w, args...)
}

func (h *harness) DropTable(t *testing.T, target, table string) {
	exec(t, h.db, dropSQL(of(t, target, table)))
}

func (h *harness) CreateMismatched(t *testing.T, target, name string, tbl schema.Table, col string) string {
	if err := tbl.Resolve(); err != nil {
		t.Fatal(err)
	}
	cols, err := columns(&tbl, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cols {
		if cols[i].Name == col {
			cols[i].Type = sfType{DDL: "BOOLEAN"}
		}
	}
	exec(t, h.db, createTableSQL(of(t, target, name), cols, ""))
	return fmt.Sprintf("column %q", col)
}

// LoaderFlags: COPYs of 4 parts, so that the kill test's 48 parts are
// committed in 12 COPYs and its kills fall between them (with one COPY
// of every part a kill lands before or after the only commit).
func (h *harness) LoaderFlags() []string { return []string{"--copy-parts", "4"} }

// RefusedKey: the stand-in enforces no size limit on a value, and a blob
// key is refused by Snowflake only past BINARY's 8 MiB; the suite's
// rejects case is skipped, and TestRejectsNamedWithFileAndLine checks
// ON_ERROR with a value both refuse.
func (h *harness) RefusedKey() ([]byte, string) { return nil, "" }
