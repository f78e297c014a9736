package cql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/lading-dev/lading/internal/fault"
)

// Environment variables holding the credentials (PasswordAuthenticator).
const (
	EnvUsername = "CASSANDRA_USERNAME"
	EnvPassword = "CASSANDRA_PASSWORD"
)

// Options tune a connection. Zero fields take the defaults named.
type Options struct {
	// Logger receives the driver's warnings and lading's own; default
	// discard.
	Logger *slog.Logger
	// Env looks up the credentials; default os.Getenv.
	Env func(string) string
	// Timeout bounds one request to one node; default 30s, above
	// Cassandra's own range_request_timeout (10s) so that the server's
	// answer (a read timeout, retried) arrives before the client gives up.
	Timeout time.Duration
	// ConnectTimeout bounds opening a connection; default 10s.
	ConnectTimeout time.Duration
	// NumConns is the number of connections per host; default 2.
	NumConns int
	// TranslateAddress, if set, maps the address and port of every node
	// the driver learns of (from system.local and system.peers) to the
	// address it dials. The contact points of the URL are dialled as
	// given. Tests use it to put a proxy between lading and the cluster;
	// nil dials the nodes' broadcast RPC addresses.
	TranslateAddress func(netip.AddrPort) netip.AddrPort
	// Dial, if set, opens the connections (TLS, if configured, runs over
	// them). The loader's counter writes use it to refuse every byte once
	// their claim can no longer be proven held.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// dialFunc adapts Options.Dial to the driver.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// Session is an open connection pool to a cluster.
type Session struct {
	s      *gocql.Session
	cfg    Config
	logger *slog.Logger
}

// Connect opens a session to the cluster cfg names: token-aware routing
// with the URL's datacenter preferred, protocol v5 (v4 with older
// servers), driver-level retries off (lading retries pages itself, with
// backoff). Credentials, if CASSANDRA_USERNAME is set, go to the
// PasswordAuthenticator; they never appear in errors.
func Connect(ctx context.Context, cfg *Config, opts Options) (*Session, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.NumConns <= 0 {
		opts.NumConns = 2
	}
	if len(cfg.Hosts) == 0 {
		return nil, fmt.Errorf("connect: no hosts")
	}
	c := gocql.NewCluster(cfg.Hosts...)
	c.Timeout = opts.Timeout
	c.ConnectTimeout = opts.ConnectTimeout
	c.WriteTimeout = opts.Timeout
	c.NumConns = opts.NumConns
	c.Consistency = gocql.LocalOne
	c.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
	c.DefaultIdempotence = false
	c.ReconnectionPolicy = &gocql.ExponentialReconnectionPolicy{MaxRetries: 10, InitialInterval: time.Second, MaxInterval: 30 * time.Second}
	// The driver dials a node it marked down again only every
	// ReconnectInterval (60 s by default): a node back after a restart
	// would sit unused, and with one node every request fail, for up to a
	// minute more. A dial every few seconds per down node costs nothing.
	c.ReconnectInterval = 5 * time.Second
	c.Logger = slogAdapter{opts.Logger}
	if opts.Dial != nil {
		c.Dialer = dialFunc(opts.Dial)
	}
	var fallback gocql.HostSelectionPolicy
	if cfg.DC != "" {
		fallback = gocql.DCAwareRoundRobinPolicy(cfg.DC)
	} else {
		fallback = gocql.RoundRobinHostPolicy()
	}
	c.PoolConfig.HostSelectionPolicy = newReplicaPolicy(gocql.TokenAwareHostPolicy(fallback, gocql.ShuffleReplicas()), cfg.DC)
	c.ProtoVersion = cfg.Protocol
	if cfg.Route == RouteContactPoints {
		contactPointsOnly(c)
	}
	if tr := cfg.translator(opts.TranslateAddress); tr != nil {
		c.AddressTranslator = gocql.AddressTranslatorFunc(func(addr net.IP, port int) (net.IP, int) {
			a, ok := netip.AddrFromSlice(addr)
			if !ok || port < 0 || port > 65535 {
				return addr, port
			}
			to := tr(netip.AddrPortFrom(a.Unmap(), uint16(port)))
			return net.IP(to.Addr().AsSlice()), int(to.Port())
		})
	}
	if user := opts.Env(EnvUsername); user != "" {
		c.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: opts.Env(EnvPassword)}
	} else if opts.Env(EnvPassword) != "" {
		return nil, fmt.Errorf("connect: %s is set but %s is not", EnvPassword, EnvUsername)
	}
	if cfg.TLS {
		if err := checkTLSFiles(cfg); err != nil {
			return nil, err
		}
		c.SslOpts = &gocql.SslOptions{
			Config:                 &tls.Config{MinVersion: tls.VersionTLS12},
			CaPath:                 cfg.CAFile,
			CertPath:               cfg.CertFile,
			KeyPath:                cfg.KeyFile,
			EnableHostVerification: !cfg.InsecureSkipVerify,
		}
		if cfg.InsecureSkipVerify {
			c.SslOpts.Config.InsecureSkipVerify = true
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		s   *gocql.Session
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := c.CreateSession()
		done <- result{s, err}
	}()
	select {
	case <-ctx.Done():
		go func() {
			if r := <-done; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, fmt.Errorf("connect to %s: %w", cfg.Redacted(), ctx.Err())
	case r := <-done:
		if r.err != nil {
			err := scrub(r.err)
			if cfg.TLS {
				if perr := probeTLS(ctx, cfg, opts.Dial); perr != nil && tlsRefused(cfg, perr) != perr {
					err = fmt.Errorf("%w (the driver said: %w)", perr, err)
				}
			}
			return nil, fmt.Errorf("connect to %s: %w", cfg.Redacted(), tlsRefused(cfg, err))
		}
		opts.Logger.Debug("connected", "source", cfg.Redacted())
		return &Session{s: r.s, cfg: *cfg, logger: opts.Logger}, nil
	}
}

// scrub drops driver error text that could echo a credential, and marks
// a refusal of the credentials as denied (exit 2: retrying with the same
// ones will not help). gocql's authentication errors quote the server's
// message, never the password, but an error is kept generic when
// authentication is involved. While it discovers the protocol version,
// gocql flattens the server's AuthenticationError into text (fmt %v), so
// the refusal is also recognised by the words Cassandra and ScyllaDB use.
func scrub(err error) error {
	var re gocql.RequestError
	if (errors.As(err, &re) && re.Code() == gocql.ErrCodeCredentials) || refusedCredentials(err.Error()) {
		return fault.Denied(fmt.Errorf("authentication failed (check %s and %s)", EnvUsername, EnvPassword))
	}
	return err
}

// refusedCredentials reports the texts of a refused login: the server's
// answer to wrong credentials, and gocql's when the server wants
// credentials and none were given.
func refusedCredentials(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "and/or password are incorrect") || // Cassandra, ScyllaDB
		strings.Contains(msg, "authentication required (using") || // gocql: no authenticator configured
		strings.Contains(msg, "authenticationexception") // DataStax Enterprise
}

// CloseWait is how long Close waits for the driver's session to close.
const CloseWait = 10 * time.Second

// Close releases the session. It waits at most CloseWait for the driver:
// gocql's Close can wait forever when it comes while the control
// connection is reconnecting (the reconnection asks the schema refresher
// that Close has just stopped, and Close waits for the reconnection), and
// a scheduled job must end. Past CloseWait it logs that the driver did
// not close and returns; its goroutines end with the process.
func (s *Session) Close() {
	done := make(chan struct{})
	go func() {
		s.s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(CloseWait):
		if s.logger != nil {
			s.logger.Warn("the Cassandra driver did not close its session in time (a driver deadlock while it reconnects); going on", "waited", CloseWait.String())
		}
	}
}

// Config returns the configuration the session was opened with.
func (s *Session) Config() Config { return s.cfg }

// Driver returns the gocql session, for callers that bind values (the
// loader's Cassandra target).
func (s *Session) Driver() *gocql.Session { return s.s }

// slogAdapter lets the driver log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) attrs(fields []gocql.LogField) []any {
	out := make([]any, 0, 2*len(fields)+1)
	out = append(out, "component", "gocql")
	for _, f := range fields {
		out = append(out, f.Name, f.Value.Any())
	}
	return out
}

func (a slogAdapter) Error(msg string, fields ...gocql.LogField) { a.l.Error(msg, a.attrs(fields)...) }
func (a slogAdapter) Warning(msg string, fields ...gocql.LogField) {
	a.l.Warn(msg, a.attrs(fields)...)
}
func (a slogAdapter) Info(msg string, fields ...gocql.LogField)  { a.l.Debug(msg, a.attrs(fields)...) }
func (a slogAdapter) Debug(msg string, fields ...gocql.LogField) { a.l.Debug(msg, a.attrs(fields)...) }
