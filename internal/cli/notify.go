package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/version"
)

// Notification is the JSON body POSTed to --notify webhooks: Slack's
// incoming webhooks (and Mattermost, Google Chat, Teams workflows) show
// Text; other receivers read Lading.
type Notification struct {
	Text   string        `json:"text"`
	Lading NotifySummary `json:"lading"`
}

// NotifySummary is the structured part of a notification.
type NotifySummary struct {
	Command string    `json:"command"`
	Version string    `json:"version"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	// Outcome is the command's word for what happened ("complete",
	// "shipped", "loaded", "failed"); Success is false for a failure.
	Outcome string `json:"outcome"`
	Success bool   `json:"success"`
	Dump    string `json:"dump,omitempty"`
	Table   string `json:"table,omitempty"`
	Target  string `json:"target,omitempty"`
	Rows    int64  `json:"rows"`
	Bytes   int64  `json:"bytes"`
	Files   int64  `json:"files"`
	Error   string `json:"error,omitempty"`
	// Run holds the run's counters so far.
	Run map[string]int64 `json:"run_counters"`
}

// notifier posts notifications in the background, each bounded in time
// with its retries, so a webhook can neither fail the job nor hold it up
// for longer than the timeout.
type notifier struct {
	command string
	urls    []string
	timeout time.Duration
	log     *slog.Logger
	scrub   func(string) string
	client  *http.Client
	host    string
	wg      sync.WaitGroup
}

func newNotifier(command string, urls []string, timeout time.Duration, log *slog.Logger, scrub func(string) string) *notifier {
	return &notifier{command: command, urls: urls, timeout: timeout, log: log, scrub: scrub,
		client: &http.Client{}, host: hostname()}
}

// dump sends the notification of one dump's outcome to every webhook.
func (n *notifier) dump(run *report.Run, d DumpOutcome) {
	if n == nil || len(n.urls) == 0 {
		return
	}
	body, err := json.Marshal(n.message(run, d))
	if err != nil {
		n.log.Warn("notification not sent", "err", err.Error())
		return
	}
	body = redact.JSONStrings(body, n.scrub)
	for _, u := range n.urls {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
			defer cancel()
			attempts, err := n.post(ctx, u, body)
			if err != nil {
				n.log.Warn("notification failed; the job goes on", "webhook", webhookName(u), "attempts", attempts, "err", n.scrub(err.Error()))
				return
			}
			n.log.Info("notification sent", "webhook", webhookName(u), "attempts", attempts, "dump", d.Dump)
		}()
	}
}

// message builds the notification of d.
func (n *notifier) message(run *report.Run, d DumpOutcome) Notification {
	s := NotifySummary{Command: n.command, Version: version.Version, Host: n.host, Time: time.Now().UTC(),
		Outcome: d.Outcome, Success: !d.Failed(), Dump: d.Dump, Table: d.Table, Target: d.Target,
		Rows: d.Rows, Bytes: d.Bytes, Files: d.Files, Run: run.Snapshot().Counters}
	if d.Err != nil {
		s.Error = oneLine(d.Err.Error())
	}
	what := d.Dump
	if what == "" {
		what = "run"
	}
	var text string
	if s.Success {
		text = fmt.Sprintf("lading %s on %s: %s %s: %d rows, %d files, %s", n.command, n.host, what, d.Outcome,
			d.Rows, d.Files, report.HumanBytes(float64(d.Bytes)))
		if d.Target != "" {
			text += " into " + d.Target
		}
	} else {
		text = fmt.Sprintf("lading %s on %s: %s FAILED: %s", n.command, n.host, what, s.Error)
	}
	return Notification{Text: text, Lading: s}
}

// Backoff between notification attempts: doubling from the first, capped.
const (
	notifyFirstBackoff = 200 * time.Millisecond
	notifyMaxBackoff   = 2 * time.Second
	notifyAttemptLimit = 5 * time.Second
)

// post sends body to u until it is accepted (2xx), refused for good (a
// 4xx other than 408 and 429) or ctx ends. It returns the attempts made.
func (n *notifier) post(ctx context.Context, u string, body []byte) (int, error) {
	wait := notifyFirstBackoff
	for attempt := 1; ; attempt++ {
		retry, err := n.postOnce(ctx, u, body)
		if err == nil || !retry {
			return attempt, err
		}
		d := wait/2 + rand.N(wait/2+1) // jitter: a fleet of jobs does not retry in step
		select {
		case <-ctx.Done():
			return attempt, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		case <-time.After(d):
		}
		wait = min(2*wait, notifyMaxBackoff)
	}
}

// postOnce makes one attempt and says whether another may succeed.
func (n *notifier) postOnce(ctx context.Context, u string, body []byte) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, notifyAttemptLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "lading/"+version.Version)
	resp, err := n.client.Do(req)
	if err != nil {
		// The error quotes the URL, whose path may hold the webhook's
		// secret: keep only what went wrong.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return true, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return true, fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return false, fmt.Errorf("webhook answered %s", resp.Status)
	}
}

// wait returns when every notification sent is done; each is bounded by
// the timeout, so this is too.
func (n *notifier) wait() {
	if n != nil {
		n.wg.Wait()
	}
}

// webhookName is a webhook URL safe to print: its scheme and host only,
// since the path of many webhooks (Slack's among them) is the secret.
func webhookName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "[webhook URL]"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
