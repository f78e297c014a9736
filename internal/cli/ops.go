package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/metrics"
	"github.com/lading-dev/lading/internal/report"
)

// DefaultNotifyTimeout bounds how long one notification may take, retries
// included, and so how long a failing or hanging webhook can delay the
// command's exit.
const DefaultNotifyTimeout = 10 * time.Second

// opsFlags are the flags for running the commands as scheduled jobs:
// metrics, notifications (reports and logs are in App).
type opsFlags struct {
	metricsAddr   string
	notify        []string
	notifyTimeout time.Duration
}

func (a *App) addOpsFlags() {
	fs := a.fs
	fs.StringVar(&a.ops.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics while the command runs (e.g. :9464; 127.0.0.1:0 picks a free port and logs it)")
	fs.StringArrayVar(&a.ops.notify, "notify", nil, "POST a JSON summary (Slack-compatible \"text\") to this webhook `URL` when each dump succeeds or fails (repeat for several; a failing webhook never fails the job)")
	fs.DurationVar(&a.ops.notifyTimeout, "notify-timeout", DefaultNotifyTimeout, "most time one notification may take, retries included")
}

// DumpOutcome is what a command did to one dump, for the report written
// beside the dump's state and for --notify.
type DumpOutcome struct {
	// Store is the URL of the store holding the dump: its root, or the
	// dump's own prefix. Dump is <batch>/<table>/<timestamp>.
	Store, Dump string
	// Table is keyspace.table (or the DynamoDB table's name).
	Table string
	// Outcome says what happened in the command's words ("complete",
	// "shipped", "loaded", "failed", ...); Err is set on failure.
	Outcome string
	Err     error
	// Target is where the loader wrote (empty for the others).
	Target             string
	Rows, Bytes, Files int64
	// Quiet records the dump for the report beside its state without
	// notifying (e.g. a shard's share done while the dump goes on).
	Quiet bool
}

// Failed reports whether the dump's outcome is a failure.
func (d DumpOutcome) Failed() bool { return d.Err != nil || d.Outcome == "failed" }

// opsRun is the per-run state behind Runtime.DumpDone.
type opsRun struct {
	mu       sync.Mutex
	dumps    []DumpOutcome
	notifier *notifier
}

// DumpDone records what the command did to one dump: the run report is
// also written beside the dump's state at exit, and --notify webhooks are
// told now, in the background. Safe for concurrent use.
func (rt *Runtime) DumpDone(d DumpOutcome) {
	if rt == nil || rt.ops == nil {
		return
	}
	rt.ops.mu.Lock()
	rt.ops.dumps = append(rt.ops.dumps, d)
	rt.ops.mu.Unlock()
	if !d.Quiet {
		rt.ops.notifier.dump(rt.Run, d)
	}
}

// checkOps validates the operations flags after parsing (usage errors).
func (a *App) checkOps() error {
	for _, raw := range a.ops.notify {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fault.Usagef("--notify %s: want an http:// or https:// URL", webhookName(raw))
		}
	}
	if a.ops.notifyTimeout <= 0 {
		return fault.Usagef("--notify-timeout %s: want a positive duration", a.ops.notifyTimeout)
	}
	return nil
}

// startOps starts the metrics server and the notifier; the returned
// function stops the metrics server.
func (a *App) startOps(rt *Runtime) (stop func(), err error) {
	rt.ops = &opsRun{notifier: newNotifier(a.name, a.ops.notify, a.ops.notifyTimeout, rt.Logger, a.secrets.Scrub)}
	if a.ops.metricsAddr == "" {
		return func() {}, nil
	}
	srv, err := metrics.Serve(a.ops.metricsAddr, rt.Run, rt.Logger)
	if err != nil {
		return nil, fault.Usage(err)
	}
	return func() {
		if err := srv.Close(); err != nil {
			rt.Logger.Warn("metrics server", "err", err.Error())
		}
	}, nil
}

// finishOps runs after the report is finished: it writes the report
// beside each dump's state, tells the webhooks about a run that failed
// before any dump was known, and waits (boundedly) for notifications.
func (a *App) finishOps(rt *Runtime, runErr error) {
	if rt == nil || rt.ops == nil {
		return
	}
	rt.ops.mu.Lock()
	dumps := append([]DumpOutcome(nil), rt.ops.dumps...)
	rt.ops.mu.Unlock()
	if runErr != nil && len(dumps) == 0 {
		rt.ops.notifier.dump(rt.Run, DumpOutcome{Outcome: "failed", Err: runErr})
	}
	a.writeBucketReports(rt, dumps)
	rt.ops.notifier.wait()
}

// hostname is the host part of report names; "unknown" if it cannot be
// read.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, h)
}

// reportName is the report's file name beside a dump's state:
// <command>-<finished, basic ISO 8601 with milliseconds>-<host>.json.
func reportName(command string, finished time.Time, host string) string {
	return fmt.Sprintf("%s-%s-%s.json", command, finished.UTC().Format("20060102T150405.000Z"), host)
}

// reportForRun is report.Run's finished time (now when unknown).
func finishedAt(run *report.Run) time.Time {
	if f := run.Finished(); !f.IsZero() {
		return f
	}
	return time.Now()
}

// bounded returns a context for a step at exit that must not hang.
func bounded(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
