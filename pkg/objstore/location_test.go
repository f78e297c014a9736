package objstore_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/objstore"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw                    string
		scheme, bucket, prefix string
		str                    string
	}{
		{"file:///var/dumps", "file", "", "var/dumps", "file:///var/dumps"},
		{"file:///var/dumps/", "file", "", "var/dumps", "file:///var/dumps"},
		{"file://localhost/var/dumps", "file", "", "var/dumps", "file:///var/dumps"},
		{"file:///", "file", "", "", "file:///"},
		{"s3://bucket", "s3", "bucket", "", "s3://bucket/"},
		{"s3://bucket/a/b//c/", "s3", "bucket", "a/b/c", "s3://bucket/a/b/c"},
		{"s3://bucket/p?endpoint=http://127.0.0.1:9000&region=us-east-1&path-style=true", "s3", "bucket", "p",
			"s3://bucket/p?endpoint=http%3A%2F%2F127.0.0.1%3A9000&path-style=true&region=us-east-1"},
		{"gs://bucket/x/y", "gs", "bucket", "x/y", "gs://bucket/x/y"},
		{"gs://bucket/sp%20ace", "gs", "bucket", "sp ace", "gs://bucket/sp%20ace"},
	}
	for _, tc := range cases {
		loc, err := objstore.ParseURL(tc.raw)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.raw, err)
			continue
		}
		if loc.Scheme != tc.scheme || loc.Bucket != tc.bucket || loc.Prefix != tc.prefix {
			t.Errorf("ParseURL(%q) = %q %q %q, want %q %q %q", tc.raw, loc.Scheme, loc.Bucket, loc.Prefix, tc.scheme, tc.bucket, tc.prefix)
		}
		if s := loc.String(); s != tc.str {
			t.Errorf("ParseURL(%q).String() = %q, want %q", tc.raw, s, tc.str)
		}
	}
}

func TestParseURLRejects(t *testing.T) {
	cases := []struct {
		raw, mention string
	}{
		{"ftp://host/x", `unknown scheme "ftp"`},
		{"/var/dumps", `unknown scheme ""`},
		{"var/dumps", `unknown scheme ""`},
		{"s3://bucket/x?endpoint=http://h&bogus=1", `unknown parameter "bogus"`},
		{"s3://bucket/x?Region=us-east-1", `unknown parameter "Region"`},
		{"s3://bucket/x?path_style=true", `unknown parameter "path_style"`},
		{"gs://bucket/x?endpoint=http://h", `unknown parameter "endpoint" in gs URL (it takes none)`},
		{"file:///x?mode=0600", `unknown parameter "mode"`},
		{"s3://bucket/x?region=a&region=b", `given 2 times`},
		{"s3://key:secret@bucket/x", "credentials"},
		{"s3://key@bucket/x", "credentials"},
		{"gs://user:pw@bucket", "credentials"},
		{"s3://bucket/x?endpoint=http://key:secret@127.0.0.1:9000", "holds credentials"},
		{"s3://bucket/a/../b", `".." in path`},
		{"s3://bucket/../b", `".." in path`},
		{"s3://bucket/a/%2E%2E/b", `".." in path`},
		{"file:///a/./b", `"." in path`},
		{"s3://bucket/a\\b", "backslash"},
		{"s3://bucket/a%5Cb", "backslash"},
		{"s3://bucket/a%00b", "control character"},
		{"s3:///x", "no bucket"},
		{"gs://", "no bucket"},
		{"file://host/x", "absolute path"},
		{"file:relative/dir", "want file://"},
		{"s3:bucket/x", "want s3://"},
		{"s3://bucket/x#frag", "fragment"},
		{"s3://bucket/x%zz", "cannot parse"},
		{"s3://bucket/x?a=%zz", "malformed query"},
	}
	for _, tc := range cases {
		loc, err := objstore.ParseURL(tc.raw)
		if err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error mentioning %q", tc.raw, loc, tc.mention)
			continue
		}
		if !errors.Is(err, objstore.ErrBadURL) {
			t.Errorf("ParseURL(%q): %v does not match ErrBadURL", tc.raw, err)
		}
		if !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("ParseURL(%q): %q does not mention %q", tc.raw, err, tc.mention)
		}
		for _, secret := range []string{"secret", ":pw@"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseURL(%q): error %q shows a secret", tc.raw, err)
			}
		}
	}
}

