package manifest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// KindDynamoDB is the source kind of a DynamoDB table.
const KindDynamoDB = "dynamodb"

// ModeSegments is the mode of a DynamoDB export: each unit is one
// segment of a parallel Scan (Options.Segments in all).
const ModeSegments = "segments"

// DynamoDBKeyspace is the Table.Keyspace of a DynamoDB source: a DynamoDB
// dump's <table> path segment is "dynamodb.<table name>".
const DynamoDBKeyspace = "dynamodb"

// Read consistencies of a DynamoDB export (Options.Consistency).
const (
	ConsistencyEventual = "EVENTUAL"
	ConsistencyStrong   = "STRONG"
)

// DynamoDBTable is the schema of a DynamoDB table as DescribeTable gives
// it at plan time (Source.DynamoDB; absent for other kinds).
type DynamoDBTable struct {
	// Name is the table's name; TableID its id, new when the table is
	// deleted and created again.
	Name    string `json:"name"`
	TableID string `json:"table_id"`
	// KeySchema is the partition key (HASH), then the sort key (RANGE)
	// if any.
	KeySchema []DynamoDBKey `json:"key_schema"`
	// Attributes are the attribute definitions: every key attribute of
	// the table and its indexes, with its type (S, N or B).
	Attributes []DynamoDBAttribute `json:"attributes"`
	// GlobalIndexes and LocalIndexes, sorted by name.
	GlobalIndexes []DynamoDBIndex `json:"global_indexes"`
	LocalIndexes  []DynamoDBIndex `json:"local_indexes"`
	// BillingMode is PROVISIONED or PAY_PER_REQUEST; ReadCapacity the
	// provisioned read capacity units at plan time (0 on demand).
	BillingMode  string `json:"billing_mode"`
	ReadCapacity int64  `json:"read_capacity"`
	// ItemCount and SizeBytes are DescribeTable's estimates at plan time
	// (updated by DynamoDB about every six hours).
	ItemCount int64 `json:"item_count"`
	SizeBytes int64 `json:"size_bytes"`
	// Export is set when the dump was converted from a native DynamoDB
	// export (exporter --from-export) instead of a scan.
	Export DynamoDBExport `json:"export,omitzero"`
}

// DynamoDBExport names the native export ("Export to S3") a dump was
// converted from: the rows are the table as of Time.
type DynamoDBExport struct {
	// ARN is the export's exportArn.
	ARN string `json:"arn"`
	// Time is the export's exportTime: the point in time it holds.
	Time time.Time `json:"time"`
	// FilesSHA256 is the SHA-256 (hex) of its manifest-files.json, whose
	// lines are the plan's units in order.
	FilesSHA256 string `json:"files_sha256"`
}

// DynamoDBKey is one key attribute: its name and role (HASH or RANGE).
type DynamoDBKey struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// DynamoDBAttribute is an attribute definition: name and scalar type.
type DynamoDBAttribute struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DynamoDBIndex is a secondary index: its key schema and projection
// (ALL, KEYS_ONLY or INCLUDE with NonKeyAttributes).
type DynamoDBIndex struct {
	Name             string        `json:"name"`
	KeySchema        []DynamoDBKey `json:"key_schema"`
	Projection       string        `json:"projection"`
	NonKeyAttributes []string      `json:"non_key_attributes"`
}

// MaxSegments is DynamoDB's limit of a parallel Scan's TotalSegments.
const MaxSegments = 1000000

// SegmentUnitID names the unit of Scan segment seg: "s" and 7 digits,
// so that IDs sort by segment.
func SegmentUnitID(seg int) string { return fmt.Sprintf("s%07d", seg) }

var segmentUnitIDPattern = regexp.MustCompile(`^s[0-9]{7}$`)

// ParseSegmentUnitID returns the segment a segment unit's ID names.
func ParseSegmentUnitID(id string) (int, bool) {
	if !segmentUnitIDPattern.MatchString(id) {
		return 0, false
	}
	n, err := strconv.Atoi(id[1:])
	return n, err == nil && n < MaxSegments
}

