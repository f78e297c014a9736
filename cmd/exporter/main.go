// Command exporter dumps a Cassandra table, token range by token range,
// into zstd NDJSON parts and a checksummed manifest in object storage.
package main

import (
	"context"
	"errors"

	"github.com/lading-dev/lading/internal/cli"
)

const examples = `# Dump ks.users from a local Cassandra into a local directory:
exporter --source cassandra://127.0.0.1:9042 --table ks.users --dest file:///var/dumps

# One of 8 copies of a Kubernetes Indexed Job (index from JOB_COMPLETION_INDEX):
exporter --source cassandra://cass1,cass2 --table ks.users --dest s3://bucket/dumps --shards 8`

func main() {
	app := cli.New("exporter", "dump a Cassandra table to object storage",
		"exporter --source URL --table KS.TABLE --dest URL [--batch NAME] [--timestamp TS] [options]", examples)
	f := app.Flags()
	f.String("source", "", "source cluster `URL` (cassandra://host1,host2:9042)")
	f.String("table", "", "table to dump, as `KS.TABLE`")
	f.String("dest", "", "destination `URL` (file://, s3://, gs://)")
	f.String("batch", "", "batch `NAME` (default: today's UTC date)")
	f.String("timestamp", "", "dump timestamp `TS` (default: the batch's dump, or now)")
	app.AddShardFlags()
	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		return errors.New("not implemented yet")
	})
}
