// Package source is the exporter's seam to the databases it reads: a
// Source opened from a URL (cassandra://…, dynamodb://…) describes a
// table for the manifest, cuts it into units of work, and scans a unit
// into pages of NDJSON rows with the time they were read, protecting the
// database while it does. internal/export owns everything else (the
// dump, its plan, commits, parts, manifest and shards), written once for
// every source; a new source is a package that calls Register from its
// init, and a blank import in internal/export.
//
// Vendor SDK types stay inside each source's package: this interface
// speaks lading's own types (pkg/manifest).
package source

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/throttle"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Source is one database opened from a --source URL.
type Source interface {
	// Describe reads the live table (the user's --table) as the manifest
	// records it: kind, identity and schema. A table that does not exist
	// is a usage error.
	Describe(ctx context.Context, table string) (*manifest.Source, error)
	// Diff describes the first difference between the source a dump was
	// planned from and the live one ("" if none). The export refuses to
	// go on when there is one: rows read now would not match the plan.
	Diff(planned, live *manifest.Source) string
	// Options resolves the options that shape the data (columns,
	// consistency, …) against the live table; a bad option is a usage
	// error naming it.
	Options(live *manifest.Source, req Request) (manifest.Options, error)
	// Plan cuts the table into units of work (manifest.Unit), sorted by
	// ID, none overlapping, together covering the table.
	Plan(ctx context.Context, live *manifest.Source, req PlanRequest) ([]manifest.Unit, error)
	// Scanner returns the reader of a fixed plan's units.
	Scanner(ctx context.Context, plan *manifest.Plan, spec ScanSpec) (Scanner, error)
	// Close releases the connection.
	Close() error
}

// KeyLister is implemented by sources that export a list of keys
// instead of the whole table (Cassandra's --keys).
type KeyLister interface {
	// ParseKeys reads the user's key list (CSV or NDJSON) and returns it
	// canonical: one line a key, sorted, de-duplicated (dups counts the
	// lines dropped). A bad key is a usage error naming its line.
	ParseKeys(live *manifest.Source, r io.Reader) (lines [][]byte, dups int, err error)
}

// Scanner reads units of a fixed plan.
type Scanner interface {
	// Scan reads one unit, from its start or from u.Resume, and hands
	// its pages in order to emit. An error from emit ends the scan and
	// is returned as it is. Transient source errors are retried inside
	// (with backoff, and reported to the ScanSpec's Gate); an error
	// returned is worth retrying unless fault says otherwise.
	Scan(ctx context.Context, u Unit, emit func(*Page) error) error
}

// Unit is one unit of work as Scan reads it.
type Unit struct {
	manifest.Unit
	// Keys of a key-list unit: its lines of the stored list.
	Keys [][]byte
	// Resume, when set, is where an earlier attempt's committed progress
	// ends (a Page's Next): the scan continues after it.
	Resume json.RawMessage
}

// Rows are one page's rows, encoded on demand (by the part writer's
// goroutine, so that reading the next page overlaps encoding this one).
type Rows interface {
	// Len is the number of rows.
	Len() int
	// AppendRow appends row i as one NDJSON object and its newline.
	AppendRow(dst []byte, i int) ([]byte, error)
}

// Page is a batch of rows read at once.
type Page struct {
	Rows Rows
	// ReadAt is when the page was requested: no row of it was read
	// earlier.
	ReadAt time.Time
	// Range indexes the unit's token ranges the rows come from; -1 when
	// the unit has none.
	Range int
	// Next, for sources that resume inside a unit, is where a scan
	// continues after this page (DynamoDB's LastEvaluatedKey); nil when
	// the page is the unit's last, or the source cannot resume.
	Next json.RawMessage
	// Release returns the page's memory; nil if nothing to return.
	Release func()
	// Bytes is about the memory the page holds until Release, for the
	// exporter's cap on pages in flight; 0 when unknown.
	Bytes int64
}

// Done calls Release, if any.
func (p *Page) Done() {
	if p.Release != nil {
		p.Release()
	}
}

// Request carries the data-shaping flags of the command line. A source
// refuses a flag it does not support when it is set.
type Request struct {
	Columns        []string
	Where          string
	AllowFiltering bool
	Writetime, TTL bool
	// Consistency as the user spelt it ("" for the source's default).
	Consistency string
	// ConsistentRead asks for strongly consistent reads (DynamoDB).
	ConsistentRead bool
	LimitRows      int64
	Compression    string
	PartBytes      int64
	// Keys is set when the user gave a key list.
	Keys bool
}

// PlanRequest sizes a plan.
type PlanRequest struct {
	// Splits > 0 asks for about that many ranges (segments).
	Splits int
	// MinUnits is the least number of units worth having (every reader
	// of every shard busy).
	MinUnits int
	// PartBytes is the target part size.
	PartBytes int64
	// Parallel and Shards are the readers a process and the processes.
	Parallel, Shards int
}

// ScanSpec is what a Scanner needs from the run.
type ScanSpec struct {
	// PageSize is rows per page request (0: the source's default).
	PageSize int
	// RetryFor is how long a failing page request is retried at least
	// (0: the source's own retry attempts only).
	RetryFor time.Duration
	// Gate is the adaptive limit of page requests in flight; every
	// request acquires it and releases it with its latency and outcome.
	Gate *throttle.Controller
	// Limiter caps rows per second (nil: no cap).
	Limiter *throttle.Limiter
	// Protect are the source-specific limits (e.g. DynamoDB's read
	// capacity), already divided among shards.
	Protect Protection
	Logger  *slog.Logger
	Run     *report.Run
}

