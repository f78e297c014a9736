package cql

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReachParams(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "map")
	if err := os.WriteFile(file, []byte("# pods\n10.0.0.5:9042=127.0.0.1:19042\n10.0.0.6:9042=127.0.0.1:19043 # b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(dir, "c.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseURL("cassandra://h/?translate-file=" + file + "&route=contact-points&protocol=4&cert=" + cert + "&key=" + cert)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Route != RouteContactPoints || cfg.Protocol != 4 || !cfg.TLS || cfg.CertFile != cert || len(cfg.Translate) != 2 {
		t.Fatalf("parsed %+v", cfg)
	}
	tr := cfg.translator(func(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr(), a.Port()+1) })
	if got := tr(netip.MustParseAddrPort("10.0.0.6:9042")); got.String() != "127.0.0.1:19044" {
		t.Errorf("translated then the caller's hook: %s, want 127.0.0.1:19044", got)
	}
	if got := tr(netip.MustParseAddrPort("10.0.0.7:9042")); got.String() != "10.0.0.7:9043" {
		t.Errorf("an address not in the map: %s, want only the caller's hook applied", got)
	}
	missing := *cfg
	missing.KeyFile = filepath.Join(dir, "missing")
	if err := checkTLSFiles(&missing); err == nil || !strings.Contains(err.Error(), "key:") {
		t.Errorf("a missing key file: %v, want a usage error naming key", err)
	}
	if r := cfg.Redacted(); strings.Contains(r, "key=") || !strings.Contains(r, "route=contact-points") {
		t.Errorf("Redacted() = %s: want the route and no key path", r)
	}
	for raw, want := range map[string]string{
		"cassandra://h/?translate=10.0.0.5=127.0.0.1:1":                    "want ANNOUNCED_IP:PORT=DIALLED_IP:PORT",
		"cassandra://h/?translate=a.b:1=127.0.0.1:1":                       "want ANNOUNCED_IP:PORT",
		"cassandra://h/?translate=1.1.1.1:1=2.2.2.2:2,1.1.1.1:1=3.3.3.3:3": "translated twice",
		"cassandra://h/?translate-file=" + filepath.Join(dir, "none"):      "translate-file",
		"cassandra://h/?route=any":                                         "want replicas or contact-points",
		"cassandra://h/?protocol=3":                                        "want 4 or 5",
		"cassandra://h/?cert=" + cert:                                      "cert and key go together",
	} {
		if _, err := ParseURL(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", raw, err, want)
		}
	}
}
