package report

import "sort"

// Table returns the recorder of one table's share of the run: counters
// added to it are added to r as well, gauges set on it are set on r too,
// and events go to r with a "table" attribute. The metrics endpoint and
// the run report show each table's numbers under its name. Calling Table
// again with the same name returns the same recorder. A nil or empty
// name, or a nil r, returns r.
func (r *Run) Table(name string) *Run {
	if r == nil || name == "" {
		return r
	}
	if r.parent != nil {
		return r.parent.Table(name)
	}
	r.mu.RLock()
	t := r.tables[name]
	r.mu.RUnlock()
	if t != nil {
		return t
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tables[name]; t != nil {
		return t
	}
	t = newRun(r.command, r.now)
	t.started = r.started
	t.parent, t.table = r, name
	if r.tables == nil {
		r.tables = map[string]*Run{}
	}
	r.tables[name] = t
	return t
}

// TableName returns the name given to Table ("" for a whole run).
func (r *Run) TableName() string {
	if r == nil {
		return ""
	}
	return r.table
}

// Tables returns the per-table recorders made with Table, by name order.
func (r *Run) Tables() []*Run {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	out := make([]*Run, 0, len(r.tables))
	for _, t := range r.tables {
		out = append(out, t)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].table < out[j].table })
	return out
}

// jsonTable is one table's numbers in the run report.
type jsonTable struct {
	Counters map[string]int64 `json:"counters"`
	Totals   map[string]int64 `json:"totals"`
	Gauges   map[string]int64 `json:"gauges"`
}

// tablesJSON returns the "tables" member of the report.
func (r *Run) tablesJSON() map[string]jsonTable {
	out := map[string]jsonTable{}
	for _, t := range r.Tables() {
		s := t.Snapshot()
		out[t.table] = jsonTable{Counters: s.Counters, Totals: s.Totals, Gauges: s.Gauges}
	}
	return out
}
