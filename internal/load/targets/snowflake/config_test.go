package snowflake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/fault"
)

func TestParseURL(t *testing.T) {
	got, err := parseURL("snowflake://loader@acme-xy12345/ANALYTICS/RAW?warehouse=LOAD_WH&role=LOADER")
	if err != nil {
		t.Fatal(err)
	}
	want := &config{User: "loader", Account: "acme-xy12345", Database: "ANALYTICS", Schema: "RAW", Warehouse: "LOAD_WH", Role: "LOADER"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got, err = parseURL("snowflake://u@a/D/S?host=127.0.0.1&port=8090&protocol=http&load=insert")
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "127.0.0.1" || got.Port != 8090 || got.Protocol != "http" || got.Load != LoadInsert {
		t.Errorf("stand-in options and load=insert: got %+v", got)
	}

	for _, c := range []struct{ url, want string }{
		{"spanner://u@a/D/S", "want snowflake://"},
		{"snowflake://a/D/S", "no user"},
		{"snowflake://u:hunter2@a/D/S", "a password in the URL is refused"},
		{"snowflake://u@a:443/D/S", "no port"},
		{"snowflake://u@a/D", "/DATABASE/SCHEMA"},
		{"snowflake://u@a/D/S/T", "/DATABASE/SCHEMA"},
		{"snowflake://u@a//S", "/DATABASE/SCHEMA"},
		{"snowflake://u@a/D/S?warehouse=A&warehouse=B", "warehouse given 2 times"},
		{"snowflake://u@a/D/S?port=0", `port "0"`},
		{"snowflake://u@a/D/S?protocol=ftp", `protocol "ftp"`},
		{"snowflake://u@a/D/S?password=x", `unknown parameter "password"`},
		{"snowflake://u@a/D/S?load=merge", `load "merge": want copy (the default) or insert`},
	} {
		_, err := parseURL(c.url)
		if err == nil || !fault.IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want a usage error containing %q", c.url, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", c.url, err)
		}
	}
}

func TestConnConfigCredentials(t *testing.T) {
	c := &config{User: "u", Account: "a", Database: "D", Schema: "S"}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	cfg, err := c.connConfig(env(map[string]string{EnvPassword: "hunter2"}))
	if err != nil || cfg.Password != "hunter2" || cfg.PrivateKey != nil {
		t.Fatalf("password: cfg %+v, err %v", cfg, err)
	}
	for _, m := range []map[string]string{
		{},
		{EnvPassword: "hunter2", EnvPrivateKeyPath: "/k.pem"},
		{EnvPrivateKeyPath: filepath.Join(t.TempDir(), "missing.pem")},
	} {
		_, err := c.connConfig(env(m))
		if err == nil || !fault.IsUsage(err) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("env %v: err = %v, want a usage error without the password", m, err)
		}
	}

	dir := t.TempDir()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeKey := func(name string, key any) string {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err = c.connConfig(env(map[string]string{EnvPrivateKeyPath: writeKey("rsa.pem", rk)}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authenticator != sf.AuthTypeJwt || cfg.PrivateKey == nil || !cfg.PrivateKey.Equal(rk) || cfg.Password != "" {
		t.Errorf("key pair: authenticator %v, key matches %v", cfg.Authenticator, cfg.PrivateKey != nil && cfg.PrivateKey.Equal(rk))
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{writeKey("ec.pem", ek): "not an RSA key", notPEM: "not a PEM file"} {
		_, err := c.connConfig(env(map[string]string{EnvPrivateKeyPath: path}))
		if err == nil || !fault.IsUsage(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want a usage error naming the file: %q", path, err, want)
		}
	}
}

// TestCheckInsertDump: the INSERT path takes dumps of up to 16 MiB of
// rows, and refuses a larger one naming it and the limit.
func TestCheckInsertDump(t *testing.T) {
	if err := checkInsertDump("b/ks.t/ts", maxInsertDumpBytes); err != nil {
		t.Errorf("a dump at the limit: %v", err)
	}
	err := checkInsertDump("b/ks.t/ts", maxInsertDumpBytes+1)
	if err == nil || !fault.IsUsage(err) || !strings.Contains(err.Error(), "b/ks.t/ts") || !strings.Contains(err.Error(), "16 MiB") {
		t.Errorf("a dump over the limit: %v, want a usage error naming it and the limit", err)
	}
}
