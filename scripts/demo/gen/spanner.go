package main

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"
)

// countSpanner prints the rows of a Spanner table
// (projects/P/instances/I/databases/D/TABLE), reached through
// SPANNER_EMULATOR_HOST in the demo.
func countSpanner(ctx context.Context, spec string) error {
	i := strings.LastIndex(spec, "/")
	if i < 0 || !strings.Contains(spec[:i], "/databases/") {
		return fmt.Errorf("-spanner-count %q: want projects/P/instances/I/databases/D/TABLE", spec)
	}
	c, err := spanner.NewClientWithConfig(ctx, spec[:i], spanner.ClientConfig{DisableNativeMetrics: true})
	if err != nil {
		return err
	}
	defer c.Close()
	var n int64
	err = c.Single().Query(ctx, spanner.Statement{SQL: "SELECT COUNT(*) FROM " + spec[i+1:]}).Do(func(r *spanner.Row) error { return r.Columns(&n) })
	if err != nil {
		return err
	}
	fmt.Printf("spanner %s: %d rows\n", spec, n)
	return nil
}
