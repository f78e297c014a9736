// Package cqldeny produces Cassandra's refusals for tests, since the test
// Cassandra runs without authentication or authorization. Start is a
// stand-in CQL server: it speaks the native protocol v4 handshake
// (OPTIONS, STARTUP), asks for PasswordAuthenticator credentials and
// answers every AUTH_RESPONSE with the AuthenticationError (code 0x0100) a
// real Cassandra sends for a wrong password. StartUnauthorized is a proxy
// to the real Cassandra that answers the requests naming one table with
// the Unauthorized error (code 0x2100). Both refuse v5 with a protocol
// error, as servers without v5 do, so drivers fall back to v4.
package cqldeny

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
)

// CQL native protocol opcodes and error codes used here.
const (
	opError        = 0x00
	opStartup      = 0x01
	opAuthenticate = 0x03
	opOptions      = 0x05
	opSupported    = 0x06
	opAuthResponse = 0x0F

	codeProtocol      = 0x000A
	codeBadCredential = 0x0100
)

// Message is what the server says to a wrong password (Cassandra 5's
// wording).
const Message = "Provided username lading and/or password are incorrect"

// Start listens on a free loopback port and returns host:port; the server
// stops when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	return listen(t, func(c net.Conn, _ func(net.Conn)) { serve(c) })
}

// listen accepts connections on a new loopback port and runs handle on
// each (closing it after); handle registers with track any further
// connection it opens. Everything is closed and waited for when the
// test ends. It returns the port's host:port.
func listen(t testing.TB, handle func(c net.Conn, track func(net.Conn))) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			track(c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c, track)
			}()
		}
	}()
	return ln.Addr().String()
}

// serve answers one connection's frames until it closes.
func serve(c net.Conn) {
	var head [9]byte
	for {
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		version, stream, op := head[0]&0x7f, head[2:4], head[4]
		body := make([]byte, binary.BigEndian.Uint32(head[5:9]))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		var out []byte
		outOp := byte(opError)
		switch {
		case version != 4:
			out = errorBody(codeProtocol, "Invalid or unsupported protocol version ("+string('0'+rune(version))+"); supported versions are (4/v4)")
		case op == opOptions:
			outOp, out = opSupported, supported()
		case op == opStartup:
			outOp, out = opAuthenticate, str(nil, "org.apache.cassandra.auth.PasswordAuthenticator")
		case op == opAuthResponse:
			out = errorBody(codeBadCredential, Message)
		default:
			out = errorBody(codeProtocol, "unexpected message before authentication")
		}
		frame := []byte{0x80 | version, 0, stream[0], stream[1], outOp, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(frame[5:9], uint32(len(out)))
		if _, err := c.Write(append(frame, out...)); err != nil {
			return
		}
	}
}

func str(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func errorBody(code uint32, msg string) []byte {
	return str(binary.BigEndian.AppendUint32(nil, code), msg)
}

// supported is the SUPPORTED body: a string multimap.
func supported() []byte {
	b := binary.BigEndian.AppendUint16(nil, 2)
	b = str(b, "CQL_VERSION")
	b = binary.BigEndian.AppendUint16(b, 1)
	b = str(b, "3.4.7")
	b = str(b, "COMPRESSION")
	return binary.BigEndian.AppendUint16(b, 0)
}

// CQL opcodes of the requests that name a table.
const (
	opQuery   = 0x07
	opPrepare = 0x09

	codeUnauthorized = 0x2100
)

// StartUnauthorized starts a proxy to the real Cassandra at upstream
// (host:port) that passes everything through except the QUERY and
// PREPARE requests whose text contains deny: those get the Unauthorized
// error (code 0x2100) a real Cassandra with CassandraAuthorizer sends to
// a user without SELECT on the table. Clients are held to protocol v4
// (v5 is refused as by an older server), whose frames the proxy reads one
// by one. It returns the proxy's host:port; it stops when the test ends.
func StartUnauthorized(t testing.TB, upstream, deny string) string {
	t.Helper()
	return listen(t, func(c net.Conn, track func(net.Conn)) {
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		track(u)
		defer u.Close()
		relay(c, u, deny)
	})
}

// frame is one protocol v4 frame, header and body.
type frame []byte

func readFrame(r io.Reader) (frame, error) {
	head := make([]byte, 9)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	f := make([]byte, 9+int(binary.BigEndian.Uint32(head[5:9])))
	copy(f, head)
	_, err := io.ReadFull(r, f[9:])
	return f, err
}

func (f frame) version() byte { return f[0] & 0x7f }
func (f frame) opcode() byte  { return f[4] }

// answer is the response frame to f with opcode op and body.
func (f frame) answer(op byte, body []byte) frame {
	out := []byte{0x80 | f.version(), 0, f[2], f[3], op, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[5:9], uint32(len(body)))
	return append(out, body...)
}

// relay carries frames between a client and the server, answering the
// denied requests itself; writes to the client are whole frames under
// one lock, so local answers never cut into the server's.
func relay(client, server net.Conn, deny string) {
	var wmu sync.Mutex
	toClient := func(f frame) error {
		wmu.Lock()
		defer wmu.Unlock()
		_, err := client.Write(f)
		return err
	}
	go func() {
		defer client.Close()
		for {
			f, err := readFrame(server)
			if err != nil || toClient(f) != nil {
				return
			}
		}
	}()
	defer server.Close()
	for {
		f, err := readFrame(client)
		if err != nil {
			return
		}
		switch {
		case f.version() != 4:
			err = toClient(f.answer(opError, errorBody(codeProtocol, "Invalid or unsupported protocol version; supported versions are (4/v4)")))
		case (f.opcode() == opQuery || f.opcode() == opPrepare) && bytes.Contains(f[9:], []byte(deny)):
			err = toClient(f.answer(opError, errorBody(codeUnauthorized, "User lading has no SELECT permission on <table "+deny+"> or any of its parents")))
		default:
			_, err = server.Write(f)
		}
		if err != nil {
			return
		}
	}
}
