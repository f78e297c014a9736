// Package manifest holds the documents of a dump: the manifest (the bill
// of lading every reader trusts), the export plan fixed by the first run,
// the commits that workers write per unit of work, and the marker naming
// a batch's dump of a table. Each is decoded strictly: an unknown format
// version, an unknown, duplicate or missing field, a count that does not
// add up, or a file name that would leave the dump's prefix is a
// *DecodeError naming the field. Each is encoded canonically (Marshal):
// equal documents, equal bytes.
//
// The exporter writes plan and commits and assembles the manifest from
// them (Assemble: same inputs, same bytes); the shipper copies exactly the
// files the manifest lists; the loader loads them. The package does no
// I/O: callers read and write the bytes. docs/manifest.md documents the
// format field by field, and the names (PartName, UnitID, CommitName,
// FormatTimestamp) that place documents and parts in a dump.
package manifest

import (
	"time"

	"github.com/lading-dev/lading/pkg/schema"
)

// Format versions.
const (
	FormatManifest = "lading/v1"
	FormatPlan     = "lading/plan/v1"
	FormatCommit   = "lading/commit/v1"
	FormatDump     = "lading/dump/v1"
)

// Well-known names inside a dump's prefix.
const (
	ManifestName = "manifest.json"
	SuccessName  = "_SUCCESS"
	PlanName     = "_state/plan.json"
	CommitsDir   = "_state/commits/"
	// DumpMarkerName sits at <batch>/<table>/_state/dump.json.
	DumpMarkerName = "_state/dump.json"
)

// Tool names the program and version that wrote a document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Source describes where the rows came from.
type Source struct {
	// Kind is KindCassandra (ScyllaDB included) or KindDynamoDB.
	Kind string `json:"kind"`
	// Cluster is the source cluster's name, as system.local has it; for
	// DynamoDB the region ("local" for an endpoint of one's own).
	Cluster string `json:"cluster"`
	// Partitioner is the full class name: Murmur3Partitioner or
	// RandomPartitioner (the constants of this package); "" for DynamoDB.
	Partitioner string `json:"partitioner"`
	// Table is the schema, including the CQL of the table and of every
	// user type it uses. For DynamoDB only its names are set: keyspace
	// DynamoDBKeyspace, table the DynamoDB table's name.
	Table schema.Table `json:"table"`
	// DynamoDB is a DynamoDB table's schema (absent for Cassandra).
	DynamoDB DynamoDBTable `json:"dynamodb,omitzero"`
}

// Options are the export options that shape the data; a re-run must not
// contradict them.
type Options struct {
	// Compression is "zstd", "gzip" or "none" (CompressionZstd, …); it
	// fixes part extensions (ExtForCompression).
	Compression string `json:"compression"`
	Writetime   bool   `json:"writetime"`
	TTL         bool   `json:"ttl"`
	// Untimed are the exported multi-cell columns (non-frozen
	// collections and user types) whose writetimes and TTLs the server
	// refused to give (Cassandra before 5.0): with Writetime or TTL they
	// are dumped without them, and restored at the row's newest dumped
	// writetime, without TTL.
	Untimed []string `json:"untimed,omitempty"`
	// Consistency is the read consistency as gocql names it, one of
	// Consistencies ("LOCAL_QUORUM"); for DynamoDB ConsistencyEventual or
	// ConsistencyStrong.
	Consistency string `json:"consistency"`
	// Columns exported, unique, in the table's column order (the order of
	// Source.Table.Columns); all columns when the user named none, so
	// never empty (Cassandra). Empty for DynamoDB: whole items.
	Columns        []string `json:"columns"`
	Where          string   `json:"where"`
	AllowFiltering bool     `json:"allow_filtering"`
	// LimitRows > 0 caps rows per unit (trials).
	LimitRows int64 `json:"limit_rows"`
	// Mode is ModeRanges (token ranges), ModeKeys (a key list) or
	// ModeSegments (DynamoDB parallel Scan segments).
	Mode string `json:"mode"`
	// PartBytes is the target compressed size at which parts roll (> 0).
	PartBytes int64 `json:"part_bytes"`
	// Segments is a DynamoDB Scan's TotalSegments (absent otherwise).
	Segments int `json:"segments,omitempty"`
}

