package cassandra_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load"
	_ "github.com/lading-dev/lading/internal/load/targets/cassandra"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
)

// env is one test's world: a Cassandra session, a fresh keyspace and a
// file:// store.
type env struct {
	t        *testing.T
	ctx      context.Context
	hosts    string
	s        *gocql.Session
	ks       string
	storeURL string
	store    *objstore.Bucket
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

func newEnv(t *testing.T) *env {
	t.Helper()
	hosts := testenv.CassandraHosts(t)
	ctx := context.Background()
	cfg, err := cql.ParseURL("cassandra://" + hosts)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cql.Connect(ctx, cfg, cql.Options{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(sess.Close)
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 30 {
		name = name[len(name)-30:]
	}
	ks := strings.Trim("lt_"+name+"_"+hex.EncodeToString(suffix), "_")
	e := &env{t: t, ctx: ctx, hosts: hosts, s: sess.Driver(), ks: ks}
	e.exec("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	t.Cleanup(func() { e.s.Query("DROP KEYSPACE IF EXISTS " + ks).Exec() })
	dir := t.TempDir()
	e.storeURL = "file://" + dir
	if e.store, err = objstore.Open(ctx, e.storeURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	return e
}

func (e *env) exec(stmt string, args ...any) {
	e.t.Helper()
	if err := e.s.Query(stmt, args...).Consistency(gocql.One).Exec(); err != nil {
		e.t.Fatalf("%s: %v", stmt, err)
	}
}

// target is the test keyspace's URL.
func (e *env) target() string { return "cassandra://" + e.hosts + "/" + e.ks }

// opts returns load options from the test store into the test keyspace.
func (e *env) opts(from string) load.Options {
	return load.Options{
		From: from, To: e.target(), CreateTable: true, Verify: load.VerifyFull,
		Workers: 8, SpoolBytes: 64 << 20, SpoolDir: e.t.TempDir(), Run: report.New("loader"),
	}
}

// run runs a load and fails the test on error.
func (e *env) run(o load.Options) load.Result {
	e.t.Helper()
	res, err := load.Run(e.ctx, o)
	if err != nil {
		e.t.Fatalf("load: %v", err)
	}
	return res
}

// count counts a table's rows.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.s.Query("SELECT COUNT(*) FROM " + e.ks + "." + table).Consistency(gocql.One).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

var _ = fmt.Sprintf
var _ = time.Now

func openStore(u string) (*objstore.Bucket, error) { return objstore.Open(context.Background(), u) }

// emptyStore deletes every object of a store and closes it.
func emptyStore(b *objstore.Bucket) {
	objs, _, _ := b.ListAll(context.Background(), "", "")
	for _, o := range objs {
		b.Delete(context.Background(), o.Key)
	}
	b.Close()
}
