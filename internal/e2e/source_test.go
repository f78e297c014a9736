//go:build chaos

package e2e

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

// tableName is the source table, in a keyspace of the test's own.
const tableName = "shipments"

// column is one column of the chaos table; the compare reads every
// non-key one with its WRITETIME and TTL.
type column struct {
	name, cqlType string
	static        bool
}

// keyColumns are the primary key, in table order: partition key (id,
// region), clustering (ts DESC, seq ASC).
var keyColumns = []string{"id", "region", "ts", "seq"}

// valueColumns are the static and regular columns, in table order.
var valueColumns = []column{
	{"owner", "text", true},
	{"owner_since", "timestamp", true},
	{"notes", "list<text>", true},
	{"name", "text", false},
	{"amount", "decimal", false},
	{"qty", "bigint", false},
	{"score", "double", false},
	{"active", "boolean", false},
	{"payload", "blob", false},
	{"created", "timestamp", false},
	{"tags", "set<text>", false},
	{"attrs", "map<text, bigint>", false},
	{"events", "list<text>", false},
	{"addr", "address", false},
}

// sourceDDL creates the user type and the table in ks.
func sourceDDL(ks string) []string {
	var cols []string
	cols = append(cols, "id uuid", "region int", "ts timestamp", "seq bigint")
	for _, c := range valueColumns {
		s := c.name + " " + c.cqlType
		if c.static {
			s += " STATIC"
		}
		cols = append(cols, s)
	}
	return []string{
		"CREATE TYPE " + ks + ".address (street text, city text, zip int)",
		"CREATE TABLE " + ks + "." + tableName + " (" + strings.Join(cols, ", ") +
			", PRIMARY KEY ((id, region), ts, seq)) WITH CLUSTERING ORDER BY (ts DESC, seq ASC)",
	}
}

// sourceTable is what createSource made.
type sourceTable struct {
	// Rows is what a full SELECT returns: clustering rows plus one row per
	// partition that holds only static values.
	Rows                         int64
	Partitions, Wide, StaticOnly int
	WideRows                     int
	Statements                   int64
	TTLCells                     int64
	Elapsed                      time.Duration
	StatementsPerSecond          float64
}

// layout returns the partition sizes of a table of about rows rows: a few
// wide partitions, some holding only static values (size 0), the rest 1
// to 30 rows. The sum of sizes plus the static-only partitions is rows.
func layout(rows int, rng *rand.Rand) (sizes []int, wide, staticOnly, wideRows int) {
	wide, staticOnly = 1, 5
	if rows >= 30000 {
		wide, staticOnly = 3, rows/5000
	}
	wideRows = max(rows*5/100, 50)
	left := rows - staticOnly
	for range wide {
		n := min(wideRows, left)
		sizes = append(sizes, n)
		left -= n
	}
	for range staticOnly {
		sizes = append(sizes, 0)
	}
	for left > 0 {
		n := min(1+rng.IntN(30), left)
		sizes = append(sizes, n)
		left -= n
	}
	return sizes, wide, staticOnly, wideRows
}

// stmt is one statement with its bind values.
type stmt struct {
	cql  string
	args []any
	size int // rough size of the values, for batching
}

// createSource creates the chaos table in ks and fills it with about
// rows rows, deterministically from seed: every value type, nulls written
// as tombstones or left unset, empty strings and blobs, odd doubles and
// decimals, writetimes from USING TIMESTAMP (collection elements and
// user type fields with their own), some TTLs (an hour to 30 days, so
// nothing expires during the test), rows made by UPDATE only or holding
// only their key, partitions with only static values.
func createSource(t *testing.T, s *gocql.Session, ks string, rows int, seed uint64) sourceTable {
	t.Helper()
	for _, q := range sourceDDL(ks) {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	sizes, wide, staticOnly, wideRows := layout(rows, rand.New(rand.NewPCG(seed, 0x1a70)))
	src := sourceTable{Partitions: len(sizes), Wide: wide, StaticOnly: staticOnly, WideRows: wideRows}
	for _, n := range sizes {
		src.Rows += int64(max(n, 1))
	}
	g := &generator{ks: ks, base: time.Now().Add(-24 * time.Hour).UnixMicro()}
	start := time.Now()
	batches := make(chan []stmt, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	var stmts, ttls atomic.Int64
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue
				}
				if err := execBatch(ctx, s, b); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
				stmts.Add(int64(len(b)))
			}
		}()
	}
	for p, n := range sizes {
		if ctx.Err() != nil {
			break
		}
		part := g.partition(rand.New(rand.NewPCG(seed, uint64(p)+1)), n)
		ttls.Add(part.ttlCells)
		for _, b := range chunk(part.stmts) {
			batches <- b
		}
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("fill %s.%s: %v", ks, tableName, firstErr)
	}
	src.Statements, src.TTLCells = stmts.Load(), ttls.Load()
	src.Elapsed = time.Since(start)
	src.StatementsPerSecond = float64(src.Statements) / src.Elapsed.Seconds()
	return src
}

