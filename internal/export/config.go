package export

import (
	"io"
	"net/netip"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// DefaultPageSize is rows (items) per page request when none is given.
const DefaultPageSize = 1000

// Defaults of Config's zero fields.
const (
	DefaultParallel    = 4
	DefaultCompression = format.Zstd
	// DefaultKeysPerUnit is how many keys of a key list one unit reads.
	DefaultKeysPerUnit = 1000
	// DefaultProgressInterval is Config.ProgressInterval's default.
	DefaultProgressInterval = time.Minute
)

// Config is one export: where from, where to, and the options that shape
// the data. Zero fields take the defaults named.
type Config struct {
	// Source is the source's URL: cassandra://hosts or dynamodb://REGION
	// (internal/source has the registry of schemes).
	Source string
	// Table is "keyspace.table" (Cassandra) or the table's name
	// (DynamoDB).
	Table string
	// Tables, instead of Table, are patterns of the tables RunTables
	// exports (tables.go); TableParallel is how many at once (default
	// DefaultTableParallel).
	Tables        []string
	TableParallel int
	// Dest is the store URL of the root that batches live under.
	Dest string
	// Batch names the run (default: the UTC date, YYYY-MM-DD); required
	// with more than one shard.
	Batch string
	// Timestamp names the dump explicitly (20261122T154530Z); default:
	// the batch's dump of the table (from its dump.json), or now.
	Timestamp string

	// Columns to export (default all); the primary key columns are always
	// exported, and columns are written in the table's order.
	Columns []string
	// Where is an extra CQL restriction of every range's query;
	// AllowFiltering appends ALLOW FILTERING.
	Where          string
	AllowFiltering bool
	// LimitRows > 0 reads at most that many rows per unit (trials).
	LimitRows int64
	// Writetime and TTL capture WRITETIME/TTL of regular and static
	// columns.
	Writetime, TTL bool
	// Compression of parts: zstd (default), gzip or none.
	Compression string
	// Consistency of Cassandra reads; default LOCAL_ONE.
	Consistency string
	// ConsistentRead asks DynamoDB for strongly consistent reads.
	ConsistentRead bool
	// ReadRatio is the share of a provisioned DynamoDB table's read
	// capacity the export may use (all shards together); MaxRCU caps
	// read capacity units per second (on-demand tables).
	ReadRatio, MaxRCU float64
	// PageSize is rows per page; default 1000.
	PageSize int
	// Parallel is the number of units read at once; default 4.
	Parallel int
	// PageMemory caps the bytes of pages read and not yet encoded, all
	// units together; 0 is 24 MiB (pagemem.go).
	PageMemory int64
	// Splits, when > 0, asks for about that many token ranges instead of
	// sizing them from system.size_estimates. Only the first run (the
	// plan) uses it.
	Splits int
	// PartBytes is the compressed size at which parts roll; default
	// format.DefaultPartBytes.
	PartBytes int64
	// ProgressInterval is how often a unit that resumes inside itself
	// (a DynamoDB segment) commits its progress at the latest, closing
	// its part at a page boundary; default DefaultProgressInterval.
	ProgressInterval time.Duration

	// MaxRate caps rows per second (0: no cap).
	MaxRate float64
	// MaxInflight caps page requests in flight across all readers (0:
	// Parallel). Each reader has at most one page request in flight, so
	// only a cap below Parallel changes anything.
	MaxInflight int
	// NoAdaptive turns the adaptive controller off: the in-flight limit
	// stays at its cap. With it on (the default), the limit starts at a
	// quarter of the cap, grows by one a second while the source is
	// healthy and halves on trouble (see internal/throttle.Controller).
	NoAdaptive bool
	// TargetLatency is the page latency p99 above which the adaptive
	// controller backs off; 0 derives it from the first pages (at least
	// TargetLatencyFloor).
	TargetLatency time.Duration
	// RetryFor is how long a page request that keeps failing with a
	// retryable error (a node down or restarting, timeouts) is retried
	// before the export gives up; 0: only the source's retry attempts
	// (a few seconds). The command's --retry-for defaults to
	// DefaultRetryFor.
	RetryFor time.Duration
	// AdaptiveSignal is what the adaptive controller judges besides the
	// export's own page latency: "auto" (or ""), the latency of probes
	// of every node where the source can be probed (probe.go); "server",
	// the latency the source's servers report for their other clients'
	// requests (signal.go); "pages", nothing else.
	AdaptiveSignal string
	// ProbeRatio is how far the probes' latency may rise over its value
	// at rest (plus a small floor) before the adaptive controller backs
	// off; 0: DefaultProbeRatio.
	ProbeRatio float64

	// Keys, when set, exports the partitions of a key list instead of
	// token ranges: a file name, or "-" for KeysInput. Only the first run
	// of a dump reads it (see docs/exporter.md).
	Keys string
	// KeysInput is what Keys "-" reads (the command's standard input).
	KeysInput io.Reader
	// KeysPerUnit is how many keys one unit of a key-list plan reads;
	// default DefaultKeysPerUnit. Only the first run (the plan) uses it.
	KeysPerUnit int

	// FromExport, when set, converts a native export of the table (a
	// DynamoDB "Export to S3" directory) instead of scanning it; Source is
	// then optional (the table whose key schema to read), and HashKey and
	// RangeKey ("name:S") give the key schema without it.
	FromExport        string
	HashKey, RangeKey string

	// TranslateAddress, if set, maps every node address the driver
	// learns of to the one it dials (tests put a proxy in between).
	TranslateAddress func(netip.AddrPort) netip.AddrPort

	// Shard and Shards: this process takes the plan's units whose index
	// is Shard modulo Shards (default 0 of 1).
	Shard, Shards int

	// Env looks up CASSANDRA_USERNAME/CASSANDRA_PASSWORD; default
	// os.Getenv.
	Env func(string) string
	// Now is the clock; default time.Now.
	Now func() time.Time

	// dumpTable is the table's name in dump paths (source.Check).
	dumpTable string
	// tableIndex is the table's place in the batch's table list (0 for
	// a --table export): shards take the units of the tables in turn
	// (see takes).
	tableIndex int
}

// withDefaults fills zero fields and checks the rest; every error is a
// usage error naming the option.
func (c Config) withDefaults() (Config, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Source == "" && c.FromExport == "" {
		return c, fault.Usagef("--source is required (cassandra://host1,host2:9042, dynamodb://REGION), or --from-export URL")
	}
	if err := c.checkTables(); err != nil {
		return c, err
	}
	if c.Dest == "" {
		return c, fault.Usagef("--dest is required (file:///dir, s3://bucket/prefix, gs://bucket/prefix)")
	}
	if c.Batch == "" && c.Shards > 1 {
		// Each shard would take its own UTC date: shards started on
		// both sides of midnight would write two dumps.
		return c, fault.Usagef("--batch is required with %d shards (each shard would default it to its own UTC date, and shards started on both sides of midnight would write two dumps)", c.Shards)
	}
	if c.Batch == "" {
		c.Batch = c.Now().UTC().Format("2006-01-02")
	}
	if err := manifest.ValidateBatch(c.Batch); err != nil {
		return c, fault.Usagef("--batch: %w", err)
	}
	if c.Timestamp != "" {
		if _, err := manifest.ParseTimestamp(c.Timestamp); err != nil {
			return c, fault.Usagef("--timestamp: %w", err)
		}
	}
	if c.Compression == "" {
		c.Compression = DefaultCompression
	}
	if _, err := format.Extension(c.Compression); err != nil {
		return c, fault.Usagef("--compression: %w", err)
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.ReadRatio < 0 || c.ReadRatio > 1 {
		return c, fault.Usagef("--read-ratio %g: want a share of the read capacity, 0 < r <= 1", c.ReadRatio)
	}
	if c.MaxRCU < 0 {
		return c, fault.Usagef("--max-rcu %g: want 0 (no cap) or more", c.MaxRCU)
	}
	if c.ReadRatio > 0 && c.MaxRCU > 0 {
		return c, fault.Usagef("--read-ratio and --max-rcu: give one (a share of provisioned capacity, or a cap for on-demand tables)")
	}
	if c.PageSize < 1 {
		return c, fault.Usagef("--page-size %d: want at least 1", c.PageSize)
	}
	if c.Parallel == 0 {
		c.Parallel = DefaultParallel
	}
	if c.Parallel < 1 {
		return c, fault.Usagef("--parallel %d: want at least 1", c.Parallel)
	}
	if c.Splits < 0 {
		return c, fault.Usagef("--splits %d: want 0 (automatic) or more", c.Splits)
	}
	if c.PartBytes == 0 {
		c.PartBytes = format.DefaultPartBytes
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.ProgressInterval < 0 {
		return c, fault.Usagef("--progress-interval %s: want a positive duration", c.ProgressInterval)
	}
	if c.PartBytes < 1 {
		return c, fault.Usagef("--part-size %d: want a positive size", c.PartBytes)
	}
	if c.LimitRows < 0 {
		return c, fault.Usagef("--limit-rows %d: want 0 (no limit) or more", c.LimitRows)
	}
	if c.MaxRate < 0 {
		return c, fault.Usagef("--max-rate %g: want 0 (no limit) or more", c.MaxRate)
	}
	if c.MaxInflight < 0 {
		return c, fault.Usagef("--max-inflight %d: want 0 (= --parallel) or more", c.MaxInflight)
	}
	if c.AdaptiveSignal != "" && c.AdaptiveSignal != "auto" && c.AdaptiveSignal != "server" && c.AdaptiveSignal != "pages" {
		return c, fault.Usagef("--adaptive-signal %q: want auto, server or pages", c.AdaptiveSignal)
	}
	if c.ProbeRatio != 0 && c.ProbeRatio <= 1 {
		return c, fault.Usagef("--probe-ratio %g: want more than 1", c.ProbeRatio)
	}
	if c.RetryFor < 0 {
		return c, fault.Usagef("--retry-for %s: want 0 (the retry attempts only) or more", c.RetryFor)
	}
	if c.TargetLatency < 0 {
		return c, fault.Usagef("--target-latency %s: want 0 (derived) or more", c.TargetLatency)
	}
	if c.KeysPerUnit == 0 {
		c.KeysPerUnit = DefaultKeysPerUnit
	}
	if c.KeysPerUnit < 1 {
		return c, fault.Usagef("--keys-per-unit %d: want at least 1", c.KeysPerUnit)
	}
	if c.Keys != "" && c.Splits > 0 {
		return c, fault.Usagef("--splits cuts token ranges; a --keys export has none (use --keys-per-unit)")
	}
	if c.Keys == "-" && c.KeysInput == nil {
		return c, fault.Usagef("--keys -: no standard input to read")
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.Shard < 0 || c.Shard >= c.Shards {
		return c, fault.Usagef("shard %d/%d: want 0 <= i < n", c.Shard, c.Shards)
	}
	return c, nil
}

// protection is the source-specific protection the options ask for.
func (c Config) protection() source.Protection {
	return source.Protection{ReadRatio: c.ReadRatio, MaxRCU: c.MaxRCU, Shards: max(1, c.Shards)}
}

// request is the data-shaping options for the source to resolve.
func (c Config) request() source.Request {
	return source.Request{
		Columns: c.Columns, Where: c.Where, AllowFiltering: c.AllowFiltering,
		Writetime: c.Writetime, TTL: c.TTL, Consistency: c.Consistency, ConsistentRead: c.ConsistentRead,
		LimitRows: c.LimitRows, Compression: c.Compression, PartBytes: c.PartBytes,
		Keys: c.Keys != "",
	}
}
