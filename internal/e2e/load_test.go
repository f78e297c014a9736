//go:build chaos

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// loadFaultsEnv, set to 1, sends the loader's S3 traffic through the
// fault proxy as well. It is off by default because the loader does not
// retry a part whose read from the store breaks off (a reset mid-body):
// the run fails (exit 1), and --verify full, which reads every part
// again in one run, rarely gets through all of them (seen: 40 runs, no
// exit 0, 300k rows in 144 parts).
const loadFaultsEnv = "LADING_CHAOS_LOAD_FAULTS"

const (
	loadKills    = 12
	loadMaxRuns  = 40
	loadRunLimit = 15 * time.Minute
)

// ledgerState counts the dump's part records and loaded records in the
// loader's ledger at the S3 root.
func (c *chaos) ledgerState() (parts, loaded int, loadedKey string) {
	objs, _, err := c.direct.ListAll(context.Background(), load.LedgerDir, "")
	if err != nil {
		return -1, -1, ""
	}
	for _, o := range objs {
		switch {
		case strings.Contains(o.Key, "/parts/"):
			parts++
		case strings.Contains(o.Key, "/loaded/"):
			loaded++
			loadedKey = o.Key
		}
	}
	return parts, loaded, loadedKey
}

// loadStage restores the shipped dump from S3 into a new keyspace under
// SIGKILLs until a run exits 0 having verified every row (--verify
// full). With LADING_CHAOS_LOAD_FAULTS=1 the loader reads S3 through a
// fault proxy too; see loadFaultsEnv.
func (c *chaos) loadStage(d *dump) {
	t := c.t
	from := c.s3URL(c.s3Endpoint)
	var proxy *faultproxy.Proxy
	if os.Getenv(loadFaultsEnv) == "1" {
		proxy = c.startFaultProxy(0x10ad)
		from = c.s3URL("http://" + proxy.Addr())
	}
	rng := rand.New(rand.NewPCG(c.seed, 0x10ae))
	spool := filepath.Join(c.tmp, "spool")
	base := []string{"--from", from, "--to", "cassandra://" + c.hosts + "/" + c.dstKS,
		"--create-keyspace", "--create-table", "--verify", "full", "--workers", "8", "--spool-dir", spool,
		"--log-level", "warn"}
	fig := stageFigures{Stage: "load", Rows: d.M.Totals.Rows}
	files := len(d.M.Files)
	start := time.Now()
	verifyKills := 0
	var final string
	for run := 0; ; run++ {
		if run >= loadMaxRuns || c.left() < loadRunLimit/4 {
			t.Fatalf("loader: no exit 0 after %d runs", run)
		}
		report := filepath.Join(c.tmp, fmt.Sprintf("load-%d.json", run))
		args := append(append([]string{}, base...), "--report", report)
		if run%2 == 1 {
			args = append(args, "--spool-bytes", "0") // prove parts by reading them twice
		}
		var kp killPlan
		verifying := false
		before, _, _ := c.ledgerState()
		switch {
		case run == 0:
			// Early: while it creates the keyspace and the table, or soon after.
			kp = killPlan{After: time.Duration(100+rng.IntN(1500)) * time.Millisecond}
			kp.Why = "at " + kp.After.String()
		case fig.Kills < loadKills-1 && before < files:
			// Mid-load, with fewer writers so that a small table lasts a
			// few kills too: once a few more parts are recorded (up to an
			// eighth of them, so the kills spread over the load) plus a
			// moment, or at a random time if that comes first.
			args = append(args, "--workers", "4")
			want := before + 1 + rng.IntN(max(files/8, 3))
			lag := time.Duration(rng.IntN(300)) * time.Millisecond
			var last, reached time.Time
			kp.After = time.Duration(1000+rng.IntN(9000)) * time.Millisecond
			kp.When = func() bool {
				if !reached.IsZero() {
					return time.Since(reached) >= lag
				}
				if time.Since(last) < 50*time.Millisecond {
					return false
				}
				last = time.Now()
				if n, _, _ := c.ledgerState(); n >= want {
					reached = time.Now()
				}
				return false
			}
			kp.Why = fmt.Sprintf("at %s or %s after %d parts are recorded", kp.After, lag, want)
		case verifyKills < 1 || fig.Kills < 5 && verifyKills < 4:
			// While it verifies: every part recorded, the dump not yet
			// (more than once if the load went too fast for five kills).
			lag := time.Duration(rng.IntN(1500)) * time.Millisecond
			var last, reached time.Time
			kp.When = func() bool {
				if !reached.IsZero() {
					return time.Since(reached) >= lag
				}
				if time.Since(last) < 50*time.Millisecond {
					return false
				}
				last = time.Now()
				if n, loaded, _ := c.ledgerState(); n >= files && loaded == 0 {
					reached, verifying = time.Now(), true
				}
				return false
			}
			kp.Why = fmt.Sprintf("%s into verification", lag)
		}
		o, rep, ok := fig.run(t, c.bins["loader"], args, kp, loadRunLimit, report)
		parts, loaded, _ := c.ledgerState()
		switch {
		case o.Killed:
			fig.Kills++
			if verifying {
				verifyKills++
			}
			t.Logf("load run %d: killed %s (%s): %d/%d parts recorded (%d before), loaded records %d",
				run, kp.Why, o.Dur.Round(time.Millisecond), parts, files, before, loaded)
			continue
		case o.Crashed || o.Code >= 2:
			t.Fatalf("load run %d: %s, not retryable:\n%s", run, o, tail(o.Out, 30))
		case o.Code == 1:
			fig.Exit1++
			t.Logf("load run %d: %s (retryable): %s", run, o, tail(o.Out, 3))
			continue
		}
		final = strings.TrimSpace(o.Out)
		t.Logf("load run %d: %s: %s", run, o, final)
		if ok && rep.DurationSeconds > 0 {
			fig.Notes = append(fig.Notes, fmt.Sprintf("last run: %d rows loaded, %d verified in %.1fs",
				rep.Counters["rows"], rep.Counters["rows_verified"], rep.DurationSeconds))
		}
		break
	}
	fig.Wall = time.Since(start)
	if fig.Kills < 5 {
		t.Fatalf("only %d loader runs were killed; the stage wants at least 5", fig.Kills)
	}
	if verifyKills == 0 {
		fig.Notes = append(fig.Notes, "no run was caught verifying")
	}
	if proxy != nil {
		fig.Notes = append(fig.Notes, proxyNote(proxy))
	}

	// The ledger: one loaded record, every part, verified in full.
	parts, loaded, key := c.ledgerState()
	if loaded != 1 || parts != files {
		t.Fatalf("ledger: %d loaded records and %d part records, want 1 and %d", loaded, parts, files)
	}
	data, err := c.direct.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var rec load.LoadedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if rec.Verify.Mode != load.VerifyFull || rec.Verify.Result != "passed" {
		t.Fatalf("the load is recorded with verification %s %s (%s), want full passed; last run said %q",
			rec.Verify.Mode, rec.Verify.Result, rec.Verify.Detail, final)
	}
	if rec.Counts.Rows != d.M.Totals.Rows || rec.Counts.RowsWritten != d.M.Totals.Rows || rec.Counts.RowsExpired != 0 || rec.Counts.Rejects != 0 {
		t.Errorf("the load is recorded with counts %+v, want all %d rows written, none expired or rejected", rec.Counts, d.M.Totals.Rows)
	}
	fig.Notes = append(fig.Notes, fmt.Sprintf("verify full: %d rows checked, %d mismatches", rec.Verify.Expected, rec.Verify.Mismatches))
	c.addFigures(fig)
}
