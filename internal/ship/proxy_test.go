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
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/internal/testenv/faultproxy"
)

// newFaultProxy starts a loopback proxy to a store whose first `faulty`
// connections misbehave, every other one, in turn: reset (within the
// first request, or in the middle of a body), answered 503 instead of
// forwarded, held before forwarding, or with a bit of the response body
// (past its headers) flipped. Every other connection passes, so no
// request's retries can all be spent on faults, and later connections all
// pass, so a run that retries does finish.
func newFaultProxy(t *testing.T, upstream string, faulty int64, seed uint64) *faultproxy.Proxy {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var mu sync.Mutex
	intn := func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		return rng.IntN(n)
	}
	return faultproxy.Start(t, upstream, faultproxy.Options{Plan: func(n int64) faultproxy.Fault {
		if n > faulty {
			return faultproxy.Fault{}
		}
		switch n % 8 {
		case 1:
			if n/8%2 == 0 {
				return faultproxy.Fault{ResetAfter: int64(100 + intn(400))} // any use resets it
			}
			return faultproxy.Fault{ResetAfter: int64(64<<10 + intn(1<<20))}
		case 3:
			return faultproxy.Fault{Respond: answer503}
		case 5:
			return faultproxy.Fault{Delay: time.Duration(100+intn(300)) * time.Millisecond}
		case 7:
			return faultproxy.Fault{Flip: true, FlipAt: int64(64<<10 + intn(1<<20))}
		}
		return faultproxy.Fault{}
	}})
}

// answer503 reads the request head, answers 503 and hangs up.
func answer503(client net.Conn) {
	req, err := http.ReadRequest(bufio.NewReader(client))
	if err == nil {
		req.Body.Close()
	}
	io.WriteString(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
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
			viaProxy := strings.Replace(direct, url.QueryEscape(endpoint), url.QueryEscape("http://"+proxy.Addr()), 1)
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
			st := proxy.Stats()
			if err != nil {
				t.Fatalf("through the proxy (%d connections, %d resets, %d 503s, %d delayed): %v",
					st.Conns, st.Resets, st.Responded, st.Delayed, err)
			}
			td.assertShipped(t, dst.b)
			st = proxy.Stats()
			t.Logf("%d connections, %d resets, %d 503s, %d delayed, %d flipped", st.Conns, st.Resets, st.Responded, st.Delayed, st.Flipped)
			if st.Resets == 0 || st.Responded == 0 || st.Delayed == 0 {
				t.Fatalf("not every kind of fault was injected: the test proved less than it says")
			}
		})
	}
}
