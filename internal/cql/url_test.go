package cql

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want Config
	}{
		{"cassandra://10.0.0.1,10.0.0.2:9043/?dc=dc1", Config{Hosts: []string{"10.0.0.1:9042", "10.0.0.2:9043"}, DC: "dc1"}},
		{"cassandra://h1/shop", Config{Hosts: []string{"h1:9042"}, Keyspace: "shop"}},
		{"cassandra://[::1]:9000,[fe80::1]?tls=1", Config{Hosts: []string{"[::1]:9000", "[fe80::1]:9042"}, TLS: true}},
		{"cassandra://h?ca=/etc/ca.pem", Config{Hosts: []string{"h:9042"}, TLS: true, CAFile: "/etc/ca.pem"}},
		{"cassandra://h?insecure-skip-verify=true", Config{Hosts: []string{"h:9042"}, TLS: true, InsecureSkipVerify: true}},
	}
	for _, tc := range tests {
		got, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("ParseURL(%q) = %+v, want %+v", tc.in, *got, tc.want)
		}
		again, err := ParseURL(got.Redacted())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("Redacted %q does not parse back: %+v, %v", got.Redacted(), again, err)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct{ in, wantMsg string }{
		{"http://h", "does not start with cassandra://"},
		{"cassandra://", "no hosts"},
		{"cassandra://user:s3cret@h", "credentials"},
		{"cassandra://h?foo=1", `unknown parameter "foo"`},
		{"cassandra://h?dc=a&dc=b", "given 2 times"},
		{"cassandra://h:99999", "port"},
		{"cassandra://h/a/b", "at most one keyspace"},
		{"cassandra://h/bad-ks", "keyspace"},
		{"cassandra://::1", "brackets"},
		{"cassandra://h?tls=maybe", "tls"},
		{"cassandra://h1,,h2", "empty"},
	}
	for _, tc := range tests {
		_, err := ParseURL(tc.in)
		if err == nil {
			t.Errorf("ParseURL(%q): no error", tc.in)
			continue
		}
		if fault.Code(err) != fault.ExitUsage {
			t.Errorf("ParseURL(%q): exit code %d, want 2", tc.in, fault.Code(err))
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("ParseURL(%q) = %v, want it to mention %q", tc.in, err, tc.wantMsg)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseURL(%q) leaks the password: %v", tc.in, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("cassandra://10.0.0.1,10.0.0.2:9042/ks?dc=dc1&tls=1")
	f.Add("cassandra://[::1]:9042")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err != nil {
			return
		}
		again, err := ParseURL(c.Redacted())
		if err != nil {
			t.Fatalf("Redacted %q of %q does not parse: %v", c.Redacted(), s, err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, c)
		}
	})
}

func TestTypeNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"int", nil},
		{"frozen<map<text, list<frozen<address>>>>", []string{"address"}},
		{`frozen<"Mixed""Case">`, []string{`Mixed"Case`}},
		{"tuple<phone, vector<float, 3>, phone>", []string{"phone"}},
	}
	for _, tc := range tests {
		if got := TypeNames(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TypeNames(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
