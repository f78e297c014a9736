package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
)

// Flags that only make sense on the command line: never from env or config.
var commandLineOnly = map[string]bool{"help": true, "version": true}

// EnvName returns the environment variable that sets flag name:
// "log-level" → "LADING_LOG_LEVEL".
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// sensitive reports whether a flag's value must never be printed, by the
// words of its name (redact.SensitiveName). lading takes secrets from the
// environment and credential chains, not flags; this is a guard in case
// such a flag appears.
func sensitive(name string) bool { return redact.SensitiveName(name) }

// shown returns v for printing: a placeholder for a sensitive flag, else v
// quoted with any URL in it redacted (user info, secret parameters).
func shown(flag, v string) string {
	if sensitive(flag) {
		return "[redacted]"
	}
	return strconv.Quote(redact.Text(v))
}

// parse applies, in increasing precedence, the config file, the
// environment and the command line. All errors are usage errors.
func (a *App) parse(args []string, env func(string) string) error {
	if err := a.fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			a.help = true
			return nil
		}
		return fault.Usage(a.redactParseError(err))
	}
	if a.help || a.version {
		return nil
	}
	if n := a.fs.NArg(); n > 0 && !a.allowArgs {
		return fault.Usagef("unexpected argument %q", a.fs.Arg(0))
	}
	// Flags given on the command line; env and config fill only the rest.
	onLine := map[string]bool{}
	a.fs.Visit(func(f *pflag.Flag) { onLine[f.Name] = true })

	var envErr error
	a.fs.VisitAll(func(f *pflag.Flag) {
		if envErr != nil || onLine[f.Name] || commandLineOnly[f.Name] {
			return
		}
		name := EnvName(f.Name)
		v := env(name)
		if v == "" {
			return
		}
		if err := setValue(f, []string{v}); err != nil {
			envErr = fault.Usagef("%s: invalid value %s for --%s%s", name, shown(f.Name, v), f.Name, detail(f.Name, err))
		}
	})
	if envErr != nil {
		return envErr
	}
	if a.configFile != "" {
		if err := a.applyConfig(a.configFile); err != nil {
			return err
		}
	}
	return nil
}

// detail is ": <err>" unless the flag is sensitive (parse errors quote the
// value).
func detail(flag string, err error) string {
	if sensitive(flag) {
		return ""
	}
	return ": " + err.Error()
}

// setValue sets a flag from one or more strings: a slice flag takes them
// as its whole new value; any other flag takes exactly one.
func setValue(f *pflag.Flag, vals []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		var items []string
		for _, v := range vals {
			items = append(items, splitList(v)...)
		}
		if err := sv.Replace(items); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	if len(vals) != 1 {
		return fmt.Errorf("takes one value, not a list")
	}
	if err := f.Value.Set(vals[0]); err != nil {
		return err
	}
	f.Changed = true
	return nil
}

// splitList splits a comma-separated list as slice flags do on the
// command line; an empty string is an empty list.
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// applyConfig reads a YAML mapping of flag names to values and sets every
// flag not already set on the command line or by the environment.
func (a *App) applyConfig(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fault.Usagef("config %s: %w", path, err)
	}
	var doc map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fault.Usagef("config %s: not a YAML mapping of flag names to values: %w", path, err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := a.fs.Lookup(k)
		if f == nil || commandLineOnly[k] || k == "config" {
			return fault.Usagef("config %s: unknown key %q (keys are flag names, see %s --help)", path, k, a.name)
		}
		if f.Changed {
			continue // command line or environment wins
		}
		vals, err := configStrings(doc[k])
		if err != nil {
			return fault.Usagef("config %s: key %q: %w", path, k, err)
		}
		if err := setValue(f, vals); err != nil {
			return fault.Usagef("config %s: key %q: invalid value%s", path, k, detail(k, err))
		}
	}
	return nil
}

// configStrings turns a YAML value into the strings a flag is set from:
// scalars give one string, lists one per element.
func configStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("no value")
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, err := configScalar(e)
			if err != nil {
				return nil, fmt.Errorf("list element: %w", err)
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			out = []string{""}
		}
		return out, nil
	default:
		s, err := configScalar(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
}

func configScalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	default:
		return "", fmt.Errorf("want a string, number, bool or list, not %T", v)
	}
}

// redactParseError replaces a parse error that names a sensitive flag, as
// pflag quotes the bad value in it.
func (a *App) redactParseError(err error) error {
	msg := err.Error()
	var hit string
	a.fs.VisitAll(func(f *pflag.Flag) {
		if hit == "" && sensitive(f.Name) && (strings.Contains(msg, "--"+f.Name) ||
			(f.Shorthand != "" && strings.Contains(msg, "-"+f.Shorthand+" "))) {
			hit = f.Name
		}
	})
	if hit != "" {
		return fmt.Errorf("invalid value for --%s", hit)
	}
	return err
}

// changedFlags lists the flags that were set (by any source: command
// line, environment or config file) with their values for a debug log
// line: sensitive ones hidden, URLs redacted (a list flag's items one by
// one, as a URL may hold commas).
func (a *App) changedFlags() []string {
	var out []string
	a.fs.VisitAll(func(f *pflag.Flag) {
		if !f.Changed || f.Name == "help" {
			return
		}
		v := shown(f.Name, f.Value.String())
		if sv, ok := f.Value.(pflag.SliceValue); ok && !sensitive(f.Name) {
			items := sv.GetSlice()
			for i := range items {
				items[i] = redact.Text(items[i])
			}
			v = strconv.Quote("[" + strings.Join(items, ",") + "]")
		}
		out = append(out, "--"+f.Name+"="+v)
	})
	return out
}
