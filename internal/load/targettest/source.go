package targettest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/schema"
)

// EveryTypeSchema has every CQL type as a column, a user type used
// frozen and not, a static column and descending clustering.
const EveryTypeSchema = `CREATE TYPE %[1]s.addr (street text, zip int, tags frozen<set<text>>);
CREATE TABLE %[1]s.every (
  id uuid, day date, seq timeuuid,
  a ascii, bi bigint, bl blob, bo boolean, de decimal, db double, du duration, fl float,
  ine inet, i int, si smallint, te text, ti time, ts timestamp, tu timeuuid, tiny tinyint,
  u uuid, vc varchar, vi varint,
  li list<int>, se set<text>, ma map<text, bigint>, fli frozen<list<text>>,
  tup tuple<int, text>, ad addr, fad frozen<addr>, vec vector<float, 3>,
  st text static, sli list<int> static,
  PRIMARY KEY ((id, day), seq)) WITH CLUSTERING ORDER BY (seq DESC)`

// FillEveryType creates EveryTypeSchema's type and table "every" in
// keyspace ks through exec (a CQL statement runner that fails the test
// on error) and writes partitions partitions of three rows with varied
// writetimes, TTLs, appends at other times, and nulls. It returns the
// rows written.
func FillEveryType(exec func(stmt string), ks string, partitions int) int {
	return fillEveryType(exec, ks, partitions, true)
}

// withoutVector drops the vector column from EveryTypeSchema's
// statements, for servers before 5.0, which have no vector type.
var withoutVector = strings.NewReplacer(", vec vector<float, 3>", "", ", fad, vec) VALUES", ", fad) VALUES")

// vectorValue is the vector literal of an INSERT of FillEveryType.
var vectorValue = regexp.MustCompile(`, \[1\.5, -2\.25, \d+\.0\]\)`)

