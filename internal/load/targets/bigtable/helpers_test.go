package bigtable

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/bigtable"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
)

// btEnv is one test's world: an emulator project/instance of its own (the
// emulator keeps every instance apart), a file:// store, and clients.
type btEnv struct {
	t        testing.TB
	ctx      context.Context
	host     string
	project  string
	instance string
	storeURL string
	store    *objstore.Bucket
	client   *bigtable.Client
	admin    *bigtable.AdminClient
}

var nonID = regexp.MustCompile(`[^a-z0-9]+`)

func newBTEnv(t testing.TB) *btEnv {
	t.Helper()
	host := testenv.Bigtable(t)
	ctx := context.Background()
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := nonID.ReplaceAllString(strings.ToLower(t.Name()), "-")
	if len(name) > 20 {
		name = name[len(name)-20:]
	}
	e := &btEnv{t: t, ctx: ctx, host: host, project: "lading-test", instance: "i" + strings.Trim(name, "-") + "-" + hex.EncodeToString(suffix)}
	// As Open does: the client library's own emulator connection takes
	// no message over 4 MB.
	conn, err := grpc.NewClient("passthrough:///"+host, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if e.client, err = bigtable.NewClientWithConfig(ctx, e.project, e.instance, bigtable.ClientConfig{MetricsProvider: bigtable.NoopMetricsProvider{}}, option.WithGRPCConn(conn)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.client.Close() })
	if e.admin, err = bigtable.NewAdminClient(ctx, e.project, e.instance, option.WithGRPCConn(conn)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tables, _ := e.admin.Tables(ctx)
		for _, tb := range tables {
			e.admin.DeleteTable(ctx, tb)
		}
		e.admin.Close()
	})
	dir := t.TempDir()
	e.storeURL = "file://" + dir
	if e.store, err = objstore.Open(ctx, e.storeURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	return e
}

// target is the test instance's URL.
func (e *btEnv) target() string {
	return "bigtable://" + e.project + "/" + e.instance + "?family=cf"
}

func (e *btEnv) opts(from string) load.Options {
	return load.Options{
		From: from, To: e.target(), CreateTable: true, Verify: load.VerifyFull,
		Workers: 8, SpoolBytes: 64 << 20, SpoolDir: e.t.TempDir(), Run: report.New("loader"),
	}
}

func (e *btEnv) run(o load.Options) load.Result {
	e.t.Helper()
	res, err := load.Run(e.ctx, o)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	for _, d := range res.Dumps {
		if d.Err != nil {
			e.t.Fatalf("load %s: %v", d.Dump, d.Err)
		}
	}
	return res
}

// btCell is one cell read back raw.
type btCell struct {
	ts    bigtable.Timestamp
	value string
}

// readAll reads every cell of every version of a table: row key →
// qualifier → cells (newest first).
func (e *btEnv) readAll(table string) map[string]map[string][]btCell {
	e.t.Helper()
	out := map[string]map[string][]btCell{}
	err := e.client.Open(table).ReadRows(e.ctx, bigtable.InfiniteRange(""), func(r bigtable.Row) bool {
		m := map[string][]btCell{}
		for fam, items := range r {
			for _, it := range items {
				q := strings.TrimPrefix(it.Column, fam+":")
				m[q] = append(m[q], btCell{it.Timestamp, string(it.Value)})
			}
		}
		out[r.Key()] = m
		return true
	})
	if err != nil {
		e.t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// dataKeys returns the keys of rows holding a row marker, in order.
func dataKeys(all map[string]map[string][]btCell) []string {
	var keys []string
	for k, m := range all {
		if _, ok := m[markerQualifier]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// buildCommands returns the directory holding the named commands
// (testenv.Commands: built once per test process).
func buildCommands(t testing.TB, cmds ...string) string {
	t.Helper()
	return testenv.Commands(t, cmds...)
}
