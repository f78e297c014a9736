package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// load loads the exporter's dump into new tables with the loader (at its
// default verification, and without one), and DSBulk's JSON unload with
// DSBulk load, checking every target's row count after.
func (h *harness) load() {
	c := h.c
	inflight := strconv.Itoa(c.parallel * 8)
	loader := func(verify string) *tool {
		name := toolLoader
		if verify != "count" {
			name += " --verify " + verify
		}
		t := &tool{r: &result{Group: "load", Tool: name, Note: "the exporter's file:// dump into a new table (--create-table), --workers " + inflight + ", --verify " + verify},
			repeat: c.repeat, servers: []string{"cassandra"}}
		t.run = func(i int) (*exec.Cmd, error) {
			if h.ladingDump == "" {
				return nil, fmt.Errorf("no exporter dump to load (the export group did not run or failed)")
			}
			return exec.Command(filepath.Join(c.bin, "loader"), "--from", "file://"+h.ladingDump, "--to", "cassandra://"+c.hosts+"/"+keyspace,
				// No --force: every run loads into a table of its own
				// (created afresh, so with a ledger of its own), as a
				// user restoring into a new table would. --force would
				// also take no part as fresh, so that every list write
				// reads the list first (list.go), which DSBulk does not.
				"--target-table", loadTable(verify, i), "--create-table", "--verify", verify, "--workers", inflight,
				"--spool-dir", h.work(""), "--log-level", "warn"), nil
		}
		t.check = func(i int, _ string, s *sample) error { return h.checkLoad(loadTable(verify, i), s) }
		return t
	}
	dsb := &tool{r: &result{Group: "load", Tool: toolDSBulkLoad, Note: "DSBulk 1.10.0 `load -c json` of its own unload of the table into a new table, --executor.maxInFlight " + inflight + "; the JVM at its defaults"},
		repeat: c.repeat, servers: []string{"cassandra"}}
	dsb.run = func(i int) (*exec.Cmd, error) {
		if h.dsbJSON == "" {
			return nil, fmt.Errorf("no DSBulk unload to load (DSBulk unload did not run or failed)")
		}
		out, err := exec.Command(c.gen, "--hosts", c.hosts, "--keyspace", keyspace, "--table", loadTable("dsbulk", i), "--create-only").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("creating the target table: %v: %s", err, out)
		}
		return h.dsbulk("load", "-k", keyspace, "-t", loadTable("dsbulk", i), "-c", "json", "-url", h.dsbJSON, "--executor.maxInFlight", inflight)
	}
	dsb.check = func(i int, _ string, s *sample) error { return h.checkLoad(loadTable("dsbulk", i), s) }
	h.rounds([]*tool{loader("count"), loader("none"), dsb})
}

func loadTable(kind string, i int) string { return fmt.Sprintf("load_%s_%d", kind, i) }

// checkLoad counts the rows of a loaded table (a full paged scan, not
// timed), then drops it to free the disk for the next run.
func (h *harness) checkLoad(table string, s *sample) error {
	sess, err := h.session()
	if err != nil {
		return err
	}
	defer sess.Close()
	ctx := context.Background()
	it := sess.Query("SELECT tenant FROM " + keyspace + "." + table).PageSize(5000).IterContext(ctx)
	var tenant string
	for it.Scan(&tenant) {
		s.Rows++
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("counting %s: %w", table, err)
	}
	if err := sess.Query("DROP TABLE IF EXISTS " + keyspace + "." + table).ExecContext(ctx); err != nil {
		return err
	}
	return h.wantRows(s, 0, "", false)
}

func (h *harness) session() (*gocql.Session, error) {
	cl := gocql.NewCluster(strings.Split(h.c.hosts, ",")...)
	cl.Timeout, cl.Consistency = time.Minute, gocql.One
	return cl.CreateSession()
}

// cassandraVersion is the server's release_version, or why it is unknown.
func (h *harness) cassandraVersion() string {
	sess, err := h.session()
	if err != nil {
		return "unknown: " + err.Error()
	}
	defer sess.Close()
	var v string
	if err := sess.Query("SELECT release_version FROM system.local").Scan(&v); err != nil {
		return "unknown: " + err.Error()
	}
	return v
}

// dropKeyspace frees the disk the bench's tables took.
func (h *harness) dropKeyspace() error {
	sess, err := h.session()
	if err != nil {
		return err
	}
	defer sess.Close()
	return sess.Query("DROP KEYSPACE IF EXISTS " + keyspace).Exec()
}

// emulators runs the Bigtable, Spanner and Snowflake targets' go
// benchmarks (lading alone: there is no peer for these targets) and keeps
// their figures. The Snowflake stand-in applies each COPY row by row in
// an embedded engine, so it gets at most 50,000 rows.
func (h *harness) emulators() {
	for _, b := range []struct {
		name, pkg string
		env       []string
		count     int
	}{
		{"BenchmarkLoadBigtable", "./internal/load/targets/bigtable", []string{"LADING_BENCH_REPEAT=" + strconv.Itoa(h.c.repeat)}, 1},
		{"BenchmarkLoad", "./internal/load/targets/spanner", nil, h.c.repeat},
		{"BenchmarkLoadSnowflake", "./internal/load/targets/snowflake", nil, h.c.repeat},
	} {
		n := h.c.emuRows
		if b.name == "BenchmarkLoadSnowflake" {
			n = min(n, 50_000)
		}
		rows := strconv.Itoa(n)
		e := emulatorResult{Benchmark: b.pkg[len("./internal/load/targets/"):] + ": " + b.name, Rows: n}
		cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^"+b.name+"$", "-benchtime", "1x",
			"-count", strconv.Itoa(b.count), "-timeout", "60m", b.pkg)
		cmd.Env = append(append(os.Environ(), "LADING_BENCH_ROWS="+rows, "LADING_REQUIRE_SERVICES=1"), b.env...)
		out, err := cmd.CombinedOutput()
		_ = os.WriteFile(filepath.Join(h.c.out, "logs", b.name+".log"), out, 0o644)
		if err != nil {
			e.Error = fmt.Sprintf("%v: %s", err, tail(string(out), 6))
		} else {
			e.Metrics, e.Log = parseBench(string(out), b.name)
		}
		fmt.Printf("bench: %s: %v %s\n", e.Benchmark, e.Metrics, e.Error)
		h.rep.Emulators = append(h.rep.Emulators, e)
	}
}

// parseBench reads go test -bench output: the metrics of every result
// line of the benchmark (median, min and max over the lines), and its
// log lines that summarize (median, ceiling).
func parseBench(out, name string) (map[string]stat, []string) {
	vals := map[string][]float64{}
	var logs []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) > 2 && (f[0] == name || strings.HasPrefix(f[0], name+"-")) {
			for i := 2; i+1 < len(f); i += 2 {
				if v, err := strconv.ParseFloat(f[i], 64); err == nil && f[i+1] != "ns/op" {
					vals[f[i+1]] = append(vals[f[i+1]], v)
				}
			}
			continue
		}
		if t := strings.TrimSpace(line); strings.Contains(t, "median of") || strings.Contains(t, "callers:") {
			logs = append(logs, t)
		}
	}
	m := map[string]stat{}
	for k, v := range vals {
		m[k] = stat{Median: median(v), Min: slices.Min(v), Max: slices.Max(v)}
	}
	return m, logs
}
