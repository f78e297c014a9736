package cql

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/testenv/cqldeny"
)

// A server that refuses the credentials (or wants some and got none) is a
// permission error: exit 2, not worth retrying, and the password is in no
// message. gocql flattens the server's AuthenticationError into text while
// it discovers the protocol version, so this runs the real driver against
// a server that sends the real frames.
func TestRefusedCredentialsAreDenied(t *testing.T) {
	addr := cqldeny.Start(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"wrong password", map[string]string{EnvUsername: "lading", EnvPassword: "hunter2-wrong"}},
		{"no credentials", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseURL("cassandra://" + addr)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Connect(ctx, cfg, Options{Env: func(k string) string { return tc.env[k] }, ConnectTimeout: 5 * time.Second})
			if err == nil {
				s.Close()
				t.Fatal("connected to a server that refuses every client")
			}
			if code := fault.Code(err); code != fault.ExitUsage || !fault.IsDenied(err) {
				t.Fatalf("exit %d (denied %v), want %d: %v", code, fault.IsDenied(err), fault.ExitUsage, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the password is in the error: %v", err)
			}
			t.Logf("%v", err)
		})
	}
}
