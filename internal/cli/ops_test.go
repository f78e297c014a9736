package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hook is a local webhook whose handler the test chooses; it keeps every
// request's body.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newHook(t *testing.T, answer func(h *hook, body string, w http.ResponseWriter, r *http.Request)) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
		answer(h, string(b), w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// Three webhooks: one that answers, one that fails three times per dump
// then answers, one that never answers. Every dump's success and failure
// reach the first two, the job's exit code is untouched, the hanging one
// delays the exit by no more than --notify-timeout, and no secret is in a
// body or a log line (not the password in an error, not the webhook's
// secret path).
func TestNotifyWebhooks(t *testing.T) {
	ok := newHook(t, func(*hook, string, http.ResponseWriter, *http.Request) {})
	var fmu sync.Mutex
	fails := map[string]int{}
	flaky := newHook(t, func(h *hook, body string, w http.ResponseWriter, _ *http.Request) {
		var n Notification
		json.Unmarshal([]byte(body), &n)
		fmu.Lock()
		defer fmu.Unlock()
		if fails[n.Lading.Dump] < 3 {
			fails[n.Lading.Dump]++
			http.Error(w, "try later", http.StatusServiceUnavailable)
		}
	})
	release := make(chan struct{})
	hang := newHook(t, func(_ *hook, _ string, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)

	const secret = "s3cr3t-pass-123456"
	a := newTestApp()
	a.environ = func() []string { return []string{"CASSANDRA_PASSWORD=" + secret} }
	begin := time.Now()
	r := a.exec(t, nil, func(ctx context.Context, rt *Runtime) error {
		rt.Run.Add("rows", 7)
		rt.DumpDone(DumpOutcome{Store: "file:///nowhere", Dump: "b/ks.a/20261206T000000Z", Table: "ks.a", Outcome: "complete", Rows: 7, Files: 1, Bytes: 700, Quiet: false})
		rt.DumpDone(DumpOutcome{Dump: "b/ks.b/20261206T000000Z", Table: "ks.b", Outcome: "failed",
			Err: errors.New("connect to cassandra://lading:" + secret + "@10.0.0.1/: refused, password " + secret)})
		rt.DumpDone(DumpOutcome{Dump: "b/ks.c/20261206T000000Z", Table: "ks.c", Outcome: "shard done", Quiet: true})
		return nil
	}, "--notify", ok.URL+"/services/T000/B000/hooksecret", "--notify", flaky.URL, "--notify", hang.URL, "--notify-timeout", "2s")
	took := time.Since(begin)
	if r.code != 0 {
		t.Fatalf("exit %d: a webhook failed the job\n%s", r.code, r.stderr)
	}
	if took > 4*time.Second {
		t.Fatalf("the job took %s with a hanging webhook and --notify-timeout 2s", took)
	}
	got := ok.got()
	if len(got) != 2 {
		t.Fatalf("answering webhook got %d notifications, want 2 (the quiet one is not news): %q", len(got), got)
	}
	byDump := map[string]Notification{}
	for _, b := range got {
		if strings.Contains(b, secret) || strings.Contains(b, "hooksecret") {
			t.Fatalf("a secret in the notification: %s", b)
		}
		var n Notification
		if err := json.Unmarshal([]byte(b), &n); err != nil || n.Text == "" {
			t.Fatalf("not a notification with text: %s", b)
		}
		byDump[n.Lading.Dump] = n
	}
	okN, failN := byDump["b/ks.a/20261206T000000Z"], byDump["b/ks.b/20261206T000000Z"]
	if !okN.Lading.Success || okN.Lading.Rows != 7 || okN.Lading.Outcome != "complete" || !strings.Contains(okN.Text, "b/ks.a/20261206T000000Z complete: 7 rows") {
		t.Errorf("success notification: %+v", okN)
	}
	if failN.Lading.Success || !strings.Contains(failN.Text, "FAILED") || !strings.Contains(failN.Lading.Error, "refused") {
		t.Errorf("failure notification: %+v", failN)
	}
	if n := len(flaky.got()); n != 8 {
		t.Errorf("flaky webhook got %d requests, want 4 per dump (3 refused, then accepted)", n)
	}
	if len(hang.got()) == 0 {
		t.Errorf("the hanging webhook was never called")
	}
	if !strings.Contains(r.stderr, "notification failed") || !strings.Contains(r.stderr, "notification sent") {
		t.Errorf("stderr does not say which notifications went and which failed:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "hooksecret") || strings.Contains(r.stderr, secret) {
		t.Errorf("a secret in the logs:\n%s", r.stderr)
	}
}

// A run that fails before it knows a dump still tells the webhooks, and
// a webhook that refuses for good (4xx) is not retried.
func TestNotifyRunFailure(t *testing.T) {
	ok := newHook(t, func(*hook, string, http.ResponseWriter, *http.Request) {})
	gone := newHook(t, func(_ *hook, _ string, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such hook", http.StatusNotFound)
	})
	a := newTestApp()
	r := a.exec(t, nil, func(context.Context, *Runtime) error { return errors.New("list s3://b/p: timeout") },
		"--notify", ok.URL, "--notify", gone.URL)
	if r.code != 1 {
		t.Fatalf("exit %d, want the run's own 1", r.code)
	}
	got := ok.got()
	var n Notification
	if len(got) != 1 || json.Unmarshal([]byte(got[0]), &n) != nil || n.Lading.Success || !strings.Contains(n.Text, "run FAILED: list s3://b/p: timeout") {
		t.Fatalf("notifications %q", got)
	}
	if len(gone.got()) != 1 {
		t.Fatalf("a 404 webhook was called %d times, want once", len(gone.got()))
	}
}

func TestNotifyBadURL(t *testing.T) {
	for _, u := range []string{"ftp://h/x", "hooks.example/secretpath", "http://"} {
		r := newTestApp().exec(t, nil, nil, "--notify", u)
		if r.code != 2 || !strings.Contains(r.stderr, "--notify") || strings.Contains(r.stderr, "secretpath") {
			t.Errorf("--notify %s: exit %d %q", u, r.code, r.stderr)
		}
	}
}

// --report - prints the report, and only the report, on stdout; the
// command's summary lines move to stderr.
func TestReportToStdout(t *testing.T) {
	r := newTestApp().exec(t, nil, func(_ context.Context, rt *Runtime) error {
		rt.Run.Add("rows", 5)
		io.WriteString(rt.Stdout, "dump complete: 5 rows\n")
		return nil
	}, "--report", "-")
	var rep struct {
		Command  string
		ExitCode int `json:"exit_code"`
		Counters map[string]int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, r.stdout)
	}
	if r.code != 0 || rep.Command != "exporter" || rep.Counters["rows"] != 5 || !strings.Contains(r.stderr, "dump complete: 5 rows") {
		t.Fatalf("exit %d report %+v stderr %q", r.code, rep, r.stderr)
	}
}
