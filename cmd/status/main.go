// Command status shows where every dump is in the pipeline: exported
// (when, rows, bytes), shipped to which roots, loaded into which targets,
// verified how, and the lag from its export to each stage. It reads only
// the bucket (the dumps' _SUCCESS notes, the plans of unfinished exports
// and the loaders' ledgers) and never writes to it. See
// docs/status.md.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/status"
)

const examples = `# Every dump exported to S3, whether it reached GCS, and what the loaders did with it:
status --root s3://dumps/prod --root gs://dumps-eu/prod

# For cron: exit 1 (and list them) when any stage of any dump is more than 6h behind its export:
status --root s3://dumps/prod --root gs://dumps-eu/prod --target cassandra://10.1.0.1/shop --max-lag 6h

# One batch, as JSON for a dashboard, and as a page for people:
status --root gs://dumps-eu/prod --batch 2026-12-06 --json --html /var/www/lading/status.html`

func main() {
	app := cli.New("status", "show where every dump is: exported, shipped, loaded, verified, and how late",
		"status --root URL [--root URL ...] [--target URL ...] [--state URL ...] [--batch NAME] [--table KS.TABLE] [--json] [--max-lag D] [--html FILE]", examples)
	f := app.Flags()
	var (
		cfg      status.Config
		asJSON   bool
		htmlFile string
	)
	f.StringArrayVar(&cfg.Roots, "root", nil, "store `URL` above the batches (file://, s3://, gs://); repeat for every root a dump is shipped to (the one holding the exporter's _SUCCESS is the export root)")
	f.StringArrayVar(&cfg.Targets, "target", nil, "target `URL` every dump should be loaded into (repeatable; only names the target: status never connects to it; default: every target whose ledger holds the table)")
	f.StringArrayVar(&cfg.States, "state", nil, "store `URL` where loaders run with --state keep their ledgers (repeatable; each root's own _state/loads/ is always read)")
	f.StringVar(&cfg.Filter.Batch, "batch", "", "only this batch `NAME`")
	f.StringVar(&cfg.Filter.Table, "table", "", "only this table, as `KS.TABLE` (a DynamoDB table is dynamodb.NAME, e.g. dynamodb.prod-orders.v2)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON (schema: docs/status.md) instead of a table")
	f.DurationVar(&cfg.MaxLag, "max-lag", 0, "exit 1, listing them, when any stage has waited longer than `D` after its export (or an export this long after its plan), or a verification failed")
	f.DurationVar(&cfg.Stale, "stale", status.DefaultStale, "call an export stale when it is unfinished `D` after its plan")
	f.StringVar(&htmlFile, "html", "", "also write the report as a self-contained HTML page to `FILE` (\"-\": standard output)")

	app.Main(func(ctx context.Context, rt *cli.Runtime) error {
		if len(cfg.Roots) == 0 {
			return fault.Usagef("--root is required")
		}
		if cfg.MaxLag < 0 || cfg.Stale < 0 {
			return fault.Usagef("--max-lag and --stale must not be negative")
		}
		rep, err := status.Build(ctx, cfg)
		if err != nil {
			return err
		}
		if htmlFile != "" {
			if err := writeHTML(rt, htmlFile, rep); err != nil {
				return err
			}
		}
		if htmlFile != "-" {
			if asJSON {
				err = status.WriteJSON(rt.Stdout, rep)
			} else {
				err = status.WriteText(rt.Stdout, rep)
			}
			if err != nil {
				return err
			}
		}
		if cfg.MaxLag > 0 && len(rep.Behind) > 0 {
			return fmt.Errorf("%d behind: %s", len(rep.Behind), strings.Join(rep.Behind, "; "))
		}
		return nil
	})
}

// writeHTML writes the page next to FILE and renames it into place, so a
// web server never serves half a page.
func writeHTML(rt *cli.Runtime, name string, rep *status.Report) error {
	if name == "-" {
		return status.WriteHTML(rt.Stdout, rep)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fault.Usagef("--html %s: %v", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := status.WriteHTML(tmp, rep); err != nil {
		tmp.Close()
		return fmt.Errorf("--html %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--html %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--html %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("--html %s: %w", name, err)
	}
	return nil
}
