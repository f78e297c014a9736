package cql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"
)

// probeTLS explains a failed TLS connection: with TLS 1.3 a server that
// rejects the client's certificate (or its absence) says so in an alert
// sent after the client has finished its side of the handshake, and the
// driver, busy starting the connection, may report only a timeout. The
// probe does the handshake itself, sends a CQL OPTIONS request and reads
// the answer: a TLS error there is the real cause (nil when the server
// answers, or on any other failure, which leaves the driver's error).
func probeTLS(ctx context.Context, cfg *Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) error {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil
		}
		tc.RootCAs = x509.NewCertPool()
		tc.RootCAs.AppendCertsFromPEM(pem)
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return fmt.Errorf("cert and key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	addr := cfg.Hosts[0]
	raw, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	defer raw.Close()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		tc.ServerName = host
	}
	conn := tls.Client(raw, tc)
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if err := conn.HandshakeContext(ctx); err != nil {
		return err
	}
	// OPTIONS, protocol v4, stream 0, empty body.
	if _, err := conn.Write([]byte{0x04, 0, 0, 0, 0x05, 0, 0, 0, 0}); err != nil {
		return err
	}
	var b [1]byte
	if _, err := conn.Read(b[:]); err != nil {
		return err
	}
	return nil
}
