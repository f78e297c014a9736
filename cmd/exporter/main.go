// Command exporter dumps a Cassandra table (token range by token range)
// or a DynamoDB table (parallel Scan segments) into zstd NDJSON parts and
// a checksummed manifest in object storage,
// following the plan/commit/finish protocol: kill it anywhere and run it
// again, and it completes the dump without losing or duplicating a row.
// See docs/exporter.md.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
)

const examples = `# Dump ks.users from a local Cassandra into a local directory (batch = today's UTC date):
exporter --source cassandra://127.0.0.1:9042 --table ks.users --dest file:///var/dumps

# From a production cluster's dc1 into S3, with writetimes and TTLs, 8 readers:
exporter --source 'cassandra://10.0.0.1,10.0.0.2:9042/?dc=dc1' --table shop.orders \
         --dest 's3://dumps/prod?region=eu-west-1' --writetime --ttl --parallel 8

# A trial: two columns, at most 1000 rows per unit, into a batch of its own:
exporter --source cassandra://127.0.0.1 --table ks.users --dest file:///tmp/trial \
         --batch trial-1 --columns name,email --limit-rows 1000

# Run again after a failure or a kill: the same command continues the same dump.

# Shard 2 of 8 of one export (the index may also come from JOB_COMPLETION_INDEX,
# CLOUD_RUN_TASK_INDEX or AWS_BATCH_JOB_ARRAY_INDEX); every shard runs the same command,
# with the same --batch (required with shards, so shards started on either side of
# midnight still write one dump):
exporter --source cassandra://10.0.0.1 --table shop.orders --dest s3://dumps/prod \
         --batch 2026-11-22 --shard 2/8

# Protect a busy cluster: at most 200k rows/s and 4 page requests at once,
# backing off when the p99 page latency goes over 250ms:
exporter --source cassandra://10.0.0.1 --table shop.orders --dest s3://dumps/prod \
         --max-rate 200000 --max-inflight 4 --target-latency 250ms

# A DynamoDB table, using at most half of its provisioned read capacity:
exporter --source dynamodb://us-east-1 --table orders --dest s3://dumps/prod --read-ratio 0.5

# Every table of keyspace shop and crm.users, each its own dump of one batch, 2 tables at
# a time, at most 100k rows/s for the whole run; <batch>/_SUCCESS marks the batch complete:
exporter --source cassandra://10.0.0.1 --tables 'shop.*,crm.users' --dest s3://dumps/prod \
         --batch 2026-11-22 --table-parallel 2 --max-rate 100000

# Convert a DynamoDB point-in-time export in S3 instead of scanning the table
# (the key schema read from the table, or given with --hash-key/--range-key):
exporter --from-export 's3://aws-exports/AWSDynamoDB/01234-abcd/' --table orders \
         --source dynamodb://us-east-1 --dest s3://dumps/prod

# The partitions of a list of customer ids (one a line; composite keys as CSV):
exporter --source cassandra://10.0.0.1 --table shop.orders --dest s3://dumps/prod \
         --batch gdpr-2026-11-22 --keys customers.csv`

