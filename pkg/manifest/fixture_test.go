package manifest

import (
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/schema"
)

// The example dump used by the golden files and docs/manifest.md: a table
// with a user type, a static column and descending clustering, exported
// with writetime and TTL in two units (the second groups two ranges),
// the first of which rolled to a second part.

const (
	exMin   = "-9223372036854775808"
	exThird = "-3074457345618258603"
	exTwo3  = "3074457345618258602"
	exUnitA = "0000000000000000"
	exUnitB = "5555555555555555"
	exAttA  = "3f9a0c12"
	exAttB  = "b71e44d0"
)

func exTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func exampleTable() schema.Table {
	return schema.Table{
		Keyspace: "shop",
		Name:     "orders",
		CQL: "CREATE TABLE shop.orders (\n" +
			"    customer_id uuid,\n" +
			"    order_day date,\n" +
			"    order_id timeuuid,\n" +
			"    customer_name text STATIC,\n" +
			"    items frozen<list<frozen<tuple<text, int, decimal>>>>,\n" +
			"    ship_to address,\n" +
			"    tags set<text>,\n" +
			"    total decimal,\n" +
			"    PRIMARY KEY ((customer_id, order_day), order_id)\n" +
			") WITH CLUSTERING ORDER BY (order_id DESC)",
		Columns: []schema.Column{
			{Name: "customer_id", Type: "uuid", Role: schema.PartitionKey, Position: 0},
			{Name: "order_day", Type: "date", Role: schema.PartitionKey, Position: 1},
			{Name: "order_id", Type: "timeuuid", Role: schema.Clustering, Position: 0, Order: schema.Desc},
			{Name: "customer_name", Type: "text", Role: schema.Static},
			{Name: "items", Type: "frozen<list<frozen<tuple<text, int, decimal>>>>", Role: schema.Regular},
			{Name: "ship_to", Type: "address", Role: schema.Regular},
			{Name: "tags", Type: "set<text>", Role: schema.Regular},
			{Name: "total", Type: "decimal", Role: schema.Regular},
		},
		UserTypes: []schema.UserType{{
			Keyspace: "shop",
			Name:     "address",
			Fields: []schema.Field{
				{Name: "street", Type: "text"},
				{Name: "city", Type: "text"},
				{Name: "postcode", Type: "text"},
				{Name: "location", Type: "frozen<tuple<double, double>>"},
			},
			CQL: "CREATE TYPE shop.address (\n" +
				"    street text,\n" +
				"    city text,\n" +
				"    postcode text,\n" +
				"    location frozen<tuple<double, double>>\n" +
				")",
		}},
		Indexes: []schema.Index{
			{Name: "orders_by_tag", Kind: schema.IndexSecondary, Target: "values(tags)", Class: "org.apache.cassandra.index.sai.StorageAttachedIndex",
				CQL: "CREATE CUSTOM INDEX orders_by_tag ON shop.orders (values(tags)) USING 'StorageAttachedIndex'"},
			{Name: "orders_by_total", Kind: schema.IndexView, Key: []string{"total", "customer_id", "order_day", "order_id"}, Columns: []string{"tags"},
				CQL: "CREATE MATERIALIZED VIEW shop.orders_by_total AS SELECT total, customer_id, order_day, order_id, tags FROM shop.orders " +
					"WHERE total IS NOT NULL AND customer_id IS NOT NULL AND order_day IS NOT NULL AND order_id IS NOT NULL " +
					"PRIMARY KEY (total, customer_id, order_day, order_id)"},
		},
	}
}

func exampleSource() Source {
	return Source{Kind: KindCassandra, Cluster: "prod-eu", Partitioner: Murmur3Partitioner, Table: exampleTable()}
}

func exampleOptions() Options {
	return Options{
		Compression: CompressionZstd,
		Writetime:   true,
		TTL:         true,
		Consistency: "LOCAL_QUORUM",
		Columns:     []string{"customer_id", "order_day", "order_id", "customer_name", "items", "ship_to", "tags", "total"},
		Where:       "",
		Mode:        ModeRanges,
		PartBytes:   128 << 20,
	}
}

func examplePlan() *Plan {
	return &Plan{
		Format:    FormatPlan,
		Tool:      Tool{Name: "exporter", Version: "0.1.0"},
		Batch:     "2026-11-22",
		Table:     "shop.orders",
		Timestamp: "20261122T154530Z",
		Created:   exTime("2026-11-22T15:45:30.418Z"),
		Source:    exampleSource(),
		Options:   exampleOptions(),
		Units: []Unit{
			{ID: exUnitA, Ranges: []TokenRange{{exMin, exThird}}, EstimatedBytes: 241_172_480},
			{ID: exUnitB, Ranges: []TokenRange{{exThird, exTwo3}, {exTwo3, exMin}}, EstimatedBytes: 96_468_992},
		},
	}
}

func exampleCommits() []*Commit {
	a := []TokenRange{{exMin, exThird}}
	b := []TokenRange{{exThird, exTwo3}, {exTwo3, exMin}}
	return []*Commit{
		{
			Format:  FormatCommit,
			Unit:    exUnitA,
			Attempt: exAttA,
			Ranges:  a,
			Files: []File{
				{
					Name: PartName(exUnitA, exAttA, 0, ExtZstd), Unit: exUnitA,
					Rows: 412_338, Bytes: 501_926_117, StoredBytes: 134_219_904,
					CRC32C: "9a3c0e71", SHA256: "4f1b9e0c2d7a8b36e5f40c19a2d3b7e8f6a5c4d3e2b1a09f8e7d6c5b4a392817",
					Ranges: a, ReadAt: exTime("2026-11-22T15:45:31.002Z"),
				},
				{
					Name: PartName(exUnitA, exAttA, 1, ExtZstd), Unit: exUnitA,
					Rows: 239_001, Bytes: 290_604_355, StoredBytes: 77_802_311,
					CRC32C: "0c5be4a2", SHA256: "b2c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b",
					Ranges: a, ReadAt: exTime("2026-11-22T15:49:02.77Z"),
				},
			},
			Rows:     651_339,
			Started:  exTime("2026-11-22T15:45:30.951Z"),
			Finished: exTime("2026-11-22T15:51:14.208Z"),
		},
		{
			Format:  FormatCommit,
			Unit:    exUnitB,
			Attempt: exAttB,
			Ranges:  b,
			Files: []File{{
				Name: PartName(exUnitB, exAttB, 0, ExtZstd), Unit: exUnitB,
				Rows: 263_512, Bytes: 318_207_730, StoredBytes: 84_117_560,
				CRC32C: "e61f03bd", SHA256: "0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e",
				Ranges: b, ReadAt: exTime("2026-11-22T15:45:31.114Z"),
			}},
			Rows:     263_512,
			Started:  exTime("2026-11-22T15:45:31.06Z"),
			Finished: exTime("2026-11-22T15:48:40.5Z"),
		},
	}
}

var exampleTool = Tool{Name: "exporter", Version: "0.1.0"}

func exampleMarker() *DumpMarker {
	return &DumpMarker{Format: FormatDump, Batch: "2026-11-22", Table: "shop.orders", Timestamp: "20261122T154530Z", Created: exTime("2026-11-22T15:45:30.301Z")}
}

func exampleManifest(t testing.TB) *Manifest {
	t.Helper()
	m, err := Assemble(examplePlan(), exampleCommits(), exampleTool)
	if err != nil {
		t.Fatalf("Assemble(example): %v", err)
	}
	return m
}
