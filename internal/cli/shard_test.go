package cli

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		name        string
		flag        string
		shards      int
		env         []string
		index, cnt  int
		errContains string
	}{
		{name: "default", index: 0, cnt: 1},
		{name: "flag", flag: "2/4", index: 2, cnt: 4},
		{name: "flag spaces", flag: " 0 / 1 ", index: 0, cnt: 1},
		{name: "flag agrees with shards", flag: "1/3", shards: 3, index: 1, cnt: 3},
		{name: "flag beats env", flag: "1/2", env: []string{"JOB_COMPLETION_INDEX", "7", "CLOUD_RUN_TASK_COUNT", "9"}, index: 1, cnt: 2},
		{name: "flag no slash", flag: "3", errContains: `--shard "3": want i/n`},
		{name: "flag not numbers", flag: "a/b", errContains: `--shard "a/b": want i/n`},
		{name: "flag index too big", flag: "4/4", errContains: `--shard "4/4": want 0 <= i < n`},
		{name: "flag negative", flag: "-1/4", errContains: `want 0 <= i < n`},
		{name: "flag zero count", flag: "0/0", errContains: `want 0 <= i < n`},
		{name: "flag contradicts shards", flag: "1/4", shards: 3, errContains: `--shard "1/4" contradicts --shards 3`},
		{name: "negative shards", shards: -2, errContains: "--shards -2"},
		{name: "shards only", shards: 5, index: 0, cnt: 5},
		{name: "k8s index with shards", shards: 8, env: []string{"JOB_COMPLETION_INDEX", "3"}, index: 3, cnt: 8},
		{name: "k8s index without count", env: []string{"JOB_COMPLETION_INDEX", "3"},
			errContains: "JOB_COMPLETION_INDEX=3 is not below the shard count 1 (from the default); set --shards"},
		{name: "k8s index zero without count", env: []string{"JOB_COMPLETION_INDEX", "0"}, index: 0, cnt: 1},
		{name: "cloud run", env: []string{"CLOUD_RUN_TASK_INDEX", "2", "CLOUD_RUN_TASK_COUNT", "3"}, index: 2, cnt: 3},
		{name: "cloud run shards flag wins count", shards: 4, env: []string{"CLOUD_RUN_TASK_INDEX", "3", "CLOUD_RUN_TASK_COUNT", "3"}, index: 3, cnt: 4},
		{name: "cloud run index out of range", env: []string{"CLOUD_RUN_TASK_INDEX", "3", "CLOUD_RUN_TASK_COUNT", "3"},
			errContains: "CLOUD_RUN_TASK_INDEX=3 is not below the shard count 3 (from CLOUD_RUN_TASK_COUNT)"},
		{name: "cloud run bad count", env: []string{"CLOUD_RUN_TASK_INDEX", "0", "CLOUD_RUN_TASK_COUNT", "many"},
			errContains: `CLOUD_RUN_TASK_COUNT="many"`},
		{name: "cloud run zero count", env: []string{"CLOUD_RUN_TASK_COUNT", "0"}, errContains: `CLOUD_RUN_TASK_COUNT="0"`},
		{name: "count only", env: []string{"CLOUD_RUN_TASK_COUNT", "6"}, index: 0, cnt: 6},
		{name: "aws batch", shards: 10, env: []string{"AWS_BATCH_JOB_ARRAY_INDEX", "9"}, index: 9, cnt: 10},
		{name: "aws batch bad", shards: 10, env: []string{"AWS_BATCH_JOB_ARRAY_INDEX", "x"}, errContains: `AWS_BATCH_JOB_ARRAY_INDEX="x"`},
		{name: "aws batch out of range", shards: 10, env: []string{"AWS_BATCH_JOB_ARRAY_INDEX", "10"},
			errContains: "AWS_BATCH_JOB_ARRAY_INDEX=10 is not below the shard count 10 (from --shards)"},
		{name: "negative index", shards: 2, env: []string{"JOB_COMPLETION_INDEX", "-1"}, errContains: `JOB_COMPLETION_INDEX="-1"`},
		{name: "first env wins", shards: 4, env: []string{"JOB_COMPLETION_INDEX", "1", "CLOUD_RUN_TASK_INDEX", "2", "AWS_BATCH_JOB_ARRAY_INDEX", "3"}, index: 1, cnt: 4},
		{name: "second env", shards: 4, env: []string{"CLOUD_RUN_TASK_INDEX", "2", "AWS_BATCH_JOB_ARRAY_INDEX", "3"}, index: 2, cnt: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, n, err := ParseShard(tc.flag, tc.shards, envOf(tc.env...))
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errContains)
				}
				if !fault.IsUsage(err) {
					t.Fatalf("err %v is not a usage error", err)
				}
				return
			}
			if err != nil || i != tc.index || n != tc.cnt {
				t.Fatalf("got %d/%d, %v; want %d/%d", i, n, err, tc.index, tc.cnt)
			}
		})
	}
}

func TestParseShardNilEnv(t *testing.T) {
	if i, n, err := ParseShard("", 0, nil); i != 0 || n != 1 || err != nil {
		t.Fatalf("got %d/%d %v", i, n, err)
	}
}
