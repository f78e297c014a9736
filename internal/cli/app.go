// Package cli is the command-line runtime shared by exporter, shipper and
// loader: common flags, configuration from a YAML file and LADING_*
// environment variables, slog setup, progress on stderr, signal handling,
// the JSON run report and the mapping of errors to exit codes
// (internal/fault). A main builds an App, adds its own flags, and hands
// Main a function that calls one library entry point with the Runtime.
//
// Precedence of flag values: command line > LADING_<FLAG_NAME> environment
// variable (upper case, dashes as underscores) > --config file > default.
//
// The version printed by --version lives in internal/version (set with
// -ldflags "-X github.com/lading-dev/lading/internal/version.Version=..."),
// so libraries such as the manifest writer can read it without importing
// this package.
package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/report"
)

// EnvPrefix prefixes the environment variable of every flag.
const EnvPrefix = "LADING_"

// Runtime is what a command's run function receives.
type Runtime struct {
	// Logger writes structured logs to stderr (text, or JSON with
	// --log-format json). Pass it to libraries.
	Logger *slog.Logger
	// Run records counters, gauges and events; it is written as the
	// --report file at exit and drives the progress line.
	Run *report.Run
	// Stdout and Stderr are the process's streams (buffers in tests).
	Stdout, Stderr io.Writer
	// Env looks up environment variables (os.Getenv outside tests); use it
	// instead of os.Getenv so tests can inject values (e.g. for shards).
	Env func(string) string
	// Progress is true when a progress printer is active on stderr.
	Progress bool
	// Args are the positional arguments, only non-empty after AllowArgs.
	Args []string

	ops *opsRun // dumps recorded with DumpDone, the notifier
}

// RunFunc is a command's body.
type RunFunc func(ctx context.Context, rt *Runtime) error

// App is one command: its flags and how it runs.
type App struct {
	name, summary, usage, examples string

	fs        *pflag.FlagSet
	allowArgs bool

	// common flags
	configFile string
	logFormat  string
	logLevel   string
	progress   bool
	reportFile string
	version    bool
	help       bool

	// progressInterval overrides the printer's interval (tests).
	progressInterval time.Duration
	// environ lists the environment whose secret values are hidden from
	// all output (os.Environ when nil; tests set it).
	environ func() []string
	secrets *redact.Secrets
	ops     opsFlags
	// stdout is the process's standard output (after scrubbing), where
	// --report - goes.
	stdout io.Writer
}

// New returns an App named name (e.g. "exporter") with a one-line summary,
// a usage line ("exporter --source URL --table KS.TABLE --dest URL
// [options]") and examples (shown by --help, free text). It registers the
// common flags: --config, --log-format, --log-level, --progress, --report,
// --metrics-addr, --notify, --notify-timeout, --version and --help.
func New(name, summary, usage, examples string) *App {
	a := &App{name: name, summary: summary, usage: usage, examples: examples}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&a.configFile, "config", "", "read flags from this YAML `file` (keys are flag names)")
	fs.StringVar(&a.logFormat, "log-format", "text", "log format: text, or json (one record a line: time, severity, message, attributes; progress lines too)")
	fs.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&a.progress, "progress", false, "print progress lines on stderr even when it is not a terminal (every 10s)")
	fs.StringVar(&a.reportFile, "report", "", "write a JSON run report to this `file` at exit (\"-\": standard output, and the command's summary lines go to standard error); it is also written beside each dump's state in the store, <dump>/_state/reports/")
	fs.BoolVar(&a.version, "version", false, "print the version and exit")
	fs.BoolVarP(&a.help, "help", "h", false, "show this help and exit")
	a.fs = fs
	a.addOpsFlags()
	return a
}

// Name returns the command name.
func (a *App) Name() string { return a.name }

// Flags returns the flag set, for the command to add its own flags before
// Main.
func (a *App) Flags() *pflag.FlagSet { return a.fs }

// AllowArgs lets the command take positional arguments (Runtime.Args);
// by default any is a usage error.
func (a *App) AllowArgs() { a.allowArgs = true }

// Main parses os.Args, runs run with a context cancelled by SIGINT or
// SIGTERM (a second signal exits at once), reports the outcome and exits
// with its code. It never returns.
func (a *App) Main(run RunFunc) {
	ctx, stop := notifyContext(func(msg string) { a.printLine(os.Stderr, "WARNING", msg, -1) })
	stopProfile := startProfile(os.Getenv(ProfileEnv), func(msg string) { a.printLine(os.Stderr, "WARNING", msg, -1) })
	code := a.Execute(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, run)
	stopProfile()
	stop()
	os.Exit(code)
}
