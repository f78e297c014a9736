// Package urlquery reads the query of a lading URL. Query parameters are
// connection options, each given once; the sources and targets that take
// them check their names and values, and this package the common rules.
package urlquery

import (
	"fmt"
	"net/url"
	"sort"
)

// Params parses a URL's raw query into its parameters and returns their
// names sorted, so that the first bad parameter a caller reports does not
// depend on map order. A parameter given more than once is an error.
func Params(rawQuery string) (names []string, values map[string]string, err error) {
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, nil, fmt.Errorf("query %q: %w", rawQuery, err)
	}
	values = make(map[string]string, len(params))
	for k, vs := range params {
		if len(vs) != 1 {
			return nil, nil, fmt.Errorf("parameter %q given %d times", k, len(vs))
		}
		values[k] = vs[0]
		names = append(names, k)
	}
	sort.Strings(names)
	return names, values, nil
}
