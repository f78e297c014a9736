package manifest

import (
	"bytes"
	"math"
	"testing"

	"github.com/lading-dev/lading/pkg/schema"
)

// rejectCase is one way a document is wrong: raw edits the golden bytes
// (for what the JSON itself gets wrong), mut edits the decoded document
// (for what the values get wrong).
type rejectCase[T any] struct {
	name  string
	raw   func(t testing.TB, b []byte) []byte
	mut   func(d *T)
	field string
	msg   string
}

func TestDecodeManifestRejects(t *testing.T) {
	golden := readGolden(t, "manifest.golden.json")
	const f0 = `"read_at": "2026-11-22T15:45:31.002Z"`
	cases := []rejectCase[Manifest]{
		// The JSON itself.
		{name: "not UTF-8", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"prod-eu"`, "\"prod-\xff\"") }, msg: "not valid UTF-8"},
		{name: "invalid JSON", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"batch":`, `"batch" =`) }, field: "batch", msg: "invalid JSON"},
		{name: "truncated", raw: func(t testing.TB, b []byte) []byte {
			const cut = `"files": [`
			return b[:bytes.Index(b, []byte(cut))+len(cut)]
		}, field: "files", msg: "unexpected end"},
		{name: "trailing data", raw: func(t testing.TB, b []byte) []byte { return append(b, "{}\n"...) }, msg: "trailing data"},
		{name: "trailing garbage", raw: func(t testing.TB, b []byte) []byte { return append(b, 'x') }, msg: "trailing data"},
		{name: "not an object", raw: func(t testing.TB, b []byte) []byte { return []byte("[]") }, msg: "want an object, got an array"},
		{name: "unknown field", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"batch":`, `"extra": 1, "batch":`) }, field: "extra", msg: "unknown field"},
		{name: "unknown nested field", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"crc32c": "0c5be4a2"`, `"crc32c": "0c5be4a2", "md5": ""`)
		}, field: "files[1].md5", msg: "unknown field"},
		{name: "field name case", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"batch":`, `"Batch":`) }, field: "Batch", msg: "unknown field"},
		{name: "duplicate key", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"batch": "2026-11-22",`, `"batch": "2026-11-23", "batch": "2026-11-22",`)
		}, field: "batch", msg: "duplicate key"},
		{name: "duplicate nested key", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"rows": 239001,`, `"rows": 239001, "rows": 1,`)
		}, field: "files[1].rows", msg: "duplicate key"},
		{name: "missing field", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"crc32c": "0c5be4a2",`, ``) }, field: "files[1].crc32c", msg: "missing"},
		{name: "missing totals", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"rows": 914851,`, ``) }, field: "totals.rows", msg: "missing"},
		{name: "missing column role", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"role": "clustering",`, ``) }, field: "source.table.columns[2].role", msg: "missing"},
		{name: "null string", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"where": ""`, `"where": null`) }, field: "options.where", msg: "want a string, got null"},
		{name: "null list", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"user_types": [`, `"user_types": null, "x": [`)
		}, field: "source.table.user_types", msg: "want an array, got null"},
		{name: "unknown index field", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"kind": "view",`, `"kind": "view", "where": "",`)
		}, field: "source.table.indexes[1].where", msg: "unknown field"},
		{name: "index without a name", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"name": "orders_by_tag",`, ``)
		}, field: "source.table.indexes[0].name", msg: "missing"},
		{name: "unknown index kind", mut: func(m *Manifest) { m.Source.Table.Indexes[0].Kind = "sai" }, field: "source.table", msg: `indexes[0].kind: "sai"`},
		{name: "view of an unknown column", mut: func(m *Manifest) { m.Source.Table.Indexes[1].Columns = []string{"nope"} }, field: "source.table", msg: `view column "nope"`},
		{name: "index without a target", mut: func(m *Manifest) { m.Source.Table.Indexes[0].Target = "" }, field: "source.table", msg: "indexes[0].target: empty"},
		{name: "wrong type", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"writetime": true`, `"writetime": "yes"`) }, field: "options.writetime", msg: "want true or false, got a string"},
		{name: "count as string", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"rows": 412338`, `"rows": "412338"`) }, field: "files[0].rows", msg: "want a non-negative integer"},
		{name: "fractional count", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"rows": 412338`, `"rows": 412338.0`) }, field: "files[0].rows", msg: "not an integer"},
		{name: "exponent count", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"rows": 412338`, `"rows": 4.12338e5`) }, field: "files[0].rows", msg: "not an integer"},
		{name: "negative count", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, `"rows": 412338`, `"rows": -1`) }, field: "files[0].rows", msg: "negative"},
		{name: "negative zero", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"stored_bytes": 84117560`, `"stored_bytes": -0`)
		}, field: "files[2].stored_bytes", msg: "negative"},
		{name: "overflowing count", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"bytes": 501926117`, `"bytes": 9223372036854775808`)
		}, field: "files[0].bytes", msg: "overflows a 64-bit integer"},
		{name: "overflowing position", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"position": 1`, `"position": 99999999999999999999`)
		}, field: "source.table.columns[1].position", msg: "overflows"},
		{name: "time not UTC", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, f0, `"read_at": "2026-11-22T16:45:31.002+01:00"`)
		}, field: "files[0].read_at", msg: "not in UTC"},
		{name: "time not RFC 3339", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, f0, `"read_at": "2026-11-22 15:45:31Z"`) }, field: "files[0].read_at", msg: "not RFC 3339"},
		{name: "time as number", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, f0, `"read_at": 1795448731`) }, field: "files[0].read_at", msg: "want an RFC 3339 UTC time string"},
		{name: "unknown version first", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"format": "lading/v1",`, `"format": "lading/v2", "fancy": {},`)
		}, field: "format", msg: `unknown version "lading/v2"`},
		{name: "unknown version later", raw: func(t testing.TB, b []byte) []byte {
			b = replace(t, b, `"format": "lading/v1",`, ``)
			return replace(t, b, `"batch":`, `"format": "lading/v0", "batch":`)
		}, field: "format", msg: "known versions: lading/v1"},
		{name: "plan given as manifest", raw: func(t testing.TB, b []byte) []byte { return readGolden(t, "plan.golden.json") }, field: "format", msg: `unknown version "lading/plan/v1"`},

		// Header.
		{name: "tool name", mut: func(m *Manifest) { m.Tool.Name = "" }, field: "tool.name", msg: "empty"},
		{name: "tool version", mut: func(m *Manifest) { m.Tool.Version = "" }, field: "tool.version", msg: "empty"},
		{name: "batch escapes", mut: func(m *Manifest) { m.Batch = "../x" }, field: "batch", msg: "starts with"},
		{name: "batch slash", mut: func(m *Manifest) { m.Batch = "a/b" }, field: "batch", msg: "not allowed"},
		{name: "batch state", mut: func(m *Manifest) { m.Batch = "_state" }, field: "batch", msg: "starts with '_'"},
		{name: "table name", mut: func(m *Manifest) { m.Table = "shop/orders" }, field: "table", msg: "not keyspace.table"},
		{name: "table other", mut: func(m *Manifest) { m.Table = "shop.other" }, field: "table", msg: `the source table is "shop.orders"`},
		{name: "timestamp", mut: func(m *Manifest) { m.Timestamp = "2026-11-22T15:45:30Z" }, field: "timestamp", msg: "not of the form 20261122T154530Z"},

		// Source.
		{name: "source kind", mut: func(m *Manifest) { m.Source.Kind = "mongodb" }, field: "source.kind", msg: `unknown kind "mongodb"`},
		{name: "source cluster", mut: func(m *Manifest) { m.Source.Cluster = "" }, field: "source.cluster", msg: "empty"},
		{name: "partitioner", mut: func(m *Manifest) { m.Source.Partitioner = "org.apache.cassandra.dht.ByteOrderedPartitioner" }, field: "source.partitioner", msg: "not supported"},
		{name: "partitioner short name", mut: func(m *Manifest) { m.Source.Partitioner = "Murmur3Partitioner" }, field: "source.partitioner", msg: "not supported"},
		{name: "keyspace name", mut: func(m *Manifest) { m.Source.Table.Keyspace = "sh op" }, field: "source.table.keyspace", msg: "not a Cassandra name"},
		{name: "table cql", mut: func(m *Manifest) { m.Source.Table.CQL = "" }, field: "source.table.cql", msg: "empty"},
		{name: "column type", mut: func(m *Manifest) { m.Source.Table.Columns[4].Type = "lst<int>" }, field: "source.table", msg: "columns[4].type"},
		{name: "clustering order", mut: func(m *Manifest) { m.Source.Table.Columns[2].Order = "" }, field: "source.table", msg: "columns[2].order"},
		{name: "user type used undefined", mut: func(m *Manifest) { m.Source.Table.UserTypes = nil }, field: "source.table", msg: `unknown type "address"`},
		{name: "user type keyspace", mut: func(m *Manifest) { m.Source.Table.UserTypes[0].Keyspace = "other" }, field: "source.table.user_types[0].keyspace", msg: `the table is in "shop"`},
		{name: "user type cql", mut: func(m *Manifest) { m.Source.Table.UserTypes[0].CQL = "" }, field: "source.table.user_types[0].cql", msg: "empty"},
		{name: "counter flag", mut: func(m *Manifest) { m.Source.Table.Counter = true }, field: "source.table.counter", msg: "0 counter column(s)"},
		{name: "counter column", mut: func(m *Manifest) { m.Source.Table.Columns[7].Type = "counter" }, field: "source.table.counter", msg: "1 counter column(s)"},

		// Options.
		{name: "compression", mut: func(m *Manifest) { m.Options.Compression = "lz4" }, field: "options.compression", msg: `"lz4" is not one of`},
		{name: "consistency", mut: func(m *Manifest) { m.Options.Consistency = "quorum" }, field: "options.consistency", msg: "unknown consistency"},
		{name: "columns empty", mut: func(m *Manifest) { m.Options.Columns = nil }, field: "options.columns", msg: "empty"},
		{name: "column unknown", mut: func(m *Manifest) { m.Options.Columns[3] = "nope" }, field: "options.columns[3]", msg: "not a column"},
		{name: "column duplicate", mut: func(m *Manifest) { m.Options.Columns[3] = "order_id" }, field: "options.columns[3]", msg: "duplicate"},
		{name: "column order", mut: func(m *Manifest) {
			m.Options.Columns[3], m.Options.Columns[4] = m.Options.Columns[4], m.Options.Columns[3]
		}, field: "options.columns[4]", msg: "out of order"},
		{name: "mode", mut: func(m *Manifest) { m.Options.Mode = "scan" }, field: "options.mode", msg: "unknown mode"},
		{name: "part bytes", mut: func(m *Manifest) { m.Options.PartBytes = 0 }, field: "options.part_bytes", msg: "positive"},

		// File names.
		{name: "name parent", mut: func(m *Manifest) { m.Files[0].Name = "../x" }, field: "files[0].name", msg: `escapes the dump prefix: "../x"`},
		{name: "name parent inside", mut: func(m *Manifest) { m.Files[0].Name = "a/../../x" }, field: "files[0].name", msg: "escapes the dump prefix"},
		{name: "name dot", mut: func(m *Manifest) { m.Files[0].Name = "." }, field: "files[0].name", msg: "escapes the dump prefix"},
		{name: "name absolute", mut: func(m *Manifest) { m.Files[0].Name = "/etc/passwd" }, field: "files[0].name", msg: "is absolute"},
		{name: "name backslash", mut: func(m *Manifest) { m.Files[0].Name = `..\x` }, field: "files[0].name", msg: "backslash"},
		{name: "name empty", mut: func(m *Manifest) { m.Files[0].Name = "" }, field: "files[0].name", msg: "empty"},
		{name: "name control", mut: func(m *Manifest) { m.Files[0].Name = "part\n.ndjson.zst" }, field: "files[0].name", msg: "control character"},
		{name: "name C1 control", mut: func(m *Manifest) { m.Files[0].Name = "part\u0085.ndjson.zst" }, field: "files[0].name", msg: "control character"},
		{name: "name subdirectory", mut: func(m *Manifest) { m.Files[0].Name = "sub/" + m.Files[0].Name }, field: "files[0].name", msg: "names a subdirectory"},
		{name: "name duplicate", mut: func(m *Manifest) { m.Files[1].Name = m.Files[0].Name }, field: "files[1].name", msg: "duplicate"},
		{name: "name order", mut: func(m *Manifest) { m.Files[0], m.Files[1] = m.Files[1], m.Files[0] }, field: "files[1].name", msg: "out of order"},
		{name: "name not a part", mut: func(m *Manifest) { m.Files[0].Name = "_SUCCESS" }, field: "files[0].name", msg: "not a part name"},
		{name: "name extension", mut: func(m *Manifest) { m.Files[0].Name = "part-0000000000000000-3f9a0c12-000000.csv" }, field: "files[0].name", msg: "unknown extension"},
		{name: "name sequence", mut: func(m *Manifest) { m.Files[0].Name = "part-0000000000000000-3f9a0c12-0.ndjson.zst" }, field: "files[0].name", msg: "bad sequence number"},
		{name: "name attempt", mut: func(m *Manifest) { m.Files[0].Name = "part-0000000000000000-3F9A0C12-000000.ndjson.zst" }, field: "files[0].name", msg: "bad attempt id"},
		{name: "name unit", mut: func(m *Manifest) { m.Files[0].Name = "part-00000000-3f9a0c12-000000.ndjson.zst" }, field: "files[0].name", msg: "bad unit id"},
		{name: "name compression", mut: func(m *Manifest) { m.Files[0].Name = "part-0000000000000000-3f9a0c12-000000.ndjson.gz" }, field: "files[0].name", msg: "extension .ndjson.gz, but the compression fixes .ndjson.zst"},

		// File fields.
		{name: "unit differs from name", mut: func(m *Manifest) { m.Files[0].Unit = exUnitB }, field: "files[0].unit", msg: "the part's name says"},
		{name: "unit of another ring", mut: func(m *Manifest) {
			m.Files[0].Name = "part-00000000000000000000000000000000-3f9a0c12-000000.ndjson.zst"
			m.Files[0].Unit = "00000000000000000000000000000000"
		}, field: "files[0].unit", msg: "not a Murmur3Partitioner unit ID"},
		{name: "key unit in range export", mut: func(m *Manifest) {
			m.Files[2].Name = "part-k000000000000-b71e44d0-000000.ndjson.zst"
			m.Files[2].Unit = "k000000000000"
			m.Files[2].Ranges = nil
		}, field: "files[2].unit", msg: "key-list unit in a token-range export"},
		{name: "crc32c upper case", mut: func(m *Manifest) { m.Files[1].CRC32C = "0C5BE4A2" }, field: "files[1].crc32c", msg: "lower-case hex"},
		{name: "crc32c short", mut: func(m *Manifest) { m.Files[1].CRC32C = "c5be4a2" }, field: "files[1].crc32c", msg: "8 lower-case hex digits"},
		{name: "sha256 long", mut: func(m *Manifest) { m.Files[1].SHA256 += "00" }, field: "files[1].sha256", msg: "64 lower-case hex digits"},
		{name: "sha256 not hex", mut: func(m *Manifest) { m.Files[1].SHA256 = "z" + m.Files[1].SHA256[1:] }, field: "files[1].sha256", msg: "64 lower-case hex digits"},
		{name: "read_at zero", raw: func(t testing.TB, b []byte) []byte { return replace(t, b, f0, `"read_at": "0001-01-01T00:00:00Z"`) }, field: "files[0].read_at", msg: "zero time"},

		// Ranges.
		{name: "ranges empty", mut: func(m *Manifest) { m.Files[0].Ranges = nil }, field: "files[0].ranges", msg: "empty"},
		{name: "token hex", mut: func(m *Manifest) { m.Files[0].Ranges[0].End = "0x10" }, field: "files[0].ranges[0].end", msg: "not a decimal integer"},
		{name: "token leading zero", mut: func(m *Manifest) { m.Files[0].Ranges[0].End = "010" }, field: "files[0].ranges[0].end", msg: "not a decimal integer"},
		{name: "token plus", mut: func(m *Manifest) { m.Files[0].Ranges[0].End = "+10" }, field: "files[0].ranges[0].end", msg: "not a decimal integer"},
		{name: "token negative zero", mut: func(m *Manifest) { m.Files[0].Ranges[0].End = "-0" }, field: "files[0].ranges[0].end", msg: "not a decimal integer"},
		{name: "token empty", mut: func(m *Manifest) { m.Files[0].Ranges[0].Start = "" }, field: "files[0].ranges[0].start", msg: "not a decimal integer"},
		{name: "token outside ring", mut: func(m *Manifest) { m.Files[0].Ranges[0].End = "9223372036854775808" }, field: "files[0].ranges[0].end", msg: "outside the Murmur3Partitioner ring"},
		{name: "token below ring", mut: func(m *Manifest) { m.Files[0].Ranges[0].Start = "-9223372036854775809" }, field: "files[0].ranges[0].start", msg: "outside"},
		{name: "start equals end among others", mut: func(m *Manifest) { m.Files[2].Ranges[1].End = m.Files[2].Ranges[1].Start }, field: "files[2].ranges[1]", msg: "start equals end"},
		{name: "ranges overlap in a file", mut: func(m *Manifest) { m.Files[2].Ranges[1] = TokenRange{"0", "5"} }, field: "files[2].ranges[1]", msg: "overlaps files[2].ranges[0]"},
		{name: "ranges duplicate in a file", mut: func(m *Manifest) { m.Files[2].Ranges[1] = m.Files[2].Ranges[0] }, field: "files[2].ranges[1]", msg: "overlaps files[2].ranges[0]"},
		{name: "ranges overlap across units", mut: func(m *Manifest) { m.Files[2].Ranges[1] = TokenRange{"-5000000000000000000", "-4000000000000000000"} }, field: "files[2].ranges[1]", msg: "overlaps files[0].ranges[0], a range of another unit"},

		// Sizes and totals.
		{name: "uncompressed stored bytes", mut: func(m *Manifest) {
			m.Options.Compression = CompressionNone
			for i := range m.Files {
				m.Files[i].Name = m.Files[i].Name[:len(m.Files[i].Name)-len(".zst")]
			}
		}, field: "files[0].stored_bytes", msg: "uncompressed part stores"},
		{name: "totals files", mut: func(m *Manifest) { m.Totals.Files = 2 }, field: "totals.files", msg: "3 files are listed"},
		{name: "totals rows", mut: func(m *Manifest) { m.Totals.Rows++ }, field: "totals.rows", msg: "add up to 914851"},
		{name: "totals bytes", mut: func(m *Manifest) { m.Totals.Bytes = 0 }, field: "totals.bytes", msg: "add up to 1110738202"},
		{name: "totals stored bytes", mut: func(m *Manifest) { m.Totals.StoredBytes-- }, field: "totals.stored_bytes", msg: "add up to 296139775"},
		{name: "totals overflow", mut: func(m *Manifest) {
			m.Files[0].Rows, m.Files[1].Rows = math.MaxInt64, 1
		}, field: "totals.rows", msg: "overflow a 64-bit integer"},
		{name: "finished before started", mut: func(m *Manifest) { m.Totals.Finished = m.Totals.Started.Add(-1) }, field: "totals.finished", msg: "before totals.started"},
		{name: "started zero", raw: func(t testing.TB, b []byte) []byte {
			return replace(t, b, `"started": "2026-11-22T15:45:30.418Z"`, `"started": "0001-01-01T00:00:00Z"`)
		}, field: "totals.started", msg: "zero time"},
	}
	runRejects(t, docManifest, golden, cases, DecodeManifest, (*Manifest).Marshal, manifestShape)
}

