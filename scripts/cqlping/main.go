// Command cqlping waits until a Cassandra node answers CQL, then prints its
// release_version. It is used by scripts/services.sh as a readiness check,
// since the test machines have no cqlsh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func main() {
	hosts := flag.String("hosts", "127.0.0.1:9042", "comma-separated host:port list")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up after this long")
	interval := flag.Duration("interval", 500*time.Millisecond, "wait between attempts")
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Parse()

	deadline := time.Now().Add(*timeout)
	var lastErr error
	for {
		v, err := ping(strings.Split(*hosts, ","), deadline)
		if err == nil {
			if !*quiet {
				fmt.Println(v)
			}
			return
		}
		lastErr = err
		if time.Now().Add(*interval).After(deadline) {
			break
		}
		time.Sleep(*interval)
	}
	fmt.Fprintf(os.Stderr, "cqlping: %s not ready after %s: %v\n", *hosts, *timeout, lastErr)
	os.Exit(1)
}

func ping(hosts []string, deadline time.Time) (string, error) {
	c := gocql.NewCluster(hosts...)
	c.ConnectTimeout = 5 * time.Second
	c.Timeout = 10 * time.Second
	c.NumConns = 1
	c.DisableInitialHostLookup = true
	c.Logger = nopLogger{}
	// MaxRetries must be >= 1: with 0, gocql v2.1.2 puts a nil *Conn in its pool and panics.
	c.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: time.Second}
	s, err := c.CreateSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var v string
	if err := s.Query("SELECT release_version FROM system.local").ScanContext(ctx, &v); err != nil {
		return "", err
	}
	return v, nil
}

type nopLogger struct{}

func (nopLogger) Error(string, ...gocql.LogField)   {}
func (nopLogger) Warning(string, ...gocql.LogField) {}
func (nopLogger) Info(string, ...gocql.LogField)    {}
func (nopLogger) Debug(string, ...gocql.LogField)   {}
