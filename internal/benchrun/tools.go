package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

const dsbulkMain = "com.datastax.oss.dsbulk.runner.DataStaxBulkLoader"

// tool is one contender of a group: how to run its i-th run, and how to
// read the rows and output bytes it reports.
type tool struct {
	r       *result
	repeat  int
	servers []string
	// run builds the i-th run's command; check reads the run's output
	// and directory to fill the sample's rows and output bytes.
	run   func(i int) (*exec.Cmd, error)
	check func(i int, out string, s *sample) error
}

// rounds runs the tools' runs alternately, round by round, each round
// starting one tool further on (round 2 with the second tool, round 3
// with the third, ...), so that no tool always runs just after the same
// other one, on a server still busy with what that one left; a tool that
// fails stops running and keeps the failure as its result.
func (h *harness) rounds(tools []*tool) {
	most := 0
	for _, t := range tools {
		h.rep.Results = append(h.rep.Results, t.r)
		most = max(most, t.repeat)
	}
	for i := range most {
		for j := range tools {
			t := tools[(i+j)%len(tools)]
			if i >= t.repeat || t.r.Error != "" {
				continue
			}
			cmd, err := t.run(i)
			if err != nil {
				t.r.Error = err.Error()
				continue
			}
			s, out, err := h.measured(fmt.Sprintf("%s-%d", strings.ReplaceAll(t.r.Tool, " ", "_"), i), cmd, t.servers...)
			if err == nil {
				err = t.check(i, out, &s)
			}
			if err != nil {
				t.r.Error = fmt.Sprintf("run %d: %v", i+1, err)
				continue
			}
			t.r.Runs = append(t.r.Runs, s)
		}
	}
}

func (h *harness) work(name string) string { return filepath.Join(h.c.out, "work", name) }

// export runs the exporter to file://, the null sink, DSBulk unload to
// JSON and cqlsh COPY TO, each reading the whole table.
func (h *harness) export() {
	c, table := h.c, keyspace+".events"
	p := strconv.Itoa(c.parallel)
	exporter := h.exporterTool(toolExporter, "zstd NDJSON parts + manifest, at its defaults but --parallel and --adaptive=false (a fixed budget, as every peer has; the adaptive controller is measured by BenchmarkForegroundLatency)", "cassandra://"+c.hosts, "export", true)
	// The same with the driver on protocol v4, which spends about half
	// the client CPU of v5 on reading (bench/profiles.md): what pinning
	// it would give, measured beside the default.
	exporterV4 := h.exporterTool(toolExporterV4, "the same with the source URL's ?protocol=4 (v5's frame checksums off; half the driver's client CPU)",
		"cassandra://"+c.hosts+"/?protocol=4", "export-v4", false)

	null := h.scanChild(toolNullSink, "the exporter's scan and NDJSON encoding with no compression and no store (internal/export's TestBenchNullSinkChild: its splits, 4 readers, pages of 1,000); output bytes are the NDJSON it encoded and dropped",
		"TestBenchNullSinkChild", "NULLSINK", "LADING_BENCH_NULL_SINK="+table)
	// The source's own ceiling (issue 18): the same splits and statement
	// read through the driver alone, values dropped as they arrive, at a
	// few concurrencies; the best of them is the ceiling.
	tools := []*tool{exporter, exporterV4, null}
	for _, n := range []int{c.parallel, 2 * c.parallel, 4 * c.parallel} {
		tools = append(tools, h.scanChild(fmt.Sprintf("%s%d readers", rawScanTool, n),
			fmt.Sprintf("the source's ceiling: a paged full scan of the exporter's splits and statement with the driver alone, %d readers, pages of 1,000, no decoding, no encoding, no sink (internal/export's TestBenchRawScanChild); output bytes are the values' bytes as sent", n),
			"TestBenchRawScanChild", "RAWSCAN", "LADING_BENCH_RAW_SCAN="+table, fmt.Sprintf("LADING_BENCH_READERS=%d", n)))
	}

	dsb := &tool{r: &result{Group: "export", Tool: toolDSBulk, Note: "DSBulk 1.10.0 `unload -c json` to a local directory, --engine.maxConcurrentQueries " + p + "; the JVM at its defaults (no -Xmx)"},
		repeat: c.repeat, servers: []string{"cassandra"}}
	dsb.run = func(i int) (*exec.Cmd, error) {
		dir, _ := filepath.Abs(h.work(fmt.Sprintf("dsbulk-unload-%d", i)))
		h.dsbJSON = dir
		return h.dsbulk("unload", "-k", keyspace, "-t", "events", "-c", "json", "-url", dir, "--engine.maxConcurrentQueries", p)
	}
	dsb.check = func(i int, _ string, s *sample) error {
		dir := h.work(fmt.Sprintf("dsbulk-unload-%d", i))
		var err error
		if s.Rows, s.OutBytes, err = countLines(dir); err != nil {
			return err
		}
		return h.wantRows(s, i, dir, i < c.repeat-1)
	}

	cq := &tool{r: &result{Group: "export", Tool: "cqlsh COPY TO", Note: fmt.Sprintf("cqlsh COPY TO a CSV file WITH NUMPROCESSES=%s AND PAGESIZE=1000; %d run(s): it is the slowest", p, c.slowRepeat)},
		repeat: c.slowRepeat, servers: []string{"cassandra"}}
	cq.run = func(i int) (*exec.Cmd, error) {
		f, _ := filepath.Abs(h.work(fmt.Sprintf("cqlsh-%d.csv", i)))
		host, port, _ := strings.Cut(strings.Split(c.hosts, ",")[0], ":")
		args := append(strings.Fields(c.cqlsh), host, cmp(port, "9042"), "--request-timeout", "60",
			"-e", fmt.Sprintf("COPY %s TO '%s' WITH NUMPROCESSES=%s AND PAGESIZE=1000", table, f, p))
		if _, err := os.Stat(args[0]); err != nil {
			return nil, h.notInstalled("cqlsh", err)
		}
		return exec.Command(args[0], args[1:]...), nil
	}
	cq.check = func(i int, _ string, s *sample) error {
		f := h.work(fmt.Sprintf("cqlsh-%d.csv", i))
		var err error
		if s.Rows, s.OutBytes, err = countLines(f); err != nil {
			return err
		}
		return h.wantRows(s, i, f, true)
	}
	h.rounds(append(tools, dsb, cq))
}

