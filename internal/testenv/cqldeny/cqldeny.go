// Package cqldeny is a stand-in CQL server for tests of what a client does
// when Cassandra refuses its credentials: it speaks the native protocol
// v4 handshake (OPTIONS, STARTUP), asks for PasswordAuthenticator
// credentials and answers every AUTH_RESPONSE with the AuthenticationError
// (code 0x0100) a real Cassandra with PasswordAuthenticator sends for a
// wrong password. The test Cassandra runs without authentication, so this
// is the one place a refusal can be produced; v5 is refused with a
// protocol error, as servers without v5 do, so drivers fall back to v4.
package cqldeny

import (
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
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
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
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
