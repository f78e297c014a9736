//go:build chaos

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Export stage settings: 3 shards, each killed at least exportKillsPerShard
// times while throttled (so the kills land mid-export), then run at full
// speed, once more killed while some process finishes the dump.
const (
	exportShards        = 3
	exportKillsPerShard = 5
	exportMaxRuns       = 40 // per shard: the stage stops by itself
	exportRunLimit      = 10 * time.Minute
)

// dump is the exported (and later shipped) dump.
type dump struct {
	// Prefix is <batch>/<table>/<timestamp>, relative to a root.
	Prefix        string
	M             *manifest.Manifest
	ManifestBytes []byte
}

// dumpWatch looks at the exporter's file:// dump directly, for kill
// triggers and logs.
type dumpWatch struct {
	tableDir string
	mu       sync.Mutex
	dir      string // the dump's directory, once it exists
	units    int    // the plan's units, once the plan exists
}

// find returns the dump's directory and the plan's unit count, or ""
// and 0 while they do not exist yet.
func (w *dumpWatch) find() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dir == "" {
		ents, _ := os.ReadDir(w.tableDir)
		for _, e := range ents {
			if e.IsDir() && e.Name() != "_state" {
				w.dir = filepath.Join(w.tableDir, e.Name())
			}
		}
	}
	if w.dir != "" && w.units == 0 {
		if data, err := os.ReadFile(filepath.Join(w.dir, filepath.FromSlash(manifest.PlanName))); err == nil {
			if p, err := manifest.DecodePlan(data); err == nil {
				w.units = len(p.Units)
			}
		}
	}
	return w.dir, w.units
}

// state returns the units planned and committed and whether _SUCCESS
// exists.
func (w *dumpWatch) state() (units, commits int, success bool) {
	dir, units := w.find()
	if dir == "" {
		return 0, 0, false
	}
	ents, _ := os.ReadDir(filepath.Join(dir, filepath.FromSlash(manifest.CommitsDir)))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			commits++
		}
	}
	_, err := os.Stat(filepath.Join(dir, manifest.SuccessName))
	return units, commits, err == nil
}

func (w *dumpWatch) String() string {
	units, commits, success := w.state()
	switch {
	case units == 0:
		return "no plan yet"
	case success:
		return fmt.Sprintf("%d/%d units committed, _SUCCESS", commits, units)
	}
	return fmt.Sprintf("%d/%d units committed", commits, units)
}