// runRejects runs reject cases against a decoder, and Marshal with them:
// lading refuses to write what it refuses to read.
func runRejects[T any](t *testing.T, doc string, golden []byte, cases []rejectCase[T], decode func([]byte) (*T, error), marshal func(*T) ([]byte, error), s *shape) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in []byte
			if tc.raw != nil {
				in = tc.raw(t, append([]byte(nil), golden...))
			} else {
				d, err := decode(golden)
				if err != nil {
					t.Fatal(err)
				}
				tc.mut(d)
				in = encodeUnchecked(t, doc, d, s)
				_, merr := marshal(d)
				wantDecodeError(t, merr, doc, tc.field, tc.msg)
			}
			d, err := decode(in)
			if d != nil {
				t.Errorf("decoder returned a document with its error")
			}
			wantDecodeError(t, err, doc, tc.field, tc.msg)
		})
	}
}

// TestDecodeManifestAccepts covers what is valid though unusual.
func TestDecodeManifestAccepts(t *testing.T) {
	golden := readGolden(t, "manifest.golden.json")
	cases := []struct {
		name string
		mut  func(m *Manifest)
	}{
		{"no files", func(m *Manifest) {
			m.Files = nil
			m.Totals = Totals{Started: m.Totals.Started, Finished: m.Totals.Started}
		}},
		{"uncompressed", func(m *Manifest) {
			m.Options.Compression = CompressionNone
			for i := range m.Files {
				m.Files[i].Name = m.Files[i].Name[:len(m.Files[i].Name)-len(".zst")]
				m.Files[i].StoredBytes = m.Files[i].Bytes
			}
			m.Totals.StoredBytes = m.Totals.Bytes
		}},
		{"no indexes (dumps made before they were recorded)", func(m *Manifest) { m.Source.Table.Indexes = nil }},
		{"a subset of columns", func(m *Manifest) { m.Options.Columns = []string{"customer_id", "order_day", "order_id", "total"} }},
		{"one full-ring range", func(m *Manifest) {
			m.Files = m.Files[2:]
			m.Files[0].Ranges = []TokenRange{{exMin, exMin}}
			m.Totals = Totals{Files: 1, Rows: m.Files[0].Rows, Bytes: m.Files[0].Bytes, StoredBytes: m.Files[0].StoredBytes, Started: m.Totals.Started, Finished: m.Totals.Finished}
		}},
		{"no user types", func(m *Manifest) {
			m.Source.Table.UserTypes = nil
			m.Source.Table.Columns[5].Type = "frozen<map<text, text>>"
		}},
		{"counter table", func(m *Manifest) {
			tb := &m.Source.Table
			tb.Columns = []schema.Column{
				{Name: "k", Type: "text", Role: schema.PartitionKey},
				{Name: "hits", Type: "counter", Role: schema.Regular},
			}
			tb.UserTypes, tb.Counter, tb.Indexes = nil, true, nil
			m.Options.Columns = []string{"k", "hits"}
		}},
		{"control characters in a where clause", func(m *Manifest) { m.Options.Where = "v > 0 AND\n\tw < '\u2028'"; m.Options.AllowFiltering = true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeManifest(golden)
			if err != nil {
				t.Fatal(err)
			}
			tc.mut(m)
			b, err := m.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			m2, err := DecodeManifest(b)
			if err != nil {
				t.Fatalf("DecodeManifest: %v\n%s", err, b)
			}
			b2, err := m2.Marshal()
			if err != nil || string(b2) != string(b) {
				t.Fatalf("Marshal(Decode(b)) != b (%v)", err)
			}
		})
	}
}
