// Command shipper copies complete dumps between object stores, verifying
// every byte against the manifest and writing _SUCCESS last.
package main

import (
	"context"
	"errors"

	"github.com/lading-dev/lading/internal/cli"
)

const examples = `# Copy every complete dump not yet at the destination:
shipper --from s3://src-bucket/dumps --to gs://dst-bucket/dumps

# Keep polling for new dumps of one table:
shipper --from s3://src-bucket/dumps --to gs://dst-bucket/dumps --table ks.users --watch`

func main() {
	app := cli.New("shipper", "copy complete dumps between object stores, verified",
		"shipper --from URL --to URL [--batch NAME] [--table KS.TABLE] [--watch] [options]", examples)
	f := app.Flags()
	f.String("from", "", "source store `URL` (file://, s3://, gs://)")
	f.String("to", "", "destination store `URL` (file://, s3://, gs://)")
	f.String("batch", "", "only this batch `NAME`")
	f.String("table", "", "only this table, as `KS.TABLE`")
	f.Bool("watch", false, "keep polling for new dumps")
	app.AddShardFlags()
	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		return errors.New("not implemented yet")
	})
}
