package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3://bucket/p?endpoint=http://h:9000&region=eu", "s3://bucket/p?endpoint=http://h:9000&region=eu"},
		{"cassandra://user:pw@h1,h2:9042/ks", "cassandra://REDACTED@h1,h2:9042/ks"},
		{"gs://u:secret@b/x#frag", "gs://REDACTED@b/x#…"},
		{"snowflake://me:pw@acct/DB?password=x&warehouse=W", "snowflake://REDACTED@acct/DB?password=REDACTED&warehouse=W"},
		{"not a url", "not a url"},
		{"file:///var/dumps", "file:///var/dumps"},
		{"s3://b/path@with-at/x", "s3://b/path@with-at/x"},
		// A URL inside a parameter, escaped or not, loses its user info.
		{"s3://b/p?endpoint=http%3A%2F%2FAKIA1%3Asec%40h%3A7070&region=x", "s3://b/p?endpoint=http://REDACTED@h:7070&region=x"},
		{"s3://b?endpoint=http://AKIA1:sec@h:7070", "s3://b?endpoint=http://REDACTED@h:7070"},
		// Parameters whose names say they carry secrets, in any spelling.
		{"https://h/o?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=abc&uploadType=r", "https://h/o?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&uploadType=r"},
		{"https://h/o?sig=abc&upload_id=u1&access_token=t&api-key=k&dc=dc1", "https://h/o?sig=REDACTED&upload_id=REDACTED&access_token=REDACTED&api-key=REDACTED&dc=dc1"},
		{"https://h/o?hunter2pw&tls", "https://h/o?REDACTED&tls"},
		{"cassandra://h:9042/?dc=dc1&tls=1", "cassandra://h:9042/?dc=dc1&tls=1"},
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := URL(URL(tc.in)); got != URL(tc.in) {
			t.Errorf("URL is not idempotent on %q: %q then %q", tc.in, URL(tc.in), got)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`open "cassandra://a:pw@h/ks": refused`, `open "cassandra://REDACTED@h/ks": refused`},
		{`flags="[--from=\"s3://b/p?token=T1\" --to=\"gs://u:p@b\"]"`, `flags="[--from=\"s3://b/p?token=REDACTED\" --to=\"gs://REDACTED@b\"]"`},
		{"two: s3://k:s@b/x and gs://b/y?sig=z", "two: s3://REDACTED@b/x and gs://b/y?sig=REDACTED"},
		{"no url here: a:b@c", "no url here: a:b@c"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSensitiveName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "db-password": true, "client-secret": true, "Token": true, "api-key": true,
		"private_key": true, "access-key-id": true, "credentials-file": true,
		"CASSANDRA_PASSWORD": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
		"AWS_SESSION_TOKEN": true, "SNOWFLAKE_PASSWORD": true, "X-Amz-Signature": true,
		"AWSAccessKeyId": true, "sig": true, "upload_id": true, "LADING_API_SECRET": true,
		"keyspace": false, "keys": false, "keys-per-unit": false, "monkey": false,
		"table": false, "workers": false, "dest": false, "endpoint": false, "region": false,
		"dc": false, "AWS_REGION": false, "LADING_SOURCE": false, "CASSANDRA_USERNAME": false,
	} {
		if SensitiveName(name) != want {
			t.Errorf("SensitiveName(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	s := FromEnv([]string{"CASSANDRA_PASSWORD=p\"w/1 x", "AWS_REGION=us-east-1", "SHORT_TOKEN=abc", "HOME=/root", "EMPTY_SECRET=", "AUTH_ENABLED=true"})
	for _, in := range []string{`auth p"w/1 x failed`, `{"msg":"p\"w/1 x"}`, "q=p%22w%2F1+x", `err="p\"w/1 x"`} {
		if got := s.Hide(in); strings.Contains(got, "w/1") || strings.Contains(got, "w%2F1") || !strings.Contains(got, Value) {
			t.Errorf("Hide(%q) = %q", in, got)
		}
	}
	if got := s.Hide("region us-east-1, abc, /root, true"); got != "region us-east-1, abc, /root, true" {
		t.Errorf("Hide hid a value that is no secret: %q", got)
	}
	var none *Secrets
	if none.Scrub("s3://a:b@c") != "s3://REDACTED@c" {
		t.Error("a nil Secrets does not redact URLs")
	}
}

func TestJSONStrings(t *testing.T) {
	in := []byte(`{"error":"open s3://k:s@b: \"x\"","n":3,"events":[{"attrs":{"url":"gs://b?sig=1\u0026a=b"}}],"e":""}`)
	want := `{"error":"open s3://REDACTED@b: \"x\"","n":3,"events":[{"attrs":{"url":"gs://b?sig=REDACTED\u0026a=b"}}],"e":""}`
	if got := string(JSONStrings(in, Text)); got != want {
		t.Errorf("JSONStrings:\n got %s\nwant %s", got, want)
	}
	plain := []byte(`{"a":"b"}`)
	if got := JSONStrings(plain, Text); &got[0] != &plain[0] {
		t.Error("JSONStrings copied a document with nothing to change")
	}
}
