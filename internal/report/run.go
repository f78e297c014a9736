// Package report records what one run of a lading command did: counters
// (rows, bytes, retries, files), gauges (inflight, units done/total),
// notable events (throttle decisions) and the outcome. Libraries receive a
// *Run and record into it; the command-line runtime prints progress from
// it while the run goes on and writes it as a JSON run report at exit.
//
// A nil *Run is a valid no-op receiver for every method, so libraries and
// tests need not check for one.
package report

import (
	"encoding/json"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lading-dev/lading/internal/version"
)

// MaxEvents is how many events a Run keeps; older ones are dropped (and
// counted in the report as events_dropped).
const MaxEvents = 1000

// Event is one notable thing that happened during a run, such as a change
// of the concurrency limit.
type Event struct {
	Time  time.Time      `json:"time"`
	Kind  string         `json:"kind"`
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Run holds the counters, gauges and events of one command run. It is safe
// for concurrent use. Create one with New.
type Run struct {
	command string
	now     func() time.Time
	started time.Time
	// parent is the whole run of a per-table recorder (see Table), which
	// receives everything recorded here as well; table is its name.
	parent *Run
	table  string
	tables map[string]*Run

	mu       sync.RWMutex
	counters map[string]*atomic.Int64
	gauges   map[string]*atomic.Int64
	totals   map[string]int64
	events   []Event // ring of at most MaxEvents, oldest at events[head]
	head     int
	dropped  int64
	finished time.Time
	done     bool
	exitCode int
	errText  string
}

// New starts recording a run of command (e.g. "exporter").
func New(command string) *Run {
	return newRun(command, time.Now)
}

// newRun is New with a clock, for tests.
func newRun(command string, now func() time.Time) *Run {
	return &Run{
		command:  command,
		now:      now,
		started:  now(),
		counters: map[string]*atomic.Int64{},
		gauges:   map[string]*atomic.Int64{},
		totals:   map[string]int64{},
	}
}

// Command returns the command name given to New.
func (r *Run) Command() string {
	if r == nil {
		return ""
	}
	return r.command
}

// Started returns when the run started.
func (r *Run) Started() time.Time {
	if r == nil {
		return time.Time{}
	}
	return r.started
}

func (r *Run) cell(m map[string]*atomic.Int64, name string) *atomic.Int64 {
	r.mu.RLock()
	c := m[name]
	r.mu.RUnlock()
	if c != nil {
		return c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c = m[name]; c == nil {
		c = new(atomic.Int64)
		m[name] = c
	}
	return c
}

// Add adds n to the counter named counter (e.g. "rows", "bytes",
// "retries", "files"). Counters only make sense growing; n may still be
// negative to correct an over-count.
func (r *Run) Add(counter string, n int64) {
	if r == nil {
		return
	}
	r.cell(r.counters, counter).Add(n)
	r.parent.Add(counter, n)
}

// Set sets the gauge named gauge (e.g. "inflight", "units_total",
// "units_done", "inflight_limit") to v.
func (r *Run) Set(gauge string, v int64) {
	if r == nil {
		return
	}
	r.cell(r.gauges, gauge).Store(v)
	r.parent.Set(gauge, v)
}

// SetTotal declares the expected final value of a counter, which lets
// progress show a percentage and an ETA for it.
func (r *Run) SetTotal(counter string, total int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.totals[counter] = total
	r.mu.Unlock()
}

// Counter returns the current value of a counter (0 if never added to).
func (r *Run) Counter(name string) int64 {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if c := r.counters[name]; c != nil {
		return c.Load()
	}
	return 0
}

// Gauge returns the current value of a gauge (0 if never set).
func (r *Run) Gauge(name string) int64 {
	if r == nil {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if g := r.gauges[name]; g != nil {
		return g.Load()
	}
	return 0
}

// Total returns the total declared with SetTotal and whether there is one.
func (r *Run) Total(counter string) (int64, bool) {
	if r == nil {
		return 0, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.totals[counter]
	return t, ok
}

// Event records an event of the given kind. attrs are alternating keys and
// values as for log/slog ("from", 8, "to", 4, "reason", "p99 120ms > 50ms"),
// or slog.Attr values. Only the last MaxEvents events are kept.
func (r *Run) Event(kind string, attrs ...any) {
	if r == nil {
		return
	}
	if r.parent != nil {
		r.parent.Event(kind, append([]any{"table", r.table}, attrs...)...)
		return
	}
	ev := Event{Time: r.now().UTC(), Kind: kind, Attrs: attrMap(attrs)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) < MaxEvents {
		r.events = append(r.events, ev)
		return
	}
	r.events[r.head] = ev
	r.head = (r.head + 1) % MaxEvents
	r.dropped++
}

// attrMap turns slog-style key/value arguments into a map. A key that is
// not a string, or a trailing key without value, is kept under "!BADKEY"
// as slog does, so nothing is silently lost.
func attrMap(attrs []any) map[string]any {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]any, len(attrs)/2)
	for i := 0; i < len(attrs); {
		switch a := attrs[i].(type) {
		case slog.Attr:
			m[a.Key] = a.Value.Resolve().Any()
			i++
		case string:
			if i+1 >= len(attrs) {
				m["!BADKEY"] = a
				i++
				continue
			}
			m[a] = attrValue(attrs[i+1])
			i += 2
		default:
			m["!BADKEY"] = a
			i++
		}
	}
	return m
}

// attrValue makes values JSON-friendly: durations and errors as text.
func attrValue(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case error:
		return x.Error()
	default:
		return v
	}
}

// Events returns the recorded events of the given kind, oldest first; all
// events when kind is "".
func (r *Run) Events(kind string) []Event {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Event
	for i := range r.events {
		ev := r.events[(r.head+i)%len(r.events)]
		if kind == "" || ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// Finish records the outcome: the error the run ended with (nil for
// success) and the process exit code. Only the first call counts.
func (r *Run) Finish(err error, code int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	r.finished = r.now()
	r.exitCode = code
	if err != nil {
		r.errText = err.Error()
	}
}

// Snapshot is a consistent copy of a run's numbers at one instant.
type Snapshot struct {
	Time     time.Time
	Started  time.Time
	Counters map[string]int64
	Gauges   map[string]int64
	Totals   map[string]int64
}

// Snapshot copies the current counters, gauges and totals.
func (r *Run) Snapshot() Snapshot {
	if r == nil {
		return Snapshot{Counters: map[string]int64{}, Gauges: map[string]int64{}, Totals: map[string]int64{}}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := Snapshot{
		Time:     r.now(),
		Started:  r.started,
		Counters: make(map[string]int64, len(r.counters)),
		Gauges:   make(map[string]int64, len(r.gauges)),
		Totals:   make(map[string]int64, len(r.totals)),
	}
	for k, v := range r.counters {
		s.Counters[k] = v.Load()
	}
	for k, v := range r.gauges {
		s.Gauges[k] = v.Load()
	}
	for k, v := range r.totals {
		s.Totals[k] = v
	}
	return s
}

// jsonRun is the JSON shape of a run report. Field order is the order
// readers see; maps marshal with sorted keys.
type jsonRun struct {
	Command         string           `json:"command"`
	Version         string           `json:"version"`
	Started         time.Time        `json:"started"`
	Finished        *time.Time       `json:"finished"`
	DurationSeconds float64          `json:"duration_seconds"`
	ExitCode        *int             `json:"exit_code"`
	Error           string           `json:"error"`
	Counters        map[string]int64 `json:"counters"`
	Totals          map[string]int64 `json:"totals"`
	Gauges          map[string]int64 `json:"gauges"`
	Events          []Event          `json:"events"`
	EventsDropped   int64            `json:"events_dropped"`
	// Tables holds each table's share of the counters, by name (empty
	// when no library recorded per table).
	Tables map[string]jsonTable `json:"tables"`
}

// MarshalJSON writes the run report:
//
//	{"command","version","started","finished","duration_seconds","exit_code",
//	 "error","counters":{},"totals":{},"gauges":{},"events":[],"events_dropped",
//	 "tables":{"ks.t":{"counters":{},"totals":{},"gauges":{}}}}
//
// Before Finish, "finished" and "exit_code" are null and the duration runs
// to now.
func (r *Run) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	s := r.Snapshot()
	events := r.Events("")
	if events == nil {
		events = []Event{}
	}
	tables := r.tablesJSON()
	r.mu.RLock()
	j := jsonRun{
		Tables:        tables,
		Command:       r.command,
		Version:       version.Version,
		Started:       r.started.UTC(),
		Error:         r.errText,
		Counters:      s.Counters,
		Totals:        s.Totals,
		Gauges:        s.Gauges,
		Events:        events,
		EventsDropped: r.dropped,
	}

	end := s.Time
	if r.done {
		f := r.finished.UTC()
		code := r.exitCode
		j.Finished, j.ExitCode = &f, &code
		end = r.finished
	}
	r.mu.RUnlock()
	j.DurationSeconds = end.Sub(r.started).Seconds()
	return json.Marshal(j)
}

// counterNames returns the names in m, sorted.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Finished returns when Finish was called (zero before).
func (r *Run) Finished() time.Time {
	if r == nil {
		return time.Time{}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.finished
}
