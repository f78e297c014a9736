package cql_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// TestReachOnlyThroughContactPoint puts the test node behind a proxy (a
// port-forward, a NAT rule) and makes every other address unreachable
// from the client: the dialer refuses all but the proxy, as a network
// would where the node's own address is not routed. With
// route=contact-points, or with a translation of the node's address to
// the proxy, every connection goes through the proxy and queries succeed.
// So does the default route here: the driver reaches a node it was given
// as a contact point by that address, whatever the node announces (under
// make test-compat, Cassandra 4.0 announces 127.0.0.2, where nothing
// listens); only the other nodes' (system.peers) announced addresses are
// dialled as such, which a one-node test server cannot show.
func TestReachOnlyThroughContactPoint(t *testing.T) {
	host := strings.Split(testenv.CassandraHosts(t), ",")[0]
	p := faultproxy.Start(t, host, faultproxy.Options{})
	_, nodePort, _ := net.SplitHostPort(host)
	for _, tc := range []struct {
		name, params string
		works        bool
	}{
		// works: every query succeeds and nothing but the proxy is dialled.
		{"default", "", true},
		{"contact-points", "?route=contact-points", true},
		{"translate", "?translate=127.0.0.1:" + nodePort + "=" + p.Addr(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var refused []string
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr != p.Addr() {
					mu.Lock()
					refused = append(refused, addr)
					mu.Unlock()
					return nil, fmt.Errorf("dial %s: unreachable from here (test)", addr)
				}
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
			cfg, err := cql.ParseURL("cassandra://" + p.Addr() + "/" + tc.params)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := cql.Connect(ctx, cfg, cql.Options{Dial: dial, ConnectTimeout: 2 * time.Second, Timeout: 5 * time.Second})
			if err == nil {
				defer s.Close()
				for i := range 5 {
					var v string
					if err = s.Driver().Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
						err = fmt.Errorf("query %d: %w", i, err)
						break
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tc.works && err != nil:
				t.Fatalf("%s: %v (refused dials: %v)", tc.name, err, refused)
			case tc.works && len(refused) > 0:
				t.Errorf("%s: the driver dialled %v besides the contact point", tc.name, refused)
			}
		})
	}
}