// Protection holds the limits that only some sources understand; a
// source refuses (at Open) those it does not.
type Protection struct {
	// ReadRatio is the share of a provisioned table's read capacity to
	// use (0: none given).
	ReadRatio float64
	// MaxRCU caps read capacity units per second (0: none given).
	MaxRCU float64
	// Shards divides the capacity among this many processes.
	Shards int
}

// Options of Open.
type Options struct {
	Logger *slog.Logger
	Run    *report.Run
	// Env looks up credentials (CASSANDRA_USERNAME, …); default os.Getenv.
	Env func(string) string
	// TranslateAddress maps node addresses to the ones dialled (tests
	// put proxies in between); only sources that dial nodes use it.
	TranslateAddress func(netip.AddrPort) netip.AddrPort
	// Protect are the source-specific limits the user asked for.
	Protect Protection
	// RetryFor is how long a metadata read (the schema, the ring, the
	// list of tables) that keeps failing with a retryable error is
	// retried at least, as ScanSpec.RetryFor for page requests: a node
	// restarting while a run starts, or between the tables of a
	// --tables run, is waited for like one restarting mid-scan.
	RetryFor time.Duration
}

// Backend is one kind of source as it registers.
type Backend struct {
	// Check parses a --source URL of the scheme without connecting
	// (unknown parameters are usage errors) and checks the user's
	// --table, returning the table's name in dump paths
	// (<batch>/<table>/…: letters, digits and '_' around one '.').
	Check func(raw, table string) (dumpTable string, err error)
	// Open connects. It keeps secrets out of errors.
	Open func(ctx context.Context, raw string, opts Options) (Source, error)
}

var (
	mu       sync.RWMutex
	registry = map[string]Backend{}
)

// Register makes a source available under a URL scheme. It panics on a
// duplicate scheme.
func Register(scheme string, b Backend) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("source: scheme registered twice: " + scheme)
	}
	registry[scheme] = b
}

// Schemes lists the registered schemes.
func Schemes() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// backend finds the registered backend of a URL's scheme. The rest of
// the URL is the backend's to parse (Cassandra's host lists are no
// net/url authority).
func backend(raw string) (Backend, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Backend{}, fault.Usagef("--source %q: want scheme://… (known schemes: %s)", redact.URL(raw), strings.Join(Schemes(), ", "))
	}
	mu.RLock()
	b, ok := registry[scheme]
	mu.RUnlock()
	if !ok {
		return Backend{}, fault.Usagef("--source %q: unknown scheme %q (known: %s)", redact.URL(raw), scheme, strings.Join(Schemes(), ", "))
	}
	return b, nil
}

// Check checks a --source URL and --table without connecting and
// returns the table's name in dump paths. Errors are usage errors; the
// URL in them is redacted.
func Check(raw, table string) (string, error) {
	b, err := backend(raw)
	if err != nil {
		return "", err
	}
	return b.Check(raw, table)
}

// Open opens the source a --source URL names.
func Open(ctx context.Context, raw string, opts Options) (Source, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := backend(raw)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, raw, opts)
}

// RefuseProtection is a usage error for a protection flag a source does
// not support.
func RefuseProtection(kind string, p Protection) error {
	switch {
	case p.ReadRatio != 0:
		return fault.Usagef("--read-ratio: a %s source has no provisioned read capacity", kind)
	case p.MaxRCU != 0:
		return fault.Usagef("--max-rcu: a %s source has no read capacity units", kind)
	}
	return nil
}

// Unsupported is a usage error for a data-shaping flag a source does not
// support.
func Unsupported(kind, flag string) error {
	return fault.Usage(fmt.Errorf("%s: not supported by a %s source", flag, kind))
}

// LatencyReporter is a Source whose servers report the latency of the
// requests of their other clients (the applications an export must not
// slow down). The exporter's adaptive controller polls it about once a
// second and backs off when a reading rises over its value at the start
// of the run.
type LatencyReporter interface {
	// ServerLatency returns the current readings by name (e.g. one per
	// node and kind of request; none for a node without such traffic),
	// or an error (e.g. when the servers do not report it at all).
	ServerLatency(ctx context.Context) (map[string]time.Duration, error)
}

// Prober is a Source that can time a tiny request to each of its nodes,
// which the exporter's adaptive controller sends a few times a second to
// feel what an application's point request feels while the export runs.
type Prober interface {
	// Probe sends one probe to every node that is up and returns each
	// one's latency by node; one that takes longer than timeout counts
	// with the time it took. An error when no node answered.
	Probe(ctx context.Context, timeout time.Duration) (map[string]time.Duration, error)
}

// TrafficReporter is a Source whose servers count the requests of their
// other clients, so that the exporter can tell whether anybody else uses
// the source: with nobody there, there is nobody to protect and the
// adaptive controller runs at the full budget.
type TrafficReporter interface {
	// ClientRequests returns cumulative counters of the requests of
	// clients other than a token-range export (e.g. a node's point reads
	// and writes of each of the applications' tables), by a name that
	// stays the counter's from one reading to the next, leaving out the
	// reads of the table exceptReadsOf ("keyspace.table" or "": a
	// key-list export's own point reads), or an error (e.g. when the
	// servers do not count them). A counter may vanish (its table
	// dropped) or restart from zero (its node restarted).
	ClientRequests(ctx context.Context, exceptReadsOf string) (map[string]int64, error)
}
