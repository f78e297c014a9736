package cql

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
)

// Routes: how requests reach the cluster (the URL's route parameter).
const (
	// RouteReplicas (the default) learns every node from the system
	// tables and sends each request to a replica of its data.
	RouteReplicas = "replicas"
	// RouteContactPoints sends every request through the URL's hosts
	// only, never to the addresses the nodes announce: for clusters
	// whose nodes' own addresses cannot be reached (behind NAT, a
	// Kubernetes service, a bastion). Its cost: no replica routing, so
	// the coordinator behind the contact point forwards every read.
	RouteContactPoints = "contact-points"
)

// reachParams are the URL parameters of this file: client certificate,
// address translation and routing.
var reachParams = []string{"cert", "key", "protocol", "route", "translate", "translate-file"}

// parseReach applies one reach parameter; ok is false for a name that
// is not one.
func (c *Config) parseReach(k, v string) (ok bool, err error) {
	switch k {
	case "cert", "key":
		if v == "" {
			return true, fmt.Errorf("%s is empty", k)
		}
		if k == "cert" {
			c.CertFile = v
		} else {
			c.KeyFile = v
		}
		c.TLS = true
	case "protocol":
		if v != "4" && v != "5" {
			return true, fmt.Errorf("protocol=%q: want 4 or 5 (default: the newest both sides speak)", v)
		}
		c.Protocol = int(v[0] - '0')
	case "route":
		if v != RouteReplicas && v != RouteContactPoints {
			return true, fmt.Errorf("route=%q: want %s or %s", v, RouteReplicas, RouteContactPoints)
		}
		c.Route = v
	case "translate":
		return true, c.addTranslations("translate", strings.Split(v, ","))
	case "translate-file":
		b, err := os.ReadFile(v)
		if err != nil {
			return true, fmt.Errorf("translate-file: %w", err)
		}
		var pairs []string
		for _, line := range strings.Split(string(b), "\n") {
			line, _, _ = strings.Cut(line, "#")
			pairs = append(pairs, strings.Fields(line)...)
		}
		return true, c.addTranslations("translate-file "+v, pairs)
	default:
		return false, nil
	}
	return true, nil
}

// addTranslations adds "ip:port=ip:port" pairs: the address a node
// announces and the one dialled for it.
func (c *Config) addTranslations(where string, pairs []string) error {
	if c.Translate == nil {
		c.Translate = map[netip.AddrPort]netip.AddrPort{}
	}
	n := 0
	for _, p := range pairs {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		from, to, ok := strings.Cut(p, "=")
		a, err1 := netip.ParseAddrPort(strings.TrimSpace(from))
		b, err2 := netip.ParseAddrPort(strings.TrimSpace(to))
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("%s: %q: want ANNOUNCED_IP:PORT=DIALLED_IP:PORT (e.g. 10.0.0.5:9042=127.0.0.1:19042)", where, p)
		}
		a, b = unmap(a), unmap(b)
		if prev, dup := c.Translate[a]; dup && prev != b {
			return fmt.Errorf("%s: %s is translated twice", where, a)
		}
		c.Translate[a] = b
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: no translations", where)
	}
	return nil
}

// checkReach checks the parameters that go together.
func (c *Config) checkReach() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("cert and key go together (the client certificate and its private key)")
	}
	return nil
}

// reachQuery adds the reach parameters to a redacted URL's query (the
// key file's path is left out: its name marks it a secret).
func (c *Config) reachQuery(add func(k, v string)) {
	if c.CertFile != "" {
		add("cert", c.CertFile)
	}
	if c.Protocol != 0 {
		add("protocol", fmt.Sprint(c.Protocol))
	}
	if c.Route != "" {
		add("route", c.Route)
	}
	if len(c.Translate) > 0 {
		var pairs []string
		for a, b := range c.Translate {
			pairs = append(pairs, a.String()+"="+b.String())
		}
		sort.Strings(pairs)
		add("translate", strings.Join(pairs, ","))
	}
}

// translator returns the address translation of the URL composed with
// the caller's (applied after it), or nil when there is none.
func (c *Config) translator(extra func(netip.AddrPort) netip.AddrPort) func(netip.AddrPort) netip.AddrPort {
	if len(c.Translate) == 0 {
		return extra
	}
	m := c.Translate
	return func(a netip.AddrPort) netip.AddrPort {
		if b, ok := m[a]; ok {
			a = b
		}
		if extra != nil {
			a = extra(a)
		}
		return a
	}
}

// contactPointsOnly makes the driver use the URL's hosts alone: it does
// not read the nodes' addresses from the system tables nor follow
// topology events, and routes over the contact points round robin (no
// token or datacenter information is known of them).
func contactPointsOnly(c *gocql.ClusterConfig) {
	c.DisableInitialHostLookup = true
	c.Events.DisableTopologyEvents = true
	c.PoolConfig.HostSelectionPolicy = newReplicaPolicy(gocql.RoundRobinHostPolicy(), "")
}

// unmap turns an IPv4-mapped IPv6 address into IPv4, as the driver's
// translator sees nodes' addresses.
func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// tlsRefused marks a failed connection as a usage error (exit 2, not
// worth retrying) when TLS itself refused it: the server's alert (a
// client certificate required, or not trusted) or the server's
// certificate failing verification here. Retrying cannot fix either;
// the URL's ca, cert and key can.
func tlsRefused(cfg *Config, err error) error {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	msg := err.Error()
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) ||
		strings.Contains(msg, "remote error: tls:") || strings.Contains(msg, "x509: ") {
		hint := "check the URL's ca"
		if cfg.CertFile == "" {
			hint += ", and cert and key if the server requires a client certificate"
		} else {
			hint += ", cert and key"
		}
		return fault.Usagef("TLS refused (%s): %w", hint, err)
	}
	return err
}

// checkTLSFiles checks, before connecting, that the URL's CA,
// certificate and key files can be read: a missing one is a usage error
// naming it, not a connection failure worth retrying.
func checkTLSFiles(c *Config) error {
	for _, f := range []struct{ param, path string }{{"ca", c.CAFile}, {"cert", c.CertFile}, {"key", c.KeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			return fault.Usagef("source URL: %s: %w", f.param, err)
		}
	}
	return nil
}