// exporterTool is a run of the exporter from source to a file:// dump in
// the work directory work-<run>. The default exporter's last dump is the
// ship and load groups' input (keep); any other's dumps are removed.
func (h *harness) exporterTool(name, note, source, work string, keep bool) *tool {
	c := h.c
	t := &tool{r: &result{Group: "export", Tool: name, Note: note}, repeat: c.repeat, servers: []string{"cassandra"}}
	t.run = func(i int) (*exec.Cmd, error) {
		dir, _ := filepath.Abs(h.work(fmt.Sprintf("%s-%d", work, i)))
		if keep {
			h.ladingDump = dir
		}
		return exec.Command(filepath.Join(c.bin, "exporter"), "--source", source, "--table", keyspace+".events",
			"--dest", "file://"+dir, "--batch", "bench", "--parallel", strconv.Itoa(c.parallel), "--adaptive=false", "--log-level", "warn", "--report", dir+".report.json"), nil
	}
	t.check = func(i int, _ string, s *sample) error {
		dir := h.work(fmt.Sprintf("%s-%d", work, i))
		var rep struct{ Counters map[string]int64 }
		if err := readJSON(dir+".report.json", &rep); err != nil {
			return err
		}
		s.Rows, s.OutBytes = rep.Counters["rows"], rep.Counters["stored_bytes"]
		return h.wantRows(s, i, dir, !keep || i < c.repeat-1)
	}
	return t
}

// scanChild is a run of one of internal/export's scanning children (the
// test binary's test named test, with env added), which prints
// "<word> <rows> <bytes>".
func (h *harness) scanChild(name, note, test, word string, env ...string) *tool {
	t := &tool{r: &result{Group: "export", Tool: name, Note: note}, repeat: h.c.repeat, servers: []string{"cassandra"}}
	t.run = func(int) (*exec.Cmd, error) {
		cmd := exec.Command(h.c.exportTest, "-test.run", "^"+test+"$", "-test.v")
		cmd.Env = append(os.Environ(), env...)
		return cmd, nil
	}
	t.check = func(_ int, out string, s *sample) error {
		i := strings.Index(out, word+" ")
		if i < 0 {
			return fmt.Errorf("%s printed no result: %s", name, tail(out, 4))
		}
		if _, err := fmt.Sscanf(out[i:], word+" %d %d", &s.Rows, &s.OutBytes); err != nil {
			return err
		}
		return h.wantRows(s, 0, "", false)
	}
	return t
}

// wantRows checks a run saw every row, sets its data bytes, and removes
// its output unless a later group needs it.
func (h *harness) wantRows(s *sample, _ int, path string, remove bool) error {
	s.Bytes = h.dataBytes
	if s.Rows != int64(h.c.rows) {
		return fmt.Errorf("%d rows, want %d", s.Rows, h.c.rows)
	}
	if remove && path != "" {
		return os.RemoveAll(path)
	}
	return nil
}

// dsbulk returns a DSBulk command against the bench's Cassandra, or why
// DSBulk cannot run.
func (h *harness) dsbulk(args ...string) (*exec.Cmd, error) {
	if h.c.java == "" {
		return nil, h.notInstalled("dsbulk", fmt.Errorf("no JDK 17 or 11 found (scripts/services.sh java)"))
	}
	if _, err := os.Stat(filepath.Join(h.c.dsbulk, "dsbulk-runner-1.10.0.jar")); err != nil {
		return nil, h.notInstalled("dsbulk", err)
	}
	host, port, _ := strings.Cut(strings.Split(h.c.hosts, ",")[0], ":")
	logs, _ := filepath.Abs(h.work("dsbulk-logs"))
	full := append([]string{"-cp", h.c.dsbulk + "/*", dsbulkMain}, args...)
	// The driver reads the schema of the bench keyspace alone: DSBulk
	// 1.10's driver cannot parse some types other keyspaces of a shared
	// server may hold (vector<float, 3>), and fails the operation.
	full = append(full, "-h", host, "-port", cmp(port, "9042"), "--log.directory", logs,
		"--datastax-java-driver.advanced.metadata.schema.refreshed-keyspaces", `["`+keyspace+`"]`)
	return exec.Command(h.c.java, full...), nil
}

