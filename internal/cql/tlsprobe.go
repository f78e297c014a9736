package cql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// probeTLS explains a failed TLS connection: with TLS 1.3 a server that
// rejects the client's certificate (or its absence) says so in an alert
// sent after the client has finished its side of the handshake, and the
// driver, busy starting the connection, may report only a timeout. The
// probe does a TLS 1.2 handshake itself, where the server checks the
// client's certificate inside the handshake, so its refusal comes back
// from it; then it sends a CQL OPTIONS request and reads the answer. A
// TLS error is the real cause; it returns nil when the server answers,
// does not speak TLS 1.2, or fails otherwise (the driver's error stands).
func probeTLS(ctx context.Context, cfg *Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) error {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
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
		if strings.Contains(err.Error(), "protocol version") {
			return nil // a TLS 1.3-only server: nothing learnt
		}
		return err
	}
	// OPTIONS, protocol v4, stream 0, empty body.
	if _, err := conn.Write([]byte{0x04, 0, 0, 0, 0x05, 0, 0, 0, 0}); err != nil {
		return err
	}
	var b [1]byte
	if _, err := conn.Read(b[:]); err != nil && strings.Contains(err.Error(), "tls:") {
		return err
	}
	return nil
}
