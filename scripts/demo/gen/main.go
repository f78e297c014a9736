// Command gen is the demo's table generator (scripts/demo.sh): it
// creates a keyspace and a table with collections, a user type, a static
// column, writetimes and TTLs, fills it, and counts rows of tables (in
// Cassandra, or in Bigtable after a load there).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

func main() {
	hosts := flag.String("hosts", "127.0.0.1:9042", "comma-separated host:port list")
	keyspace := flag.String("keyspace", "lading_demo", "keyspace to (re)create and fill")
	rows := flag.Int("rows", 20000, "rows to write (10 per partition)")
	count := flag.String("count", "", "only count the rows of these comma-separated KS.TABLEs")
	drop := flag.String("drop", "", "only drop these comma-separated keyspaces")
	btCount := flag.String("bigtable-count", "", "only count the rows the loader wrote into this Bigtable `PROJECT/INSTANCE/TABLE`")
	spCount := flag.String("spanner-count", "", "only count the rows of this Spanner `projects/P/instances/I/databases/D/TABLE`")
	indexTag := flag.String("index-tag", "", "suffix of the customers table's index name (Spanner index names are the database's, and spannertest keeps its database between demo runs)")
	flag.Parse()
	if *spCount != "" {
		if err := countSpanner(context.Background(), *spCount); err != nil {
			fail(err)
		}
		return
	}
	if *btCount != "" {
		if err := countBigtable(context.Background(), *btCount); err != nil {
			fail(err)
		}
		return
	}

	c := gocql.NewCluster(strings.Split(*hosts, ",")...)
	c.Timeout = 30 * time.Second
	c.Consistency = gocql.One
	s, err := c.CreateSession()
	if err != nil {
		fail(err)
	}
	defer s.Close()
	ctx := context.Background()
	switch {
	case *count != "":
		for _, t := range strings.Split(*count, ",") {
			var n int64
			if err := s.Query("SELECT COUNT(*) FROM "+t).ScanContext(ctx, &n); err != nil {
				fail(err)
			}
			fmt.Printf("%s: %d rows\n", t, n)
		}
		return
	case *drop != "":
		for _, ks := range strings.Split(*drop, ",") {
			if err := s.Query("DROP KEYSPACE IF EXISTS " + ks).ExecContext(ctx); err != nil {
				fail(err)
			}
		}
		return
	}
	ks := *keyspace
	for _, q := range []string{
		"DROP KEYSPACE IF EXISTS " + ks,
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TYPE " + ks + ".address (street text, city text, zip int)",
		"CREATE TABLE " + ks + ".orders (customer uuid, seq int, customer_name text STATIC, item text, qty int, price decimal, " +
			"tags set<text>, notes list<text>, attrs map<text, int>, ship_to address, placed timestamp, " +
			"PRIMARY KEY (customer, seq)) WITH CLUSTERING ORDER BY (seq DESC)",
		// A table with a secondary index: --route sends it to Spanner.
		"CREATE TABLE " + ks + ".customers (id int PRIMARY KEY, name text, city text)",
		"CREATE INDEX customers_by_city" + *indexTag + " ON " + ks + ".customers (city)",
	} {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			fail(fmt.Errorf("%s: %w", q, err))
		}
	}
	insert := "INSERT INTO " + ks + ".orders (customer, seq, customer_name, item, qty, price, tags, notes, attrs, ship_to, placed) " +
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {street: ?, city: ?, zip: ?}, ?) USING TIMESTAMP ? AND TTL ?"
	appendNote := "UPDATE " + ks + ".orders USING TIMESTAMP ? SET notes = notes + ?, tags = tags + ? WHERE customer = ? AND seq = ?"
	start := time.Now()
	base := start.UnixMicro()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	parts := (*rows + 9) / 10
	sem := make(chan struct{}, 16)
	for p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cust := gocql.TimeUUID()
			for r := 0; r < 10 && p*10+r < *rows; r++ {
				i := p*10 + r
				ttl := 0
				if i%7 == 0 {
					ttl = 30 * 86400
				}
				err := s.Query(insert, cust, r, fmt.Sprintf("customer %d", p), fmt.Sprintf("item %d", i%97), i%5+1, inf.NewDec(int64(i%100000), 2),
					[]string{"new", fmt.Sprintf("t%d", i%3)}, []string{"placed"}, map[string]int{"weight": i % 50},
					"main street", "Springfield", 10000+i%90000, start.Add(-time.Duration(i)*time.Minute), base+int64(i), ttl).ExecContext(ctx)
				if err == nil && i%3 == 0 {
					err = s.Query(appendNote, base+int64(i)+1000, []string{"shipped"}, []string{"shipped"}, cust, r).ExecContext(ctx)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		fail(err)
	default:
	}
	fmt.Printf("generated %d rows in %s.orders (%d partitions) in %s\n", *rows, ks, parts, time.Since(start).Round(time.Millisecond))
	for i := range parts {
		q := "INSERT INTO " + ks + ".customers (id, name, city) VALUES (?, ?, ?)"
		if err := s.Query(q, i, fmt.Sprintf("customer %d", i), fmt.Sprintf("city %d", i%40)).ExecContext(ctx); err != nil {
			fail(err)
		}
	}
	fmt.Printf("generated %d rows in %s.customers (indexed by city)\n", parts, ks)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
