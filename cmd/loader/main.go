// Command loader loads complete dumps into a target (Cassandra, Spanner,
// Bigtable, Snowflake), recording progress in a ledger so re-runs load
// nothing twice.
package main

import (
	"context"
	"errors"

	"github.com/lading-dev/lading/internal/cli"
)

const examples = `# Restore every complete dump under a prefix into a Cassandra keyspace:
loader --from gs://bucket/dumps --to cassandra://127.0.0.1:9042/restored

# Keep loading new dumps of one table as they arrive:
loader --from gs://bucket/dumps --to cassandra://127.0.0.1:9042/restored --table ks.users --watch`

func main() {
	app := cli.New("loader", "load complete dumps into a target database",
		"loader --from URL --to URL [--batch NAME] [--table KS.TABLE] [--watch] [options]", examples)
	f := app.Flags()
	f.String("from", "", "dump store `URL` (file://, s3://, gs://)")
	f.String("to", "", "target `URL` (cassandra://, spanner://, bigtable://, snowflake://)")
	f.String("batch", "", "only this batch `NAME`")
	f.String("table", "", "only this table, as `KS.TABLE`")
	f.Bool("watch", false, "keep polling for new dumps")
	app.AddShardFlags()
	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		return errors.New("not implemented yet")
	})
}