// notInstalled is the error of a peer that is missing: what its install
// step reported (scripts/bench.sh keeps the tail of a failed install).
func (h *harness) notInstalled(peer string, err error) error {
	if data, e := os.ReadFile(filepath.Join(h.c.out, "install-"+peer+".failed")); e == nil {
		return fmt.Errorf("%s could not be installed: %s", peer, strings.TrimSpace(string(data)))
	}
	return fmt.Errorf("%s is not installed: %v", peer, err)
}

// countLines counts the lines and bytes of a file or of the files below
// a directory (DSBulk's JSON and cqlsh's CSV hold one row a line).
func countLines(path string) (lines, size int64, err error) {
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		size += int64(len(data))
		lines += int64(strings.Count(string(data), "\n"))
		return nil
	})
	return lines, size, err
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// ship copies the exporter's dump, put once into the S3 server, to the
// GCS server with the shipper and with rclone copy.
func (h *harness) ship() {
	c := h.c
	p := strconv.Itoa(c.parallel)
	src := "s3://" + c.s3Bucket + "/bench-src?endpoint=" + url.QueryEscape(c.s3Endpoint)
	shipper := &tool{r: &result{Group: "ship", Tool: "lading shipper", Note: "S3 server → GCS server, --transfers " + p + ", every byte verified (CRC32C) and _SUCCESS last"},
		repeat: c.repeat, servers: []string{"s3", "gcs"}}
	rclone := &tool{r: &result{Group: "ship", Tool: "rclone copy", Note: "the same files, --transfers " + p + " at its other defaults (it compares sizes and MD5s)"},
		repeat: c.repeat, servers: []string{"s3", "gcs"}}
	var dumpBytes, files int64
	setup := func() error {
		if h.ladingDump == "" {
			return fmt.Errorf("no exporter dump to ship (the export group did not run or failed)")
		}
		cmd := exec.Command(filepath.Join(c.bin, "shipper"), "--from", "file://"+h.ladingDump, "--to", src, "--log-level", "warn")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("putting the dump into the S3 server: %v: %s", err, tail(string(out), 4))
		}
		_, n, err := countLines(h.ladingDump)
		dumpBytes = n
		files = countFiles(h.ladingDump)
		return err
	}
	if err := setup(); err != nil {
		shipper.r.Error, rclone.r.Error = err.Error(), err.Error()
		h.rep.Results = append(h.rep.Results, shipper.r, rclone.r)
		return
	}
	shipper.run = func(i int) (*exec.Cmd, error) {
		return exec.Command(filepath.Join(c.bin, "shipper"), "--from", src, "--to", fmt.Sprintf("gs://%s/bench-shipper-%d", c.gcsBucket, i),
			"--transfers", p, "--log-level", "warn"), nil
	}
	// A shipped dump holds every row of the table: rows/s and CPU per
	// million rows compare with the other groups.
	ship := func(_ int, _ string, s *sample) error {
		s.Rows, s.Bytes, s.OutBytes = int64(c.rows), dumpBytes, dumpBytes
		return nil
	}
	shipper.check = ship
	rclone.run = func(i int) (*exec.Cmd, error) {
		if _, err := os.Stat(c.rclone); err != nil {
			return nil, h.notInstalled("rclone", err)
		}
		cmd := exec.Command(c.rclone, "copy", "--transfers", p, "--stats", "0",
			"lsrc:"+c.s3Bucket+"/bench-src", fmt.Sprintf("ldst:%s/bench-rclone-%d", c.gcsBucket, i))
		cmd.Env = append(os.Environ(),
			"RCLONE_CONFIG_LSRC_TYPE=s3", "RCLONE_CONFIG_LSRC_PROVIDER=Other", "RCLONE_CONFIG_LSRC_ENV_AUTH=true",
			"RCLONE_CONFIG_LSRC_ENDPOINT="+c.s3Endpoint, "RCLONE_CONFIG_LSRC_REGION="+cmp(os.Getenv("AWS_REGION"), "us-east-1"),
			"RCLONE_CONFIG_LDST_TYPE=google cloud storage", "RCLONE_CONFIG_LDST_ANONYMOUS=true",
			"RCLONE_CONFIG_LDST_ENDPOINT=http://"+c.gcsHost+"/storage/v1/", "RCLONE_CONFIG_LDST_BUCKET_POLICY_ONLY=true")
		return cmd, nil
	}
	rclone.check = ship
	h.rounds([]*tool{shipper, rclone})
	h.rep.Notes = append(h.rep.Notes, fmt.Sprintf("ship: the exporter's dump of the table, %d files, %.1f MB (MB for ship are the files' bytes)", files, float64(dumpBytes)/1e6))
}

func countFiles(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
