package load

import (
	"log/slog"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
)

// Verification modes.
const (
	VerifyNone  = "none"
	VerifyCount = "count"
	VerifyFull  = "full"
)

// Options configure a load run. cmd/loader fills them from flags.
type Options struct {
	// From is a store root or one dump's prefix.
	From string
	// To is the target URL.
	To string
	// Routes, instead of To, send each source table ("KS.TABLE") to a
	// target URL of its own (--route-file); a table in no route is
	// skipped with a log line. Each table keeps its ledger under its own
	// target.
	Routes map[string]string
	// Route (--route) sends each table not in Routes to one target when
	// its source has secondary indexes or views, to another otherwise.
	Route SchemaRoute
	// State, when set, is the store URL under which ledgers live
	// (<state>/loads/<target-id>/) instead of <root>/_state/loads/.
	State string
	// Filter narrows the dumps (--batch, --table, --timestamp).
	Filter discover.Filter
	// Force loads a dump again even when it is loaded, and over a newer
	// one.
	Force bool
	// CreateTable creates the target table (and its user types).
	CreateTable bool
	// CreateIndexes creates the source's secondary indexes and views as
	// the target's indexes (TableOptions.CreateIndexes).
	CreateIndexes bool
	// CreateKeyspace creates the target keyspace with Replication.
	CreateKeyspace bool
	Replication    string
	// Versions is the cell versions a created table keeps (Bigtable).
	Versions int
	// NumericAsString creates decimal and varint columns as exact text
	// (TableOptions.NumericAsString).
	NumericAsString bool
	// Stage and StorageIntegration choose how a target that reads parts
	// from a stage (Snowflake) reaches them (TargetOptions).
	Stage, StorageIntegration string
	// CopyParts caps the parts one COPY loads (0: the target's limit).
	CopyParts int
	// Mode is ModeAppend ("" too) or ModeReplace (--mode; replace.go).
	Mode string
	// TargetTable renames the table in the target.
	TargetTable string
	// TableMap sends source tables to target tables of other names:
	// "KS.TABLE=NAME" entries (--map).
	TableMap []string
	tableMap map[string]string
	// Consistency of the target's writes and reads.
	Consistency string
	// Workers bounds concurrent write requests; Parts the parts read at
	// once.
	Workers int
	Parts   int
	// BatchBytes caps batch sizes below the target's hard limit (0: the
	// target's limit).
	BatchBytes int
	// MemoryBytes is the loader's memory budget (0: DefaultMemoryBytes):
	// a quarter of it bounds the bytes of the batches queued and in
	// flight, whatever the dump's size (cmd/loader also sets the Go
	// runtime's soft memory limit to it).
	MemoryBytes int64
	// SpoolDir and SpoolBytes bound spooling to local disk.
	SpoolDir   string
	SpoolBytes int64
	// ClaimStaleAfter is how old a counter claim's heartbeat must be
	// before another loader takes it over (0: the target's default).
	ClaimStaleAfter time.Duration
	// Verify is none, count or full; "" verifies counter tables in full
	// (a count cannot see a wrong value) and others by count.
	Verify string
	// MaxRejects is how many rows the target may refuse before the load
	// fails.
	MaxRejects int64
	// DryRun reports what would be loaded and checks the schema, but
	// writes nothing.
	DryRun bool
	// Shard and Shards split the tables among Shards processes: this one
	// loads the tables whose name hashes to Shard.
	Shard, Shards int
	// Watch keeps polling every WatchInterval.
	Watch         bool
	WatchInterval time.Duration

	Logger *slog.Logger
	Run    *report.Run
	// OnDump, when set, is told what happened to each dump as soon as it
	// is known (with Watch, long before Run returns). It may be called
	// from several goroutines at once.
	OnDump func(DumpResult)
	Env    func(string) string
	Now    func() time.Time
}

func (o *Options) check() error {
	if o.From == "" {
		return fault.Usagef("--from is required (a store root or one dump's prefix)")
	}
	if o.routing() && o.To != "" {
		return fault.Usagef("--to and --route-file or --route: give one (the routes name each table's target)")
	}
	if o.routing() && o.TargetTable != "" {
		return fault.Usagef("--target-table and --route-file or --route: use --map to rename routed tables")
	}
	if o.To == "" && !o.routing() {
		return fault.Usagef("--to is required (e.g. cassandra://127.0.0.1:9042/keyspace)")
	}
	switch o.Verify {
	case "", VerifyNone, VerifyCount, VerifyFull: // "": per table, see verifyMode
	default:
		return fault.Usagef("--verify %q: want none, count or full", o.Verify)
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Parts <= 0 {
		o.Parts = 2
	}
	if o.MaxRejects < 0 {
		return fault.Usagef("--max-rejects %d: want 0 or more", o.MaxRejects)
	}
	if o.Versions < 0 {
		return fault.Usagef("--versions %d: want 1 or more", o.Versions)
	}
	if o.MemoryBytes < 0 || (o.MemoryBytes > 0 && o.MemoryBytes < MinMemoryBytes) {
		return fault.Usagef("--memory %d: want at least %d (32MiB)", o.MemoryBytes, int64(MinMemoryBytes))
	}
	if o.MemoryBytes == 0 {
		o.MemoryBytes = DefaultMemoryBytes
	}
	if o.BatchBytes < 0 {
		return fault.Usagef("--batch-bytes %d: want 0 or more", o.BatchBytes)
	}
	if err := o.checkMode(); err != nil {
		return err
	}
	var err error
	if o.tableMap, err = parseTableMap(o.TableMap); err != nil {
		return err
	}
	if o.tableMap != nil && o.TargetTable != "" {
		return fault.Usagef("--map and --target-table: give one (--target-table names the table of the one source --table names)")
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = DefaultInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o.Filter.Validate()
}

// DefaultMemoryBytes is the default memory budget (--memory), and
// MinMemoryBytes the least accepted.
const (
	DefaultMemoryBytes = 160 << 20
	MinMemoryBytes     = 32 << 20
)

// queueBytes is the share of the memory budget that batches queued for
// the target and in flight may hold: their cells, the target's request
// encoding of them (about as much again) and the client's buffers.
func (o *Options) queueBytes() int64 { return o.MemoryBytes / 4 }

// DefaultInterval is how often --watch polls.
const DefaultInterval = time.Minute
