package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/cli"
	"github.com/lading-dev/lading/internal/export"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

// tablesFlags are the flags of an export of many tables.
type tablesFlags struct {
	patterns []string
	file     string
}

func addTablesFlags(f *pflag.FlagSet, cfg *export.Config) *tablesFlags {
	t := &tablesFlags{}
	f.StringSliceVar(&t.patterns, "tables", nil, "export every table these `PATTERNS` match, each as its own dump of the batch (comma-separated globs: 'shop.*,crm.users'; DynamoDB: table names); the first run fixes the batch's table list, and the batch marker <batch>/_SUCCESS is written when all are exported")
	f.StringVar(&t.file, "tables-file", "", "read the --tables patterns from `FILE`, one a line (# starts a comment)")
	f.IntVar(&cfg.TableParallel, "table-parallel", export.DefaultTableParallel, "with --tables: tables exported at once (each with --parallel readers; --max-rate, --max-inflight and the adaptive limit hold for all of them together)")
	return t
}

// resolve returns the patterns given, or nil for a --table export.
func (t *tablesFlags) resolve() ([]string, error) {
	switch {
	case t.file != "" && len(t.patterns) > 0:
		return nil, fault.Usagef("--tables and --tables-file: give one")
	case t.file != "":
		f, err := os.Open(t.file)
		if err != nil {
			return nil, fault.Usagef("--tables-file: %w", err)
		}
		defer f.Close()
		return export.ReadTablesFile(f, t.file)
	case len(t.patterns) > 0:
		p, err := export.ParseTablePatterns(t.patterns)
		if err == nil && len(p) == 0 {
			err = fault.Usagef("--tables: no pattern given")
		}
		return p, err
	}
	return nil, nil
}

// runTables runs an export of many tables and prints one line per table
// and one for the batch.
func runTables(ctx context.Context, rt *cli.Runtime, cfg export.Config) error {
	res, err := export.RunTables(ctx, cfg, rt.Logger, rt.Run)
	printTables(rt.Stdout, res)
	return err
}

func printTables(w io.Writer, res export.BatchResult) {
	for _, t := range res.Tables {
		fmt.Fprintf(w, "table %s: %s\n", t.Table, tableLine(t))
	}
	switch {
	case res.AlreadyComplete:
		fmt.Fprintf(w, "batch %s already complete: %s\n", res.Batch, res.Marker)
	case res.MarkerWritten:
		fmt.Fprintf(w, "batch %s complete: %d tables; batch marker written: %s\n", res.Batch, len(res.Tables), res.Marker)
	case res.Complete:
		fmt.Fprintf(w, "batch %s complete: %d tables; batch marker already there: %s\n", res.Batch, len(res.Tables), res.Marker)
	case len(res.Waiting) > 0:
		fmt.Fprintf(w, "batch %s not complete: %d of %d tables without a complete dump (%s)\n", res.Batch, len(res.Waiting), len(res.Tables), strings.Join(res.Waiting, ", "))
	}
}

func tableLine(t export.TableResult) string {
	switch t.Outcome() {
	case "failed":
		return fmt.Sprintf("failed (exit %d): %s", fault.Code(t.Err), t.Err)
	case "already-complete":
		return "dump already complete: " + t.Dump
	case "complete":
		if m := t.Manifest; m != nil {
			return fmt.Sprintf("dump complete: %s: %d rows, %d files, %s", t.Dump, m.Totals.Rows, m.Totals.Files, report.HumanBytes(float64(m.Totals.StoredBytes)))
		}
		return "dump complete: " + t.Dump
	}
	return fmt.Sprintf("shard %d/%d done: %s: %d units committed by this run, %d already committed; %d units left to other shards",
		t.Shard, t.Shards, t.Dump, t.Committed, t.Skipped, t.Left)
}
