package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/report"
	"github.com/lading-dev/lading/internal/version"
)

// Execute is Main without the process around it: it parses args (without
// the program name), applies env and the config file, sets up logging,
// progress and the run report, calls run, and returns the exit code. All
// output goes to stdout (help, version) and stderr (logs, progress, the
// one-line error).
func (a *App) Execute(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer, run RunFunc) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	// Everything the command prints passes through the scrubber: URLs lose
	// their user info and secret parameters, and the values of secret
	// environment variables are hidden wherever a library quoted them.
	environ := a.environ
	if environ == nil {
		environ = os.Environ
	}
	files, ferr := readSecretFiles(env)
	if ferr == nil {
		env, ferr = withSecretFiles(env, files, a.environ == nil)
	}
	kv := environ()
	for name, v := range files {
		kv = append(kv, name+"="+v)
	}
	a.secrets = redact.FromEnv(kv)
	term := isTerminal(stderr)
	stdout, stderr = a.scrubWriter(stdout), a.scrubWriter(stderr)
	rep := report.New(a.name)
	err := a.parse(args, env)
	if err == nil && !a.help && !a.version {
		err = ferr
	}
	switch {
	case err == nil:
	case a.help:
		// --help wins over other mistakes on the line.
		a.printHelp(stdout)
		return fault.ExitOK
	default:
		return a.fail(stderr, rep, fmt.Errorf("%w (see %s --help)", err, a.name), false)
	}
	if a.help {
		a.printHelp(stdout)
		return fault.ExitOK
	}
	if a.version {
		fmt.Fprintf(stdout, "%s %s\n", a.name, version.Version)
		return fault.ExitOK
	}

	if err := a.checkOps(); err != nil {
		return a.fail(stderr, rep, err, false)
	}
	// With --report -, standard output carries the report alone: the
	// command's own summary lines go to standard error.
	a.stdout = stdout
	if a.reportFile == "-" {
		stdout = stderr
	}

	progress := a.newProgress(rep, stderr, term)
	logw := stderr
	if progress != nil {
		logw = progress.Writer()
	}
	logger, err := newLogger(logw, a.logFormat, a.logLevel, a.secrets.Scrub)
	if err != nil {
		return a.fail(stderr, rep, err, true)
	}
	logger.Debug("starting", "command", a.name, "version", version.Version, "flags", a.changedFlags())

	rt := &Runtime{
		Logger:   logger,
		Run:      rep,
		Stdout:   stdout,
		Stderr:   stderr,
		Env:      env,
		Progress: progress != nil,
		Args:     a.fs.Args(),
	}
	stopMetrics, err := a.startOps(rt)
	if err != nil {
		return a.fail(stderr, rep, err, true)
	}
	if progress != nil {
		progress.Start()
	}
	err = run(ctx, rt)
	if progress != nil {
		progress.Stop()
	}
	stopMetrics()
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
	}
	code := a.fail(stderr, rep, err, true)
	a.finishOps(rt, err)
	return code
}

// fail finishes the report with err (nil for success), writes it when asked
// (and allowed: the --report flag may not have been parsed), prints the
// one-line error and returns the exit code.
func (a *App) fail(stderr io.Writer, rep *report.Run, err error, writeReport bool) int {
	code := fault.Code(err)
	rep.Finish(err, code)
	if writeReport && a.reportFile != "" {
		if werr := a.writeReport(rep); werr != nil {
			a.printError(stderr, werr, code)
			if code == fault.ExitOK {
				code = fault.ExitRetry
			}
		}
	}
	if err != nil {
		a.printError(stderr, err, code)
	}
	return code
}

// writeReport writes the run report to --report: a file, or standard
// output for "-".
func (a *App) writeReport(rep *report.Run) error {
	if a.reportFile != "-" {
		return writeReportFile(a.reportFile, rep, a.secrets.Scrub)
	}
	b, err := rep.MarshalJSON()
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	b = append(redact.JSONStrings(b, a.secrets.Scrub), '\n')
	if _, err := a.stdout.Write(b); err != nil {
		return fmt.Errorf("write report to standard output: %w", err)
	}
	return nil
}

// oneLine folds a multi-line message (e.g. from errors.Join) into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
}

// newProgress returns the printer to use, or nil: in place every second
// on a terminal; plain lines every 10s with --progress otherwise.
func (a *App) newProgress(rep *report.Run, stderr io.Writer, terminal bool) *report.Progress {
	opts := report.ProgressOptions{Interval: a.progressInterval}
	switch {
	case isJSON(a.logFormat) && (terminal || a.progress):
		// Collectors read stderr line by line: records, never in place.
		opts.JSON = true
	case terminal:
		opts.InPlace = true
	case a.progress:
	default:
		return nil
	}
	return report.NewProgress(rep, stderr, opts)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// scrubWriter passes every write through the scrubber. Each log record,
// progress line and message is one write, so a URL or secret is never cut
// in two.
type scrubWriter struct {
	w     io.Writer
	scrub func(string) string
}

func (a *App) scrubWriter(w io.Writer) io.Writer {
	return &scrubWriter{w: w, scrub: a.secrets.Scrub}
}

// Write reports len(p) when the scrubbed text was written whole: callers
// count the bytes they gave, not what reached the terminal.
func (s *scrubWriter) Write(p []byte) (int, error) {
	in := string(p)
	out := s.scrub(in)
	if out == in {
		return s.w.Write(p)
	}
	if _, err := io.WriteString(s.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeReportFile writes the run report atomically: a temporary file in
// the same directory, synced, then renamed over path. Every string in it
// (the error, event attributes) goes through scrub first.
func writeReportFile(path string, rep *report.Run, scrub func(string) string) error {
	b, err := rep.MarshalJSON()
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	b = append(redact.JSONStrings(b, scrub), '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
