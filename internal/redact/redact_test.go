package redact

import "testing"

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3://bucket/p?endpoint=http://h:9000", "s3://bucket/p?…"},
		{"cassandra://user:pw@h1,h2:9042/ks", "cassandra://REDACTED@h1,h2:9042/ks"},
		{"gs://u:secret@b/x#frag", "gs://REDACTED@b/x#…"},
		{"snowflake://me:pw@acct/DB?password=x", "snowflake://REDACTED@acct/DB?…"},
		{"not a url", "not a url"},
		{"file:///var/dumps", "file:///var/dumps"},
		{"s3://b/path@with-at/x", "s3://b/path@with-at/x"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
