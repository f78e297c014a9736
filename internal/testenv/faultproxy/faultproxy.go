// Package faultproxy is a TCP proxy on loopback for integration tests: it
// sits between a client under test and a real server (Cassandra, an S3
// server) and misbehaves on demand. Per connection it can hold the
// connection before dialing, reset it with a TCP RST after some bytes,
// flip one bit of the server's answer, hand the connection to the test
// to answer itself (an HTTP 503), or hold a request back and deliver it
// after the client gave up on it; across all connections it can delay
// every byte the server sends by a latency the test changes while the
// client runs, without limiting throughput (a delay line, not a pause).
package faultproxy

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault says how the proxy treats one connection. The zero Fault
// forwards it untouched (apart from the proxy-wide latency).
type Fault struct {
	// Delay holds the new connection this long before dialing upstream.
	Delay time.Duration
	// ResetAfter > 0 resets both sides with a TCP RST once that many
	// bytes have passed, both directions together.
	ResetAfter int64
	// Flip flips one bit of the server's byte at offset FlipAt of the
	// downstream stream (if the stream gets that far).
	Flip   bool
	FlipAt int64
	// Respond, if set, is handed the client connection instead of
	// forwarding it (the proxy closes it afterwards): e.g. read an HTTP
	// request and answer 503.
	Respond func(client net.Conn)
	// LateWrite, if set, sees every chunk the client sends. When it
	// returns d > 0 for a chunk, the proxy resets the client's side of
	// the connection at once and hands the chunk to the server d later,
	// then waits for the server's answer: the client sees its request
	// fail, the server still applies it, after whatever the client did
	// next.
	LateWrite func(chunk []byte) time.Duration
}

// Options configure a Proxy.
type Options struct {
	// Plan returns the fault of the n-th accepted connection (1-based);
	// nil forwards every connection untouched.
	Plan func(n int64) Fault
}

// Stats count what the proxy did.
type Stats struct {
	Conns, Resets, Responded, Delayed, Flipped int64
	// Late counts requests delivered late (LateWrite); LateAnswered
	// those of them the server answered.
	Late, LateAnswered int64
}

// Proxy is a running fault proxy.
type Proxy struct {
	ln       net.Listener
	upstream string
	plan     func(int64) Fault
	latency  atomic.Int64 // ns added to every downstream chunk

	conns, resets, responded, delayed, flipped atomic.Int64
	late, lateAnswered                         atomic.Int64

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free loopback port and forwards connections to
// upstream (host:port). The proxy is closed when the test ends.
func Start(t testing.TB, upstream string, opts Options) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, plan: opts.Plan, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// SetLatency delays every chunk the server sends by d from now on, on
// open and new connections alike; 0 removes the delay.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Latency returns the current added latency.
func (p *Proxy) Latency() time.Duration { return time.Duration(p.latency.Load()) }

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Conns: p.conns.Load(), Resets: p.resets.Load(), Responded: p.responded.Load(),
		Delayed: p.delayed.Load(), Flipped: p.flipped.Load(),
		Late: p.late.Load(), LateAnswered: p.lateAnswered.Load(),
	}
}

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines. It is safe to call more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.ln.Close()
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Drop closes every open connection (both sides) and keeps listening:
// with a Plan that refuses new connections meanwhile, the server looks
// down to the client, as a node restarting does.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.open {
		c.Close()
	}
}

// track registers c to be closed by Close; false if the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		n := p.conns.Add(1)
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			var f Fault
			if p.plan != nil {
				f = p.plan(n)
			}
			p.handle(c, f)
		}()
	}
}

func (p *Proxy) handle(client net.Conn, f Fault) {
	if f.Respond != nil {
		p.responded.Add(1)
		f.Respond(client)
		return
	}
	if f.Delay > 0 {
		p.delayed.Add(1)
		time.Sleep(f.Delay)
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	// budget is how many bytes may pass (both ways) before a reset.
	var budget atomic.Int64
	budget.Store(1 << 62)
	if f.ResetAfter > 0 {
		budget.Store(f.ResetAfter)
	}
	flipAt := int64(-1)
	if f.Flip {
		flipAt = f.FlipAt
	}
	// pass counts k bytes against the budget; false means reset now.
	pass := func(k int) bool {
		if budget.Add(-int64(k)) >= 0 {
			return true
		}
		p.resets.Add(1)
		reset(client)
		reset(up)
		return false
	}
	done := make(chan struct{}, 2)
	// answered is closed when the server sent anything after a late
	// request reached it.
	lt := &lateState{answered: make(chan struct{})}
	go func() { // client -> server, untouched unless LateWrite says
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			k, err := client.Read(buf)
			if k > 0 {
				if !pass(k) {
					return
				}
				if f.LateWrite != nil {
					if d := f.LateWrite(buf[:k]); d > 0 {
						p.deliverLate(client, up, buf[:k], d, lt)
						return
					}
				}
				if _, werr := up.Write(buf[:k]); werr != nil {
					return
				}
			}
			if err != nil {
				closeWrite(up)
				return
			}
		}
	}()
	go func() { // server -> client, through the delay line
		defer func() { done <- struct{}{} }()
		p.downstream(client, up, flipAt, pass, lt)
	}()
	<-done
	<-done
}

type chunk struct {
	data []byte
	due  time.Time
	eof  bool
}

// downstream copies the server's bytes to the client, each chunk
// delivered Latency after it arrived: a reader stamps chunks, a writer
// waits for each one's time, so latency adds no throughput limit.
func (p *Proxy) downstream(client, up net.Conn, flipAt int64, pass func(int) bool, lt *lateState) {
	line := make(chan chunk, 256)
	go func() {
		defer close(line)
		var off int64
		for {
			buf := make([]byte, 32<<10)
			k, err := up.Read(buf)
			if k > 0 && lt.sent.Load() {
				lt.once.Do(func() {
					p.lateAnswered.Add(1)
					close(lt.answered)
				})
			}
			if k > 0 {
				if flipAt >= off && flipAt < off+int64(k) {
					buf[flipAt-off] ^= 0x10
					p.flipped.Add(1)
				}
				off += int64(k)
				line <- chunk{data: buf[:k], due: time.Now().Add(p.Latency())}
			}
			if err != nil {
				line <- chunk{eof: true, due: time.Now().Add(p.Latency())}
				return
			}
		}
	}()
	for c := range line {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if c.eof {
			closeWrite(client)
			return
		}
		if !pass(len(c.data)) {
			break
		}
		if _, err := client.Write(c.data); err != nil {
			break
		}
	}
	// The writer stopped first: unblock the reader, unless a request is
	// held for late delivery (deliverLate closes the upstream then).
	if !lt.held.Load() {
		up.Close()
	}
	for range line {
	}
}

// lateState follows one connection's late request (Fault.LateWrite).
type lateState struct {
	held, sent atomic.Bool
	once       sync.Once
	answered   chan struct{} // closed when the server answered after it
}

// deliverLate resets the client at once, sends chunk to the server d
// later and keeps the upstream open until the server answered (or 10s).
func (p *Proxy) deliverLate(client, up net.Conn, chunk []byte, d time.Duration, lt *lateState) {
	held := append([]byte(nil), chunk...)
	lt.held.Store(true)
	defer up.Close()
	p.resets.Add(1)
	reset(client)
	time.Sleep(d)
	lt.sent.Store(true)
	if _, err := up.Write(held); err != nil {
		return
	}
	p.late.Add(1)
	select {
	case <-lt.answered:
	case <-time.After(10 * time.Second):
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

// reset closes c with a TCP RST instead of a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
