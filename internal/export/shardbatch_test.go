package export_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/cql/cqltest"
)

// Shards default their batch to their own UTC date, so shards that start
// on both sides of midnight would write two dumps: with more than one
// shard, from --shard, --shards or CLOUD_RUN_TASK_COUNT, the real
// exporter wants --batch (exit 2, one line naming it) and writes nothing.
func TestExportShardsNeedBatch(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".kv (k int PRIMARY KEY, v int)", "INSERT INTO "+ks+".kv (k, v) VALUES (1, 1)")
	tests := []struct {
		name  string
		extra []string
		env   []string
	}{
		{"--shard 0/2", []string{"--shard", "0/2"}, nil},
		{"--shards 2", []string{"--shards", "2"}, []string{"JOB_COMPLETION_INDEX=1"}},
		{"CLOUD_RUN_TASK_COUNT=2", nil, []string{"CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_COUNT=2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dest := fileDest(t)
			args := append([]string{"--source", cqltest.URL(t), "--table", ks + ".kv", "--dest", dest}, tc.extra...)
			cmd := exporterCmd(t, args...)
			cmd.Env = append(os.Environ(), tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			msg := strings.TrimSpace(stderr.String())
			if code != 2 || !strings.Contains(msg, "--batch") || strings.Contains(msg, "\n") {
				t.Fatalf("exit %d, stderr %q, stdout %q: want exit 2 and one line naming --batch", code, msg, stdout.String())
			}
			objs, _, err := openRoot(t, dest).ListAll(t.Context(), "", "")
			if err != nil || len(objs) != 0 {
				t.Fatalf("objects written: %v %v", objs, err)
			}
		})
	}
	// One shard of one is a plain run: no --batch needed.
	dest := fileDest(t)
	if code, out := runToEnd(t, "--source", cqltest.URL(t), "--table", ks+".kv", "--dest", dest, "--shard", "0/1", "--log-level", "warn"); code != 0 {
		t.Fatalf("--shard 0/1 without --batch: exit %d\n%s", code, out)
	}
}
