package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
)

// TestSecretFromFile: CASSANDRA_PASSWORD_FILE gives CASSANDRA_PASSWORD
// (one trailing newline dropped), the value is scrubbed from what the
// command prints, and a missing, empty or doubly given secret is a usage
// error naming the variable.
func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	const pw = "pw-from-file-5e1d"
	good := filepath.Join(dir, "password")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(good, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env map[string]string) (result, string) {
		a := newTestApp()
		a.environ = func() []string { return nil } // never the process's environment
		var got string
		res := a.exec(t, env, func(_ context.Context, rt *Runtime) error {
			got = rt.Env("CASSANDRA_PASSWORD")
			rt.Logger.Error("connect failed", "detail", "password "+got+" refused")
			return nil
		})
		return res, got
	}
	res, got := run(map[string]string{"CASSANDRA_PASSWORD_FILE": good})
	if res.code != fault.ExitOK || got != pw {
		t.Fatalf("code %d, CASSANDRA_PASSWORD %q; want 0 and %q (stderr %s)", res.code, got, pw, res.stderr)
	}
	if strings.Contains(res.stderr, pw) || !strings.Contains(res.stderr, "refused") {
		t.Errorf("stderr should hold the log line without the secret: %s", res.stderr)
	}
	for name, env := range map[string]map[string]string{
		"missing file": {"CASSANDRA_PASSWORD_FILE": filepath.Join(dir, "nope")},
		"empty file":   {"CASSANDRA_PASSWORD_FILE": empty},
		"both set":     {"CASSANDRA_PASSWORD_FILE": good, "CASSANDRA_PASSWORD": "other-secret-1"},
	} {
		res, got := run(env)
		if res.code != fault.ExitUsage || got != "" || !strings.Contains(res.stderr, "CASSANDRA_PASSWORD_FILE") {
			t.Errorf("%s: code %d, run saw %q, stderr %q; want exit 2 naming CASSANDRA_PASSWORD_FILE before running", name, res.code, got, res.stderr)
		}
	}
}
