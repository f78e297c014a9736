package load

import (
	"context"
	"fmt"
	"github.com/lading-dev/lading/internal/redact"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Target is one destination opened from a URL (a Cassandra cluster and
// keyspace, a Spanner database, a Bigtable instance, ...).
type Target interface {
	// Table maps the dump's table onto the target: it creates the target
	// table (and what it needs, such as user types) when it is missing and
	// opts.Create is set; a missing table otherwise is a usage error. With
	// opts.DryRun nothing is created: a missing table is reported by
	// Table.Exists. Table.CheckSchema compares an existing table.
	Table(ctx context.Context, m *manifest.Manifest, opts TableOptions) (Table, error)
	// Close releases the connection.
	Close() error
}

// TableOptions shape Target.Table.
type TableOptions struct {
	// Name is the target table's name; "" uses the source table's.
	Name string
	// Create creates the table from the manifest when it does not exist.
	Create bool
	// DryRun creates nothing.
	DryRun bool
	// CreateIndexes creates the source's secondary indexes and
	// materialized views (as the manifest records them) as the target's
	// own indexes, where the target has them (Spanner); other targets
	// ignore it.
	CreateIndexes bool
	// Versions is how many versions of a cell a created table keeps, for
	// targets that keep versions (Bigtable's max-versions GC policy); 0
	// is the target's default.
	Versions int
	// NumericAsString creates decimal and varint columns as text of
	// their exact value where the target's numeric type is bounded
	// (Spanner's NUMERIC); other targets ignore it.
	NumericAsString bool
}

// Identity names a target table, as stable across years as the target
// itself: never host names, addresses or secrets.
type Identity struct {
	// Kind is the target kind ("cassandra").
	Kind string
	// Cluster is the cluster's name (Cassandra), or the project/instance.
	Cluster string
	// Namespace is the keyspace, database or schema.
	Namespace string
	// Table is the target table's name.
	Table string
}

// String renders the identity as kind:cluster/namespace.table.
func (id Identity) String() string {
	return id.Kind + ":" + id.Cluster + "/" + id.Namespace + "." + id.Table
}

// Table is the target table a dump loads into: what every target must
// offer, whatever way it writes. A table also implements exactly one way
// of loading: RowLoader (the loader converts rows, batches and writes
// them) or PartLoader (the target takes a proven part whole). The loader
// finds the other capabilities by type assertion (Comparer, Claimer,
// IdempotenceReporter, PreviousRowUser, ExpiryReporter on converters);
// where one is missing the feature that needs it is skipped, and the log,
// the run summary and the report say so and why.
//
// Errors: a fault.Usage error means retrying will not help (a schema
// mismatch, a missing table, a value the target cannot hold) and exits 2;
// any other error is taken as worth retrying (network, timeouts) and
// exits 1. Methods are called from one goroutine, except Write, Compare
// and LoadPart, which are called concurrently.
type Table interface {
	// Identity names the table for the ledger. It must not change
	// between runs, and never holds host names or secrets.
	Identity() Identity
	// Exists reports whether the table exists (false only in a dry run
	// that would create it).
	Exists() bool
	// CheckSchema compares the existing table with the dump's schema. A
	// mismatch is a usage error (fault.Usage) naming every differing
	// column. The loader calls it only for dumps it is about to load.
	CheckSchema(ctx context.Context) error
	// Incarnation identifies this particular creation of the table (for
	// Cassandra the table id): a table dropped and recreated has a new
	// one, and the ledger then loads every dump again.
	Incarnation(ctx context.Context) (string, error)
	// Empty reports whether the table holds no row. A load into an empty
	// table may take rows as fresh, and a row count can verify it.
	Empty(ctx context.Context) (bool, error)
	// Count counts the table's rows, for --verify count (the default).
	Count(ctx context.Context) (int64, error)
}

// RowLoader is implemented by tables the loader writes row by row: it
// converts each row of a proven part into mutations, groups them into
// batches within Limits, and writes them with bounded concurrency,
// retrying, splitting or rejecting as Classify says.
type RowLoader interface {
	// Limits are the hard limits and starting point of batch sizing.
	Limits() Limits
	// Converter returns a converter of the rows of one part. An error is
	// fatal for the part (fault.Usage when the rows cannot be mapped).
	Converter(p PartInfo) (Converter, error)
	// Write writes one batch. It may be called again with the same batch
	// after an error (Batch.Attempt > 0): writes must be idempotent,
	// unless the table says otherwise (IdempotenceReporter). Errors are
	// judged by Classify.
	Write(ctx context.Context, b *Batch) error
	// Classify says what a Write error means: Overloaded is retried with
	// backoff, TooLarge and Rejected split the batch down to one
	// mutation, which is then kept in the reject file, Fatal stops the
	// load.
	Classify(err error) ErrorKind
}

// Comparer is implemented by tables that can read rows back for
// --verify full. Without it full verification is skipped, and says so.
type Comparer interface {
	// Compare reads the given rows of one part back from the target and
	// returns the differences from what the load promised to write (a
	// missing row, a differing value). An error stops verification; it
	// is not a mismatch.
	Compare(ctx context.Context, p PartInfo, rows []DumpRow) ([]Mismatch, error)
}

// IdempotenceReporter is implemented by tables whose writes may not be
// idempotent. A table without it is idempotent: writing a row twice
// leaves what writing it once does.
type IdempotenceReporter interface {
	// Idempotent is false when writing a row twice changes the result
	// (counter tables): such a table loads all or nothing, under a
	// Claim, and must implement Claimer.
	Idempotent() bool
}

// idempotent reports whether writes into tbl may be repeated.
func idempotent(tbl Table) bool {
	r, ok := tbl.(IdempotenceReporter)
	return !ok || r.Idempotent()
}

// PartLoader is implemented by tables that load a proven part whole
// instead of taking its rows (Snowflake's COPY INTO reads the part from
// the store itself). LoadPart is called only after the part's checksums
// matched; open reads the proven bytes for targets that stream them. It
// returns the part's counts (Rows must be the part's row count, else the
// load fails verification). Loading a part twice must leave what loading
// it once does. A table that implements PartLoader is never written row
// by row, even when it also implements RowLoader.
type PartLoader interface {
	LoadPart(ctx context.Context, p PartInfo, open func(context.Context) (io.ReadCloser, error)) (PartRecord, error)
}

// Claimer is implemented by tables that load all or nothing
// (Idempotent() == false): one loader at a time holds the claim.
type Claimer interface {
	// Claim takes the table for owner, or fails naming who holds it.
	Claim(ctx context.Context, owner string) (Claim, error)
	// Reset empties the table before an all-or-nothing load restarts.
	Reset(ctx context.Context) error
}

// Claim is a held claim.
type Claim interface {
	// Lost is closed when the claim can no longer be proven held; the
	// load must stop writing.
	Lost() <-chan struct{}
	// Release gives the claim up.
	Release(ctx context.Context) error
}

// PartInfo is what a converter or comparer knows of the part its rows
// come from.
type PartInfo struct {
	Manifest *manifest.Manifest
	File     *manifest.File
	// Fresh is set when no earlier attempt wrote any row of this part
	// into this incarnation of the table and the table was empty when
	// the dump's load began: rows cannot already be there.
	Fresh bool
	// Shared is set when another attempt at this part began before this
	// one (an earlier run, or another loader now): its writes may still
	// land, so a write that is not idempotent must converge whatever
	// that attempt did, and whenever it lands.
	Shared bool
	// Now is the load's clock.
	Now func() time.Time
	// Previous is the last row of the part before this one when the two
	// may hold rows of one partition, for tables that use it
	// (PreviousRowUser); nil otherwise.
	Previous *format.Row
}

// DumpRow is a decoded row that owns its memory, with its line number.
type DumpRow struct {
	Line int64
	Row  format.Row

	part *manifest.File
}

// Limits bound a batch.
type Limits struct {
	// MaxBytes is the hard limit of a batch of more than one mutation,
	// in the target's own estimate of bytes; a single mutation above it
	// is sent alone.
	MaxBytes int
	// MaxMutations caps mutations per batch (0: no cap beyond bytes).
	MaxMutations int
	// InitialBytes is where adaptive sizing starts; MinBytes the least it
	// shrinks to.
	InitialBytes int
	MinBytes     int
	// SameGroup restricts a batch to mutations of one group (Cassandra:
	// one partition).
	SameGroup bool
}

// Mutation is one write produced from one row.
type Mutation struct {
	// Group is the partition (or other unit) a batch must not mix, when
	// Limits.SameGroup is set.
	Group string
	// Bytes is the target's estimate of the write's size.
	Bytes int
	// Line is the row's line in its part (1-based), for rejects.
	Line int64
	// Op is the target's own payload.
	Op any
}

// Batch is a group of mutations written in one request.
type Batch struct {
	Mutations []Mutation
	// Attempt counts earlier tries of this batch (0 for the first): a
	// retried batch may have been applied already.
	Attempt int
}

// Converter turns the rows of one part into mutations. It is used by one
// goroutine at a time.
type Converter interface {
	// Convert appends the row's mutations to dst. The row's memory is
	// reused after the call: mutations must own what they keep. expired
	// is set when the row will not exist in the target because its
	// cells expired (it may still yield mutations, e.g. static cells).
	Convert(row *format.Row, line int64, dst []Mutation) (out []Mutation, expired bool, err error)
}

// ExpiryReporter is implemented by converters whose rows can expire in
// the target (TTLs): after Convert, RowExpiry says when the row just
// converted will cease to exist (zero: never). Count verification uses it
// to allow for rows that expire between the load and the count.
type ExpiryReporter interface {
	RowExpiry() time.Time
}

// ErrorKind classifies a Write error.
type ErrorKind int

// Error kinds.
const (
	// Fatal: stop the load (permissions, schema changed, a bug).
	Fatal ErrorKind = iota
	// Overloaded: timeouts, overloaded or unavailable: back off, shrink,
	// retry.
	Overloaded
	// TooLarge: the batch is too big for the target: split it.
	TooLarge
	// Rejected: the target refuses a row for its content: isolate it
	// and keep it in the reject file.
	Rejected
)

// Mismatch is one difference found by verification.
type Mismatch struct {
	Part   string `json:"part"`
	Line   int64  `json:"line"`
	Key    string `json:"key"`
	Column string `json:"column,omitempty"`
	Detail string `json:"detail"`
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("%s line %d (%s)", m.Part, m.Line, m.Key)
	if m.Column != "" {
		s += " column " + m.Column
	}
	return s + ": " + m.Detail
}

// TargetOptions are passed to a target when it is opened.
type TargetOptions struct {
	Logger *slog.Logger
	Run    *report.Run
	// Env looks up credentials (os.Getenv outside tests).
	Env func(string) string
	// CreateNamespace creates the keyspace (or database) when missing,
	// with Replication (target-specific text) when given.
	CreateNamespace bool
	Replication     string
	// Consistency is the target's write and read consistency ("" default).
	Consistency string
	// Workers is the most concurrent requests the loader will send.
	Workers int
	// ClaimStaleAfter is how old a claim's heartbeat must be before it is
	// taken over (all-or-nothing tables; 0: the target's default).
	ClaimStaleAfter time.Duration
	// Store is where the dumps are (the store root), for targets that
	// read parts from the store themselves (Snowflake's external stages).
	Store objstore.Location
	// Stage names an existing stage over Store for targets that load
	// through one (--stage); StorageIntegration names the integration a
	// stage the target creates uses (--storage-integration).
	Stage, StorageIntegration string
	// CopyParts caps the parts a group loader loads in one statement
	// (--copy-parts; 0: the target's limit).
	CopyParts int
}

// Opener opens a target from its URL.
type Opener func(ctx context.Context, rawURL string, opts TargetOptions) (Target, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a target available under a URL scheme. It panics on a
// duplicate scheme.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("load: target scheme registered twice: " + scheme)
	}
	registry[scheme] = open
}

// Schemes lists the registered target schemes.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// OpenTarget opens the target a URL names by its scheme.
func OpenTarget(ctx context.Context, rawURL string, opts TargetOptions) (Target, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fault.Usagef("--to %q: not a URL (e.g. cassandra://10.0.0.5:9042/keyspace)", redact.URL(rawURL))
	}
	registryMu.RLock()
	open := registry[scheme]
	registryMu.RUnlock()
	if open == nil {
		return nil, fault.Usagef("--to: unknown target scheme %q (known: %s)", scheme, strings.Join(Schemes(), ", "))
	}
	return open(ctx, rawURL, opts)
}