// exportStage runs the exporter as 3 concurrent shards under SIGKILLs
// until every shard exits 0, then checks the dump.
func (c *chaos) exportStage() *dump {
	t := c.t
	rng := rand.New(rand.NewPCG(c.seed, 0xe4))
	seeds := make([]uint64, exportShards)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	dest := "file://" + filepath.ToSlash(c.dumpDir)
	base := []string{"--source", "cassandra://" + c.hosts + "/", "--table", c.table(), "--dest", dest,
		"--batch", c.batch, "--writetime", "--ttl", "--part-size", "1MiB", "--splits", "64",
		"--parallel", "2", "--page-size", "500", "--log-level", "warn"}
	watch := &dumpWatch{tableDir: filepath.Join(c.dumpDir, c.batch, c.table())}
	// Killed runs read at most this many rows a second per shard: a
	// shard's share would take about 25s, so every kill finds units done
	// and units half read.
	slowRate := fmt.Sprint(max(c.rows/exportShards/25, 100))

	var (
		kills, exit1, runs, finisherKills atomic.Int64
		retries                           atomic.Int64
		mu                                sync.Mutex
		errs                              []string
		finalRows                         int64
		finalDur                          float64
		logs                              []string
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, args...))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for shard := range exportShards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seeds[shard], uint64(shard)))
			myKills, extra := 0, 0
			for run := 0; ; run++ {
				if run >= exportMaxRuns || time.Until(c.deadline) < exportRunLimit/4 {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("shard %d: no exit 0 after %d runs", shard, run))
					mu.Unlock()
					return
				}
				report := filepath.Join(c.tmp, fmt.Sprintf("export-%d-%d.json", shard, run))
				args := append(append([]string{}, base...), "--shard", fmt.Sprintf("%d/%d", shard, exportShards), "--report", report)
				var kp killPlan
				finishing := false
				switch {
				case myKills < exportKillsPerShard:
					args = append(args, "--max-rate", slowRate)
					kp = killPlan{After: time.Duration(300+rng.IntN(3200)) * time.Millisecond}
					kp.Why = "at " + kp.After.String()
				default:
					// At full speed: once (in all) killed while a process is
					// finishing the dump, and at most twice more at random.
					kp.When = func() bool {
						if finisherKills.Load() > 0 {
							return false
						}
						units, commits, success := watch.state()
						if units > 0 && commits == units && !success {
							finishing = true
							return finisherKills.Add(1) == 1
						}
						return false
					}
					kp.Why = "while finishing"
					if extra < 2 && rng.IntN(2) == 0 {
						extra++
						kp.After = time.Duration(100+rng.IntN(2500)) * time.Millisecond
						kp.Why = "at " + kp.After.String() + " or while finishing"
					}
				}
				o, err := runOnce(c.bins["exporter"], args, kp, exportRunLimit)
				runs.Add(1)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("shard %d run %d: %v", shard, run, err))
					mu.Unlock()
					return
				}
				rep, ok, err := readReportIfAny(report)
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
					return
				}
				if ok {
					retries.Add(rep.Counters["retries"])
					if o.Code == 0 {
						mu.Lock()
						finalRows += rep.Counters["rows"]
						finalDur = max(finalDur, rep.DurationSeconds)
						mu.Unlock()
					}
				}
				switch {
				case o.Killed:
					myKills++
					kills.Add(1)
					why := kp.Why
					if finishing {
						why = "while finishing"
					}
					logf("export shard %d run %d: killed %s (%s): %s", shard, run, why, o.Dur.Round(time.Millisecond), watch)
					continue
				case o.Crashed || o.Code >= 2:
					mu.Lock()
					errs = append(errs, fmt.Sprintf("shard %d run %d: %s, not retryable:\n%s", shard, run, o, tail(o.Out, 30)))
					mu.Unlock()
					return
				case o.Code == 1:
					exit1.Add(1)
					logf("export shard %d run %d: %s (retryable): %s", shard, run, o, tail(o.Out, 3))
					continue
				}
				logf("export shard %d run %d: %s: %s", shard, run, o, strings.TrimSpace(o.Out))
				return
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for _, l := range logs {
		t.Log(l)
	}
	if len(errs) > 0 {
		t.Fatalf("export: %s", strings.Join(errs, "\n"))
	}
	fig := stageFigures{Stage: "export", Runs: int(runs.Load()), Kills: int(kills.Load()), Exit1: int(exit1.Load()),
		Retries: retries.Load(), Wall: wall, Rows: c.src.Rows}
	if fig.Kills < 10 {
		t.Fatalf("only %d exporter runs were killed; the stage wants at least 10", fig.Kills)
	}
	if finisherKills.Load() == 0 {
		fig.Notes = append(fig.Notes, "no run was caught finishing the dump")
	} else {
		fig.Notes = append(fig.Notes, "one kill landed while a process was finishing the dump")
	}

	// Run once more: the dump is complete, and says so.
	o, err := runOnce(c.bins["exporter"], base, killPlan{}, exportRunLimit)
	if err != nil {
		t.Fatal(err)
	}
	if o.Code != 0 || !strings.Contains(o.Out, "dump already complete") {
		t.Fatalf("exporter after completion: %s, want exit 0 and \"dump already complete\":\n%s", o, o.Out)
	}
	d := c.checkExport(dest)
	fig.Bytes = d.M.Totals.StoredBytes
	fig.Notes = append(fig.Notes, fmt.Sprintf("%d units, %d parts, %.1f MB stored (%.1f MB NDJSON)",
		watch.units, len(d.M.Files), float64(d.M.Totals.StoredBytes)/1e6, float64(d.M.Totals.Bytes)/1e6),
		fmt.Sprintf("the shards' last runs (unthrottled, not killed) read %d rows in %.1fs", finalRows, finalDur))
	if n := countTemps(filepath.Join(c.dumpDir, filepath.FromSlash(d.Prefix))); n > 0 {
		fig.Notes = append(fig.Notes, fmt.Sprintf("%d temporary files of killed writes left in the dump's directory (invisible to listings)", n))
	}
	c.addFigures(fig)
	return d
}

