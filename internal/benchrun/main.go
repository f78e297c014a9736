// Command benchrun is the harness of `make bench` (scripts/bench.sh runs
// it): it generates the benchmark's table with scripts/gen, runs lading's
// exporter, shipper and loader and the peers users would otherwise pick
// (DSBulk, cqlsh COPY, rclone) on the same data, measuring each run as
// its own process, and writes results.md and results.json.
//
// The runs of the tools of one group alternate (round by round) so that
// a change in the shared machine's load weighs on all of them alike.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
)

type config struct {
	out, gen, bin, exportTest, java, dsbulk, cqlsh, rclone, runDir string
	rows, repeat, slowRepeat, parallel, emuRows                    int
	seed                                                           uint64
	only                                                           map[string]bool
	hosts, s3Endpoint, s3Bucket, gcsHost, gcsBucket                string
}

const keyspace = "lading_bench"

// defaultRows is the table's default size: the whole bench, peers
// included, stays under 45 minutes on 2 cores.
const defaultRows = 1_000_000

func main() {
	var c config
	flag.StringVar(&c.out, "out", "bench", "directory of results.md, results.json, logs/ and work/")
	flag.StringVar(&c.gen, "gen", "", "the scripts/gen binary")
	flag.StringVar(&c.bin, "bin", "bin", "directory of the exporter, shipper and loader binaries")
	flag.StringVar(&c.exportTest, "export-test", "", "internal/export's test binary (its null sink and raw scan children)")
	flag.StringVar(&c.java, "java", "", "java binary for DSBulk (empty: DSBulk is reported as not run)")
	flag.StringVar(&c.dsbulk, "dsbulk", "", "directory of DSBulk's jars")
	flag.StringVar(&c.cqlsh, "cqlsh", "", "cqlsh script")
	flag.StringVar(&c.rclone, "rclone", "", "rclone binary")
	flag.StringVar(&c.runDir, "run-dir", "", "scripts/services.sh's run directory (servers' pid files)")
	render := flag.String("render", "", "only write results.md again from this results.json (beside it), running nothing")
	flag.Parse()
	if *render != "" {
		var rep report
		if err := readJSON(*render, &rep); err != nil {
			fail(fmt.Errorf("%s: %w", *render, err))
		}
		if err := rep.write(filepath.Dir(*render)); err != nil {
			fail(err)
		}
		return
	}
	c.rows = envInt("LADING_BENCH_ROWS", defaultRows)
	c.repeat = envInt("LADING_BENCH_REPEAT", 3)
	c.slowRepeat = envInt("LADING_BENCH_SLOW_REPEAT", 1)
	c.parallel = envInt("LADING_BENCH_PARALLEL", 4)
	c.emuRows = envInt("LADING_BENCH_EMULATOR_ROWS", min(c.rows, 200_000))
	c.seed = uint64(envInt("LADING_BENCH_SEED", 1))
	c.only = map[string]bool{}
	for _, g := range strings.Split(cmp(os.Getenv("LADING_BENCH_ONLY"), "export,ship,load,emulators"), ",") {
		c.only[strings.TrimSpace(g)] = true
	}
	c.hosts, c.s3Endpoint, c.s3Bucket = os.Getenv("LADING_CASSANDRA_HOSTS"), os.Getenv("LADING_S3_ENDPOINT"), os.Getenv("LADING_S3_BUCKET")
	c.gcsHost, c.gcsBucket = os.Getenv("STORAGE_EMULATOR_HOST"), os.Getenv("LADING_GCS_BUCKET")
	if c.hosts == "" || c.s3Endpoint == "" || c.gcsHost == "" {
		fail(errors.New("the servers' variables are not set: run through scripts/bench.sh (make bench)"))
	}
	if err := run(&c); err != nil {
		fail(err)
	}
}

