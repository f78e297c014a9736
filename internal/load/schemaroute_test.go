package load_test

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/load"
)

// --route's parsing: both targets, either alone, a comma inside a URL,
// and the refusals (exit 2, naming what is wrong).
func TestParseSchemaRoute(t *testing.T) {
	for _, c := range []struct {
		in   string
		want load.SchemaRoute
		err  string
	}{
		{in: "indexed=spanner://projects/p/instances/i/databases/d,plain=bigtable://p/i?family=cf",
			want: load.SchemaRoute{Indexed: "spanner://projects/p/instances/i/databases/d", Plain: "bigtable://p/i?family=cf"}},
		{in: " plain = bigtable://p/i?family=cf , indexed = cassandra://h1,h2:9042/ks",
			want: load.SchemaRoute{Indexed: "cassandra://h1,h2:9042/ks", Plain: "bigtable://p/i?family=cf"}},
		{in: "indexed=spanner://projects/p/instances/i/databases/d", want: load.SchemaRoute{Indexed: "spanner://projects/p/instances/i/databases/d"}},
		{in: "spanner://projects/p/instances/i/databases/d", err: "want indexed=URL,plain=URL"},
		{in: "indexed=,plain=bigtable://p/i", err: "indexed= names no URL"},
		{in: "indexed=x://a,indexed=y://b", err: "indexed given twice"},
		{in: "plain=bigtable", err: "is not a target URL"},
		{in: "", err: "want indexed=URL,plain=URL"},
	} {
		got, err := load.ParseSchemaRoute(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !fault.IsUsage(err)):
			t.Errorf("%q: %v, want an exit-2 error with %q", c.in, err, c.err)
		}
	}
}
