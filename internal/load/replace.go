package load

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

// Load modes (--mode).
const (
	// ModeAppend loads the dump's rows into the table beside the rows it
	// holds (a row of the same key is overwritten): the default.
	ModeAppend = "append"
	// ModeReplace loads the dump into a fresh table and swaps it in for
	// the table, whose old rows are then dropped.
	ModeReplace = "replace"
)

// Replacer is implemented by targets that can replace a table's rows
// with a dump's (--mode replace) so that readers never see a half-loaded
// table: the dump loads into a fresh table, which is then swapped in.
type Replacer interface {
	// Replacement returns the replace load of dump (its key) into tbl.
	// again is set when the ledger records the dump as loaded into tbl
	// already (a --force reload): a table an earlier replace of the dump
	// swapped in is then replaced anew, not taken as this load's own.
	Replacement(ctx context.Context, tbl Table, m *manifest.Manifest, dump string, again bool) (Replacement, error)
}

// Replacement is one replace load of a dump into a table.
type Replacement interface {
	// Table is where the dump loads: the fresh table (created empty from
	// the dump's schema when missing, the same one when a killed run left
	// it), or the table itself when a killed run had swapped the fresh
	// table in already. Its Identity is the replaced table's, so the
	// ledger is that table's; its Incarnation is its own, which the
	// replaced table has once the fresh one is swapped in.
	Table() Table
	// Swap swaps the loaded fresh table in for the table in one
	// statement (readers see the old rows or the new, never a mix), then
	// drops the old rows, now under the fresh table's name. After a swap
	// a killed run did already, it only drops them.
	Swap(ctx context.Context) error
}

var (
	replacingMu sync.RWMutex
	replacing   = map[string]bool{}
)

// RegisterReplacer declares that the target of a URL scheme implements
// Replacer, so that --mode replace is refused for the other schemes
// before any target is opened.
func RegisterReplacer(scheme string) {
	replacingMu.Lock()
	defer replacingMu.Unlock()
	replacing[scheme] = true
}

// checkMode checks --mode, and that every target URL of the run can
// replace when it is replace.
func (o *Options) checkMode() error {
	switch o.Mode {
	case "":
		o.Mode = ModeAppend
	case ModeAppend, ModeReplace:
	default:
		return fault.Usagef("--mode %q: want append or replace", o.Mode)
	}
	if o.Mode != ModeReplace {
		return nil
	}
	targets := []string{o.To}
	if o.routing() {
		targets = routeTargets(o.Routes, o.Route)
	}
	replacingMu.RLock()
	defer replacingMu.RUnlock()
	var can []string
	for s := range replacing {
		can = append(can, s)
	}
	sort.Strings(can)
	for _, to := range targets {
		scheme, _, _ := strings.Cut(to, "://")
		if !replacing[scheme] {
			return fault.Usagef("--mode replace: %s:// targets cannot swap a freshly loaded table in (only %s:// can); use --mode append", scheme, strings.Join(can, ":// and "))
		}
	}
	return nil
}

// replaceDump loads a dump into the replacement of tbl and swaps it in
// before the loaded record is written. A kill at any point leaves the
// ledger of the fresh table's incarnation (under tbl's identity) saying
// what is loaded, and the re-run resumes: into the same fresh table
// before the swap, or, after it, straight to the drop of the old rows
// and the record.
func (l *Loader) replaceDump(ctx context.Context, d discover.Dump, m *manifest.Manifest, tbl Table, ledger *Ledger, again bool, log *slog.Logger) error {
	rp, ok := l.target.(Replacer)
	if !ok {
		return fault.Usagef("--mode replace: %s cannot swap a freshly loaded table in; use --mode append", tbl.Identity())
	}
	r, err := rp.Replacement(ctx, tbl, m, d.String(), again)
	if err != nil {
		return err
	}
	fresh := r.Table()
	incID, err := fresh.Incarnation(ctx)
	if err != nil {
		return err
	}
	log.Info("replace: loading into a fresh table, swapped in once loaded and verified", "incarnation", incID)
	return l.loadInto(ctx, d, m, fresh, ledger.Incarnation(incID), incID, log, r.Swap)
}
