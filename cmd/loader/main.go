// Command loader loads complete dumps into a target (Cassandra first;
// Spanner, Bigtable and Snowflake plug in by URL scheme), proving every
// part's checksums before any of its rows is written and recording
// progress in a ledger, so re-runs load nothing twice. See docs/loader.md.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
	_ "github.com/lading-dev/lading/internal/load/targets/bigtable"  // bigtable://
	_ "github.com/lading-dev/lading/internal/load/targets/cassandra" // cassandra://
	_ "github.com/lading-dev/lading/internal/load/targets/spanner"   // spanner://
	"github.com/lading-dev/lading/internal/report"
)

const examples = `# Restore every complete dump under a prefix into a Cassandra keyspace,
# creating the tables (and their user types) from the dumps' schemas:
loader --from s3://dumps/prod --to cassandra://10.0.0.5:9042/shop_restore --create-table

# Load one dump again, even though the ledger says it is loaded:
loader --from gs://dr/prod/2026-11-22/shop.orders/20261122T154530Z --to cassandra://127.0.0.1:9042/shop --force

# Keep loading new dumps of one table as they arrive, then read every row back:
loader --from gs://bucket/dumps --to cassandra://127.0.0.1:9042/restored --table ks.users --watch --verify full

# Two keyspaces with a table of the same name: give each a table of its own:
loader --from s3://dumps/prod --to cassandra://10.0.0.5:9042/restored --create-table --map ks1.users=users_ks1,ks2.users=users_ks2

# Load into Cloud Bigtable (Application Default Credentials), creating the
# table with column family cf:
loader --from gs://dr-dumps/prod --to 'bigtable://my-project/my-instance?family=cf&app-profile=batch' --create-table

# Load into a Cloud Spanner database (ADC credentials; SPANNER_EMULATOR_HOST honoured):
loader --from gs://dr-dumps/prod --to spanner://projects/p/instances/i/databases/d --create-table

# Load into Snowflake (SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH in the
# environment), COPY INTO from an external stage created over the dump store:
loader --from s3://dumps/prod --to 'snowflake://loader@acme-xy12345/ANALYTICS/RAW?warehouse=LOAD_WH&role=LOADER' --storage-integration S3_INT --create-table

# Each table to a target of its own (lines of KS.TABLE=URL; other tables are skipped):
loader --from s3://dumps/prod --route-file routes.txt --create-table

# What would be loaded?
loader --from file:///var/dumps --to cassandra://127.0.0.1:9042/restored --dry-run`

func main() {
	app := cli.New("loader", "load complete dumps into a target database, verified",
		"loader --from URL --to URL [--batch NAME] [--table KS.TABLE] [--watch] [options]", examples)
	f := app.Flags()
	var (
		o          load.Options
		spoolBytes = cli.ByteSize(4 << 30)
		batchBytes = cli.ByteSize(0)
		memory     = cli.ByteSize(load.DefaultMemoryBytes)
	)
	f.StringVar(&o.From, "from", "", "dump store `URL` (file://, s3://, gs://): a root, or one dump's prefix")
	f.StringVar(&o.To, "to", "", "target `URL` (cassandra://host1,host2:9042/keyspace?dc=..., bigtable://, spanner://, snowflake://USER@ACCOUNT/DB/SCHEMA?warehouse=W&role=R)")
	var routeFile, route string
	f.StringVar(&route, "route", "", "instead of --to, send each table to `indexed=URL,plain=URL`: indexed when its source has secondary indexes or materialized views (DynamoDB: global or local secondary indexes), plain otherwise; with --route-file, the file's tables go where it says")
	f.StringVar(&routeFile, "route-file", "", "instead of --to, send each source table to a target of its own: a `FILE` of KS.TABLE=URL lines; a table in no route is skipped")
	f.StringVar(&o.State, "state", "", "keep ledgers under this store `URL` instead of <root>/_state (e.g. when the dump store is read-only)")
	f.StringVar(&o.Filter.Batch, "batch", "", "only this batch `NAME`")
	f.StringVar(&o.Filter.Table, "table", "", "only this table, as `KS.TABLE` (the source's name; a DynamoDB table is dynamodb.NAME, e.g. dynamodb.prod-orders.v2)")
	f.StringVar(&o.Filter.Timestamp, "timestamp", "", "only the dump of this `TS` (20261122T154530Z)")
	f.BoolVar(&o.Force, "force", false, "load a dump again even when the ledger says it is loaded, or over a newer dump")
	f.BoolVar(&o.CreateTable, "create-table", false, "create the target table (and the user types it needs) from the dump's schema when missing")
	f.BoolVar(&o.CreateIndexes, "create-indexes", false, "create the source table's secondary indexes and materialized views (DynamoDB: its GSIs and LSIs, as <table>_<index>; as the manifest records them) as Spanner indexes before loading; unsupported kinds are listed and skipped; other targets ignore it")
	f.BoolVar(&o.CreateKeyspace, "create-keyspace", false, "create the target keyspace when missing (see --replication)")
	f.StringVar(&o.Replication, "replication", "", "replication `MAP` of a keyspace --create-keyspace creates (default {'class': 'SimpleStrategy', 'replication_factor': 1})")
	f.IntVar(&o.Versions, "versions", 1, "cell versions a Bigtable table created by --create-table keeps (its column family's max-versions GC policy)")
	f.StringVar(&o.TargetTable, "target-table", "", "load into this table `NAME` instead of the source table's name (needed when the target does not accept that name, e.g. a DynamoDB table name Spanner or Bigtable refuses)")
	f.StringSliceVar(&o.TableMap, "map", nil, "send a source table to a target table of another name, as `KS.TABLE=NAME` (repeat, or separate with commas); two source tables never share one target table")
	f.StringVar(&o.Consistency, "consistency", "", "consistency of writes and reads (default LOCAL_QUORUM)")
	f.IntVar(&o.Workers, "workers", 16, "most write requests in flight (the adaptive controller may use fewer)")
	f.IntVar(&o.Parts, "parts", 2, "parts read and converted at once")
	f.Var(&memory, "memory", "memory budget: a quarter bounds the batches queued and in flight, and the Go runtime's soft memory limit is set to it (unless GOMEMLIMIT is set), with the collector's GOGC at 400 under it (unless GOGC is set)")
	f.Var(&batchBytes, "batch-bytes", "cap on a batch's size, below the target's hard limit (default: the target's)")
	f.StringVar(&o.SpoolDir, "spool-dir", "", "directory to spool parts to while their checksums are proven (default: the system's temporary directory)")
	f.Var(&spoolBytes, "spool-bytes", "disk all spooled parts together may use; 0 reads every part twice instead")
	f.StringVar(&o.Verify, "verify", "", "after loading a dump: none, count (row count, when the table was empty before) or full (read every row back) (default count; full for counter tables)")
	f.Int64Var(&o.MaxRejects, "max-rejects", 0, "rows the target may refuse (kept in reject files beside the ledger) before the load fails")
	f.DurationVar(&o.ClaimStaleAfter, "claim-stale-after", 0, "take over a counter table's claim whose holder has not renewed it for this long (default 5m)")
	f.BoolVar(&o.DryRun, "dry-run", false, "check the schema and list what would be loaded; write nothing")
	f.BoolVar(&o.Watch, "watch", false, "keep polling for new dumps")
	f.DurationVar(&o.WatchInterval, "interval", load.DefaultInterval, "how often --watch polls")
	snowflakeFlags(f, &o)
	spannerFlags(f, &o)
	modeFlag(f, &o)
	shards := app.AddShardFlags()

	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		o.SpoolBytes, o.BatchBytes, o.MemoryBytes = int64(spoolBytes), int(batchBytes), int64(memory)
		// The runtime collects near the budget (memory.go).
		applyMemory(int64(memory), rt.Env)
		o.Logger, o.Run, o.Env = rt.Logger, rt.Run, rt.Env
		// 0 would mean "the target's default" to the library: on the
		// command line it is a mistake, not a request for one version.
		if o.Versions < 1 {
			return fault.Usagef("--versions %d: want 1 or more", o.Versions)
		}
		var err error
		if o.Shard, o.Shards, err = shards.Resolve(rt.Env); err != nil {
			return err
		}
		if route != "" {
			if o.Route, err = load.ParseSchemaRoute(route); err != nil {
				return err
			}
		}
		if routeFile != "" {
			if o.Routes, err = readRoutes(routeFile); err != nil {
				return err
			}
		}
		o.OnDump = func(d load.DumpResult) { dumpDone(rt, o, d) }
		res, err := load.Run(ctx, o)
		// A run refused before any dump is not a run with nothing to
		// load: its one line is the error's.
		if err == nil || len(res.Dumps) > 0 {
			printResult(rt, o, res)
		}
		return err
	})
}

