package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/pkg/manifest"
)

// ParseRoutes reads a route file (--route-file): one "KS.TABLE=URL" a
// line, sending the dumps of that source table to that target; blank
// lines and lines starting with '#' are ignored. A table routed twice is
// refused. name names the file in errors.
func ParseRoutes(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		table, to, ok := strings.Cut(line, "=")
		table, to = strings.TrimSpace(table), strings.TrimSpace(to)
		if !ok || to == "" {
			return nil, fault.Usagef("--route-file %s line %d: want KS.TABLE=URL", name, n)
		}
		if err := manifest.ValidateTableName(table); err != nil {
			return nil, fault.Usagef("--route-file %s line %d: %v", name, n, err)
		}
		if !strings.Contains(to, "://") {
			return nil, fault.Usagef("--route-file %s line %d: %q is not a target URL", name, n, redact.URL(to))
		}
		if _, dup := out[table]; dup {
			return nil, fault.Usagef("--route-file %s line %d: %s is routed twice", name, n, table)
		}
		out[table] = to
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--route-file %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fault.Usagef("--route-file %s: no route", name)
	}
	return out, nil
}

// SchemaRoute is --route: each table goes to Indexed when its source
// has secondary indexes or materialized views (the manifest's
// source.table.indexes; for a DynamoDB table, its global and local
// secondary indexes), to Plain otherwise; "" sends such tables
// nowhere (skipped with a log line). Tables --route-file names go where
// it says.
type SchemaRoute struct {
	Indexed, Plain string
}

// ParseSchemaRoute reads --route: "indexed=URL,plain=URL" (either may be
// left out, not both). A comma inside a URL is kept: only ",indexed=" and
// ",plain=" start a new entry.
func ParseSchemaRoute(s string) (SchemaRoute, error) {
	var r SchemaRoute
	var cur *string
	for _, part := range strings.Split(s, ",") {
		key, val, _ := strings.Cut(part, "=")
		var next *string
		switch strings.TrimSpace(key) {
		case "indexed":
			next = &r.Indexed
		case "plain":
			next = &r.Plain
		}
		if next == nil {
			if cur == nil {
				return SchemaRoute{}, fault.Usagef("--route %q: want indexed=URL,plain=URL", redact.URL(s))
			}
			*cur += "," + part
			continue
		}
		if *next != "" {
			return SchemaRoute{}, fault.Usagef("--route: %s given twice", strings.TrimSpace(key))
		}
		cur = next
		*cur = strings.TrimSpace(val)
		if *cur == "" {
			return SchemaRoute{}, fault.Usagef("--route: %s= names no URL (want indexed=URL,plain=URL)", strings.TrimSpace(key))
		}
	}
	for _, u := range []string{r.Indexed, r.Plain} {
		if u != "" && !strings.Contains(u, "://") {
			return SchemaRoute{}, fault.Usagef("--route: %q is not a target URL (want indexed=URL,plain=URL)", redact.URL(u))
		}
	}
	if r.Indexed == "" && r.Plain == "" {
		return SchemaRoute{}, fault.Usagef("--route %q: want indexed=URL,plain=URL", redact.URL(s))
	}
	return r, nil
}

// routeTargets lists the targets the routes name, each once, sorted.
func routeTargets(routes map[string]string, sr SchemaRoute) []string {
	seen := map[string]bool{}
	var out []string
	for _, to := range append(slices.Collect(maps.Values(routes)), sr.Indexed, sr.Plain) {
		if to != "" && !seen[to] {
			seen[to] = true
			out = append(out, to)
		}
	}
	sort.Strings(out)
	return out
}

// routing reports whether the run routes tables (--route-file or
// --route) instead of loading everything into --to.
func (o *Options) routing() bool {
	return o.Routes != nil || o.Route != (SchemaRoute{})
}

// routed keeps the dumps this loader's target takes. The first loader
// of a routed run logs each dump whose table no route names (once a
// pass), so that it is skipped visibly, not silently.
func (l *Loader) routed(ctx context.Context, dumps []discover.Dump) []discover.Dump {
	if !l.opts.routing() {
		return dumps
	}
	var out []discover.Dump
	for _, d := range dumps {
		to, ok := l.opts.Routes[d.Table]
		if !ok && l.opts.Route != (SchemaRoute{}) {
			to = l.schemaRoute(ctx, d)
			ok = to != ""
		}
		switch {
		case !ok:
			if l.first {
				l.opts.Logger.Info("skipped: no route for this table", "dump", d.String(), "table", d.Table)
				l.opts.Run.Add("dumps_unrouted", 1)
			}
		case to == l.opts.To:
			out = append(out, d)
		}
	}
	return out
}

// schemaRoute is the --route target of a dump not in --route-file: by
// whether its manifest lists secondary indexes or views. An incomplete
// dump is kept by every loader (each skips it as incomplete); a manifest
// that cannot be read sends the dump to the indexed target (or the plain
// one when there is none), whose load reports the error.
func (l *Loader) schemaRoute(ctx context.Context, d discover.Dump) string {
	r := l.opts.Route
	fallback := r.Indexed
	if fallback == "" {
		fallback = r.Plain
	}
	if !d.Complete {
		return l.opts.To
	}
	key := d.String()
	if to, ok := l.routeOf[key]; ok {
		return to
	}
	m, err := l.readManifest(ctx, d)
	if err != nil {
		return fallback
	}
	to := r.Plain
	if sourceIndexes(m) > 0 {
		to = r.Indexed
	}
	if to == "" && l.first {
		l.opts.Logger.Info("skipped: --route names no target for this kind of table", "dump", d.String(), "indexes", sourceIndexes(m))
	}
	l.routeOf[key] = to
	return to
}
