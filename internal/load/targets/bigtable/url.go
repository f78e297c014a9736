package bigtable

import (
	"github.com/lading-dev/lading/internal/urlquery"
	"net/url"
	"regexp"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
)

// Scheme is the URL scheme of Bigtable targets.
const Scheme = "bigtable"

// DefaultFamily is the column family used when the URL names none.
const DefaultFamily = "cf"

// urlParams are the query parameters a bigtable:// URL accepts.
var urlParams = []string{"app-profile", "family"}

// Config is a parsed bigtable:// URL.
type Config struct {
	Project    string
	Instance   string
	Family     string
	AppProfile string
}

var (
	// Project ids may be domain-scoped ("example.com:proj").
	projectRE  = regexp.MustCompile(`^[a-z0-9][-a-z0-9.:]*[a-z0-9]$`)
	instanceRE = regexp.MustCompile(`^[a-z][-a-z0-9]*[a-z0-9]$`)
	// Bigtable's rule for column family names.
	familyRE = regexp.MustCompile(`^[-_.a-zA-Z0-9]{1,64}$`)
	// Bigtable's rule for table ids.
	tableRE = regexp.MustCompile(`^[_a-zA-Z0-9][-_.a-zA-Z0-9]{0,49}$`)
)

// ParseURL parses bigtable://PROJECT/INSTANCE?family=cf&app-profile=NAME.
// Errors are usage errors quoting the URL without its query.
func ParseURL(raw string) (*Config, error) {
	bad := func(format string, args ...any) error {
		return fault.Usagef("--to %s: "+format, append([]any{redact.URL(raw)}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("not a URL")
	}
	if u.Scheme != Scheme {
		return nil, bad("want bigtable://PROJECT/INSTANCE")
	}
	if u.User != nil {
		return nil, bad("no user info is accepted (credentials come from Application Default Credentials)")
	}
	if u.Fragment != "" {
		return nil, bad("no fragment is accepted")
	}
	cfg := &Config{Project: u.Host, Family: DefaultFamily}
	if !projectRE.MatchString(cfg.Project) {
		return nil, bad("project %q: want a Google Cloud project id (bigtable://PROJECT/INSTANCE)", cfg.Project)
	}
	path := strings.TrimPrefix(u.Path, "/")
	if path == "" || strings.Contains(path, "/") || !instanceRE.MatchString(path) {
		return nil, bad("instance %q: want one Bigtable instance id as the path (bigtable://PROJECT/INSTANCE)", path)
	}
	cfg.Instance = path
	keys, params, err := urlquery.Params(u.RawQuery)
	if err != nil {
		return nil, bad("%v", err)
	}
	for _, k := range keys {
		v := params[k]
		switch k {
		case "family":
			if !familyRE.MatchString(v) {
				return nil, bad("family %q: want letters, digits, '-', '_' and '.'", v)
			}
			cfg.Family = v
		case "app-profile":
			if v == "" {
				return nil, bad("app-profile is empty")
			}
			cfg.AppProfile = v
		default:
			return nil, bad("unknown parameter %q (known: %s)", k, strings.Join(urlParams, ", "))
		}
	}
	return cfg, nil
}

// Redacted renders the URL for messages (nothing in it is secret; the
// app profile is left out as query parameters always are).
func (c *Config) Redacted() string {
	return Scheme + "://" + c.Project + "/" + c.Instance
}