// TokenRange is (Start, End] on the ring, tokens as canonical decimal
// strings (Murmur3 tokens are int64, RandomPartitioner's -1 to 2^127). A
// range whose End is below its Start wraps past the ring's end; Start ==
// End is the whole ring, and may only stand alone.
type TokenRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// File is one part of a dump.
type File struct {
	// Name is relative to the dump's prefix, one path segment, as
	// PartName makes it: part-<unit>-<attempt>-<seq>.ndjson.zst
	Name string `json:"name"`
	// Unit is the plan unit that wrote it.
	Unit string `json:"unit"`
	Rows int64  `json:"rows"`
	// Bytes is the uncompressed NDJSON size; StoredBytes the object's size.
	Bytes       int64 `json:"bytes"`
	StoredBytes int64 `json:"stored_bytes"`
	// CRC32C is 8 lower-case hex digits, SHA256 64; both of the stored bytes.
	CRC32C string `json:"crc32c"`
	SHA256 string `json:"sha256"`
	// Ranges the part's rows come from (for key-list units, empty). Parts
	// of one unit may share ranges; parts of different units never overlap.
	Ranges []TokenRange `json:"ranges"`
	// ReadAt is a lower bound of when any row in the part was read, so a
	// restore's remaining TTL (ttl - (now - ReadAt)) is never longer than
	// the source's.
	ReadAt time.Time `json:"read_at"`
}

// Totals sum up a dump's files; Started is the plan's Created, Finished
// the last commit's Finished.
type Totals struct {
	Files       int64     `json:"files"`
	Rows        int64     `json:"rows"`
	Bytes       int64     `json:"bytes"`
	StoredBytes int64     `json:"stored_bytes"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
}

// Manifest is manifest.json: the complete, checksummed list of a dump's
// parts and the schema needed to read them.
type Manifest struct {
	Format    string  `json:"format"`
	Tool      Tool    `json:"tool"`
	Batch     string  `json:"batch"`
	Table     string  `json:"table"`
	Timestamp string  `json:"timestamp"`
	Source    Source  `json:"source"`
	Options   Options `json:"options"`
	Files     []File  `json:"files"`
	Totals    Totals  `json:"totals"`
}

// Unit is one unit of work of a plan: one token range, several small
// adjacent ranges, a slice of the key list, or (DynamoDB) one segment of
// a parallel Scan.
type Unit struct {
	// ID is UnitID of the first range's start token (fixed-width hex, so
	// names sort in ring order), KeyUnitID(FirstKey) for key units, or
	// SegmentUnitID(segment) for segment units.
	// A plan's units are sorted by ID.
	ID string `json:"id"`
	// Ranges of a token-range unit (non-empty; no two units' overlap);
	// empty for a key or segment unit.
	Ranges []TokenRange `json:"ranges"`
	// FirstKey and Keys select key-list lines [FirstKey, FirstKey+Keys);
	// key units cover the list contiguously from 0. Both 0 for range units.
	FirstKey int64 `json:"first_key"`
	Keys     int64 `json:"keys"`
	// EstimatedBytes from system.size_estimates (0 if unknown).
	EstimatedBytes int64 `json:"estimated_bytes"`
}

// Plan is _state/plan.json, fixed by the first run of a dump. Tool is the
// planner; Created becomes the manifest's Totals.Started.
type Plan struct {
	Format    string    `json:"format"`
	Tool      Tool      `json:"tool"`
	Batch     string    `json:"batch"`
	Table     string    `json:"table"`
	Timestamp string    `json:"timestamp"`
	Created   time.Time `json:"created"`
	Source    Source    `json:"source"`
	Options   Options   `json:"options"`
	Units     []Unit    `json:"units"`
	// KeysName is the stored key list (key mode), relative to the dump
	// and under "_state/", e.g. "_state/keys.ndjson", with its SHA-256 and
	// count (the sum of the units' Keys). All three empty in range mode.
	KeysName   string `json:"keys_name"`
	KeysSHA256 string `json:"keys_sha256"`
	KeysCount  int64  `json:"keys_count"`
}

// Commit is _state/commits/<unit>.json: the parts one attempt wrote for
// one unit, created conditionally so exactly one attempt wins. Ranges are
// exactly the plan's for the unit; Files are sorted by name, each named
// after this unit and Attempt (NewAttemptID); Rows is their sum.
type Commit struct {
	Format   string       `json:"format"`
	Unit     string       `json:"unit"`
	Attempt  string       `json:"attempt"`
	Ranges   []TokenRange `json:"ranges"`
	Files    []File       `json:"files"`
	Rows     int64        `json:"rows"`
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
}

// DumpMarker is <batch>/<table>/_state/dump.json: the batch's one dump of
// the table.
type DumpMarker struct {
	Format    string    `json:"format"`
	Batch     string    `json:"batch"`
	Table     string    `json:"table"`
	Timestamp string    `json:"timestamp"`
	Created   time.Time `json:"created"`
}
