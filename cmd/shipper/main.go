// Command shipper copies complete dumps between object stores, verifying
// every byte against the manifest and writing _SUCCESS last; with --check
// it verifies dumps at rest. See docs/shipper.md.
package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/ship"
)

const examples = `# Copy every complete dump not yet at the destination, then exit:
shipper --from s3://src-bucket/dumps?region=eu-west-1 --to gs://dst-bucket/dumps

# Keep polling for new dumps of one table, at most 50 MB/s:
shipper --from s3://src-bucket/dumps --to gs://dst-bucket/dumps --table ks.users --watch --interval 5m --bwlimit 50MB

# Copy one dump, named by its prefix:
shipper --from s3://src-bucket/dumps/2026-11-22/ks.users/20261122T154530Z --to file:///var/dumps

# What would be shipped?
shipper --from s3://src-bucket/dumps --to gs://dst-bucket/dumps --dry-run

# Verify dumps at rest (sizes and store checksums; --full re-reads every byte):
shipper --check gs://dst-bucket/dumps --batch 2026-11-22 --full`

func main() {
	app := cli.New("shipper", "copy complete dumps between object stores, verified",
		"shipper --from URL --to URL [--batch NAME] [--table KS.TABLE] [--watch] [options]\n  shipper --check URL [--batch NAME] [--table KS.TABLE] [--full]", examples)
	f := app.Flags()
	var (
		cfg                   ship.Config
		check                 string
		full                  bool
		maxMem, part, bwlimit = cli.ByteSize(ship.DefaultMaxMemory), cli.ByteSize(0), cli.ByteSize(0)
	)
	f.StringVar(&cfg.From, "from", "", "source store `URL` (file://, s3://, gs://): a root or one dump's prefix")
	f.StringVar(&cfg.To, "to", "", "destination store `URL` (file://, s3://, gs://)")
	f.StringVar(&cfg.Filter.Batch, "batch", "", "only this batch `NAME`")
	f.StringVar(&cfg.Filter.Table, "table", "", "only this table, as `KS.TABLE` (a DynamoDB table is dynamodb.NAME, e.g. dynamodb.prod-orders.v2)")
	f.StringVar(&cfg.Filter.Timestamp, "timestamp", "", "only the dump of this `TS` (20261122T154530Z)")
	f.BoolVar(&cfg.Watch, "watch", false, "keep polling for new dumps")
	f.DurationVar(&cfg.Interval, "interval", ship.DefaultInterval, "how often --watch polls")
	f.IntVar(&cfg.Transfers, "transfers", ship.DefaultTransfers, "files copied at once")
	f.Var(&maxMem, "max-memory", "memory all transfers together may buffer (e.g. 64MiB)")
	f.Var(&part, "part-size", "chunk size of streamed uploads (default 256MiB): each chunk streams from a ranged read of the source and a failed one is read again, so the size costs no memory")
	f.Var(&bwlimit, "bwlimit", "cap on bytes per second of all streamed copies together, e.g. 50MB (default: none)")
	f.StringVar(&cfg.StorageClass, "storage-class", "", "storage class of objects written, in the destination service's words (default: the bucket's)")
	f.BoolVar(&cfg.NoServerSide, "no-server-side", false, "stream every file, even when both stores are the same service")
	f.BoolVar(&cfg.FullVerify, "full-verify", false, "also re-read server-side copies (and, with --delete-source, the copy) and check their SHA-256")
	f.BoolVar(&cfg.DryRun, "dry-run", false, "list what would be shipped; copy nothing")
	f.BoolVar(&cfg.DeleteSource, "delete-source", false, "delete each source dump once its copy is complete and re-verified")
	f.StringVar(&check, "check", "", "verify the dumps at `URL` against their manifests instead of shipping")
	f.BoolVar(&full, "full", false, "with --check: re-read and hash every byte")
	shards := app.AddShardFlags()

	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		cfg.MaxMemory, cfg.PartSize, cfg.BWLimit = int64(maxMem), int64(part), int64(bwlimit)
		if rt.Env("GOMEMLIMIT") == "" {
			// The budget bounds the transfers' buffers; this keeps the
			// garbage they leave from doubling the heap before it is
			// collected (the rest of the process needs about 40 MB).
			debug.SetMemoryLimit(cfg.MaxMemory + memoryOverhead)
		}
		if check != "" {
			if cfg.From != "" || cfg.To != "" {
				return fault.Usagef("--check takes no --from or --to")
			}
			return runCheck(ctx, rt, ship.CheckConfig{URL: check, Filter: cfg.Filter, Full: full, Transfers: cfg.Transfers})
		}
		if full {
			return fault.Usagef("--full goes with --check; when shipping, use --full-verify")
		}
		var err error
		if cfg.Shard, cfg.Shards, err = shards.Resolve(rt.Env); err != nil {
			return err
		}
		cfg.OnDump = func(d ship.DumpResult) { dumpDone(rt, cfg.To, d) }
		res, err := ship.Run(ctx, cfg, rt.Logger, rt.Run)
		printShip(rt, cfg, res, err)
		return err
	})
}

// memoryOverhead is what the process may use beyond --max-memory before
// the Go runtime collects garbage more eagerly.
const memoryOverhead = 64 << 20

func printShip(rt *cli.Runtime, cfg ship.Config, res ship.Result, err error) {
	for _, d := range res.Dumps {
		switch d.Outcome {
		case ship.WouldShip:
			fmt.Fprintf(rt.Stdout, "would ship %s: %d files, %s\n", d.Dump, d.Files, report.HumanBytes(float64(d.Bytes)))
		case ship.Failed:
			fmt.Fprintf(rt.Stdout, "failed %s: %v\n", d.Dump, d.Err)
		default:
			fmt.Fprintf(rt.Stdout, "%s %s: %d files, %d copied (%s), %d already there\n", d.Outcome, d.Dump,
				d.Files, d.FilesCopied+d.FilesServerSide, report.HumanBytes(float64(d.BytesCopied)), d.FilesSkipped)
		}
	}
	if len(res.Dumps) == 0 && !cfg.Watch && err == nil {
		fmt.Fprintln(rt.Stdout, "nothing to ship")
	}
}

func runCheck(ctx context.Context, rt *cli.Runtime, cfg ship.CheckConfig) error {
	start := time.Now()
	res, err := ship.Check(ctx, cfg, rt.Logger, rt.Run)
	for _, p := range res.Problems {
		fmt.Fprintln(rt.Stdout, p)
	}
	fmt.Fprintf(rt.Stdout, "checked %d dumps (%d files, %s) in %s: %d problems; %d incomplete dumps not checked\n",
		res.Checked, res.Files, report.HumanBytes(float64(res.Bytes)), report.HumanDuration(time.Since(start)), len(res.Problems), res.Incomplete)
	return err
}

// dumpDone tells the runtime what happened to a dump (for --notify and the
// report beside the dump's state at the destination). A dry run's and an
// already shipped dump's are no news.
func dumpDone(rt *cli.Runtime, to string, d ship.DumpResult) {
	if d.Outcome == ship.WouldShip || d.Outcome == ship.AlreadyMarked {
		return
	}
	rt.DumpDone(cli.DumpOutcome{Store: to, Dump: d.Dump.Prefix, Table: d.Dump.Table, Outcome: string(d.Outcome), Err: d.Err,
		Bytes: d.BytesCopied, Files: d.FilesCopied + d.FilesServerSide, Quiet: d.Outcome == ship.Partial})
}
