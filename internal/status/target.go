package status

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
)

// targetURL is what a --target URL says about the target it names.
type targetURL struct {
	// label names it in reports: the URL without credentials or query.
	label     string
	kind      string
	cluster   string
	namespace string
}

// parseTarget reads a --target URL. Only what identifies a target is
// taken from it; status never connects to it.
func parseTarget(raw string) (*targetURL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		scheme, _, _ := strings.Cut(raw, "://")
		return nil, fault.Usagef("--target %s://…: not a target URL (cassandra://host/keyspace, spanner://projects/P/instances/I/databases/D, bigtable://P/I?family=F)", scheme)
	}
	t := &targetURL{kind: u.Scheme}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch u.Scheme {
	case "cassandra":
		t.namespace = segs[0]
	case "spanner":
		// spanner://projects/P/instances/I/databases/D
		all := append([]string{u.Host}, segs...)
		if len(all) == 6 && all[0] == "projects" && all[2] == "instances" && all[4] == "databases" {
			t.cluster, t.namespace = strings.Join(all[:4], "/"), all[5]
		}
	case "bigtable":
		if segs[0] != "" {
			t.cluster = u.Host + "/" + segs[0]
		}
		t.namespace = u.Query().Get("family")
	}
	clean := *u
	clean.User, clean.RawQuery, clean.Fragment = nil, "", ""
	t.label = clean.String()
	return t, nil
}

func (t *targetURL) String() string { return fmt.Sprintf("%s (%s)", t.label, t.kind) }
