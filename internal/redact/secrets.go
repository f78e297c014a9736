package redact

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// MinSecretLen is the shortest environment value Secrets hides: shorter
// ones ("1", "yes") would blank out ordinary words and are no secret.
const MinSecretLen = 4

// Secrets hides known secret values (and their quoted and escaped forms)
// wherever they appear in a text. The zero value hides nothing.
type Secrets struct {
	forms []string // longest first, so a value inside another goes last
}

// FromEnv collects the values of the environment variables whose names
// are sensitive (SensitiveName): environ lists "NAME=VALUE" entries, as
// os.Environ does.
func FromEnv(environ []string) *Secrets {
	var vals []string
	for _, kv := range environ {
		name, v, ok := strings.Cut(kv, "=")
		if ok && SensitiveName(name) {
			vals = append(vals, v)
		}
	}
	return NewSecrets(vals...)
}

// NewSecrets returns a scrubber for these values. Values shorter than
// MinSecretLen and booleans (a switch such as SOME_AUTH_ENABLED=true) are
// ignored: hiding them would blank out every "true" in a log.
func NewSecrets(values ...string) *Secrets {
	seen := map[string]bool{}
	s := &Secrets{}
	for _, v := range values {
		if _, err := strconv.ParseBool(v); err == nil || len(v) < MinSecretLen {
			continue
		}
		q := strconv.Quote(v)
		j, _ := json.Marshal(v)
		for _, f := range []string{v, q[1 : len(q)-1], string(j[1 : len(j)-1]), url.QueryEscape(v), url.PathEscape(v)} {
			if !seen[f] {
				seen[f] = true
				s.forms = append(s.forms, f)
			}
		}
	}
	sort.Slice(s.forms, func(i, j int) bool { return len(s.forms[i]) > len(s.forms[j]) })
	return s
}

// Hide replaces every known secret in text by Value.
func (s *Secrets) Hide(text string) string {
	if s == nil {
		return text
	}
	for _, f := range s.forms {
		if strings.Contains(text, f) {
			text = strings.ReplaceAll(text, f, Value)
		}
	}
	return text
}

// Scrub is Text followed by Hide: what a command applies to everything it
// prints or writes to a report.
func (s *Secrets) Scrub(text string) string {
	return s.Hide(Text(text))
}

// JSONStrings returns the JSON document b with f applied to every string
// in it (keys and values), keeping everything else byte for byte. A
// string that does not decode is left as it is.
func JSONStrings(b []byte, f func(string) string) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(b) {
			break
		}
		lit := b[i : j+1]
		var s string
		if json.Unmarshal(lit, &s) == nil {
			if r := f(s); r != s {
				enc, _ := json.Marshal(r)
				out = append(out, b[last:i]...)
				out = append(out, enc...)
				last = j + 1
			}
		}
		i = j
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
