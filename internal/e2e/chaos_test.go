//go:build chaos

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// defaultRows is the source table's size unless LADING_CHAOS_ROWS says
// otherwise.
const defaultRows = 300_000

// chaos is one soak run's world.
type chaos struct {
	t    *testing.T
	seed uint64
	rows int
	bins map[string]string

	hosts      string
	s          *gocql.Session
	srcKS      string
	dstKS      string
	src        sourceTable
	dumpDir    string // the exporter's file:// root
	batch      string
	s3Endpoint string
	s3Bucket   string
	s3Prefix   string // the shipper's destination root in the S3 bucket
	direct     *objstore.Bucket
	tmp        string
	deadline   time.Time

	mu      sync.Mutex
	figures []stageFigures
}

// stageFigures are what the log says of one stage.
type stageFigures struct {
	Stage   string
	Runs    int
	Kills   int
	Exit1   int   // runs that failed retryably on their own
	Retries int64 // retries counted in the reports of runs that exited
	Wall    time.Duration
	// Rows (and stored bytes) the stage moved: its rates are over the
	// whole stage, kills, throttled runs and re-runs included.
	Rows  int64
	Bytes int64
	Notes []string
}

func (f stageFigures) String() string {
	s := fmt.Sprintf("%-8s %6.1fs %8.0f rows/s", f.Stage, f.Wall.Seconds(), float64(f.Rows)/f.Wall.Seconds())
	if f.Bytes > 0 {
		s += fmt.Sprintf(" %5.1f MB/s", float64(f.Bytes)/1e6/f.Wall.Seconds())
	}
	s += fmt.Sprintf("  runs %d, SIGKILLs %d, retryable exits %d, retries in reports %d", f.Runs, f.Kills, f.Exit1, f.Retries)
	for _, n := range f.Notes {
		s += "\n             " + n
	}
	return s
}

