package ship

import (
	"bufio"
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
)

// faultProxy is a TCP proxy on loopback between the shipper and a store
// that misbehaves on some connections: it resets them part-way through,
// answers 503 instead of forwarding, adds latency, or flips a bit of a
// response body (past its headers), in turn. Only the
// first connections misbehave, so a run that retries does finish.
type faultProxy struct {
	ln       net.Listener
	upstream string
	faulty   int64 // connections numbered below this may misbehave
	rng      *rand.Rand
	rngMu    sync.Mutex

	conns, resets, unavailable, delayed, flipped atomic.Int64
	wg                                           sync.WaitGroup
}

func newFaultProxy(t *testing.T, upstream string, faulty int64, seed uint64) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, upstream: upstream, faulty: faulty, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) intn(n int) int {
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.IntN(n)
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		n := p.conns.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c, n)
		}()
	}
}

func (p *faultProxy) handle(client net.Conn, n int64) {
	defer client.Close()
	action := "pass"
	if n <= p.faulty {
		// Every other connection misbehaves, so no request's retries can
		// all be spent on faults.
		action = []string{"pass", "reset", "pass", "503", "pass", "delay", "pass", "flip"}[n%8]
	}
	switch action {
	case "503":
		// Read the request head, answer 503 and hang up.
		p.unavailable.Add(1)
		req, err := http.ReadRequest(bufio.NewReader(client))
		if err == nil {
			req.Body.Close()
		}
		io.WriteString(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		return
	case "delay":
		p.delayed.Add(1)
		time.Sleep(time.Duration(100+p.intn(300)) * time.Millisecond)
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer up.Close()
	// budget is how many bytes may pass (both ways) before a reset.
	var budget atomic.Int64
	budget.Store(1 << 62)
	if action == "reset" {
		// Alternately within the first request (any use resets it) or in
		// the middle of a body.
		if n/8%2 == 0 {
			budget.Store(int64(100 + p.intn(400)))
		} else {
			budget.Store(int64(64<<10 + p.intn(1<<20)))
		}
	}
	// flipAt is the offset of the downstream byte to damage (-1: none).
	flipAt := int64(-1)
	if action == "flip" {
		flipAt = int64(64<<10 + p.intn(1<<20))
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		var off int64
		for {
			k, err := src.Read(buf)
			if k > 0 && src == up && flipAt >= off && flipAt < off+int64(k) {
				buf[flipAt-off] ^= 0x10
				p.flipped.Add(1)
			}
			off += int64(k)
			if k > 0 {
				if budget.Add(-int64(k)) < 0 {
					p.resets.Add(1)
					reset(client)
					reset(up)
					return
				}
				if _, werr := dst.Write(buf[:k]); werr != nil {
					return
				}
			}
			if err != nil {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
		}
	}
	go pipe(up, client)
	go pipe(client, up)
	<-done
	<-done
}

// reset closes c with a TCP RST instead of a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// TestShipThroughFaultyNetwork ships to and from S3 through the proxy:
// resets, 503s and latency are retried, and the copy is verified.
func TestShipThroughFaultyNetwork(t *testing.T) {
	endpoint, bucket := testenv.S3(t)
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"file to s3", "s3 to file"} {
		t.Run(dir, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("proxy seed %d", seed)
			proxy := newFaultProxy(t, u.Host, 40, seed)
			// The proxied URL names the same prefix as the direct one, which
			// the test uses to prepare and inspect the store.
			direct := s3URLAt(t, endpoint, bucket)
			viaProxy := strings.Replace(direct, url.QueryEscape(endpoint), url.QueryEscape("http://"+proxy.addr()), 1)
			s3 := cleanStore(t, direct)
			local := fileStore(t)
			src, dst, srcURL, dstURL := local, s3, local.url, viaProxy
			if dir == "s3 to file" {
				src, dst, srcURL, dstURL = s3, local, viaProxy, local.url
			}
			td := newTestDump(t, "b1", 1, 6<<20, 3<<20, 100<<10, 10)
			td.write(t, src.b, true)

			cfg := Config{From: srcURL, To: dstURL, PartSize: 5 << 20, Transfers: 2,
				Retry: fastRetry}
			cfg.Retry.Attempts = 8
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_, err := Run(ctx, cfg, testLogger(t), nil)
			if err != nil {
				t.Fatalf("through the proxy (%d connections, %d resets, %d 503s, %d delayed): %v",
					proxy.conns.Load(), proxy.resets.Load(), proxy.unavailable.Load(), proxy.delayed.Load(), err)
			}
			td.assertShipped(t, dst.b)
			t.Logf("%d connections, %d resets, %d 503s, %d delayed, %d flipped", proxy.conns.Load(), proxy.resets.Load(), proxy.unavailable.Load(), proxy.delayed.Load(), proxy.flipped.Load())
			if proxy.resets.Load() == 0 || proxy.unavailable.Load() == 0 || proxy.delayed.Load() == 0 {
				t.Fatalf("not every kind of fault was injected: the test proved less than it says")
			}
		})
	}
}
