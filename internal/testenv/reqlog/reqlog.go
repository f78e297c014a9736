// Package reqlog is an HTTP reverse proxy on loopback for integration
// tests: it sits between a client under test and a real HTTP server (the
// S3 or GCS test server), forwards every request untouched, and records
// each one (method, path, query, status) and every connection the client
// opened, so a test can count the requests a run made and check that
// connections were reused. Location headers naming the server are
// rewritten to the proxy, so upload sessions stay behind it too.
package reqlog

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Request is one forwarded request.
type Request struct {
	Method string
	Path   string // unescaped
	Query  url.Values
	Status int
}

// Proxy is a running request-logging proxy.
type Proxy struct {
	srv   *httptest.Server
	conns atomic.Int64
	mu    sync.Mutex
	reqs  []Request
}

// Start forwards to upstream (host:port, plain HTTP) from a free loopback
// port until the test ends.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	p := &Proxy{}
	target := &url.URL{Scheme: "http", Host: upstream}
	rp := httputil.NewSingleHostReverseProxy(target)
	// The proxy's own connections to the server are not the client's:
	// keep enough of them that it does not churn either.
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	srv := httptest.NewUnstartedServer(nil)
	rp.ModifyResponse = func(r *http.Response) error {
		if l := r.Header.Get("Location"); l != "" {
			r.Header.Set("Location", strings.Replace(l, upstream, srv.Listener.Addr().String(), 1))
		}
		return nil
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		p.reqs = append(p.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Status: rec.code})
		p.mu.Unlock()
	})
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}
	srv.Start()
	p.srv = srv
	t.Cleanup(srv.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.srv.Listener.Addr().String() }

// Requests returns the requests forwarded so far.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.reqs...)
}

// Conns is how many connections clients opened to the proxy.
func (p *Proxy) Conns() int64 { return p.conns.Load() }

// Reset forgets the requests and connections counted so far.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = nil
	p.conns.Store(0)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets the reverse proxy stream answers through.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