// Values that only the opener can judge are refused at Open, still as
// bad usage, without echoing anything secret.
func TestOpenRejectsBadParameters(t *testing.T) {
	cases := []struct{ raw, mention string }{
		{"s3://bucket/x?path-style=maybe", "path-style"},
		{"s3://bucket/x?endpoint=ftp://h", "endpoint"},
		{"s3://bucket/x?endpoint=http://h/path", "endpoint"},
		{"s3://bucket/x?endpoint=127.0.0.1:9000", "endpoint"},
		{"s3://Bad_Bucket/x", "bucket name"},
		{"s3://bucket:9000/x", "bucket name"},
		{"gs://Bad!/x", "bucket name"},
	}
	for _, tc := range cases {
		b, err := objstore.Open(t.Context(), tc.raw)
		if err == nil {
			b.Close()
			t.Errorf("Open(%q) succeeded, want an error mentioning %q", tc.raw, tc.mention)
			continue
		}
		if !errors.Is(err, objstore.ErrBadURL) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("Open(%q): %v; want ErrBadURL mentioning %q", tc.raw, err, tc.mention)
		}
	}
}

func TestLocationStringHidesSecrets(t *testing.T) {
	// No accepted URL can carry user info, so String cannot show one;
	// check that an attempt is refused rather than printed.
	for _, raw := range []string{
		"s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/p",
		"s3://bucket/p?endpoint=" + url.QueryEscape("http://AKIAEXAMPLE:wJalrXUtnFEMI@h:1"),
	} {
		if loc, err := objstore.ParseURL(raw); err == nil {
			t.Errorf("ParseURL(%q) accepted credentials: %s", raw, loc)
		} else if strings.Contains(err.Error(), "wJalrXUtnFEMI") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
	loc, err := objstore.ParseURL("s3://bucket/p?endpoint=http://127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	// A Location built by hand with a secret in a parameter is still
	// rendered only as what it holds; Join keeps the parameters.
	if s := loc.Join("a/b").String(); s != "s3://bucket/p/a/b?endpoint=http%3A%2F%2F127.0.0.1%3A9000" {
		t.Errorf("Join: %s", s)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"file:///var/dumps", "s3://bucket/a/b?endpoint=http://127.0.0.1:9000&region=r&path-style=false",
		"gs://b/x", "s3://k:s@b/x", "s3://b/../x", "file:rel", "s3://b/x#f", "gs://b/%2e%2e/x", "s3://b/x?endpoint=http://u:p@h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := objstore.ParseURL(raw)
		if u, perr := url.Parse(raw); perr == nil && u.User != nil {
			if err == nil {
				t.Fatalf("accepted credentials in %q", raw)
			}
			if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(err.Error(), p) {
				t.Fatalf("error %q shows the password of %q", err, raw)
			}
		}
		if err != nil {
			if !errors.Is(err, objstore.ErrBadURL) {
				t.Fatalf("error %v is not ErrBadURL", err)
			}
			return
		}
		if strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/") {
			t.Fatalf("%q: prefix %q has a leading or trailing slash", raw, loc.Prefix)
		}
		for _, seg := range strings.Split(loc.Prefix, "/") {
			if seg == ".." || seg == "." || strings.ContainsRune(seg, '\\') {
				t.Fatalf("%q: prefix %q escapes", raw, loc.Prefix)
			}
		}
		if loc.Scheme != "file" && loc.Bucket == "" {
			t.Fatalf("%q: no bucket", raw)
		}
		// String is parseable and means the same place.
		again, err := objstore.ParseURL(loc.String())
		if err != nil {
			t.Fatalf("%q: String() %q does not parse: %v", raw, loc.String(), err)
		}
		if again.Scheme != loc.Scheme || again.Bucket != loc.Bucket || again.Prefix != loc.Prefix || again.Params.Encode() != loc.Params.Encode() {
			t.Fatalf("%q: String() %q parses to %+v, want %+v", raw, loc.String(), again, loc)
		}
		if strings.Contains(loc.String(), "@") && strings.Contains(strings.SplitN(strings.TrimPrefix(loc.String(), loc.Scheme+"://"), "/", 2)[0], "@") {
			t.Fatalf("%q: String() %q has user info", raw, loc.String())
		}
	})
}
