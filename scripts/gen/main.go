// Command gen writes the benchmark's table into a Cassandra cluster:
// rows of mixed types (text, bigint, timestamp, uuid, decimal, a blob of
// 0-4 KB, a map and a set) in partitions that are mostly narrow (1 to 20
// rows) with some wide ones (500 to 5,000 rows). The same seed and row
// count always give the same rows, whatever the write concurrency: each
// partition's rows come from a generator seeded by the seed and the
// partition's number.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

// schema is the table's definition; %s is KS.TABLE.
const schema = `CREATE TABLE %s (
	tenant text, shard bigint, seq bigint, id uuid, name text, amount decimal,
	at timestamp, payload blob, attrs map<text, text>, tags set<text>,
	PRIMARY KEY ((tenant, shard), seq))`

func main() {
	hosts := flag.String("hosts", "127.0.0.1:9042", "comma-separated host:port list of the cluster")
	keyspace := flag.String("keyspace", "lading_bench", "keyspace (created if missing, replication factor 1)")
	table := flag.String("table", "events", "table to (re)create and fill")
	rows := flag.Int("rows", 100_000, "rows to write")
	seed := flag.Uint64("seed", 1, "seed of the generator (the same seed and --rows give the same rows)")
	conc := flag.Int("concurrency", 64, "writes in flight")
	createOnly := flag.Bool("create-only", false, "only (re)create the empty table (a load's target)")
	flag.Parse()
	if *rows < 0 || *conc < 1 {
		fail(errors.New("--rows must be >= 0 and --concurrency >= 1"))
	}
	c := gocql.NewCluster(strings.Split(*hosts, ",")...)
	c.Timeout = 30 * time.Second
	c.Consistency = gocql.One
	s, err := c.CreateSession()
	if err != nil {
		fail(fmt.Errorf("connecting to %s: %w", *hosts, err))
	}
	defer s.Close()
	ctx := context.Background()
	name := *keyspace + "." + *table
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS " + *keyspace + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"DROP TABLE IF EXISTS " + name,
		fmt.Sprintf(schema, name),
	} {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			fail(fmt.Errorf("%s: %w", q, err))
		}
	}
	if *createOnly {
		return
	}
	start := time.Now()
	parts, bytes, err := fill(ctx, s, name, *rows, *seed, *conc)
	if err != nil {
		fail(err)
	}
	fmt.Printf("gen: %d rows in %d partitions (%.1f MB of values) into %s in %s\n",
		*rows, parts, float64(bytes)/1e6, name, time.Since(start).Round(time.Millisecond))
}

// partitionSizes cuts rows into partitions: one in 200 is wide (500 to
// 5,000 rows), the rest narrow (1 to 20 rows); about half the rows are in
// wide partitions.
func partitionSizes(rows int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x6c6164696e67))
	var sizes []int
	for rows > 0 {
		n := 1 + rng.IntN(20)
		if rng.IntN(200) == 0 {
			n = 500 + rng.IntN(4501)
		}
		n = min(n, rows)
		sizes = append(sizes, n)
		rows -= n
	}
	return sizes
}

// fill writes the rows, conc at a time, and returns the partitions and
// the bytes of values written.
func fill(ctx context.Context, s *gocql.Session, name string, rows int, seed uint64, conc int) (int, int64, error) {
	insert := "INSERT INTO " + name + " (tenant, shard, seq, id, name, amount, at, payload, attrs, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	sizes := partitionSizes(rows, seed)
	type job struct{ part, rows int }
	jobs := make(chan job)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int64
		first error
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64
			for j := range jobs {
				rng := rand.New(rand.NewPCG(seed, uint64(j.part)+1))
				tenant := fmt.Sprintf("tenant-%04d", j.part%1000)
				// Unlogged batches of one partition's rows, under
				// Cassandra's default batch size warning (5 KiB is
				// only a warning; the failure is at 50 KiB).
				b := s.Batch(gocql.UnloggedBatch)
				var bsize int64
				for r := range j.rows {
					v := rowValues(rng, j.part, r)
					n := v.size(tenant)
					mine += n
					b.Query(insert, tenant, int64(j.part), int64(r), v.id, v.name, v.amount, v.at, v.payload, v.attrs, v.tags)
					bsize += n
					if bsize < 32<<10 && b.Size() < 20 && r < j.rows-1 {
						continue
					}
					if err := b.ExecContext(ctx); err != nil {
						mu.Lock()
						first = errors.Join(first, fmt.Errorf("partition %d row %d: %w", j.part, r, err))
						mu.Unlock()
						break
					}
					b, bsize = s.Batch(gocql.UnloggedBatch), 0
				}
			}
			mu.Lock()
			total += mine
			mu.Unlock()
		}()
	}
	for i, n := range sizes {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		jobs <- job{i, n}
	}
	close(jobs)
	wg.Wait()
	return len(sizes), total, first
}

type values struct {
	id      gocql.UUID
	name    string
	amount  *inf.Dec
	at      time.Time
	payload []byte
	attrs   map[string]string
	tags    []string
}

var words = strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango")

// rowValues draws one row's values from rng. Blobs are 0 to 4 KB, most
// of them small (the size is 4096·u³), half random bytes and half text,
// so that compression has something to do but not everything.
func rowValues(rng *rand.Rand, part, r int) values {
	var v values
	for i := range v.id {
		v.id[i] = byte(rng.Uint32())
	}
	v.id[6] = v.id[6]&0x0f | 0x40
	v.id[8] = v.id[8]&0x3f | 0x80
	v.name = fmt.Sprintf("%s %s %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], part*7+r)
	v.amount = inf.NewDec(rng.Int64N(1_000_000_000)-500_000_000, inf.Scale(rng.IntN(5)))
	v.at = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(2*365*86400_000)) * time.Millisecond)
	u := rng.Float64()
	v.payload = make([]byte, int(4096*u*u*u))
	if rng.IntN(2) == 0 {
		for i := range v.payload {
			v.payload[i] = byte(rng.Uint32())
		}
	} else {
		for i := 0; i < len(v.payload); {
			i += copy(v.payload[i:], words[rng.IntN(len(words))]+" ")
		}
	}
	if n := rng.IntN(6); n > 0 {
		v.attrs = make(map[string]string, n)
		for range n {
			v.attrs[words[rng.IntN(len(words))]] = fmt.Sprintf("v%d", rng.IntN(1000))
		}
	}
	for range rng.IntN(5) {
		v.tags = append(v.tags, words[rng.IntN(len(words))])
	}
	return v
}

// size is the bytes of the row's values (as stored, before encoding).
func (v values) size(tenant string) int64 {
	n := len(tenant) + 8 + 8 + 16 + len(v.name) + 8 + 8 + len(v.payload)
	for k, x := range v.attrs {
		n += len(k) + len(x)
	}
	for _, t := range v.tags {
		n += len(t)
	}
	return int64(n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