// chunk cuts one partition's statements into unlogged batches well
// under Cassandra's batch size failure threshold.
func chunk(stmts []stmt) [][]stmt {
	var out [][]stmt
	var cur []stmt
	size := 0
	for _, st := range stmts {
		if len(cur) > 0 && (len(cur) >= 20 || size+st.size > 24<<10) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, st)
		size += st.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// execBatch runs one partition's statements as an unlogged batch, with a
// few tries (the test server on a small machine times out now and then;
// every statement has its own timestamp, so a retry writes the same).
func execBatch(ctx context.Context, s *gocql.Session, stmts []stmt) error {
	var err error
	for try := range 6 {
		b := s.Batch(gocql.UnloggedBatch).Consistency(gocql.One)
		for _, st := range stmts {
			b.Query(st.cql, st.args...)
		}
		if err = b.ExecContext(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(try+1) * 300 * time.Millisecond):
		}
	}
	return fmt.Errorf("batch of %d statements (first %q): %w", len(stmts), stmts[0].cql, err)
}

// generator makes a partition's statements.
type generator struct {
	ks   string
	base int64 // µs: writetimes are base plus up to a few hours
}

type partitionStmts struct {
	stmts    []stmt
	ttlCells int64
}

var words = []string{"created", "paid", "packed", "shipped", "delayed", "delivered", "returned",
	"Zürich", "東京", "🚚 en route", "", `quote " and \ backslash`, "line\nbreak\ttab", "nul\x00byte"}

func (g *generator) partition(rng *rand.Rand, rows int) partitionStmts {
	var ps partitionStmts
	id := randomUUID(rng)
	region := rng.IntN(4)
	tbl := g.ks + "." + tableName
	const key = " WHERE id = ? AND region = ?"
	const rowKey = key + " AND ts = ? AND seq = ?"
	wt := func() int64 { return g.base + rng.Int64N(4*3600*1e6) }
	ttl := func() int { return 3600 + rng.IntN(30*86400-3600) }
	// Timestamps and TTLs are bound (TTL 0: none), so that a few prepared
	// statements serve every row.
	add := func(size int, cql string, args ...any) {
		ps.stmts = append(ps.stmts, stmt{cql: cql, args: args, size: size})
	}

	// Static columns: most partitions, and all that hold no rows.
	if rows == 0 || rng.IntN(10) < 7 {
		t := 0
		if rng.IntN(5) == 0 {
			t = ttl()
			ps.ttlCells += 3
		}
		add(200, "UPDATE "+tbl+" USING TIMESTAMP ? AND TTL ? SET owner = ?, owner_since = ?, notes = ?"+key,
			wt(), t, g.text(rng), g.timestamp(rng), g.list(rng), id, region)
		if rng.IntN(3) == 0 { // a later append: elements with another writetime
			add(60, "UPDATE "+tbl+" USING TIMESTAMP ? SET notes = notes + ?"+key,
				wt()+1e9, []string{words[rng.IntN(len(words))], "static append"}, id, region)
		}
	}
	ts := time.UnixMilli(1_800_000_000_000 + rng.Int64N(1e9))
	for r := range rows {
		ts = ts.Add(-time.Duration(1+rng.IntN(3_600_000)) * time.Millisecond)
		seq := int64(r)*7 + rng.Int64N(7) - 1<<40
		w := wt()
		switch k := rng.IntN(100); {
		case k < 3: // a row made by UPDATE only: no row marker
			add(80, "UPDATE "+tbl+" USING TIMESTAMP ? SET name = ?, tags = tags + ?"+rowKey,
				w, g.text(rng), []string{"upd", words[rng.IntN(len(words))]}, id, region, ts, seq)
			continue
		case k < 5: // only the key
			add(40, "INSERT INTO "+tbl+" (id, region, ts, seq) VALUES (?, ?, ?, ?) USING TIMESTAMP ?",
				id, region, ts, seq, w)
			continue
		}
		t := 0
		if rng.IntN(100) < 15 {
			t = ttl()
			ps.ttlCells += 11
		}
		vals := []any{g.text(rng), g.decimal(rng), g.bigint(rng), g.double(rng), g.boolean(rng),
			g.blob(rng), g.timestamp(rng), g.set(rng), g.mapValue(rng), g.list(rng), g.address(rng)}
		size := 100
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				size += len(b)
			}
			if rng.IntN(12) == 0 { // a null: a tombstone, or nothing written
				vals[i] = null{}
				if rng.IntN(2) == 0 && i != len(vals)-1 { // gocql cannot leave a user type unset
					vals[i] = gocql.UnsetValue
				}
			}
		}
		args := append(append([]any{id, region, ts, seq}, vals...), w, t)
		add(size, "INSERT INTO "+tbl+" (id, region, ts, seq, name, amount, qty, score, active, payload, created, tags, attrs, events, addr)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ? AND TTL ?", args...)
		if rng.IntN(10) < 3 { // later cells: collection elements, a user type field
			add(100, "UPDATE "+tbl+" USING TIMESTAMP ? SET events = events + ?, attrs = attrs + ?, tags = tags + ?, addr.city = ?"+rowKey,
				w+1+rng.Int64N(1e9), []string{"appended", "appended"}, map[string]int64{"late": rng.Int64()}, []string{"later"}, "Later City",
				id, region, ts, seq)
		}
		if rng.IntN(20) == 0 { // prepended list elements
			add(40, "UPDATE "+tbl+" USING TIMESTAMP ? SET events = ? + events"+rowKey,
				w+2, []string{"first", "second"}, id, region, ts, seq)
		}
		if rng.IntN(10) == 0 { // one cell with a TTL of its own
			add(40, "UPDATE "+tbl+" USING TIMESTAMP ? AND TTL ? SET name = ?, attrs['ttl'] = ?"+rowKey,
				w+3, ttl(), "renamed", int64(-1), id, region, ts, seq)
			ps.ttlCells += 2
		}
	}
	return ps
}

