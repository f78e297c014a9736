package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/fault"
)

// testApp is a command with a few flags of every kind the commands use.
type testApp struct {
	*App
	workers *int
	table   *string
	cols    *[]string
	watch   *bool
	timeout *time.Duration
	ratio   *float64
	secret  *string
}

func newTestApp() *testApp {
	a := &testApp{App: New("exporter", "dump a table", "exporter --table KS.TABLE [options]", "exporter --table ks.t\n\nexporter --table ks.u --workers 4")}
	f := a.Flags()
	a.workers = f.Int("workers", 1, "parallel workers")
	a.table = f.String("table", "", "table")
	a.cols = f.StringSlice("columns", nil, "columns")
	a.watch = f.Bool("watch", false, "keep polling")
	a.timeout = f.Duration("timeout", time.Minute, "timeout")
	a.ratio = f.Float64("ratio", 0.5, "ratio")
	a.secret = f.String("api-secret", "default-hidden", "a flag that must never be printed")
	return a
}

type result struct {
	code           int
	stdout, stderr string
	rt             *Runtime
}

func (a *testApp) exec(t *testing.T, env map[string]string, run RunFunc, args ...string) result {
	t.Helper()
	if run == nil {
		run = func(context.Context, *Runtime) error { return nil }
	}
	var out, errb bytes.Buffer
	var res result
	wrapped := func(ctx context.Context, rt *Runtime) error {
		res.rt = rt
		return run(ctx, rt)
	}
	res.code = a.Execute(context.Background(), args, func(k string) string { return env[k] }, &out, &errb, wrapped)
	res.stdout, res.stderr = out.String(), errb.String()
	return res
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lading.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	cfg := "workers: 3\ntable: cfg.t\n"
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		config bool
		want   int
	}{
		{"default", nil, nil, false, 1},
		{"config", nil, nil, true, 3},
		{"env over config", nil, map[string]string{"LADING_WORKERS": "5"}, true, 5},
		{"flag over env and config", []string{"--workers=7"}, map[string]string{"LADING_WORKERS": "5"}, true, 7},
		{"flag over config", []string{"--workers", "7"}, nil, true, 7},
		{"env without config", nil, map[string]string{"LADING_WORKERS": "5"}, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestApp()
			args := tc.args
			if tc.config {
				args = append(args, "--config", writeConfig(t, cfg))
			}
			r := a.exec(t, tc.env, nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if *a.workers != tc.want {
				t.Fatalf("workers = %d, want %d", *a.workers, tc.want)
			}
			wantTable := ""
			if tc.config {
				wantTable = "cfg.t" // untouched keys still come from the file
			}
			if *a.table != wantTable {
				t.Fatalf("table = %q, want %q", *a.table, wantTable)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	a := newTestApp()
	p := writeConfig(t, "workers: 9\n")
	r := a.exec(t, map[string]string{"LADING_CONFIG": p}, nil)
	if r.code != 0 || *a.workers != 9 {
		t.Fatalf("exit %d workers %d: %s", r.code, *a.workers, r.stderr)
	}
}

func TestConfigValueKinds(t *testing.T) {
	a := newTestApp()
	p := writeConfig(t, `
workers: 12
table: ks.events
columns: [id, "name", 3]
watch: true
timeout: 90s
ratio: 0.25
log-level: debug
`)
	r := a.exec(t, nil, nil, "--config", p)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if *a.workers != 12 || *a.table != "ks.events" || !*a.watch || *a.timeout != 90*time.Second || *a.ratio != 0.25 {
		t.Fatalf("values: %d %q %v %v %v", *a.workers, *a.table, *a.watch, *a.timeout, *a.ratio)
	}
	if got := strings.Join(*a.cols, "|"); got != "id|name|3" {
		t.Fatalf("columns = %q", got)
	}
	if a.logLevel != "debug" {
		t.Fatalf("log-level = %q", a.logLevel)
	}
}

func TestListFromEnvAndConfigString(t *testing.T) {
	a := newTestApp()
	r := a.exec(t, map[string]string{"LADING_COLUMNS": "a, b,c"}, nil)
	if r.code != 0 || strings.Join(*a.cols, "|") != "a|b|c" {
		t.Fatalf("exit %d columns %q", r.code, *a.cols)
	}
	a = newTestApp()
	r = a.exec(t, nil, nil, "--config", writeConfig(t, "columns: x,y\n"))
	if r.code != 0 || strings.Join(*a.cols, "|") != "x|y" {
		t.Fatalf("exit %d columns %q", r.code, *a.cols)
	}
	// A list given on the command line replaces, not extends, the config's.
	a = newTestApp()
	r = a.exec(t, nil, nil, "--config", writeConfig(t, "columns: [x, y]\n"), "--columns", "z")
	if r.code != 0 || strings.Join(*a.cols, "|") != "z" {
		t.Fatalf("exit %d columns %q", r.code, *a.cols)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		config string
		want   string
	}{
		{name: "unknown flag", args: []string{"--bogus"}, want: "exporter: unknown flag: --bogus (see exporter --help)\n"},
		{name: "bad int flag", args: []string{"--workers", "many"}, want: `invalid argument "many" for "--workers" flag`},
		{name: "positional", args: []string{"extra"}, want: "exporter: unexpected argument \"extra\" (see exporter --help)\n"},
		{name: "unknown key", config: "workers: 2\nwrokers: 3\n", want: `unknown key "wrokers"`},
		{name: "key config", config: "config: other.yaml\n", want: `unknown key "config"`},
		{name: "key help", config: "help: true\n", want: `unknown key "help"`},
		{name: "nested", config: "table:\n  a: b\n", want: `key "table": want a string, number, bool or list, not map[string]interface {}`},
		{name: "empty value", config: "table:\n", want: `key "table": no value`},
		{name: "bad config value", config: "workers: lots\n", want: `key "workers": invalid value: strconv.ParseInt: parsing "lots"`},
		{name: "list for scalar", config: "workers: [1, 2]\n", want: `key "workers": invalid value: takes one value, not a list`},
		{name: "not a mapping", config: "- a\n- b\n", want: "not a YAML mapping"},
		{name: "missing config", args: []string{"--config", "/nonexistent/lading.yaml"}, want: "config /nonexistent/lading.yaml: open"},
		{name: "bad env", env: map[string]string{"LADING_WORKERS": "lots"}, want: `LADING_WORKERS: invalid value "lots" for --workers: strconv.ParseInt`},
		{name: "bad env bool", env: map[string]string{"LADING_WATCH": "maybe"}, want: `LADING_WATCH: invalid value "maybe" for --watch`},
		{name: "bad log level", args: []string{"--log-level", "loud"}, want: `exporter: --log-level "loud": want debug, info, warn or error` + "\n"},
		{name: "bad log format", env: map[string]string{"LADING_LOG_FORMAT": "xml"}, want: `--log-format "xml": want text or json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestApp()
			args := tc.args
			if tc.config != "" {
				args = append(args, "--config", writeConfig(t, tc.config))
			}
			ran := false
			r := a.exec(t, tc.env, func(context.Context, *Runtime) error { ran = true; return nil }, args...)
			if r.code != fault.ExitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if ran {
				t.Fatal("run was called despite a usage error")
			}
			if !strings.Contains(r.stderr, tc.want) || !strings.HasPrefix(r.stderr, "exporter: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("stderr %q, want one line containing %q", r.stderr, tc.want)
			}
		})
	}
}

func TestSensitiveValuesNeverPrinted(t *testing.T) {
	const v = "hunter2"
	a := newTestApp()
	a.Flags().Int("token-limit", 0, "an int flag with a sensitive name")
	r := a.exec(t, nil, nil, "--token-limit", v)
	if r.code != 2 || strings.Contains(r.stderr, v) || !strings.Contains(r.stderr, "invalid value for --token-limit") {
		t.Fatalf("flag: exit %d stderr %q", r.code, r.stderr)
	}
	a = newTestApp()
	a.Flags().Int("token-limit", 0, "")
	r = a.exec(t, map[string]string{"LADING_TOKEN_LIMIT": v}, nil)
	if r.code != 2 || strings.Contains(r.stderr, v) || !strings.Contains(r.stderr, "LADING_TOKEN_LIMIT: invalid value [redacted] for --token-limit") {
		t.Fatalf("env: exit %d stderr %q", r.code, r.stderr)
	}
	a = newTestApp()
	a.Flags().Int("token-limit", 0, "")
	r = a.exec(t, nil, nil, "--config", writeConfig(t, "token-limit: "+v+"\n"))
	if r.code != 2 || strings.Contains(r.stderr, v) || !strings.Contains(r.stderr, `key "token-limit": invalid value`) {
		t.Fatalf("config: exit %d stderr %q", r.code, r.stderr)
	}
	// The debug line listing the flags redacts them, and --help hides the default.
	a = newTestApp()
	r = a.exec(t, nil, nil, "--api-secret", v, "--log-level", "debug", "--workers", "3")
	if r.code != 0 || strings.Contains(r.stderr, v) || !strings.Contains(r.stderr, "--api-secret=[redacted]") || !strings.Contains(r.stderr, `--workers=\"3\"`) {
		t.Fatalf("debug log: exit %d stderr %q", r.code, r.stderr)
	}
	a = newTestApp()
	r = a.exec(t, nil, nil, "--help")
	if strings.Contains(r.stdout, "default-hidden") || !strings.Contains(r.stdout, "--api-secret") {
		t.Fatalf("help shows a sensitive default:\n%s", r.stdout)
	}
	if f := a.Flags().Lookup("api-secret"); f.DefValue != "default-hidden" {
		t.Fatalf("help did not restore the default: %q", f.DefValue)
	}
}

func TestSensitiveNames(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "db-password": true, "client-secret": true, "Token": true, "api-key": true,
		"private_key": true, "access-key-id": true, "credentials-file": true,
		"keyspace": false, "keys": false, "keys-per-unit": false, "monkey": false,
		"table": false, "workers": false, "dest": false,
	} {
		if sensitive(name) != want {
			t.Errorf("sensitive(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{errors.New("scan range 7: timeout"), 1, "exporter: scan range 7: timeout\n"},
		{fault.Usagef("--table %q: want KS.TABLE", "x"), 2, "exporter: --table \"x\": want KS.TABLE\n"},
		{fault.Verifyf("part-1: crc32c mismatch"), 3, "exporter: part-1: crc32c mismatch\n"},
		{fmt.Errorf("wrapped: %w", fault.Verifyf("count mismatch")), 3, "exporter: wrapped: count mismatch\n"},
		{errors.Join(errors.New("a failed"), errors.New("b failed")), 1, "exporter: a failed; b failed\n"},
	} {
		a := newTestApp()
		r := a.exec(t, nil, func(context.Context, *Runtime) error { return tc.err }, "--table", "ks.t")
		if r.code != tc.code || r.stderr != tc.stderr {
			t.Errorf("err %v: exit %d stderr %q; want %d %q", tc.err, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		a := newTestApp()
		ran := false
		r := a.exec(t, nil, func(context.Context, *Runtime) error { ran = true; return nil }, arg)
		if r.code != 0 || ran || r.stderr != "" {
			t.Fatalf("%s: exit %d ran %v stderr %q", arg, r.code, ran, r.stderr)
		}
		for _, want := range []string{
			"exporter: dump a table\n", "Usage:\n  exporter --table KS.TABLE [options]\n",
			"--workers int", "--log-format string", "--config file", "--report file", "--progress", "--version",
			"Examples:\n  exporter --table ks.t\n\n  exporter --table ks.u --workers 4\n",
			"LADING_LOG_LEVEL", "Exit codes: 0 done",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s output lacks %q:\n%s", arg, want, r.stdout)
			}
		}
	}
	// --help wins over an unknown later flag and a bad env value.
	a := newTestApp()
	if r := a.exec(t, map[string]string{"LADING_WORKERS": "x"}, nil, "--help", "--bogus"); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
		t.Fatalf("help with errors: exit %d %q", r.code, r.stderr)
	}
	a = newTestApp()
	r := a.exec(t, nil, nil, "--version")
	if r.code != 0 || r.stdout != "exporter dev\n" {
		t.Fatalf("version: exit %d %q", r.code, r.stdout)
	}
}

func TestAllowArgs(t *testing.T) {
	a := newTestApp()
	a.AllowArgs()
	r := a.exec(t, nil, nil, "one", "--workers", "2", "two")
	if r.code != 0 || strings.Join(r.rt.Args, ",") != "one,two" || *a.workers != 2 {
		t.Fatalf("exit %d args %v", r.code, r.rt.Args)
	}
}

func TestRuntime(t *testing.T) {
	a := newTestApp()
	r := a.exec(t, map[string]string{"JOB_COMPLETION_INDEX": "4"}, func(ctx context.Context, rt *Runtime) error {
		rt.Logger.Info("hello", "rows", 3)
		rt.Logger.Debug("hidden")
		rt.Run.Add("rows", 3)
		if rt.Env("JOB_COMPLETION_INDEX") != "4" || rt.Progress || rt.Run.Command() != "exporter" {
			return errors.New("runtime fields wrong")
		}
		fmt.Fprint(rt.Stdout, "out")
		return nil
	})
	if r.code != 0 || r.stdout != "out" || !strings.Contains(r.stderr, "level=INFO msg=hello rows=3") || strings.Contains(r.stderr, "hidden") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestLogFormatJSONAndLevel(t *testing.T) {
	a := newTestApp()
	r := a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		rt.Logger.Info("skipped")
		rt.Logger.Warn("throttle", "from", 8, "to", 4)
		return nil
	}, "--log-format", "json", "--log-level", "warn")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 {
		t.Fatalf("stderr lines %q", lines)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("not JSON: %q", lines[0])
	}
	// Cloud Logging's field names, which most collectors also read.
	if rec["message"] != "throttle" || rec["severity"] != "WARNING" || rec["from"] != 8.0 || rec["to"] != 4.0 ||
		rec["msg"] != nil || rec["level"] != nil {
		t.Fatalf("record %v", rec)
	}
	if ts, _ := rec["time"].(string); !strings.HasSuffix(ts, "Z") {
		t.Fatalf("time %q: want RFC 3339 in UTC", ts)
	} else if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		t.Fatalf("time %q: %v", ts, err)
	}
}

func TestReportFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	a := newTestApp()
	r := a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		rt.Run.Add("rows", 42)
		rt.Run.Set("units_total", 3)
		rt.Run.Event("throttle", "from", 2, "to", 1, "reason", "overloaded")
		return fault.Verifyf("part-1: crc32c mismatch")
	}, "--report", path)
	if r.code != 3 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Command  string           `json:"command"`
		ExitCode *int             `json:"exit_code"`
		Error    string           `json:"error"`
		Counters map[string]int64 `json:"counters"`
		Gauges   map[string]int64 `json:"gauges"`
		Events   []map[string]any `json:"events"`
		Finished *time.Time       `json:"finished"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("report %s: %v", b, err)
	}
	if doc.Command != "exporter" || doc.ExitCode == nil || *doc.ExitCode != 3 || doc.Error != "part-1: crc32c mismatch" ||
		doc.Counters["rows"] != 42 || doc.Gauges["units_total"] != 3 || len(doc.Events) != 1 || doc.Finished == nil {
		t.Fatalf("report = %s", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("report mode %v", fi.Mode())
	}

	// A report written after a usage error in setup still says so.
	a = newTestApp()
	r = a.exec(t, nil, nil, "--report", path, "--log-level", "loud")
	if r.code != 2 {
		t.Fatalf("exit %d", r.code)
	}
	b, _ = os.ReadFile(path)
	if !strings.Contains(string(b), `"exit_code":2`) || !strings.Contains(string(b), "--log-level") {
		t.Fatalf("usage report = %s", b)
	}
}

func TestReportWriteFailureFailsRun(t *testing.T) {
	a := newTestApp()
	path := filepath.Join(t.TempDir(), "missing-dir", "run.json")
	r := a.exec(t, nil, nil, "--report", path)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "exporter: write report:") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestProgressFlagPrintsLines(t *testing.T) {
	a := newTestApp()
	a.progressInterval = 5 * time.Millisecond
	r := a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		if !rt.Progress {
			return errors.New("Progress is false with --progress")
		}
		rt.Run.Add("rows", 1500)
		rt.Run.Add("bytes", 2_000_000)
		time.Sleep(30 * time.Millisecond)
		return nil
	}, "--progress")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "rows 1500 ") || !strings.Contains(r.stderr, "2.00 MB ") || strings.Contains(r.stderr, "\r") {
		t.Fatalf("progress output %q", r.stderr)
	}
	// Without --progress and without a terminal: nothing.
	a = newTestApp()
	r = a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		rt.Run.Add("rows", 1500)
		return nil
	})
	if r.stderr != "" {
		t.Fatalf("unexpected output %q", r.stderr)
	}
}

func TestCancelCauseInError(t *testing.T) {
	a := newTestApp()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted by terminated"))
	var errb bytes.Buffer
	code := a.Execute(ctx, nil, nil, &bytes.Buffer{}, &errb, func(ctx context.Context, rt *Runtime) error {
		<-ctx.Done()
		return fmt.Errorf("scan: %w", ctx.Err())
	})
	if code != 1 || errb.String() != "exporter: interrupted by terminated: scan: context canceled\n" {
		t.Fatalf("exit %d stderr %q", code, errb.String())
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{"log-level": "LADING_LOG_LEVEL", "workers": "LADING_WORKERS", "target-table": "LADING_TARGET_TABLE"} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}