// readRoutes reads --route-file.
func readRoutes(name string) (map[string]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fault.Usage(fmt.Errorf("--route-file: %w", err))
	}
	defer f.Close()
	return load.ParseRoutes(f, name)
}

func printResult(rt *cli.Runtime, o load.Options, res load.Result) {
	for _, d := range res.Dumps {
		switch d.Outcome {
		case "failed":
			fmt.Fprintf(rt.Stdout, "failed %s: %v\n", d.Dump, d.Err)
		case "would load":
			fmt.Fprintf(rt.Stdout, "would load %s into %s: %d parts, %d rows, %s\n", d.Dump, d.Target, d.Counts.Files, d.Counts.Rows, report.HumanBytes(float64(d.Counts.StoredBytes)))
		case "older: skipped":
			fmt.Fprintf(rt.Stdout, "skipped %s: older than a dump already loaded into %s\n", d.Dump, d.Target)
		default:
			verify := d.Verify.Result
			if verify == "skipped" && d.Verify.Detail != "" {
				// A verification that did not run says why, never
				// passing for one that did.
				verify += " (" + d.Verify.Detail + ")"
			}
			fmt.Fprintf(rt.Stdout, "%s %s into %s: %d rows (%d written, %d expired, %d rejected), %d parts; verify %s: %s\n",
				d.Outcome, d.Dump, d.Target, d.Counts.Rows, d.Counts.RowsWritten, d.Counts.RowsExpired, d.Counts.Rejects, d.Counts.Files, d.Verify.Mode, verify)
		}
	}
	if len(res.Dumps) == 0 && !o.Watch {
		fmt.Fprintln(rt.Stdout, "nothing to load")
	}
}

// dumpDone tells the runtime what happened to a dump (for --notify, and
// the report beside the dump's state: under --state when given, since the
// dump store may be read-only). Only loads and failures are news.
func dumpDone(rt *cli.Runtime, o load.Options, d load.DumpResult) {
	if d.Outcome != "loaded" && d.Outcome != "failed" {
		return
	}
	store := o.From
	if o.State != "" {
		store = o.State
	}
	table := ""
	if parts := strings.Split(d.Dump, "/"); len(parts) == 3 {
		table = parts[1]
	}
	rt.DumpDone(cli.DumpOutcome{Store: store, Dump: d.Dump, Table: table, Outcome: d.Outcome, Err: d.Err, Target: d.Target,
		Rows: d.Counts.Rows, Bytes: d.Counts.StoredBytes, Files: d.Counts.Files})
}
