package manifest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// KeyUnitID names a key-list unit: "k" and the index of its first key in
// 12 digits, so that IDs sort in key-list order (up to 10^12 keys).
func KeyUnitID(firstKey int64) string { return fmt.Sprintf("k%012d", firstKey) }

var keyUnitIDPattern = regexp.MustCompile(`^k[0-9]{12}$`)

// parseKeyUnitID returns the first key index a key unit's ID names.
func parseKeyUnitID(id string) (int64, bool) {
	if !keyUnitIDPattern.MatchString(id) {
		return 0, false
	}
	n, err := strconv.ParseInt(id[1:], 10, 64)
	return n, err == nil
}

// validUnitID reports whether id is a range unit's or a key unit's ID.
func validUnitID(id string) bool {
	if _, ok := parseRangeUnitID(id); ok {
		return true
	}
	if _, ok := ParseSegmentUnitID(id); ok {
		return true
	}
	_, ok := parseKeyUnitID(id)
	return ok
}

// Part file extensions, by compression.
const (
	ExtZstd = ".ndjson.zst"
	ExtGzip = ".ndjson.gz"
	ExtNone = ".ndjson"
)

// Compressions, as Options.Compression names them.
const (
	CompressionZstd = "zstd"
	CompressionGzip = "gzip"
	CompressionNone = "none"
)

// ExtForCompression returns the part extension of a compression.
func ExtForCompression(compression string) (string, error) {
	switch compression {
	case CompressionZstd:
		return ExtZstd, nil
	case CompressionGzip:
		return ExtGzip, nil
	case CompressionNone:
		return ExtNone, nil
	}
	return "", fmt.Errorf("compression %q is not one of %s, %s, %s", compression, CompressionZstd, CompressionGzip, CompressionNone)
}

// PartName names a part: "part-<unit>-<attempt>-<seq><ext>", seq in at
// least 6 digits, e.g. part-8000000000000000-1f3a9c2e-000000.ndjson.zst.
// Names sort by unit (ring order), then attempt, then sequence.
func PartName(unitID, attempt string, seq int, ext string) string {
	return fmt.Sprintf("part-%s-%s-%06d%s", unitID, attempt, seq, ext)
}

// ParsePartName splits a part name made by PartName. Anything else — an
// unknown extension, a bad unit or attempt ID, a sequence number not
// written as PartName writes it — is an error.
func ParsePartName(name string) (unit, attempt string, seq int, ext string, err error) {
	fail := func(why string) (string, string, int, string, error) {
		return "", "", 0, "", fmt.Errorf("%q is not a part name (part-<unit>-<attempt>-<seq>%s): %s", name, ExtZstd, why)
	}
	rest, ok := strings.CutPrefix(name, "part-")
	if !ok {
		return fail("no part- prefix")
	}
	// Longest extension first: ".ndjson" is a suffix of neither of the
	// others, but it is their prefix.
	for _, e := range []string{ExtZstd, ExtGzip, ExtNone} {
		if r, ok := strings.CutSuffix(rest, e); ok {
			rest, ext = r, e
			break
		}
	}
	if ext == "" {
		return fail("unknown extension")
	}
	fields := strings.Split(rest, "-")
	if len(fields) != 3 {
		return fail("want three dash-separated fields")
	}
	unit, attempt = fields[0], fields[1]
	if !validUnitID(unit) {
		return fail("bad unit id " + strconv.Quote(unit))
	}
	if !ValidAttemptID(attempt) {
		return fail("bad attempt id " + strconv.Quote(attempt))
	}
	seq, err = strconv.Atoi(fields[2])
	if err != nil || seq < 0 || PartName(unit, attempt, seq, ext) != name {
		return fail("bad sequence number " + strconv.Quote(fields[2]))
	}
	return unit, attempt, seq, ext, nil
}

// NewAttemptID returns a random attempt ID: 8 lower-case hex digits.
func NewAttemptID() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

var attemptPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

// ValidAttemptID reports whether s is an attempt ID as NewAttemptID makes.
func ValidAttemptID(s string) bool { return attemptPattern.MatchString(s) }

// CommitName returns the key, relative to the dump's prefix, of a unit's
// commit: "_state/commits/<unit>.json".
func CommitName(unitID string) string { return CommitsDir + unitID + ".json" }

// ParseCommitName returns the unit a commit key (relative to the dump's
// prefix) names, or false if it is not a commit key.
func ParseCommitName(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, CommitsDir)
	if !ok {
		return "", false
	}
	unit, ok := strings.CutSuffix(rest, ".json")
	if !ok || !validUnitID(unit) {
		return "", false
	}
	return unit, true
}

// TimestampLayout is the layout of a dump's <timestamp>: UTC, basic ISO
// 8601, sortable, without colons.
const TimestampLayout = "20060102T150405Z"

// FormatTimestamp returns t as a dump timestamp, e.g. "20261122T154530Z"
// (UTC, whole seconds).
func FormatTimestamp(t time.Time) string { return t.UTC().Format(TimestampLayout) }

