package cql_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// TestCloseWhileReconnecting: Close returns while the driver's control
// connection is reconnecting. The driver (v2.1.2) stops its schema
// refresher first and then waits for the reconnecting goroutine, which
// asks that stopped refresher for the schema and waits forever: a CI run
// hung in Close at the end of a test whose node had been away. Here
// every connection after the first is held for 3 s by the proxy before
// it reaches the node, so Close comes while one is being set up.
func TestCloseWhileReconnecting(t *testing.T) {
	host := strings.Split(testenv.CassandraHosts(t), ",")[0]
	// 0: forward; 1: refuse (the node is down); 2: hold each new
	// connection 5 s before it reaches the node.
	var phase atomic.Int32
	dialled := make(chan struct{}, 1)
	p := faultproxy.Start(t, host, faultproxy.Options{Plan: func(int64) faultproxy.Fault {
		switch phase.Load() {
		case 1:
			return faultproxy.Fault{Respond: func(net.Conn) {}}
		case 2:
			select {
			case dialled <- struct{}{}:
			default:
			}
			return faultproxy.Fault{Delay: 5 * time.Second}
		}
		return faultproxy.Fault{}
	}})
	cfg, err := cql.ParseURL("cassandra://" + p.Addr() + "/?route=contact-points")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logs := &testenv.SyncBuffer{}
	s, err := cql.Connect(ctx, cfg, cql.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// The node goes away: the reconnection the dropped connection starts
	// fails, so the control connection's heartbeat (every second while
	// it has no connection) reconnects, and meets a slow node.
	phase.Store(1)
	p.Drop()
	time.Sleep(1500 * time.Millisecond)
	phase.Store(2)
	select {
	case <-dialled:
	case <-time.After(30 * time.Second):
		t.Fatal("the driver did not connect again within 30 s")
	}
	time.Sleep(1500 * time.Millisecond) // the heartbeat's attempt, held by the proxy
	done := make(chan struct{})
	start := time.Now()
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
		t.Logf("closed in %s", time.Since(start).Round(time.Millisecond))
		if d := time.Since(start); d >= cql.CloseWait && !strings.Contains(logs.String(), "did not close its session in time") {
			t.Errorf("Close gave up after %s and logged nothing:\n%s", d, logs.String())
		}
	case <-time.After(cql.CloseWait + 10*time.Second):
		t.Fatalf("Close had not returned after %s", time.Since(start).Round(time.Second))
	}
}