// dynamoSource checks a DynamoDB source.
func (c checker) dynamoSource(path string, s *Source) error {
	if s.Cluster == "" {
		return c.errf(joinField(path, "cluster"), "empty (the region, or \"local\")")
	}
	if s.Partitioner != "" {
		return c.errf(joinField(path, "partitioner"), "%q: a DynamoDB source has none", s.Partitioner)
	}
	t, d := &s.Table, &s.DynamoDB
	tp, dp := joinField(path, "table"), joinField(path, "dynamodb")
	if t.Keyspace != DynamoDBKeyspace {
		return c.errf(joinField(tp, "keyspace"), "%q, want %q for a DynamoDB source", t.Keyspace, DynamoDBKeyspace)
	}
	if !ValidDynamoDBTableName(t.Name) || t.Name != d.Name {
		return c.errf(joinField(tp, "table"), "%q: want the DynamoDB table's name %q (3 to 255 letters, digits, '_', '-', '.')", t.Name, d.Name)
	}
	if t.CQL != "" || len(t.Columns) > 0 || len(t.UserTypes) > 0 || t.Counter {
		return c.errf(tp, "a DynamoDB table has no CQL, columns or user types")
	}
	if d.TableID == "" {
		return c.errf(joinField(dp, "table_id"), "empty")
	}
	defined := map[string]bool{}
	for i, a := range d.Attributes {
		p := joinIndex(joinField(dp, "attributes"), i)
		if a.Name == "" {
			return c.errf(joinField(p, "name"), "empty")
		}
		if defined[a.Name] {
			return c.errf(joinField(p, "name"), "duplicate %q", a.Name)
		}
		defined[a.Name] = true
		if !slices.Contains([]string{"S", "N", "B"}, a.Type) {
			return c.errf(joinField(p, "type"), "%q is not S, N or B", a.Type)
		}
	}
	if err := c.dynamoKeys(joinField(dp, "key_schema"), d.KeySchema, defined); err != nil {
		return err
	}
	for _, ix := range []struct {
		name string
		list []DynamoDBIndex
	}{{"global_indexes", d.GlobalIndexes}, {"local_indexes", d.LocalIndexes}} {
		for i, x := range ix.list {
			p := joinIndex(joinField(dp, ix.name), i)
			if x.Name == "" {
				return c.errf(joinField(p, "name"), "empty")
			}
			if i > 0 && x.Name <= ix.list[i-1].Name {
				return c.errf(joinField(p, "name"), "%q: indexes are sorted by name, without duplicates", x.Name)
			}
			if err := c.dynamoKeys(joinField(p, "key_schema"), x.KeySchema, defined); err != nil {
				return err
			}
			if !slices.Contains([]string{"ALL", "KEYS_ONLY", "INCLUDE"}, x.Projection) {
				return c.errf(joinField(p, "projection"), "%q is not ALL, KEYS_ONLY or INCLUDE", x.Projection)
			}
		}
	}
	switch {
	case d.BillingMode == "PROVISIONED", d.BillingMode == "PAY_PER_REQUEST":
	case d.BillingMode == "" && d.Export.ARN != "":
		// An export converted without the live table: unknown.
	default:
		return c.errf(joinField(dp, "billing_mode"), "%q is not PROVISIONED or PAY_PER_REQUEST", d.BillingMode)
	}
	return c.dynamoExport(joinField(dp, "export"), d.Export)
}

// dynamoExport checks the export a dump was converted from, if any.
func (c checker) dynamoExport(path string, x DynamoDBExport) error {
	if x == (DynamoDBExport{}) {
		return nil
	}
	if x.ARN == "" {
		return c.errf(joinField(path, "arn"), "empty")
	}
	if err := c.time(joinField(path, "time"), x.Time); err != nil {
		return err
	}
	return c.hex(joinField(path, "files_sha256"), x.FilesSHA256, sha256Pattern, 64)
}

// dynamoKeys checks a key schema: HASH, then RANGE if any, both defined.
func (c checker) dynamoKeys(path string, keys []DynamoDBKey, defined map[string]bool) error {
	if len(keys) < 1 || len(keys) > 2 {
		return c.errf(path, "%d keys, want a partition key and at most a sort key", len(keys))
	}
	for i, k := range keys {
		want := "HASH"
		if i == 1 {
			want = "RANGE"
		}
		if k.Role != want {
			return c.errf(joinField(joinIndex(path, i), "role"), "%q, want %s", k.Role, want)
		}
		if !defined[k.Name] {
			return c.errf(joinField(joinIndex(path, i), "name"), "%q has no attribute definition", k.Name)
		}
	}
	return nil
}

// dynamoOptions checks the options of a DynamoDB export.
func (c checker) dynamoOptions(path string, o *Options) error {
	if o.Consistency != ConsistencyEventual && o.Consistency != ConsistencyStrong {
		return c.errf(joinField(path, "consistency"), "%q, want %s or %s for a DynamoDB source", o.Consistency, ConsistencyEventual, ConsistencyStrong)
	}
	switch {
	case len(o.Columns) > 0:
		return c.errf(joinField(path, "columns"), "a DynamoDB export takes whole items")
	case o.Where != "" || o.AllowFiltering:
		return c.errf(joinField(path, "where"), "a DynamoDB export has no where-clause")
	case o.Writetime || o.TTL:
		return c.errf(joinField(path, "writetime"), "DynamoDB has no write times or TTLs to capture")
	case o.Mode != ModeSegments:
		return c.errf(joinField(path, "mode"), "%q, want %s for a DynamoDB source", o.Mode, ModeSegments)
	case o.Segments < 1 || o.Segments > MaxSegments:
		return c.errf(joinField(path, "segments"), "%d, want 1 to %d", o.Segments, MaxSegments)
	}
	return nil
}

// segmentUnits checks a DynamoDB plan's units: one per segment, in order.
func (c checker) segmentUnits(p *Plan) error {
	if len(p.Units) != p.Options.Segments {
		return c.errf("units", "%d units, but the plan has %d segments", len(p.Units), p.Options.Segments)
	}
	for i, u := range p.Units {
		path := joinIndex("units", i)
		if want := SegmentUnitID(i); u.ID != want {
			return c.errf(joinField(path, "id"), "%q, want %q (one unit a segment, in order)", u.ID, want)
		}
		if len(u.Ranges) > 0 || u.FirstKey != 0 || u.Keys != 0 {
			return c.errf(path, "a segment unit has no token ranges or keys")
		}
	}
	if p.KeysName != "" || p.KeysSHA256 != "" || p.KeysCount != 0 {
		return c.errf("keys_name", "key list set in a segment export")
	}
	return nil
}
