package cassandra_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/source"
	_ "github.com/lading-dev/lading/internal/source/cassandra"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
	"github.com/lading-dev/lading/pkg/manifest"
)

// The metadata reads a run makes at its start, at each table of a
// --tables run and when a scanner opens (schema, ring, table list) wait
// for a node that is down for a moment, as page requests do under
// --retry-for, instead of failing the run: the node restart test once
// failed on `read replication of keyspace …: no hosts available`.
func TestMetadataReadsWaitForTheNode(t *testing.T) {
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".t (p int PRIMARY KEY, m map<text, int>)")
	var down atomic.Bool
	host := strings.Split(testenv.CassandraHosts(t), ",")[0]
	p := faultproxy.Start(t, host, faultproxy.Options{Plan: func(int64) faultproxy.Fault {
		if down.Load() {
			return faultproxy.Fault{Respond: func(net.Conn) {}} // closed at once: connection refused, in effect
		}
		return faultproxy.Fault{}
	}})
	// Both ways of reaching the node: its own address (translated to the
	// proxy), and the contact point alone, where the driver learns the
	// node's host ID only after the reconnection.
	for _, tc := range []struct{ name, params string }{
		{"translate", "?translate=" + host + "=" + p.Addr()},
		{"contact-points", "?route=contact-points"},
	} {
		t.Run(tc.name, func(t *testing.T) { metadataOutages(t, p, &down, "cassandra://"+p.Addr()+"/"+tc.params, ks) })
	}
}

func metadataOutages(t *testing.T, p *faultproxy.Proxy, down *atomic.Bool, url, ks string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, err := source.Open(ctx, url, source.Options{RetryFor: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// outage takes the node away for a second while read runs.
	outage := func(what string, read func() error) {
		t.Helper()
		down.Store(true)
		p.Drop()
		time.AfterFunc(time.Second, func() { down.Store(false) })
		start := time.Now()
		if err := read(); err != nil {
			t.Fatalf("%s with the node down for 1 s: %v", what, err)
		}
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Fatalf("%s returned after %s, before the node was back: the outage did not reach it", what, d)
		}
	}
	var live *manifest.Source
	outage("describe", func() error {
		var err error
		live, err = src.Describe(ctx, ks+".t")
		return err
	})
	outage("plan", func() error {
		_, err := src.Plan(ctx, live, source.PlanRequest{Splits: 4, MinUnits: 1, PartBytes: 1 << 20})
		return err
	})
	outage("list tables", func() error { _, err := src.(source.TableLister).Tables(ctx); return err })
}