func main() {
	app := cli.New("exporter", "dump a Cassandra or DynamoDB table to object storage",
		"exporter --source URL (--table KS.TABLE|NAME | --tables PATTERNS | --tables-file FILE) --dest URL [--batch NAME] [--timestamp TS] [options]\n       exporter --from-export URL [--source URL] --table NAME --dest URL [options]", examples)
	f := app.Flags()
	var cfg export.Config
	partSize := cli.ByteSize(format.DefaultPartBytes)
	f.StringVar(&cfg.Source, "source", "", "source `URL`: cassandra://host1,host2:9042/?dc=dc1 (also tls, ca, cert, key, translate, translate-file, route=contact-points, protocol: see docs/exporter.md; credentials from CASSANDRA_USERNAME/CASSANDRA_PASSWORD or their _FILE forms), dynamodb://REGION or dynamodb://local?endpoint=http://host:port (credentials from the AWS chain)")
	f.StringVar(&cfg.Table, "table", "", "table to dump: `KS.TABLE` (Cassandra) or the table's name (DynamoDB, e.g. prod-orders.v2; its dump is dynamodb.NAME)")
	f.StringVar(&cfg.Dest, "dest", "", "destination root `URL` (file://, s3://, gs://)")
	f.StringVar(&cfg.Batch, "batch", "", "batch `NAME` (default: today's UTC date, YYYY-MM-DD; required with more than one shard)")
	f.StringVar(&cfg.Timestamp, "timestamp", "", "name the dump `TS` (20261122T154530Z; default: the batch's dump of the table, or now)")
	f.StringSliceVar(&cfg.Columns, "columns", nil, "export only these `COLUMNS` (comma-separated; key columns are always exported)")
	f.StringVar(&cfg.Where, "where", "", "extra CQL restriction ANDed to every range query, e.g. \"status = 'open'\"")
	f.BoolVar(&cfg.AllowFiltering, "allow-filtering", false, "append ALLOW FILTERING (for a --where Cassandra only accepts with it)")
	f.Int64Var(&cfg.LimitRows, "limit-rows", 0, "read at most `N` rows per unit of work (trials; 0: all)")
	f.BoolVar(&cfg.Writetime, "writetime", false, "capture WRITETIME of regular and static columns into \"_writetime\"")
	f.BoolVar(&cfg.TTL, "ttl", false, "capture TTL of regular and static columns into \"_ttl\"")
	f.StringVar(&cfg.Compression, "compression", export.DefaultCompression, "part compression: zstd, gzip or none")
	f.StringVar(&cfg.Consistency, "consistency", "", "Cassandra read consistency (ONE, LOCAL_ONE, QUORUM, LOCAL_QUORUM, ...; default LOCAL_ONE)")
	f.BoolVar(&cfg.ConsistentRead, "consistent-read", false, "DynamoDB: strongly consistent Scan reads (twice the read capacity)")
	f.Float64Var(&cfg.ReadRatio, "read-ratio", 0, "DynamoDB: use at most this share `R` (0 < R <= 1) of a provisioned table's read capacity, all readers and shards together")
	f.Float64Var(&cfg.MaxRCU, "max-rcu", 0, "DynamoDB: at most `N` read capacity units per second, all readers and shards together (for on-demand tables)")
	f.IntVar(&cfg.PageSize, "page-size", 1000, "rows per page")
	f.IntVar(&cfg.Parallel, "parallel", export.DefaultParallel, "units read at once")
	f.IntVar(&cfg.Splits, "splits", 0, "cut the ring into about `N` ranges (default: sized from system.size_estimates); the first run's plan keeps it")
	f.Var(&partSize, "part-size", "compressed size at which parts roll (e.g. 128MiB)")
	f.DurationVar(&cfg.ProgressInterval, "progress-interval", export.DefaultProgressInterval, "DynamoDB: commit each segment's progress at least this often (a killed export resumes there)")
	f.Float64Var(&cfg.MaxRate, "max-rate", 0, "cap on rows read per second, all readers together (0: none)")
	f.IntVar(&cfg.MaxInflight, "max-inflight", 0, "cap on page requests in flight, all readers together (0: --parallel)")
	adaptive := f.Bool("adaptive", true, "adapt the in-flight page requests to the source's latency and errors, under --max-inflight (--adaptive=false: always the cap)")
	f.DurationVar(&cfg.TargetLatency, "target-latency", 0, "page latency p99 above which the adaptive controller backs off (default: 4x the first pages' median, at least 100ms)")
	f.StringVar(&cfg.Keys, "keys", "", "export the partitions of a key list `FILE` (\"-\": standard input) instead of token ranges: CSV, one key a line in partition key order, or NDJSON objects; only the dump's first run reads it")
	f.IntVar(&cfg.KeysPerUnit, "keys-per-unit", export.DefaultKeysPerUnit, "keys per unit of work of a --keys export (the first run's plan keeps it)")
	addExportFlags(f, &cfg)
	memory := addMemoryFlag(f)
	addProtectFlags(f, &cfg)
	shards := app.AddShardFlags()
	tables := addTablesFlags(f, &cfg)

	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		cfg.PartBytes = int64(partSize)
		if err := applyMemory(int64(*memory), rt.Env); err != nil {
			return err
		}
		cfg.Env = rt.Env
		cfg.NoAdaptive = !*adaptive
		cfg.KeysInput = os.Stdin
		var err error
		if cfg.Shard, cfg.Shards, err = shards.Resolve(rt.Env); err != nil {
			return err
		}
		if cfg.Tables, err = tables.resolve(); err != nil {
			return err
		}
		if len(cfg.Tables) > 0 {
			return runTables(ctx, rt, cfg)
		}
		cfg.TableParallel = 0 // one table: its --parallel readers are the run's
		res, err := export.Run(ctx, cfg, rt.Logger, rt.Run.Table(cfg.Table))
		dumpDone(rt, cfg, res, err)
		switch {
		case res.AlreadyComplete:
			fmt.Fprintf(rt.Stdout, "dump already complete: %s\n", res.Dump)
		case res.Complete && res.Manifest != nil:
			t := res.Manifest.Totals
			fmt.Fprintf(rt.Stdout, "dump complete: %s: %d rows, %d files, %s\n", res.Dump, t.Rows, t.Files, report.HumanBytes(float64(t.StoredBytes)))
		case err == nil && res.Dump != "":
			fmt.Fprintf(rt.Stdout, "shard %d/%d done: %s: %d units committed by this run, %d already committed; %d units left to other shards\n",
				res.Shard, res.Shards, res.Dump, res.Committed, res.Skipped, res.Left)
		}
		return err
	})
}

// dumpDone tells the runtime what happened to the dump (for --notify and
// the report beside the dump's state): its completion, or a failure.
// A dump already complete is no news; a shard's share done while others
// go on is reported beside the dump but not notified.
func dumpDone(rt *cli.Runtime, cfg export.Config, res export.Result, err error) {
	d := cli.DumpOutcome{Store: cfg.Dest, Dump: res.Dump, Table: cfg.Table, Rows: res.Rows, Bytes: res.StoredBytes}
	switch {
	case err != nil:
		d.Outcome, d.Err = "failed", err
	case res.AlreadyComplete || res.Dump == "":
		return
	case res.Complete && res.Manifest != nil:
		d.Outcome = "complete"
		d.Rows, d.Bytes, d.Files = res.Manifest.Totals.Rows, res.Manifest.Totals.StoredBytes, int64(res.Manifest.Totals.Files)
	default:
		d.Outcome, d.Quiet = "shard done", true
	}
	rt.DumpDone(d)
}