func fillEveryType(exec func(stmt string), ks string, partitions int, vector bool) int {
	if !vector {
		inner := exec
		exec = func(stmt string) { inner(vectorValue.ReplaceAllString(withoutVector.Replace(stmt), ")")) }
	}
	for _, stmt := range strings.Split(fmt.Sprintf(EveryTypeSchema, ks), ";\n") {
		exec(stmt)
	}
	rows := 0
	for p := range partitions {
		id := gocql.TimeUUID()
		day := "2026-11-" + fmt.Sprintf("%02d", 1+p%28)
		base := int64(1_700_000_000_000_000 + p*1000)
		exec(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d SET st = 'static %d', sli = [%d, %d] WHERE id = %s AND day = '%s'", ks, base, p, p, p+1, id, day))
		for r := range 3 {
			seq := gocql.TimeUUID()
			ttl := ""
			if r == 1 {
				ttl = " AND TTL 86400"
			}
			exec(fmt.Sprintf(`INSERT INTO %s.every (id, day, seq, a, bi, bl, bo, de, db, du, fl, ine, i, si, te, ti, ts, tu, tiny, u, vc, vi,
				li, se, ma, fli, tup, ad, fad, vec) VALUES (%s, '%s', %s, 'ascii %d', %d, 0xcafe%02x, %v, 12345678901234567890.%03d, %v, 1h2m3s%dns, 1.5, '10.0.%d.1', %d, %d, 'text é %d', '08:12:54.123456789', '2026-11-22 15:45:30.123Z', now(), %d, %s, 'vc', %d00000000000000000000,
				[1, 2, %d], {'x', 'y%d'}, {'k': %d}, ['f', 'g'], (%d, 'tup'), {street: 'main %d', zip: %d}, {street: 'frozen', zip: 1, tags: {'a', 'b'}}, [1.5, -2.25, %d.0])
				USING TIMESTAMP %d%s`,
				ks, id, day, seq, p, int64(p)*1e12, p%256, r%2 == 0, p, 0.1+float64(p), p, p%250, p, p%30000, p, p%128, gocql.TimeUUID(), p,
				r, p, p*7, p, p, p, r, base+int64(r)*10, ttl))
			rows++
			if r == 2 {
				// Later appends and element writes at other timestamps, one
				// with a TTL; a null written over a value.
				exec(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d SET li = li + [%d], se = se + {'late'}, ma = ma + {'late': 1} WHERE id = %s AND day = '%s' AND seq = %s", ks, base+500, 100+p, id, day, seq))
				exec(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d AND TTL 7200 SET ma = ma + {'ttl': 2}, ad.street = 'moved' WHERE id = %s AND day = '%s' AND seq = %s", ks, base+600, id, day, seq))
				exec(fmt.Sprintf("UPDATE %s.every USING TIMESTAMP %d SET te = null WHERE id = %s AND day = '%s' AND seq = %s", ks, base+700, id, day, seq))
			}
		}
	}
	return rows
}

// everyPartitions is the round-trip dump's size: 20 partitions of 3
// rows, enough for every kind of value, small enough to load in seconds.
const everyPartitions = 20

// makeEveryTypeDump makes the real Cassandra dump of every CQL type the
// target holds, once per suite run: the table is filled in a keyspace of
// the test Cassandra and dumped by the real exporter (with writetimes and
// TTLs) to a file:// store that lives as long as the suite. Columns of
// types the harness does not hold are left out of the export.
func (s *suite) makeEveryTypeDump(t *testing.T) (*store, error) {
	hosts := testenv.CassandraHosts(t)
	ctx := context.Background()
	cfg, err := cql.ParseURL("cassandra://" + hosts)
	if err != nil {
		return nil, err
	}
	sess, err := cql.Connect(ctx, cfg, cql.Options{})
	if err != nil {
		return nil, fmt.Errorf("connect to the source Cassandra: %w", err)
	}
	defer sess.Close()
	ks := "suite_src_" + strings.ReplaceAll(gocql.TimeUUID().String()[:8], "-", "")
	var execErr error
	exec := func(stmt string) {
		if execErr == nil {
			execErr = sess.Driver().Query(stmt).Consistency(gocql.One).Exec()
			if execErr != nil {
				execErr = fmt.Errorf("%s: %w", stmt, execErr)
			}
		}
	}
	exec("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	defer sess.Driver().Query("DROP KEYSPACE IF EXISTS " + ks).Exec()
	info, err := cql.ReadCluster(ctx, sess)
	if err != nil {
		return nil, err
	}
	fillEveryType(exec, ks, everyPartitions, cql.MajorVersion(info.ReleaseVersion) >= 5) // vector<> came in 5.0
	if execErr != nil {
		return nil, execErr
	}
	// Only the columns the target holds; key columns always go.
	var tbl schema.Table
	iter := sess.Driver().Query("SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = 'every'", ks).Consistency(gocql.One).Iter()
	var name, typ, kind string
	for iter.Scan(&name, &typ, &kind) {
		tbl.Columns = append(tbl.Columns, schema.Column{Name: name, Type: typ, Role: schema.Role(kind)})
	}
	if err := iter.Close(); err != nil {
		return nil, err
	}
	held, all := heldColumns(s.h, tbl.Columns)
	st := fileStore(t)
	args := []string{"--source", "cassandra://" + hosts, "--table", ks + ".every", "--dest", st.url, "--batch", "suite", "--writetime", "--ttl", "--splits", "4"}
	if !all {
		args = append(args, "--columns", strings.Join(held, ","))
	}
	if r := s.command(t, "exporter", args...); r.code != 0 {
		return nil, fmt.Errorf("exporter: exit %d:\n%s", r.code, r.out)
	}
	return st, nil
}

// heldColumns lists the regular and static columns whose types h holds,
// and whether that is all of them (key columns are always exported).
func heldColumns(h Harness, cols []schema.Column) (held []string, all bool) {
	all = true
	for _, c := range cols {
		if c.Role != schema.Regular && c.Role != schema.Static {
			continue
		}
		if h.Holds(c.Type).NotHeld {
			all = false
			continue
		}
		held = append(held, c.Name)
	}
	return held, all
}