// checkExport checks the batch's one dump of the table: complete, its
// manifest counting the source's rows, and nothing in its prefix but the
// manifest's parts, the manifest, _SUCCESS and _state/.
func (c *chaos) checkExport(dest string) *dump {
	t := c.t
	ctx := context.Background()
	root, err := objstore.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tablePrefix := c.batch + "/" + c.table() + "/"
	_, prefixes, err := root.ListAll(ctx, tablePrefix, "/")
	if err != nil {
		t.Fatal(err)
	}
	var dumps []string
	for _, p := range prefixes {
		if !strings.HasSuffix(p, "/_state/") {
			dumps = append(dumps, strings.TrimSuffix(p, "/"))
		}
	}
	if len(dumps) != 1 {
		t.Fatalf("%s holds dumps %v, want exactly one", tablePrefix, dumps)
	}
	d := &dump{Prefix: dumps[0]}
	if ok, err := root.Exists(ctx, d.Prefix+"/"+manifest.SuccessName); err != nil || !ok {
		t.Fatalf("every shard exited 0 but %s has no _SUCCESS (%v)", d.Prefix, err)
	}
	if d.ManifestBytes, err = root.ReadAll(ctx, d.Prefix+"/"+manifest.ManifestName); err != nil {
		t.Fatal(err)
	}
	if d.M, err = manifest.DecodeManifest(d.ManifestBytes); err != nil {
		t.Fatalf("manifest of %s: %v", d.Prefix, err)
	}
	if d.M.Totals.Rows != c.src.Rows {
		t.Errorf("the manifest counts %d rows, the source table holds %d", d.M.Totals.Rows, c.src.Rows)
	}
	var sum int64
	listed := map[string]manifest.File{}
	for _, f := range d.M.Files {
		sum += f.Rows
		listed[f.Name] = f
	}
	if sum != d.M.Totals.Rows {
		t.Errorf("the manifest's files hold %d rows, its totals say %d", sum, d.M.Totals.Rows)
	}
	objs, _, err := root.ListAll(ctx, d.Prefix+"/", "")
	if err != nil {
		t.Fatal(err)
	}
	var unlisted []string
	seen := map[string]bool{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, d.Prefix+"/")
		switch f, ok := listed[name]; {
		case ok:
			seen[name] = true
			if o.Size != f.StoredBytes {
				t.Errorf("%s: %d bytes, the manifest says %d", name, o.Size, f.StoredBytes)
			}
		case name == manifest.ManifestName || name == manifest.SuccessName || strings.HasPrefix(name, "_state/"):
		default:
			unlisted = append(unlisted, name)
		}
	}
	if len(unlisted) > 0 {
		slices.Sort(unlisted)
		t.Errorf("%d objects in %s that the manifest does not list: %v", len(unlisted), d.Prefix, unlisted)
	}
	if len(seen) != len(listed) {
		t.Errorf("%d of the manifest's %d files are in %s", len(seen), len(listed), d.Prefix)
	}
	if t.Failed() {
		t.FailNow()
	}
	return d
}

// countTemps counts the file store's temporary files in dir and below.
func countTemps(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, e os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(e.Name(), ".lading-tmp-") {
			n++
		}
		return nil
	})
	return n
}
