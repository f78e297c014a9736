package cql

import (
	"fmt"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/urlquery"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
)

// DefaultPort is the CQL native port a host without one gets.
const DefaultPort = 9042

// Scheme is the URL scheme of a Cassandra (or ScyllaDB) cluster.
const Scheme = "cassandra"

// Config is a parsed cassandra:// URL: where the cluster is and how to
// connect. It holds no secrets: credentials come from the environment
// when connecting.
type Config struct {
	// Hosts are contact points as host:port (IPv6 in brackets).
	Hosts []string
	// Keyspace is the URL's path, "" when none.
	Keyspace string
	// DC is the local datacenter: queries go to its replicas first.
	DC string
	// TLS turns on TLS; CAFile verifies the server with this CA bundle
	// (else the system roots); InsecureSkipVerify turns verification off.
	TLS                bool
	CAFile             string
	InsecureSkipVerify bool
	// CertFile and KeyFile are the client certificate and its private
	// key (PEM), for servers that require client authentication.
	CertFile, KeyFile string
	// Translate maps the address a node announces to the one dialled.
	Translate map[netip.AddrPort]netip.AddrPort
	// Route is RouteReplicas ("" too) or RouteContactPoints.
	Route string
	// Protocol pins the native protocol version (4 or 5); 0 negotiates.
	Protocol int
}

// urlParams are the query parameters a cassandra:// URL accepts.
var urlParams = []string{"dc", "tls", "ca", "insecure-skip-verify"}

// ParseURL parses cassandra://host1,host2:9042/[keyspace]?dc=dc1&tls=1.
// A host without a port gets 9042. Parameters: dc (local datacenter), tls
// (1/true), ca (CA bundle file, implies tls), insecure-skip-verify
// (1/true, implies tls), cert and key (client certificate and key files,
// imply tls), translate / translate-file (node address translation) and
// route (replicas or contact-points; see url_reach.go). Unknown parameters, user info and malformed hosts
// are usage errors.
func ParseURL(raw string) (*Config, error) {
	bad := func(format string, args ...any) error {
		return fault.Usagef("source URL: "+format, args...)
	}
	rest, ok := strings.CutPrefix(raw, Scheme+"://")
	if !ok {
		return nil, bad("%q does not start with %s:// (e.g. cassandra://10.0.0.1,10.0.0.2:9042/?dc=dc1)", redact.URL(raw), Scheme)
	}
	authority, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(authority, "/")
	if strings.Contains(authority, "@") {
		return nil, bad("credentials in the URL are not accepted; set CASSANDRA_USERNAME and CASSANDRA_PASSWORD")
	}
	if strings.Contains(path, "/") {
		return nil, bad("path %q: want at most one keyspace name", path)
	}
	cfg := &Config{}
	if path != "" {
		ks, err := url.PathUnescape(path)
		if err != nil || !ValidName(ks) {
			return nil, bad("keyspace %q: want letters, digits and '_'", path)
		}
		cfg.Keyspace = ks
	}
	if authority == "" {
		return nil, bad("no hosts (e.g. cassandra://10.0.0.1:9042)")
	}
	for _, h := range strings.Split(authority, ",") {
		hp, err := parseHost(h)
		if err != nil {
			return nil, bad("host %q: %v", h, err)
		}
		cfg.Hosts = append(cfg.Hosts, hp)
	}
	keys, params, err := urlquery.Params(query)
	if err != nil {
		return nil, bad("%v", err)
	}
	for _, k := range keys {
		v := params[k]
		switch k {
		case "dc":
			if v == "" {
				return nil, bad("dc is empty")
			}
			cfg.DC = v
		case "tls":
			b, err := parseBool(v)
			if err != nil {
				return nil, bad("tls=%q: %v", v, err)
			}
			cfg.TLS = cfg.TLS || b
		case "ca":
			if v == "" {
				return nil, bad("ca is empty")
			}
			cfg.CAFile, cfg.TLS = v, true
		case "insecure-skip-verify":
			b, err := parseBool(v)
			if err != nil {
				return nil, bad("insecure-skip-verify=%q: %v", v, err)
			}
			cfg.InsecureSkipVerify = b
			cfg.TLS = cfg.TLS || b
		default:
			if ok, err := cfg.parseReach(k, v); err != nil {
				return nil, bad("%v", err)
			} else if !ok {
				return nil, bad("unknown parameter %q (known: %s)", k, strings.Join(append(append([]string{}, urlParams...), reachParams...), ", "))
			}
		}
	}
	if err := cfg.checkReach(); err != nil {
		return nil, bad("%v", err)
	}
	return cfg, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want 1 or 0")
}

// parseHost returns host:port for "host", "host:port", "[v6]" or
// "[v6]:port".
func parseHost(h string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("empty")
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.Index(h, "]")
		if end < 0 {
			return "", fmt.Errorf("unterminated [")
		}
		host = h[1:end]
		if after := h[end+1:]; after != "" {
			p, ok := strings.CutPrefix(after, ":")
			if !ok {
				return "", fmt.Errorf("unexpected %q after ]", after)
			}
			port = p
		}
		if net.ParseIP(host) == nil {
			return "", fmt.Errorf("%q is not an IPv6 address", host)
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
		if strings.Contains(host, ":") {
			return "", fmt.Errorf("IPv6 addresses go in brackets: [::1]:9042")
		}
	}
	if host == "" {
		return "", fmt.Errorf("no host name")
	}
	for _, c := range host {
		if !(c == '.' || c == '-' || c == '_' || c == ':' || c == '%' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("character %q is not allowed in a host name", c)
		}
	}
	p := DefaultPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("port %q: want 1-65535", port)
		}
		p = n
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// ValidName reports whether s is a plain (unquoted) Cassandra keyspace or
// table name; the server applies its own length limits.
func ValidName(s string) bool {
	if s == "" || len(s) > 222 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Redacted renders the configuration as a URL for logs. It never holds a
// secret (credentials are not part of a Config).
func (c *Config) Redacted() string {
	var b strings.Builder
	b.WriteString(Scheme + "://")
	b.WriteString(strings.Join(c.Hosts, ","))
	b.WriteString("/")
	b.WriteString(c.Keyspace)
	q := url.Values{}
	if c.DC != "" {
		q.Set("dc", c.DC)
	}
	if c.CAFile != "" {
		q.Set("ca", c.CAFile)
	} else if c.TLS {
		q.Set("tls", "1")
	}
	if c.InsecureSkipVerify {
		q.Set("insecure-skip-verify", "1")
	}
	c.reachQuery(q.Set)
	if len(q) > 0 {
		b.WriteString("?")
		b.WriteString(q.Encode())
	}
	return b.String()
}

// String is Redacted.
func (c *Config) String() string { return c.Redacted() }