func run(c *config) error {
	for _, d := range []string{"logs", "work"} {
		if err := os.RemoveAll(filepath.Join(c.out, d)); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(c.out, d), 0o755); err != nil {
			return err
		}
	}
	h := &harness{c: c, rep: &report{Started: time.Now(), Versions: map[string]string{}}}
	h.rep.Machine = machine()
	h.rep.Scale = map[string]any{
		"rows": c.rows, "seed": c.seed, "repeat": c.repeat, "slow_repeat": c.slowRepeat, "parallel": c.parallel,
		"emulator_rows": c.emuRows, "slow_tools": "cqlsh COPY TO",
		"parallel_means": fmt.Sprintf("exporter --parallel %[1]d; null sink 4 readers; raw scan %[1]d, %[3]d and %[4]d readers; DSBulk --engine.maxConcurrentQueries %[1]d; "+
			"cqlsh NUMPROCESSES=%[1]d; shipper and rclone --transfers %[1]d; loader --workers %[2]d and DSBulk load --executor.maxInFlight %[2]d "+
			"(requests in flight: %[1]d × 8)", c.parallel, c.parallel*8, c.parallel*2, c.parallel*4),
	}
	h.versions()
	if err := h.generate(); err != nil {
		return err
	}
	if c.only["export"] || c.only["load"] || c.only["ship"] {
		h.export()
	}
	if c.only["ship"] {
		h.ship()
	}
	if c.only["load"] {
		h.load()
	}
	if c.only["emulators"] {
		h.emulators()
	}
	h.rep.DurationS = time.Since(h.rep.Started).Seconds()
	if err := h.rep.write(c.out); err != nil {
		return err
	}
	// The dumps and unloads are as large as the table: keep only the
	// results and the logs.
	if err := errors.Join(os.RemoveAll(filepath.Join(c.out, "work")), h.dropKeyspace()); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun: cleaning up:", err)
	}
	fmt.Printf("bench: wrote %s and %s in %.0f s\n", filepath.Join(c.out, "results.md"), filepath.Join(c.out, "results.json"), h.rep.DurationS)
	return nil
}

type harness struct {
	c   *config
	rep *report
	// dataBytes and the paths the groups share: the exporter's last
	// file:// dump and DSBulk's last JSON unload (the loads' input).
	dataBytes           int64
	ladingDump, dsbJSON string
}

// generate fills keyspace.events with scripts/gen and records the scale.
func (h *harness) generate() error {
	cmd := exec.Command(h.c.gen, "--hosts", h.c.hosts, "--keyspace", keyspace, "--table", "events",
		"--rows", strconv.Itoa(h.c.rows), "--seed", strconv.FormatUint(h.c.seed, 10))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/gen: %v\n%s", err, out)
	}
	var rows, parts int
	var mb float64
	if _, err := fmt.Sscanf(string(out), "gen: %d rows in %d partitions (%f MB", &rows, &parts, &mb); err != nil {
		return fmt.Errorf("scripts/gen printed %q: %v", out, err)
	}
	h.dataBytes = int64(mb * 1e6)
	h.rep.Scale["partitions"], h.rep.Scale["data_mb"] = parts, mb
	h.rep.Notes = append(h.rep.Notes, "data: "+strings.TrimSpace(string(out))+
		" (scripts/gen: text, bigint, timestamp, uuid, decimal, a 0-4 KB blob, a map and a set; one partition in 200 holds 500-5,000 rows, the rest 1-20)")
	fmt.Print(string(out))
	return nil
}

// measured runs cmd as its own process, logging its output to
// logs/NAME.log, and returns what it cost, with the CPU time the given
// servers used meanwhile.
func (h *harness) measured(name string, cmd *exec.Cmd, servers ...string) (sample, string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	h.settle(name, servers)
	before := h.serverCPU(servers)
	m, err := testenv.RunMeasured(cmd)
	s := sample{WallS: m.Wall.Seconds(), CPUS: m.CPU.Seconds(), PeakRSS: m.PeakRSS, ServerCPU: h.serverCPU(servers) - before}
	_ = os.WriteFile(filepath.Join(h.c.out, "logs", name+".log"), out.Bytes(), 0o644)
	if err != nil {
		return s, out.String(), fmt.Errorf("%s: %v: %s", name, err, tail(out.String(), 6))
	}
	fmt.Printf("bench: %-24s %6.1f s, CPU %6.1f s, peak RSS %5.0f MiB, server CPU %6.1f s\n", name, s.WallS, s.CPUS, float64(s.PeakRSS)/(1<<20), s.ServerCPU)
	return s, out.String(), nil
}

