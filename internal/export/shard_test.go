package export_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/pkg/manifest"
)

var shardDone = regexp.MustCompile(`shard (\d)/3 done: .*: (\d+) units committed by this run, (\d+) already committed; (\d+) units left to other shards`)

// Three shards of one export run as separate processes (the index of two
// of them from the schedulers' environment variables); one is killed
// with SIGKILL midway and started again. The others finish their own
// units and exit 0 saying how many are left to other shards; the
// restarted shard finishes the dump: one dump, one manifest, every row
// once, no unlisted part.
func TestExportShardsKillOne(t *testing.T) {
	s := cqltest.Session(t)
	ks, n := kvTable(t, s, 6000, 5, 5000)
	src := sourceKeys(t, s, ks, "kv", []string{"p", "c"})
	dest := s3Dest(t)
	args := []string{"--source", cqltest.URL(t), "--table", ks + ".kv", "--dest", dest, "--batch", "shards",
		"--splits", "60", "--parallel", "2", "--page-size", "200", "--part-size", "16KiB", "--log-level", "warn"}
	exporterBinary(t)
	type proc struct {
		out  bytes.Buffer
		done chan error
		pid  *os.Process
	}
	start := func(extra []string, env ...string) *proc {
		cmd := exporterCmd(t, append(append([]string{}, args...), extra...)...)
		cmd.Env = append(os.Environ(), env...)
		p := &proc{done: make(chan error, 1)}
		cmd.Stdout, cmd.Stderr = &p.out, &p.out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p.pid = cmd.Process
		go func() { p.done <- cmd.Wait() }()
		return p
	}
	// Slowed down so the kill lands midway; --max-rate is not part of
	// the plan.
	slow := []string{"--max-rate", "3000"}
	p0 := start(append([]string{"--shard", "0/3"}, slow...))
	p2 := start(append([]string{"--shards", "3"}, slow...), "JOB_COMPLETION_INDEX=2")
	// Shard 1 starts in a later second: its own clock would name
	// another dump.
	time.Sleep(1100 * time.Millisecond)
	p1 := start(slow, "CLOUD_RUN_TASK_INDEX=1", "CLOUD_RUN_TASK_COUNT=3")
	select {
	case err := <-p1.done:
		t.Fatalf("shard 1 ended (%v) before the kill: the test needs a slower export\n%s", err, p1.out.String())
	case <-time.After(1500 * time.Millisecond):
	}
	if err := p1.pid.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p1.done

	plan := readPlan(t, dest, "shards", ks+".kv")
	units := len(plan.Units)
	own := func(i int) int { return (units - i + 2) / 3 }
	for i, p := range []*proc{p0, p2} {
		shard := []int{0, 2}[i]
		if err := <-p.done; err != nil {
			t.Fatalf("shard %d: %v\n%s", shard, err, p.out.String())
		}
		m := shardDone.FindStringSubmatch(p.out.String())
		if m == nil || m[1] != strconv.Itoa(shard) {
			t.Fatalf("shard %d said %q, want its summary", shard, p.out.String())
		}
		committed, _ := strconv.Atoi(m[2])
		left, _ := strconv.Atoi(m[4])
		if committed != own(shard) {
			t.Errorf("shard %d committed %d units, its share of %d is %d", shard, committed, units, own(shard))
		}
		if left == 0 {
			t.Errorf("shard %d saw no unit left, but shard 1 was killed: %s", shard, m[0])
		}
	}
	// The killed shard left some of its units undone.
	commits := listKeys(t, dest, plan, manifest.CommitsDir)
	if len(commits) >= units {
		t.Fatalf("all %d units committed before shard 1 was restarted: the kill came too late", units)
	}
	t.Logf("%d of %d units committed, %d parts of uncommitted units before the restart; %s; %s", len(commits), units,
		uncommittedParts(t, dest, plan), strings.TrimSpace(p0.out.String()), strings.TrimSpace(p2.out.String()))
	// A part as the killed shard could have left between closing a part
	// and committing its unit: the finisher deletes it.
	var orphan string
	done := map[string]bool{}
	for _, k := range commits {
		done[k[strings.LastIndex(k, "/")+1:]] = true
	}
	for _, u := range plan.Units {
		if !done[u.ID+".json"] {
			orphan = manifest.DumpPrefix(plan.Batch, plan.Table, plan.Timestamp) + manifest.PartName(u.ID, "0badf00d", 0, manifest.ExtZstd)
			break
		}
	}
	if _, err := openRoot(t, dest).WriteAll(context.Background(), orphan, []byte("orphan"), nil); err != nil {
		t.Fatal(err)
	}
	code, out := runToEnd(t, append(append([]string{}, args...), "--shard", "1/3")...)
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("restarted shard 1: exit %d\n%s", code, out)
	}
	prefix := checkOneDump(t, dest, "shards", ks+".kv")
	if prefix != "shards/"+ks+".kv/"+plan.Timestamp {
		t.Errorf("dump %s, the plan names %s", prefix, plan.Timestamp)
	}
	d := readDump(t, openRoot(t, dest), prefix)
	if d.m.Totals.Rows != int64(n) {
		t.Errorf("manifest counts %d rows, the source has %d", d.m.Totals.Rows, n)
	}
	compareKeys(t, d.keys, src)
	if got := listKeys(t, dest, plan, manifest.CommitsDir); len(got) != units {
		t.Errorf("%d commits for %d units", len(got), units)
	}
	// Any shard run now finds the dump complete.
	if code, out := runToEnd(t, append(append([]string{}, args...), "--shard", "2/3")...); code != 0 || !strings.Contains(out, "dump already complete") {
		t.Errorf("shard 2 after completion: exit %d, %s", code, out)
	}
}

// readPlan reads the plan of the batch's one dump of table.
func readPlan(t *testing.T, dest, batch, table string) *manifest.Plan {
	t.Helper()
	prefix := checkOneDump(t, dest, batch, table)
	data, err := openRoot(t, dest).ReadAll(context.Background(), prefix+"/"+manifest.PlanName)
	if err != nil {
		t.Fatal(err)
	}
	p, err := manifest.DecodePlan(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listKeys lists the keys under a dump's sub-prefix.
func listKeys(t *testing.T, dest string, plan *manifest.Plan, sub string) []string {
	t.Helper()
	prefix := manifest.DumpPrefix(plan.Batch, plan.Table, plan.Timestamp)
	objs, _, err := openRoot(t, dest).ListAll(context.Background(), prefix+sub, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// uncommittedParts counts the parts of units that have no commit yet.
func uncommittedParts(t *testing.T, dest string, plan *manifest.Plan) int {
	t.Helper()
	committed := map[string]bool{}
	for _, k := range listKeys(t, dest, plan, manifest.CommitsDir) {
		if unit, ok := manifest.ParseCommitName(manifest.CommitsDir + k[strings.LastIndex(k, "/")+1:]); ok {
			committed[unit] = true
		}
	}
	n := 0
	for _, k := range listKeys(t, dest, plan, "part-") {
		unit, _, _, _, err := manifest.ParsePartName(k[strings.LastIndex(k, "/")+1:])
		if err == nil && !committed[unit] {
			n++
		}
	}
	return n
}
