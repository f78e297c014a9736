package cli

import (
	"strconv"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
)

// Environment variables schedulers set for one copy of an array job.
var shardIndexEnv = []string{"JOB_COMPLETION_INDEX", "CLOUD_RUN_TASK_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}

const shardCountEnv = "CLOUD_RUN_TASK_COUNT"

// ParseShard resolves which shard this process is, from --shard i/n
// (flag), else the index from JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_INDEX
// or AWS_BATCH_JOB_ARRAY_INDEX (the first one set) and the count from
// --shards (shardsFlag, 0 when not given) or CLOUD_RUN_TASK_COUNT. The
// default is 0/1. Errors are usage errors naming where the bad value came
// from.
func ParseShard(flag string, shardsFlag int, env func(string) string) (index, count int, err error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	if shardsFlag < 0 {
		return 0, 0, fault.Usagef("--shards %d: want a count of at least 1", shardsFlag)
	}
	if flag != "" {
		i, n, ok := strings.Cut(flag, "/")
		index, err1 := strconv.Atoi(strings.TrimSpace(i))
		count, err2 := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err1 != nil || err2 != nil {
			return 0, 0, fault.Usagef("--shard %q: want i/n, e.g. 0/4", flag)
		}
		if count < 1 || index < 0 || index >= count {
			return 0, 0, fault.Usagef("--shard %q: want 0 <= i < n", flag)
		}
		if shardsFlag != 0 && shardsFlag != count {
			return 0, 0, fault.Usagef("--shard %q contradicts --shards %d", flag, shardsFlag)
		}
		return index, count, nil
	}

	count, countSrc := 1, "the default"
	switch {
	case shardsFlag > 0:
		count, countSrc = shardsFlag, "--shards"
	case env(shardCountEnv) != "":
		v := env(shardCountEnv)
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return 0, 0, fault.Usagef("%s=%q: want a count of at least 1", shardCountEnv, v)
		}
		count, countSrc = n, shardCountEnv
	}
	for _, name := range shardIndexEnv {
		v := env(name)
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 {
			return 0, 0, fault.Usagef("%s=%q: want a shard index of at least 0", name, v)
		}
		if i >= count {
			return 0, 0, fault.Usagef("%s=%d is not below the shard count %d (from %s); set --shards", name, i, count, countSrc)
		}
		return i, count, nil
	}
	return 0, count, nil
}

// ShardFlags are the --shard and --shards flags of a command that can run
// as one of many copies.
type ShardFlags struct {
	spec  string
	count int
}

// AddShardFlags registers --shard i/n and --shards N on the app.
func (a *App) AddShardFlags() *ShardFlags {
	s := &ShardFlags{}
	a.fs.StringVar(&s.spec, "shard", "", "run as shard `i/n` (0-based) of n copies; i defaults from JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_INDEX or AWS_BATCH_JOB_ARRAY_INDEX")
	a.fs.IntVar(&s.count, "shards", 0, "number of copies when the index comes from the environment (default CLOUD_RUN_TASK_COUNT, else 1)")
	return s
}

// Resolve returns this process's shard index and count (see ParseShard).
func (s *ShardFlags) Resolve(env func(string) string) (index, count int, err error) {
	return ParseShard(s.spec, s.count, env)
}
