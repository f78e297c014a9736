package cassandra_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/load/targettest"
	"github.com/lading-dev/lading/internal/testenv"
)

// buildCommands returns the directory holding cmd/exporter, cmd/shipper
// and cmd/loader, built once per test process.
func buildCommands(t *testing.T) string {
	t.Helper()
	return targettest.BuildCommands(t, "exporter", "shipper", "loader")
}

func runCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// snapshot reads a table as JSON rows keyed by primary key, with the
// writetime and TTL of every regular and static column.
type rowSnap struct {
	values string
	meta   map[string]any
}

var timedColumns = []string{"a", "bi", "bl", "bo", "de", "db", "du", "fl", "ine", "i", "si", "te", "ti", "ts", "tu", "tiny", "u", "vc", "vi", "li", "se", "ma", "fli", "tup", "ad", "fad", "vec", "st", "sli"}

func snapshot(t *testing.T, e *env, ks string) map[string]rowSnap {
	t.Helper()
	out := map[string]rowSnap{}
	iter := e.s.Query("SELECT JSON * FROM " + ks + ".every").Consistency(gocql.One).Iter()
	var js string
	for iter.Scan(&js) {
		var m map[string]any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(m["id"], " ", m["day"], " ", m["seq"])] = rowSnap{values: js}
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	sel := []string{"id", "day", "seq"}
	for _, c := range timedColumns {
		sel = append(sel, "writetime("+c+")", "ttl("+c+")")
	}
	iter = e.s.Query("SELECT " + strings.Join(sel, ", ") + " FROM " + ks + ".every").Consistency(gocql.One).Iter()
	var id, seq gocql.UUID
	var day time.Time
	raws := make([]cql.Raw, 2*len(timedColumns))
	dest := []any{&id, &day, &seq}
	for i := range raws {
		dest = append(dest, &raws[i])
	}
	for iter.Scan(dest...) {
		k := fmt.Sprint(id, " ", day.Format("2006-01-02"), " ", seq)
		s := out[k]
		s.meta = map[string]any{}
		for i, c := range timedColumns {
			s.meta["wt_"+c] = fmt.Sprintf("%x", raws[2*i])
			s.meta["ttl_"+c] = decodeTTL(raws[2*i+1])
		}
		out[k] = s
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeTTL turns TTL(c) (an int, or a list of ints and nulls for a
// multi-cell column) into nil, a float64 or a []any of them.
func decodeTTL(v []byte) any {
	if v == nil {
		return nil
	}
	if len(v) == 4 {
		return float64(int32(binary.BigEndian.Uint32(v)))
	}
	n := int(binary.BigEndian.Uint32(v))
	v = v[4:]
	out := make([]any, 0, n)
	for range n {
		l := int32(binary.BigEndian.Uint32(v))
		v = v[4:]
		if l < 0 {
			out = append(out, nil)
			continue
		}
		out = append(out, float64(int32(binary.BigEndian.Uint32(v[:l]))))
		v = v[l:]
	}
	return out
}

// ttlClose compares TTL values (numbers or lists of numbers and nulls):
// the restored one may be lower by up to slack seconds, and higher by at
// most over seconds.
func ttlClose(src, dst any, slack, over float64) bool {
	switch s := src.(type) {
	case nil:
		return dst == nil
	case float64:
		d, ok := dst.(float64)
		return ok && d <= s+over && d >= s-slack
	case []any:
		d, ok := dst.([]any)
		if !ok || len(d) != len(s) {
			return false
		}
		for i := range s {
			if !ttlClose(s[i], d[i], slack, over) {
				return false
			}
		}
		return true
	}
	return false
}

// Disaster recovery end to end: a table with every type is exported with
// writetimes and TTLs, shipped to S3, dropped, and restored by the
// loader; --verify full passes and the restored rows, writetimes and TTLs
// equal the source's (TTLs within the seconds elapsed).
func TestDisasterRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	e := newEnv(t)
	bins := buildCommands(t)
	endpoint, bucket := testenv.S3(t)
	nrows := targettest.FillEveryType(func(stmt string) { e.exec(stmt) }, e.ks, 20)
	src := snapshot(t, e, e.ks)
	if len(src) != nrows {
		t.Fatalf("source has %d rows, want %d", len(src), nrows)
	}
	taken := time.Now()

	dumps := "file://" + t.TempDir()
	s3 := "s3://" + bucket + "/dr-test/" + e.ks + "?endpoint=" + url.QueryEscape(endpoint)
	t.Cleanup(func() {
		if b, err := openStore(s3); err == nil {
			emptyStore(b)
		}
	})
	out := runCmd(t, filepath.Join(bins, "exporter"), "--source", "cassandra://"+e.hosts, "--table", e.ks+".every", "--dest", dumps, "--batch", "dr", "--writetime", "--ttl", "--splits", "8")
	t.Logf("exporter: %s", strings.TrimSpace(out))
	out = runCmd(t, filepath.Join(bins, "shipper"), "--from", dumps, "--to", s3)
	t.Logf("shipper: %s", strings.TrimSpace(out))

	e.exec("DROP TABLE " + e.ks + ".every")
	e.exec("DROP TYPE " + e.ks + ".addr")
	out = runCmd(t, filepath.Join(bins, "loader"), "--from", s3, "--to", e.target(), "--create-table", "--verify", "full")
	t.Logf("loader: %s", strings.TrimSpace(out))
	if !strings.Contains(out, fmt.Sprintf("loaded dr/%s.every/", e.ks)) || !strings.Contains(out, "verify full: passed") {
		t.Fatalf("loader did not load and verify the dump: %s", out)
	}

	dst := snapshot(t, e, e.ks)
	if len(dst) != len(src) {
		t.Errorf("restored %d rows, source had %d", len(dst), len(src))
	}
	slack := time.Since(taken).Seconds() + 2
	bad := 0
	for k, s := range src {
		d, ok := dst[k]
		if !ok {
			t.Errorf("row %s missing", k)
			bad++
			continue
		}
		if d.values != s.values {
			t.Errorf("row %s:\n  source   %s\n  restored %s", k, s.values, d.values)
			bad++
		}
		for _, c := range timedColumns {
			if fmt.Sprint(s.meta["wt_"+c]) != fmt.Sprint(d.meta["wt_"+c]) {
				t.Errorf("row %s column %s: writetime %v, source %v", k, c, d.meta["wt_"+c], s.meta["wt_"+c])
				bad++
			}
			if !ttlClose(s.meta["ttl_"+c], d.meta["ttl_"+c], slack, 0) {
				t.Errorf("row %s column %s: ttl %v, source %v (slack %.0fs)", k, c, d.meta["ttl_"+c], s.meta["ttl_"+c], slack)
				bad++
			}
		}
		if bad > 20 {
			t.Fatal("too many differences")
		}
	}

	// Every part loaded a second time: the table is identical, lists and
	// sets included (values and writetimes exactly, TTLs within the time
	// elapsed).
	out = runCmd(t, filepath.Join(bins, "loader"), "--from", s3, "--to", e.target(), "--force", "--verify", "full")
	if !strings.Contains(out, "verify full: passed") {
		t.Fatalf("forced reload: %s", out)
	}
	again := snapshot(t, e, e.ks)
	slack = time.Since(taken).Seconds() + 2
	for k, d := range dst {
		a := again[k]
		if a.values != d.values {
			t.Errorf("row %s changed by a reload:\n  before %s\n  after  %s", k, d.values, a.values)
		}
		for _, c := range timedColumns {
			if fmt.Sprint(a.meta["wt_"+c]) != fmt.Sprint(d.meta["wt_"+c]) || !ttlClose(d.meta["ttl_"+c], a.meta["ttl_"+c], slack, 1) {
				t.Errorf("row %s column %s changed by a reload: writetime %v ttl %v, before %v %v", k, c, a.meta["wt_"+c], a.meta["ttl_"+c], d.meta["wt_"+c], d.meta["ttl_"+c])
			}
		}
	}
	if len(again) != len(dst) {
		t.Errorf("%d rows after the reload, %d before", len(again), len(dst))
	}
}