// null binds a null of any type (gocql refuses a nil user type).
type null struct{}

// MarshalCQL implements gocql.Marshaler.
func (null) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return nil, nil }

func randomUUID(rng *rand.Rand) gocql.UUID {
	var u gocql.UUID
	for i := range u {
		u[i] = byte(rng.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (g *generator) text(rng *rand.Rand) string {
	switch rng.IntN(20) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("long text ", 200+rng.IntN(200))
	}
	return words[rng.IntN(len(words))] + fmt.Sprintf(" %d", rng.IntN(1e6))
}

func (g *generator) decimal(rng *rand.Rand) *inf.Dec {
	d := new(inf.Dec)
	switch rng.IntN(20) {
	case 0: // beyond 64 bits
		v := new(big.Int).Lsh(big.NewInt(rng.Int64N(1<<40)+1), 70)
		if rng.IntN(2) == 0 {
			v.Neg(v)
		}
		d.SetUnscaledBig(v)
		d.SetScale(inf.Scale(rng.IntN(20)))
	case 1:
		d.SetUnscaled(0).SetScale(inf.Scale(rng.IntN(4))) // 0, 0.0, 0.00, 0.000
	case 2:
		d.SetUnscaled(rng.Int64N(1e6)).SetScale(inf.Scale(-1 - rng.IntN(3))) // 12E+3
	default: // money: trailing zeros kept (10.50)
		d.SetUnscaled(rng.Int64N(2e9) - 1e9).SetScale(inf.Scale(rng.IntN(7)))
	}
	return d
}

func (g *generator) bigint(rng *rand.Rand) int64 {
	switch rng.IntN(20) {
	case 0:
		return math.MaxInt64
	case 1:
		return math.MinInt64
	case 2:
		return 1<<53 + 1 // not exact as a float64
	}
	return rng.Int64() >> uint(rng.IntN(64))
}

func (g *generator) double(rng *rand.Rand) float64 {
	switch rng.IntN(40) {
	case 0:
		return math.NaN()
	case 1:
		return math.Inf(1)
	case 2:
		return math.Inf(-1)
	case 3:
		return math.Copysign(0, -1)
	case 4:
		return math.SmallestNonzeroFloat64
	case 5:
		return math.MaxFloat64
	}
	return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(30)-10))
}

func (g *generator) boolean(rng *rand.Rand) bool { return rng.IntN(2) == 0 }

func (g *generator) blob(rng *rand.Rand) []byte {
	n := rng.IntN(300)
	switch rng.IntN(500) {
	case 0:
		n = 16 << 10
	case 1, 2:
		n = 0 // empty, not null
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func (g *generator) timestamp(rng *rand.Rand) time.Time {
	if rng.IntN(10) == 0 { // before 1970, or far ahead
		return time.UnixMilli(rng.Int64N(20_000_000_000_000) - 5_000_000_000_000).UTC()
	}
	return time.UnixMilli(1_600_000_000_000 + rng.Int64N(400_000_000_000)).UTC()
}

func (g *generator) set(rng *rand.Rand) []string {
	var s []string
	for range rng.IntN(5) {
		s = append(s, words[rng.IntN(len(words))])
	}
	return s
}

func (g *generator) list(rng *rand.Rand) []string {
	var l []string
	for range rng.IntN(6) {
		l = append(l, words[rng.IntN(4)]) // few values: repeats are common
	}
	return l
}

func (g *generator) mapValue(rng *rand.Rand) map[string]int64 {
	m := map[string]int64{}
	for range rng.IntN(4) {
		m[words[rng.IntN(len(words))]] = rng.Int64() >> uint(rng.IntN(64))
	}
	return m
}

func (g *generator) address(rng *rand.Rand) map[string]any {
	a := map[string]any{"street": fmt.Sprintf("%d Main Street", rng.IntN(1000))}
	if rng.IntN(4) > 0 {
		a["city"] = words[rng.IntN(len(words))]
	}
	if rng.IntN(4) > 0 {
		a["zip"] = rng.IntN(100000)
	}
	return a
}
