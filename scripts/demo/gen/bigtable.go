package main

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/bigtable"
)

// countBigtable prints the rows the loader wrote into a Bigtable table
// (PROJECT/INSTANCE/TABLE, family cf): the rows with a row marker, the
// cell with an empty qualifier every loaded row has (docs/format.md).
func countBigtable(ctx context.Context, spec string) error {
	p := strings.Split(spec, "/")
	if len(p) != 3 {
		return fmt.Errorf("-bigtable-count %q: want PROJECT/INSTANCE/TABLE", spec)
	}
	c, err := bigtable.NewClientWithConfig(ctx, p[0], p[1], bigtable.ClientConfig{MetricsProvider: bigtable.NoopMetricsProvider{}})
	if err != nil {
		return err
	}
	defer c.Close()
	var n int64
	err = c.Open(p[2]).ReadRows(ctx, bigtable.InfiniteRange(""), func(bigtable.Row) bool { n++; return true },
		bigtable.RowFilter(bigtable.ChainFilters(bigtable.ColumnRangeFilter("cf", "", "\x00"),
			bigtable.CellsPerRowLimitFilter(1), bigtable.StripValueFilter())))
	if err != nil {
		return err
	}
	fmt.Printf("bigtable %s: %d rows\n", spec, n)
	return nil
}
