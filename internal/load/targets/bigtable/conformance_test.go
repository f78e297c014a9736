package bigtable

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/bigtable"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/btproxy"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// TestConformance runs the target suite against the Bigtable emulator.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands and kills the loader")
	}
	host := testenv.Bigtable(t)
	conn, err := grpc.NewClient("passthrough:///"+host, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The loader reaches the emulator through the fault proxy, which
	// refuses entries with a row key over Bigtable's 4 KiB limit as
	// Bigtable does (the emulator checks no size).
	proxy, err := btproxy.Start(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	proxy.SetFault(func(key []byte, _ int) codes.Code {
		if len(key) > maxRowKeyBytes {
			return codes.InvalidArgument
		}
		return codes.OK
	})
	t.Setenv("BIGTABLE_EMULATOR_HOST", proxy.Addr())
	targettest.RunConformance(t, &harness{conn: conn, clients: map[string]*instanceClients{}})
}

// harness reaches the emulator directly: each case gets an instance of
// its own (the emulator keeps instances apart). It reads cells back and
// decodes them as docs/format.md says (row keys with the documented
// decoder, native values as their CQL bytes, collections, tuples, user
// types, vectors and durations from their JSON text), so every type is
// declared held exactly: a value that did not come back byte for byte
// through that documented encoding fails the round trip.
type harness struct {
	conn    *grpc.ClientConn
	mu      sync.Mutex
	clients map[string]*instanceClients // by target URL
}

type instanceClients struct {
	data  *bigtable.Client
	admin *bigtable.AdminClient
}

const confProject = "lading-conf"

func (h *harness) NewTarget(t *testing.T) string {
	suffix := make([]byte, 4)
	rand.Read(suffix)
	instance := "conf-" + hex.EncodeToString(suffix)
	ctx := context.Background()
	data, err := bigtable.NewClientWithConfig(ctx, confProject, instance, bigtable.ClientConfig{MetricsProvider: bigtable.NoopMetricsProvider{}}, option.WithGRPCConn(h.conn))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := bigtable.NewAdminClient(ctx, confProject, instance, option.WithGRPCConn(h.conn))
	if err != nil {
		t.Fatal(err)
	}
	target := "bigtable://" + confProject + "/" + instance + "?family=cf"
	h.mu.Lock()
	h.clients[target] = &instanceClients{data: data, admin: admin}
	h.mu.Unlock()
	t.Cleanup(func() {
		tables, _ := admin.Tables(ctx)
		for _, tb := range tables {
			admin.DeleteTable(ctx, tb)
		}
	})
	return target
}

func (h *harness) of(t *testing.T, target string) *instanceClients {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.clients[target]
	if c == nil {
		t.Fatalf("target %s was not made by NewTarget", target)
	}
	return c
}

func (h *harness) Holds(string) targettest.Holding { return targettest.Exact }

// layout is how a table's columns map onto Bigtable rows.
type layout struct {
	keys   []keyCol
	keyIdx []int // index of each key column in cols
	npk    int
	vals   map[string]*valCol
}

func layoutOf(cols []schema.Column) *layout {
	l := &layout{vals: map[string]*valCol{}}
	var pk, ck []int
	for i, c := range cols {
		switch c.Role {
		case schema.PartitionKey:
			pk = append(pk, i)
		case schema.Clustering:
			ck = append(ck, i)
		default:
			l.vals[c.Name] = &valCol{name: c.Name, idx: i, t: c.T, static: c.Role == schema.Static, json: jsonValued(c.T)}
		}
	}
	for _, i := range append(pk, ck...) {
		c := cols[i]
		l.keys = append(l.keys, keyCol{name: c.Name, t: c.T, desc: c.Role == schema.Clustering && c.Order == schema.Desc})
	}
	l.keyIdx = append(pk, ck...)
	l.npk = len(pk)
	return l
}

// rowKey is the row key of a primary key (cols order).
func (l *layout) rowKey(t *testing.T, key [][]byte) string {
	k, err := encodeKey(nil, l.keys[:len(key)], key)
	if err != nil {
		t.Fatalf("encode key: %v", err)
	}
	return string(k)
}

// ReadRows reads every row with a marker cell (CQL rows and static-only
// partitions), takes its key columns from the decoded row key, its
// regular columns from its cells and its static columns from its
// partition's static row.
func (h *harness) ReadRows(t *testing.T, target, table string, cols []schema.Column) []format.Row {
	t.Helper()
	ctx := context.Background()
	tbl := h.of(t, target).data.Open(table)
	l := layoutOf(cols)
	rows := map[string]map[string][]byte{}
	err := tbl.ReadRows(ctx, bigtable.InfiniteRange(""), func(r bigtable.Row) bool {
		m := map[string][]byte{}
		for fam, items := range r {
			for _, it := range items {
				m[strings.TrimPrefix(it.Column, fam+":")] = it.Value
			}
		}
		rows[r.Key()] = m
		return true
	}, bigtable.RowFilter(bigtable.ChainFilters(bigtable.FamilyFilter("cf"), bigtable.LatestNFilter(1))))
	if err != nil {
		if strings.Contains(err.Error(), "NotFound") || strings.Contains(err.Error(), "not found") {
			return nil
		}
		t.Fatalf("read %s: %v", table, err)
	}
	var out []format.Row
	for key, cells := range rows {
		if _, ok := cells[markerQualifier]; !ok || key == incarnationKey {
			continue
		}
		// A static-only partition's row key is its partition key alone.
		n := len(l.keys)
		dec, err := decodeKey([]byte(key), l.keys, n)
		if err != nil {
			n = l.npk
			if dec, err = decodeKey([]byte(key), l.keys, n); err != nil {
				t.Fatalf("row key %x: %v", key, err)
			}
		}
		staticKey := l.rowKey(t, dec[:l.npk])
		r := format.Row{Values: make([][]byte, len(cols))}
		for i, v := range dec {
			r.Values[l.keyIdx[i]] = v
		}
		for _, c := range l.vals {
			src := cells
			if c.static {
				src = rows[staticKey]
			}
			v, ok := src[c.name]
			if !ok || (!c.static && n == l.npk) {
				continue
			}
			w, err := decodeValue(c, v)
			if err != nil {
				t.Fatalf("row %x column %s: %q does not decode: %v", key, c.name, v, err)
			}
			r.Values[c.idx] = bytes.Clone(w)
		}
		out = append(out, r)
	}
	return out
}

func (h *harness) DeleteRow(t *testing.T, target, table string, cols []schema.Column, key [][]byte) {
	mut := bigtable.NewMutation()
	mut.DeleteRow()
	if err := h.of(t, target).data.Open(table).Apply(context.Background(), layoutOf(cols).rowKey(t, key), mut); err != nil {
		t.Fatal(err)
	}
}

// ChangeValue overwrites the cell with another value at the cell's own
// timestamp (the same key, qualifier and timestamp replace a cell in
// Bigtable): verification must compare values, not only timestamps.
func (h *harness) ChangeValue(t *testing.T, target, table string, cols []schema.Column, key [][]byte, col string) {
	ctx := context.Background()
	tbl := h.of(t, target).data.Open(table)
	rk := layoutOf(cols).rowKey(t, key)
	row, err := tbl.ReadRow(ctx, rk, bigtable.RowFilter(bigtable.ChainFilters(bigtable.ColumnFilter(regexp.QuoteMeta(col)), bigtable.LatestNFilter(1))))
	if err != nil || len(row["cf"]) != 1 {
		t.Fatalf("read %s of row %x: %v %v", col, rk, row, err)
	}
	mut := bigtable.NewMutation()
	mut.Set("cf", col, row["cf"][0].Timestamp, []byte("changed behind the loader's back"))
	if err := tbl.Apply(ctx, rk, mut); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) DropTable(t *testing.T, target, table string) {
	if err := h.of(t, target).admin.DeleteTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
}

// CreateMismatched creates the table without the URL's column family:
// Bigtable columns have no types, so a missing family is the schema
// Bigtable can get wrong.
func (h *harness) CreateMismatched(t *testing.T, target, name string, _ schema.Table, _ string) string {
	conf := &bigtable.TableConf{TableID: name, ColumnFamilies: map[string]bigtable.Family{"other": {GCPolicy: bigtable.MaxVersionsPolicy(1)}}}
	if err := h.of(t, target).admin.CreateTableFromConf(context.Background(), conf); err != nil {
		t.Fatal(err)
	}
	return "no column family cf"
}

// maxRowKeyBytes is Bigtable's limit on a row key (4 KiB).
const maxRowKeyBytes = 4096

// RefusedKey is a partition key over Bigtable's 4 KiB row key limit,
// which the proxy refuses as INVALID_ARGUMENT.
func (h *harness) RefusedKey() ([]byte, string) {
	return bytes.Repeat([]byte{'k'}, maxRowKeyBytes+100), "InvalidArgument"
}