// envInt reads a positive integer from the environment.
func envInt(t *testing.T, name string, def uint64) uint64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestChaosPipeline runs the whole pipeline under SIGKILLs and network
// faults and checks that the table comes back exactly:
//
//  1. a table of every kind of column (LADING_CHAOS_ROWS rows, default
//     300k) in the test Cassandra, with writetimes and some TTLs;
//  2. exporter → file:// as 3 shards at once, each killed again and again
//     (at random moments, throttled, then once while a process finishes
//     the dump), until all exit 0: one dump, its manifest counts the
//     source's rows, no unlisted part;
//  3. shipper file:// → S3 through a fault proxy (resets, 503s, held
//     connections, latency), killed again and again (throttled, at full
//     speed, and once between the manifest and _SUCCESS): _SUCCESS only
//     over intact files, and `shipper --check --full` passes;
//  4. loader S3 → a new keyspace, killed again and again (while creating
//     the table, loading, and once while verifying) until a run exits 0
//     with `--verify full` passed;
//  5. source and restored tables compared directly: the same rows, values,
//     writetimes and (within the seconds the export took) TTLs.
//
// Everything is bounded (runs per stage, a deadline) and on 127.0.0.1.
// LADING_CHAOS_SEED replays a run's data and kill schedule (the moments
// the kills land at still depend on the machine's speed);
// LADING_CHAOS_KEEP=1 leaves the keyspaces, dumps and S3 objects for a
// post-mortem; LADING_CHAOS_LOAD_FAULTS=1 sends the loader through the
// fault proxy too (see loadFaultsEnv).
func TestChaosPipeline(t *testing.T) {
	c := &chaos{t: t, hosts: testenv.CassandraHosts(t)}
	c.s3Endpoint, c.s3Bucket = testenv.S3(t)
	c.seed = envInt(t, "LADING_CHAOS_SEED", rand.Uint64()>>1)
	c.rows = int(envInt(t, "LADING_CHAOS_ROWS", defaultRows))
	t.Logf("seed %d (replay with LADING_CHAOS_SEED=%d), %d rows", c.seed, c.seed, c.rows)
	c.deadline = time.Now().Add(50 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-time.Minute).Before(c.deadline) {
		c.deadline = d.Add(-time.Minute)
	}
	keep := os.Getenv("LADING_CHAOS_KEEP") == "1"
	c.tmp = t.TempDir()
	if keep {
		// Leave everything for a post-mortem: the keyspaces, the dumps
		// and the S3 prefix.
		var err error
		if c.tmp, err = os.MkdirTemp("", "lading-chaos-"); err != nil {
			t.Fatal(err)
		}
	}
	c.dumpDir = filepath.Join(c.tmp, "dumps")
	c.batch = "chaos"
	defer c.logFigures()

	start := time.Now()
	var buildErr error
	built := make(chan struct{})
	go func() { // while the table fills
		defer close(built)
		c.bins, buildErr = buildBinaries(filepath.Join(c.tmp, "bin"))
	}()

	c.s = cqltest.Session(t).Driver()
	c.srcKS = fmt.Sprintf("lt_chaos_%06x", rand.IntN(1<<24))
	c.dstKS = c.srcKS + "_r"
	if err := c.s.Query("CREATE KEYSPACE " + c.srcKS + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").Exec(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if keep {
			t.Logf("LADING_CHAOS_KEEP=1: left keyspaces %s and %s, directory %s, s3://%s/%s", c.srcKS, c.dstKS, c.tmp, c.s3Bucket, c.s3Prefix)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, ks := range []string{c.srcKS, c.dstKS} {
			_ = c.s.Query("DROP KEYSPACE IF EXISTS " + ks).ExecContext(ctx)
		}
	})
	c.src = createSource(t, c.s, c.srcKS, c.rows, c.seed)
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	scanned := c.countRows(c.srcKS)
	if scanned != c.src.Rows {
		t.Fatalf("the source table holds %d rows, the generator made %d", scanned, c.src.Rows)
	}
	c.addFigures(stageFigures{Stage: "generate", Runs: 1, Wall: c.src.Elapsed, Rows: c.src.Rows,
		Notes: []string{fmt.Sprintf("%d partitions (%d wide of %d rows, %d with only static values), %d statements (%.0f/s), %d cells with a TTL",
			c.src.Partitions, c.src.Wide, c.src.WideRows, c.src.StaticOnly, c.src.Statements, c.src.StatementsPerSecond, c.src.TTLCells)}})

	c.s3Prefix = fmt.Sprintf("chaos/%s-%d", c.srcKS, time.Now().UnixNano())
	direct, err := objstore.Open(context.Background(), c.s3URL(c.s3Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	c.direct = direct
	t.Cleanup(func() {
		if keep {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := objstoretest.Empty(ctx, direct); err != nil {
			t.Errorf("clean up %s: %v", direct, err)
		}
		direct.Close()
	})

	exportStart := time.Now()
	d := c.exportStage()
	exportElapsed := time.Since(exportStart)
	c.shipStage(d)
	c.loadStage(d)
	c.compareStage(exportElapsed)
	t.Logf("the whole soak took %s", time.Since(start).Round(time.Second))
}

// s3URL is the shipper's destination root on the S3 server at endpoint
// (the server itself, or the fault proxy in front of it).
func (c *chaos) s3URL(endpoint string) string {
	return "s3://" + c.s3Bucket + "/" + c.s3Prefix + "?endpoint=" + url.QueryEscape(endpoint) + "&region=us-east-1"
}

func (c *chaos) table() string { return c.srcKS + "." + tableName }

func (c *chaos) addFigures(f stageFigures) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.figures = append(c.figures, f)
}

func (c *chaos) logFigures() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, f := range c.figures {
		b.WriteString("\n  " + f.String())
	}
	c.t.Logf("figures (seed %d, %d rows):%s", c.seed, c.rows, b.String())
}

// left is how long a stage may still take.
func (c *chaos) left() time.Duration { return time.Until(c.deadline) }

// countRows counts a table's rows by a full scan of its partition key.
func (c *chaos) countRows(ks string) int64 {
	c.t.Helper()
	iter := c.s.Query("SELECT id FROM " + ks + "." + tableName).Consistency(gocql.One).PageSize(5000).Iter()
	var n int64
	var id gocql.UUID
	for iter.Scan(&id) {
		n++
	}
	if err := iter.Close(); err != nil {
		c.t.Fatalf("count %s.%s: %v", ks, tableName, err)
	}
	return n
}
