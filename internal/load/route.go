package load

import (
	"bufio"
	"fmt"
	"io"
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

// routeTargets lists the targets the routes name, each once, sorted.
func routeTargets(routes map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, to := range routes {
		if !seen[to] {
			seen[to] = true
			out = append(out, to)
		}
	}
	sort.Strings(out)
	return out
}

// routed keeps the dumps this loader's target takes. The first loader
// of a routed run logs each dump whose table no route names (once a
// pass), so that it is skipped visibly, not silently.
func (l *Loader) routed(dumps []discover.Dump) []discover.Dump {
	if l.opts.Routes == nil {
		return dumps
	}
	var out []discover.Dump
	for _, d := range dumps {
		to, ok := l.opts.Routes[d.Table]
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
