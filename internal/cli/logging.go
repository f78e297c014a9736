package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/fault"
)

// newLogger builds the slog logger for --log-format and --log-level. Every
// string, error and list of strings in a record goes through scrub before
// it is formatted, so text and JSON lines are redacted alike.
func newLogger(w io.Writer, format, level string, scrub func(string) string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "info", "":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fault.Usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		a.Value = scrubValue(a.Value, scrub)
		return a
	}}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.TimeKey:
					return slog.String("time", a.Value.Time().UTC().Format(time.RFC3339Nano))
				case slog.LevelKey:
					return slog.String("severity", Severity(a.Value.Any().(slog.Level)))
				case slog.MessageKey:
					return slog.String("message", scrub(a.Value.String()))
				}
			}
			a.Value = scrubValue(a.Value, scrub)
			return a
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fault.Usagef("--log-format %q: want text or json", format)
	}
}

// scrubValue redacts a log attribute's value: strings, errors, stringers
// and string lists become scrubbed strings; numbers, times and the like
// carry no secret and stay as they are.
func scrubValue(v slog.Value, scrub func(string) string) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(scrub(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.StringValue(scrub(x.Error()))
		case fmt.Stringer:
			return slog.StringValue(scrub(x.String()))
		case []string:
			out := make([]string, len(x))
			for i, s := range x {
				out[i] = scrub(s)
			}
			return slog.AnyValue(out)
		case string:
			return slog.StringValue(scrub(x))
		}
	}
	return v
}

// Severity names a log level as Cloud Logging does (DEBUG, INFO, WARNING,
// ERROR), which most log collectors also recognise.
func Severity(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "DEBUG"
	case l < slog.LevelWarn:
		return "INFO"
	case l < slog.LevelError:
		return "WARNING"
	default:
		return "ERROR"
	}
}

func isJSON(format string) bool { return strings.EqualFold(format, "json") }

// printError prints the command's one-line error on stderr: plain text,
// or with --log-format json a log record like every other line there.
func (a *App) printError(stderr io.Writer, err error, code int) {
	a.printLine(stderr, "ERROR", oneLine(a.secrets.Scrub(err.Error())), code)
}

// printLine prints "<command>: msg" on stderr outside the logger (before
// it exists, or after it is done): plain text, or with --log-format json a
// record with the logger's field names, and the exit code when code >= 0.
func (a *App) printLine(stderr io.Writer, severity, msg string, code int) {
	msg = a.name + ": " + msg
	if !isJSON(a.logFormat) {
		fmt.Fprintln(stderr, msg)
		return
	}
	rec := map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "severity": severity, "message": msg}
	if code >= 0 {
		rec["exit_code"] = code
	}
	b, _ := json.Marshal(rec)
	stderr.Write(append(b, '\n'))
}