// ParseTimestamp parses a dump timestamp; only the exact form that
// FormatTimestamp writes is accepted.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(TimestampLayout, s)
	if err != nil || t.Format(TimestampLayout) != s {
		return time.Time{}, fmt.Errorf("timestamp %q is not of the form 20261122T154530Z", s)
	}
	return t, nil
}

// DumpPrefix returns a dump's prefix below the root:
// "<batch>/<table>/<timestamp>/".
func DumpPrefix(batch, table, timestamp string) string {
	return batch + "/" + table + "/" + timestamp + "/"
}

// DumpMarkerKey returns the key, below the root, of the marker naming a
// batch's dump of a table: "<batch>/<table>/_state/dump.json".
func DumpMarkerKey(batch, table string) string {
	return batch + "/" + table + "/" + DumpMarkerName
}

// ValidateBatch checks a batch name: one path segment of at most 200
// bytes of letters, digits, '.', '_' and '-', not starting with '.', '_'
// or '-' ("_state" at the root is lading's own).
func ValidateBatch(name string) error {
	if name == "" {
		return fmt.Errorf("batch name is empty")
	}
	if len(name) > 200 {
		return fmt.Errorf("batch name is longer than 200 bytes")
	}
	if c := name[0]; c == '.' || c == '_' || c == '-' {
		return fmt.Errorf("batch name %q starts with %q", name, c)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("batch name %q: character %q is not allowed (letters, digits, '.', '_', '-')", name, c)
		}
	}
	return nil
}

var tableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// dynamoDBNamePattern is a DynamoDB table's name as DynamoDB allows it.
var dynamoDBNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// MaxTableSegment is the longest <table> segment of a dump path, in
// bytes: the most a file name holds on common filesystems (file://
// stores), so that a dump can be copied to any store.
const MaxTableSegment = 255

// MaxDynamoDBDumpName is the longest DynamoDB table name a dump path can
// hold: "dynamodb." and the name make one segment of at most
// MaxTableSegment bytes.
const MaxDynamoDBDumpName = MaxTableSegment - len(DynamoDBKeyspace) - 1

// ValidDynamoDBTableName reports whether name is a DynamoDB table name:
// 3 to 255 letters, digits, '_', '-' and '.'.
func ValidDynamoDBTableName(name string) bool { return dynamoDBNamePattern.MatchString(name) }

// DynamoDBDumpTable returns a DynamoDB table's name in dump paths,
// "dynamodb.<name>", the name as it is ('-' and '.' included; the
// keyspace holds no '.', so the first '.' ends it and DynamoDBTableName
// gives the name back). A name DynamoDB would refuse, or one longer
// than MaxDynamoDBDumpName, is an error saying why (the caller names
// the table).
func DynamoDBDumpTable(name string) (string, error) {
	if !ValidDynamoDBTableName(name) {
		return "", fmt.Errorf("want a DynamoDB table name of 3 to 255 letters, digits, '_', '-' and '.'")
	}
	if len(name) > MaxDynamoDBDumpName {
		return "", fmt.Errorf("a name of %d characters: a dump's directory is %s.<name>, at most %d bytes (a file name's limit on common filesystems), so lading exports DynamoDB tables of names up to %d characters",
			len(name), DynamoDBKeyspace, MaxTableSegment, MaxDynamoDBDumpName)
	}
	return DynamoDBKeyspace + "." + name, nil
}

// DynamoDBTableName returns the DynamoDB table a dump's <table> names,
// or false if it names no DynamoDB table.
func DynamoDBTableName(dumpTable string) (string, bool) {
	ks, name, ok := strings.Cut(dumpTable, ".")
	if !ok || ks != DynamoDBKeyspace || !ValidDynamoDBTableName(name) || len(dumpTable) > MaxTableSegment {
		return "", false
	}
	return name, true
}

// ValidateTableName checks a qualified table name "keyspace.table" as
// dumps use it in paths (one segment of at most MaxTableSegment bytes):
// Cassandra's names are letters, digits and '_'; a DynamoDB table is
// "dynamodb.<name>", its name as DynamoDB allows it ('-' and '.' too).
// The keyspace never holds a '.', so the first '.' always ends it:
// "dynamodb.my-table.v2" is table "my-table.v2".
func ValidateTableName(name string) error {
	if len(name) > MaxTableSegment {
		return fmt.Errorf("table name of %d bytes: a dump path's <table> is at most %d", len(name), MaxTableSegment)
	}
	if _, ok := DynamoDBTableName(name); ok {
		return nil
	}
	ks, t, ok := strings.Cut(name, ".")
	if !ok || !tableNamePattern.MatchString(ks) || !tableNamePattern.MatchString(t) {
		return fmt.Errorf("table %q is not keyspace.table (letters, digits, '_'; or dynamodb.<DynamoDB table name>, which may also hold '-' and '.')", name)
	}
	return nil
}
