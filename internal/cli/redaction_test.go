package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEverythingPrintedIsRedacted covers each way a secret could leave a
// command: the debug line of flags set on the command line, by LADING_*
// and by --config; log attributes (strings, errors, string lists) in text
// and JSON; stdout; the one-line error; and the --report file.
func TestEverythingPrintedIsRedacted(t *testing.T) {
	const envSecret = "pw-from-env-7731"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			a := newTestApp()
			a.environ = func() []string { return []string{"CASSANDRA_PASSWORD=" + envSecret, "AWS_REGION=eu-west-1"} }
			report := filepath.Join(t.TempDir(), "run.json")
			env := map[string]string{"LADING_TABLE": "cassandra://admin:pw-in-env-url@h:9042/ks?dc=dc1"}
			cfg := writeConfig(t, "columns: ['s3://b/p?endpoint=http%3A%2F%2FAKIAINCONFIG%3Asec-in-config%40h%3A7070&region=r']\n")
			r := a.exec(t, env, func(ctx context.Context, rt *Runtime) error {
				err := fmt.Errorf("auth with %s failed at gs://u:pw-in-error@b/x", envSecret)
				rt.Logger.Info("connect", "err", err, "url", "s3://b?token=tok-in-log", "list", []string{"https://h/o?sig=sig-in-list"})
				fmt.Fprintf(rt.Stdout, "failed: %v\n", err)
				rt.Run.Event("retry", "reason", err)
				return err
			}, "--log-level", "debug", "--log-format", format, "--report", report, "--config", cfg,
				"--api-secret", "flag-secret-1", "--workers", "3")
			if r.code != 1 {
				t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
			}
			rep, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			all := r.stdout + r.stderr + string(rep)
			for _, s := range []string{envSecret, "pw-in-env-url", "AKIAINCONFIG", "sec-in-config", "pw-in-error",
				"tok-in-log", "sig-in-list", "flag-secret-1"} {
				if strings.Contains(all, s) {
					t.Errorf("%q printed:\nstdout: %s\nstderr: %s\nreport: %s", s, r.stdout, r.stderr, rep)
				}
			}
			// What is no secret stays readable: the flags from every source,
			// hosts, regions and the placeholders.
			for _, s := range []string{"--table=", "--columns=", "--workers=", "cassandra://REDACTED@h:9042/ks?dc=dc1",
				"http://REDACTED@h:7070", "region=r", "[redacted]", "token=REDACTED", "sig=REDACTED", "gs://REDACTED@b/x"} {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if !strings.Contains(string(rep), "auth with [redacted] failed") {
				t.Errorf("report: %s", rep)
			}
		})
	}
}

// TestScrubWriterCountsInput: a writer that hid a secret still reports
// the caller's byte count, so fmt and slog see no short write.
func TestScrubWriterCountsInput(t *testing.T) {
	a := newTestApp()
	a.environ = func() []string { return []string{"SNOWFLAKE_PASSWORD=abcdefgh"} }
	r := a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		n, err := fmt.Fprint(rt.Stdout, "pw abcdefgh end")
		if n != len("pw abcdefgh end") || err != nil {
			return errors.New("short write reported")
		}
		return nil
	})
	if r.code != 0 || r.stdout != "pw [redacted] end" {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
