package objstore

import (
	"context"
	"fmt"
	"github.com/lading-dev/lading/internal/redact"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
)

// Location is a parsed store URL: scheme://bucket/prefix?params. For
// file:// the bucket is empty and the prefix is the directory.
type Location struct {
	Scheme string
	Bucket string
	// Prefix has no leading or trailing slash ("" for the bucket's root);
	// for file:// it is the absolute directory without its leading slash.
	Prefix string
	Params url.Values
}

// String renders the location without credentials. Only connection
// parameters are kept, so it is safe to log.
func (l *Location) String() string {
	u := url.URL{Scheme: l.Scheme, Host: l.Bucket, Path: "/" + l.Prefix}
	if l.Scheme == "file" {
		u.Host = ""
	}
	if len(l.Params) > 0 {
		u.RawQuery = l.Params.Encode()
	}
	return u.String()
}

// Join returns a copy of l with rel appended to its prefix.
func (l *Location) Join(rel string) *Location {
	c := *l
	c.Prefix = strings.Trim(path.Join(l.Prefix, rel), "/")
	if c.Prefix == "." {
		c.Prefix = ""
	}
	return &c
}

// Parent returns a copy of l with the last n levels of its prefix removed,
// and the removed levels. It fails if the prefix has fewer than n levels.
func (l *Location) Parent(n int) (*Location, []string, error) {
	parts := []string{}
	if l.Prefix != "" {
		parts = strings.Split(l.Prefix, "/")
	}
	if len(parts) < n {
		return nil, nil, fmt.Errorf("%w: %s has fewer than %d path levels", ErrBadURL, l, n)
	}
	c := *l
	c.Prefix = strings.Join(parts[:len(parts)-n], "/")
	return &c, parts[len(parts)-n:], nil
}

// Opener builds a Driver for a location. It must reject unknown
// parameters (ParseURL already checks them against the registered list).
type Opener func(ctx context.Context, loc *Location) (Driver, error)

type scheme struct {
	open   Opener
	params []string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]scheme{}
)

// Register makes a backend available under a URL scheme, with the query
// parameters it accepts. It panics on a duplicate scheme.
func Register(name string, params []string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("objstore: scheme registered twice: " + name)
	}
	registry[name] = scheme{open: open, params: params}
}

// Schemes lists the registered URL schemes.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ParseURL parses and checks a store URL. Errors wrap ErrBadURL and never
// include user info from the URL.
func ParseURL(raw string) (*Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, which may hold a secret.
		return nil, fmt.Errorf("%w: cannot parse %q", ErrBadURL, redact.URL(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: %s: credentials in a store URL are not accepted; use the environment or the cloud's credential chain", ErrBadURL, redact.URL(raw))
	}
	registryMu.RLock()
	sc, ok := registry[u.Scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown scheme %q in %q (known: %s)", ErrBadURL, u.Scheme, redact.URL(raw), strings.Join(Schemes(), ", "))
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("%w: %q: want %s://…", ErrBadURL, redact.URL(raw), u.Scheme)
	}
	if u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return nil, fmt.Errorf("%w: %q: a store URL has no #fragment", ErrBadURL, redact.URL(raw))
	}
	params, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %s URL: malformed query", ErrBadURL, u.Scheme)
	}
	for k, vs := range params {
		known := false
		for _, p := range sc.params {
			if k == p {
				known = true
			}
		}
		if !known {
			if len(sc.params) == 0 {
				return nil, fmt.Errorf("%w: unknown parameter %q in %s URL (it takes none)", ErrBadURL, k, u.Scheme)
			}
			return nil, fmt.Errorf("%w: unknown parameter %q in %s URL (known: %s)", ErrBadURL, k, u.Scheme, strings.Join(sc.params, ", "))
		}
		if len(vs) > 1 {
			return nil, fmt.Errorf("%w: parameter %q given %d times in %s URL", ErrBadURL, k, len(vs), u.Scheme)
		}
		if pu, err := url.Parse(vs[0]); err == nil && pu.User != nil {
			return nil, fmt.Errorf("%w: parameter %q of %s URL holds credentials; use the environment or the cloud's credential chain", ErrBadURL, k, u.Scheme)
		}
	}
	loc := &Location{Scheme: u.Scheme, Params: params}
	p := u.Path
	if u.Scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%w: %q: file URLs take an absolute path (file:///dir)", ErrBadURL, redact.URL(raw))
		}
	} else {
		if u.Host == "" {
			return nil, fmt.Errorf("%w: %q has no bucket", ErrBadURL, redact.URL(raw))
		}
		loc.Bucket = u.Host
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return nil, fmt.Errorf("%w: %q: control character in path", ErrBadURL, redact.URL(raw))
		}
	}
	if strings.Contains(p, "\\") {
		return nil, fmt.Errorf("%w: %q: backslash in path", ErrBadURL, redact.URL(raw))
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("%w: %q: %q in path", ErrBadURL, redact.URL(raw), seg)
		}
	}
	loc.Prefix = strings.Trim(path.Clean("/"+p), "/")
	return loc, nil
}

// Open opens the store a URL names, scoped to the URL's prefix.
func Open(ctx context.Context, raw string) (*Bucket, error) {
	loc, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	return OpenLocation(ctx, loc)
}

// OpenLocation opens a parsed location, scoped to its prefix.
func OpenLocation(ctx context.Context, loc *Location) (*Bucket, error) {
	registryMu.RLock()
	sc, ok := registry[loc.Scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown scheme %q", ErrBadURL, loc.Scheme)
	}
	d, err := sc.open(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", loc, err)
	}
	return NewBucket(d, loc), nil
}