// Before each run the servers must be idle: under settleIdle CPU
// seconds a second over a settleWindow, waited for at most settleMax.
// A load leaves the server flushing and compacting for a while after the
// loader exits; without the wait the next run (another tool's) would be
// charged with it.
const (
	settleIdle   = 0.15
	settleWindow = 2 * time.Second
	settleMax    = 120 * time.Second
)

// settle waits until the servers are idle (see settleIdle), and says how
// long it waited, or that they never were.
func (h *harness) settle(name string, servers []string) {
	if len(servers) == 0 {
		return
	}
	start := time.Now()
	for {
		before := h.serverCPU(servers)
		time.Sleep(settleWindow)
		rate := (h.serverCPU(servers) - before) / settleWindow.Seconds()
		waited := time.Since(start)
		switch {
		case rate < settleIdle:
			if waited > 2*settleWindow {
				fmt.Printf("bench: %-24s waited %.0f s for the servers to settle\n", name, waited.Seconds())
			}
			return
		case waited >= settleMax:
			fmt.Printf("bench: %-24s the servers still used %.2f CPU s a second after %.0f s: measuring anyway\n", name, rate, waited.Seconds())
			return
		}
	}
}

// serverCPU is the CPU seconds the named servers (by their pid files in
// the run directory) have used so far.
func (h *harness) serverCPU(servers []string) float64 {
	var sum float64
	for _, s := range servers {
		data, err := os.ReadFile(filepath.Join(h.c.runDir, s+".pid"))
		if err != nil {
			continue
		}
		sum += procCPU(strings.TrimSpace(string(data)))
	}
	return sum
}

// procCPU reads utime+stime (and of waited-for children) of a process
// from /proc/PID/stat, in seconds.
func procCPU(pid string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ')'.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 15 {
		return 0
	}
	var ticks float64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, _ := strconv.ParseFloat(f[i], 64)
		ticks += v
	}
	return ticks / 100 // USER_HZ is 100 on Linux
}

func machine() map[string]any {
	m := map[string]any{"cores": runtime.NumCPU(), "os": runtime.GOOS + "/" + runtime.GOARCH}
	m["loadavg_at_start"] = "not recorded"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["loadavg_at_start"] = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if i := bytes.Index(data, []byte("MemTotal:")); i >= 0 {
			fmt.Sscanf(string(data[i+len("MemTotal:"):]), "%f", &kb)
		}
		m["mem_gib"] = kb / (1 << 20)
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu_model"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(data))
	}
	return m
}

// versions records every tool's version (or why it could not be read).
func (h *harness) versions() {
	v := h.rep.Versions
	ver := func(name string, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
		if err != nil {
			v[name] = fmt.Sprintf("unknown (%v: %s)", err, tail(string(out), 2))
			return
		}
		v[name] = firstLine(string(out))
	}
	for _, t := range []string{"exporter", "shipper", "loader"} {
		ver("lading "+t, filepath.Join(h.c.bin, t), "--version")
	}
	ver("go", "go", "version")
	if h.c.java != "" {
		ver("java", h.c.java, "-version")
		ver("DSBulk", h.c.java, "-cp", h.c.dsbulk+"/*", dsbulkMain, "--version")
	}
	if f := strings.Fields(h.c.cqlsh); len(f) > 0 {
		ver("cqlsh", append(f, "--version")...)
		// The venv's exact pins, beside its bin/ (scripts/bench.sh).
		if data, err := os.ReadFile(filepath.Join(filepath.Dir(f[0]), "..", "requirements.lock")); err == nil {
			v["cqlsh venv"] = strings.Join(strings.Fields(string(data)), " ")
		}
	}
	ver("rclone", h.c.rclone, "version")
	v["Cassandra"] = h.cassandraVersion()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], " / ")
}

func envInt(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		fail(fmt.Errorf("%s=%q: want a positive integer", name, v))
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchrun:", err)
	os.Exit(1)
}
