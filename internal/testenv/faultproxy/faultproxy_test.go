package faultproxy

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every connection by echoing what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(t *testing.T, addr string, msg []byte) ([]byte, time.Duration, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		return nil, 0, err
	}
	got := make([]byte, len(msg))
	_, err = io.ReadFull(c, got)
	return got, time.Since(start), err
}

func TestLatencyChangesWhileOpen(t *testing.T) {
	p := Start(t, echoServer(t), Options{})
	msg := []byte("hello")
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ask := func() time.Duration {
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("echo: %q, %v", got, err)
		}
		return time.Since(start)
	}
	if d := ask(); d > 150*time.Millisecond {
		t.Errorf("without latency a round trip took %s", d)
	}
	p.SetLatency(200 * time.Millisecond)
	if d := ask(); d < 200*time.Millisecond {
		t.Errorf("with 200ms latency a round trip on an open connection took %s", d)
	}
	p.SetLatency(0)
	if d := ask(); d > 150*time.Millisecond {
		t.Errorf("after removing the latency a round trip took %s", d)
	}
}

func TestLatencyIsNotAThroughputLimit(t *testing.T) {
	p := Start(t, echoServer(t), Options{})
	p.SetLatency(100 * time.Millisecond)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// 20 messages written at once come back after about one latency, not
	// twenty.
	start := time.Now()
	for range 20 {
		if _, err := c.Write(bytes.Repeat([]byte("x"), 100)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := io.ReadFull(c, make([]byte, 2000)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("20 pipelined messages took %s at 100ms latency", d)
	}
}

func TestFaultsPerConnection(t *testing.T) {
	p := Start(t, echoServer(t), Options{Plan: func(n int64) Fault {
		switch n {
		case 1:
			return Fault{ResetAfter: 10}
		case 2:
			return Fault{Flip: true, FlipAt: 3}
		case 3:
			return Fault{Respond: func(c net.Conn) { _, _ = io.WriteString(c, "busy!") }}
		case 4:
			return Fault{Delay: 50 * time.Millisecond}
		}
		return Fault{}
	}})
	msg := bytes.Repeat([]byte("a"), 64)
	if _, _, err := roundTrip(t, p.Addr(), msg); err == nil {
		t.Error("connection 1 was not reset")
	}
	got, _, err := roundTrip(t, p.Addr(), msg)
	want := bytes.Clone(msg)
	want[3] ^= 0x10
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("connection 2: %q, %v; want byte 3 flipped", got, err)
	}
	got, _, err = roundTrip(t, p.Addr(), []byte("12345"))
	if err != nil || string(got) != "busy!" {
		t.Errorf("connection 3: %q, %v; want the test's answer", got, err)
	}
	got, d, err := roundTrip(t, p.Addr(), msg)
	if err != nil || !bytes.Equal(got, msg) || d < 50*time.Millisecond {
		t.Errorf("connection 4: %q, %v after %s; want the echo after the 50ms hold", got, err, d)
	}
	got, _, err = roundTrip(t, p.Addr(), msg)
	if err != nil || !bytes.Equal(got, msg) {
		t.Errorf("connection 5: %q, %v", got, err)
	}
	s := p.Stats()
	if s != (Stats{Conns: 5, Resets: 1, Responded: 1, Delayed: 1, Flipped: 1}) {
		t.Errorf("stats %+v", s)
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p := Start(t, echoServer(t), Options{})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs with a connection open")
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the client connection is still open after Close")
	}
}

// A late write: the client's connection fails at once, the server gets
// the request only later, and answers it.
func TestLateWrite(t *testing.T) {
	got := make(chan time.Time, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			k, err := c.Read(buf)
			if k > 0 && bytes.Contains(buf[:k], []byte("LATE")) {
				got <- time.Now()
				c.Write([]byte("done"))
			}
			if err != nil {
				return
			}
		}
	}()
	const hold = 300 * time.Millisecond
	p := Start(t, ln.Addr().String(), Options{Plan: func(int64) Fault {
		return Fault{LateWrite: func(b []byte) time.Duration {
			if bytes.Contains(b, []byte("LATE")) {
				return hold
			}
			return 0
		}}
	}})
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := time.Now()
	if _, err := c.Write([]byte("LATE request")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 8)); err == nil {
		t.Fatal("the client's read succeeded; want its connection reset")
	}
	if failed := time.Since(sent); failed > hold/2 {
		t.Errorf("the client saw the failure after %s, want at once", failed)
	}
	select {
	case at := <-got:
		if at.Sub(sent) < hold {
			t.Errorf("the server got the request after %s, want at least %s", at.Sub(sent), hold)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server never got the late request")
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().LateAnswered == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := p.Stats(); s.Late != 1 || s.LateAnswered != 1 || s.Resets != 1 {
		t.Errorf("stats %+v, want one late request, answered, one reset", s)
	}
}
