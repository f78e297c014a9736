// Package status reports where every dump is in the pipeline — exported,
// shipped to which roots, loaded into which targets, verified how — and
// how long after its export each stage happened or has been waiting. It
// reads only the bucket: the dumps' _SUCCESS notes (never their parts),
// the plans of dumps still being exported, and the loaders' ledgers under
// each root's _state/loads/. It never writes to a store.
//
// The report has one schema (Report, "lading/status/v1") rendered three
// ways: a plain text table (WriteText), JSON (the Report itself) and a
// self-contained HTML page with a timeline per dump (WriteHTML).
package status

import (
	"time"

	"github.com/lading-dev/lading/internal/discover"
)

// FormatReport is the version of the JSON report.
const FormatReport = "lading/status/v1"

// DefaultStale is how long a dump may stay unfinished (plan written, no
// _SUCCESS) before it is called stale.
const DefaultStale = 24 * time.Hour

// Stages, in pipeline order.
const (
	StageExport = "export"
	StageShip   = "ship"
	StageLoad   = "load"
	StageVerify = "verify"
)

// States of a stage.
const (
	// StateDone: the stage happened (At says when).
	StateDone = "done"
	// StateRunning: begun, not finished (an export with a plan and no
	// _SUCCESS, a copy without _SUCCESS, a load with a started record).
	StateRunning = "running"
	// StateStale: an export still running after Config.Stale.
	StateStale = "stale"
	// StatePending: not begun.
	StatePending = "pending"
	// StateSuperseded: a load that will not happen because a newer dump
	// of the table is loaded into that target (loads go in timestamp
	// order).
	StateSuperseded = "superseded"
	// StateFailed: a verification that found differences.
	StateFailed = "failed"
	// StateSkipped: a verification that did not run (--verify none, or a
	// count that could not tell the dump's rows from others).
	StateSkipped = "skipped"
)

// Config says what to report on.
type Config struct {
	// Roots are store URLs at the level above <batch>. The root holding
	// the exporter's _SUCCESS note is where a dump was exported; every
	// other root is a destination it should be shipped to.
	Roots []string
	// Targets, when set, name the targets every dump should be loaded
	// into (matched against the ledgers' target names by kind and, where
	// the URL names them, keyspace/database and cluster); without them
	// a dump is expected in every target that loaded any dump of its
	// table.
	Targets []string
	// States are stores where loaders run with --state keep their
	// ledgers (below "loads/"); ledgers under each root's _state/loads/
	// are always read.
	States []string
	// Filter narrows the dumps (batch, table, timestamp).
	Filter discover.Filter
	// MaxLag > 0 marks stages waiting longer than this after the export
	// as behind (and exports unfinished this long after their plan).
	MaxLag time.Duration
	// Stale is how long an export may stay unfinished before it is
	// stale (default DefaultStale).
	Stale time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Concurrency bounds the reads in flight (default 16).
	Concurrency int
}

// Report is the whole status, as --json prints it.
type Report struct {
	Format      string    `json:"format"`
	GeneratedAt time.Time `json:"generated_at"`
	// Roots as given (without credentials), export root first when known.
	Roots   []string `json:"roots"`
	Targets []string `json:"targets,omitempty"`
	// MaxLagSeconds is --max-lag (0: none).
	MaxLagSeconds float64 `json:"max_lag_seconds,omitempty"`
	// Dumps sorted by batch, table, timestamp.
	Dumps []Dump `json:"dumps"`
	// Batches: each batch's marker in each root (batches.go), in the
	// order of Dumps and Roots.
	Batches []BatchMarker `json:"batches"`
	// Behind names every stage that is behind: "<dump> <stage> <where>:
	// <why>". Empty when nothing is (or no --max-lag was given and no
	// verification failed).
	Behind []string `json:"behind"`
}

// Dump is one dump (<batch>/<table>/<timestamp>) and its stages.
type Dump struct {
	Batch     string `json:"batch"`
	Table     string `json:"table"`
	Timestamp string `json:"timestamp"`
	// Exported is when the export finished (absent while it runs).
	Exported *time.Time `json:"exported,omitempty"`
	Rows     int64      `json:"rows"`
	// StoredBytes is the size of the parts as stored (compressed).
	StoredBytes int64   `json:"stored_bytes"`
	Files       int64   `json:"files"`
	Stages      []Stage `json:"stages"`
	// Behind is true when any stage is.
	Behind bool `json:"behind"`
}

// Name is batch/table/timestamp.
func (d Dump) Name() string { return d.Batch + "/" + d.Table + "/" + d.Timestamp }

// Stage is one step of one dump at one place.
type Stage struct {
	// Stage is export, ship, load or verify.
	Stage string `json:"stage"`
	// Where is a root URL (export, ship) or a target's name as its
	// ledger records it, kind:cluster/namespace.table (load, verify).
	Where string `json:"where"`
	// TargetID is the ledger's directory (load, verify).
	TargetID string `json:"target_id,omitempty"`
	// State is one of done, running, stale, pending, superseded, failed,
	// skipped.
	State string `json:"state"`
	// Started is when the stage began, where known.
	Started *time.Time `json:"started,omitempty"`
	// At is when the stage finished (done, failed, skipped).
	At *time.Time `json:"at,omitempty"`
	// LagSeconds: for a finished stage, At less the export's end (for
	// the export itself, how long it took); for one still waiting, how
	// long it has waited since the export ended (since its plan, for a
	// running export).
	LagSeconds float64 `json:"lag_seconds"`
	Rows       int64   `json:"rows,omitempty"`
	// Units and UnitsDone count a running export's plan units and
	// commits.
	Units     int `json:"units,omitempty"`
	UnitsDone int `json:"units_done,omitempty"`
	// Mode is a verification's mode (count, full, none).
	Mode   string `json:"mode,omitempty"`
	Detail string `json:"detail,omitempty"`
	Behind bool   `json:"behind"`
}

// Lag is LagSeconds as a duration.
func (s Stage) Lag() time.Duration { return time.Duration(s.LagSeconds * float64(time.Second)) }
